import assert from "node:assert/strict";
import { readFileSync } from "fs";
import { join } from "path";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { EmulatorOptions } from "../../emulator";
import {
  campaignProvider,
  datasetGroupProvider,
  datasetImportJobProvider,
  datasetProvider,
  eventTrackerProvider,
  filterProvider,
  localBucketProvider,
  localObjectProvider,
  PROVIDER_VERSION,
  schemaProvider,
  solutionProvider,
  solutionVersionProvider,
} from "../../providers";
import {
  startTestEmulator as startSharedTestEmulator,
  type TestEmulator as SharedTestEmulator,
} from "../support/emulator";

/** What the provider tests share: the providers by kind, the engine's steps, fixtures, an emulator with clients. */

export type Props = Record<string, unknown>;

/**
 * Every provider, under the kind its resource class registers (`personalize:<kind>`, `s3:<kind>`),
 * typed as the engine sees it: it passes whatever the wire carries.
 */
const BY_KIND = {
  DatasetGroup: datasetGroupProvider,
  Schema: schemaProvider,
  Dataset: datasetProvider,
  DatasetImportJob: datasetImportJobProvider,
  Solution: solutionProvider,
  SolutionVersion: solutionVersionProvider,
  Campaign: campaignProvider,
  EventTracker: eventTrackerProvider,
  Filter: filterProvider,
  LocalBucket: localBucketProvider,
  LocalObject: localObjectProvider,
};

export type Kind = keyof typeof BY_KIND;

export const PROVIDERS: Record<Kind, dynamic.ResourceProvider> = BY_KIND;

/** Loads serialized provider text exactly as the dynamic-provider host does. */
export const requireFromString: (code: string) => {
  handler(): dynamic.ResourceProvider;
} = require("require-from-string");

/** What crosses the engine boundary: a Struct round trip (undefined or Date would throw or vanish). */
export const wire = (v: unknown) => Struct.fromJavaScript(v as never).toJavaScript() as Props;

/** The workshop's interactions schema. */
export const WORKSHOP_SCHEMA = readFileSync(
  join(__dirname, "../../schemas/event_schema.avsc"),
  "utf8",
);
/** A Personalize ARN in a made-up account, for tests that never call the service. */
export const ARN = (path: string) => `arn:aws:personalize:us-east-1:111122223333:${path}`;
export const DSG = ARN("dataset-group/workshop");
export const ROLE = "arn:aws:iam::111122223333:role/personalize-read";
const SCHEMA_ARN = ARN("schema/interactions");
const DATASET = ARN("dataset/workshop/INTERACTIONS");
export const SOLUTION = ARN("solution/workshop");
export const VERSION = ARN("solution/workshop/3a1b2c3d");
const RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization";

/** Valid inputs of each kind, with only the required fields (and a dataset type in the program's case). */
export const VALID: Record<Kind, Props> = {
  DatasetGroup: { name: "workshop" },
  Schema: { name: "interactions", schema: WORKSHOP_SCHEMA },
  Dataset: {
    name: "interactions",
    datasetGroupArn: DSG,
    datasetType: "Interactions",
    schemaArn: SCHEMA_ARN,
  },
  DatasetImportJob: {
    jobName: "interactions-import",
    datasetArn: DATASET,
    dataLocation: "s3://bucket/transformed/interactions.csv",
    roleArn: ROLE,
    dataHash: "sha256:0123456789abcdef",
  },
  Solution: { name: "workshop", datasetGroupArn: DSG, recipeArn: RECIPE },
  SolutionVersion: { solutionArn: SOLUTION },
  Campaign: { name: "segment-workshop-campaign", solutionVersionArn: VERSION },
  EventTracker: { name: "tracker", datasetGroupArn: DSG },
  Filter: {
    name: "no-purchased",
    datasetGroupArn: DSG,
    filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
  },
  LocalBucket: { bucket: "workshop-data", endpoint: "http://127.0.0.1:4599" },
  LocalObject: {
    bucket: "workshop-data",
    key: "transformed/interactions.csv",
    source: join(__dirname, "../../data/interactions.csv"),
    contentHash: "abc",
    endpoint: "http://127.0.0.1:4599",
  },
};

/** The common inputs as check fills them in. */
export const COMMON = {
  region: "us-east-1",
  providerVersion: PROVIDER_VERSION,
  timeoutMinutes: 10,
};

/** A resource as the engine keeps it after create or update. */
export interface Deployed {
  id: string;
  inputs: Props;
  outs: Props;
}

/** check -> create, as the engine runs a new resource; the inputs must be valid. */
export async function checkAndCreate(
  provider: dynamic.ResourceProvider,
  news: Props,
): Promise<Deployed> {
  const checked = await provider.check!({}, news);
  assert.deepEqual(checked.failures, []);
  const inputs = wire(checked.inputs);
  const result = await provider.create(inputs);
  assert.ok(result.id, "create returns an id");
  return { id: result.id, inputs, outs: wire(result.outs) };
}

/** Removes credentials from the environment (the providers then fall back to dummy ones for loopback). */
export function clearCredentials(): void {
  for (const name of [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
  ])
    delete process.env[name];
}

/** An emulator and SDK clients for checking what it holds, plus the inputs that point a resource at it. */
export interface TestEmulator extends SharedTestEmulator {
  /** `{ region, endpoint }` for a resource's inputs. */
  base: Props;
}

export async function startTestEmulator(options: EmulatorOptions): Promise<TestEmulator> {
  const running = await startSharedTestEmulator(options);
  return { ...running, base: { region: "us-east-1", endpoint: running.emulator.url } };
}
