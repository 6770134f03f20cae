/**
 * Drives the emulator with the real SDK clients the way a user's pipeline does: upload a CSV
 * to the emulator's S3, create the Personalize resources, wait for each to settle.
 */
import {
  CreateCampaignCommand,
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateFilterCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeCampaignCommand,
  DescribeDatasetCommand,
  DescribeDatasetGroupCommand,
  DescribeDatasetImportJobCommand,
  DescribeEventTrackerCommand,
  DescribeFilterCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
} from "@aws-sdk/client-personalize";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createDataPlane } from "../../emulator/data";
import type { EmulatorOptions } from "../../emulator/index";
import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";

export type Harness = TestEmulator;

/** An emulator with this data plane; lifecycles take no time unless `options` say otherwise. */
export function start(options: EmulatorOptions = {}): Promise<Harness> {
  return startTestEmulator({ dataPlane: createDataPlane, ...options });
}

const settled = (status?: string) =>
  status === "ACTIVE" || !!status?.endsWith("FAILED") || status === "CREATE STOPPED";

/** Polls `describe` until its status is terminal; returns the final description. */
export function settle<T extends { status?: string }>(describe: () => Promise<T>): Promise<T> {
  // Training runs for real here: 2000 polls (over 10 s) rather than eventually's default 500.
  return eventually(describe, (d) => settled(d.status), "resource settled", 2000);
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export async function upload(h: Harness, bucket: string, key: string, body: string | Buffer) {
  await h.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
    if (!/BucketAlready/.test(err.name)) throw err;
  });
  await h.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return `s3://${bucket}/${key}`;
}

export interface Group {
  datasetGroupArn: string;
  datasetArn: string;
}

/** A dataset group with an interactions dataset of `schema`, both ACTIVE. */
export async function group(
  h: Harness,
  schema: string,
  datasetType = "Interactions",
): Promise<Group> {
  const p = h.personalize;
  const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: unique("dsg") }));
  await settle(
    async () => (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup!,
  );
  const datasetArn = await dataset(h, datasetGroupArn!, schema, datasetType);
  return { datasetGroupArn: datasetGroupArn!, datasetArn };
}

export async function dataset(
  h: Harness,
  datasetGroupArn: string,
  schema: string,
  datasetType: string,
) {
  const p = h.personalize;
  const { schemaArn } = await p.send(new CreateSchemaCommand({ name: unique("schema"), schema }));
  const { datasetArn } = await p.send(
    new CreateDatasetCommand({ name: unique("ds"), datasetGroupArn, datasetType, schemaArn }),
  );
  await settle(async () => (await p.send(new DescribeDatasetCommand({ datasetArn }))).dataset!);
  return datasetArn!;
}

/** Runs an import job to its end; returns status and failureReason. */
export async function importFile(
  h: Harness,
  datasetArn: string,
  dataLocation: string,
  importMode: "FULL" | "INCREMENTAL" = "FULL",
) {
  const p = h.personalize;
  const { datasetImportJobArn } = await p.send(
    new CreateDatasetImportJobCommand({
      jobName: unique("import"),
      datasetArn,
      dataSource: { dataLocation },
      roleArn: "arn:aws:iam::000000000000:role/personalize",
      importMode,
    }),
  );
  return settle(
    async () =>
      (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })))
        .datasetImportJob!,
  );
}

export async function solution(
  h: Harness,
  datasetGroupArn: string,
  recipe: string,
  extra: { eventType?: string; eventValueThreshold?: string } = {},
) {
  const p = h.personalize;
  const { solutionArn } = await p.send(
    new CreateSolutionCommand({
      name: unique(recipe),
      datasetGroupArn,
      recipeArn: `arn:aws:personalize:::recipe/${recipe}`,
      performAutoTraining: false,
      eventType: extra.eventType,
      solutionConfig:
        extra.eventValueThreshold !== undefined
          ? { eventValueThreshold: extra.eventValueThreshold }
          : undefined,
    }),
  );
  await settle(async () => (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution!);
  return solutionArn!;
}

export async function train(
  h: Harness,
  solutionArn: string,
  trainingMode: "FULL" | "UPDATE" = "FULL",
) {
  const p = h.personalize;
  const { solutionVersionArn } = await p.send(
    new CreateSolutionVersionCommand({ solutionArn, trainingMode }),
  );
  return settle(
    async () =>
      (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn }))).solutionVersion!,
  );
}

export async function campaign(h: Harness, solutionVersionArn: string) {
  const p = h.personalize;
  const { campaignArn } = await p.send(
    new CreateCampaignCommand({ name: unique("campaign"), solutionVersionArn }),
  );
  await settle(async () => (await p.send(new DescribeCampaignCommand({ campaignArn }))).campaign!);
  return campaignArn!;
}

/** Solution, version and campaign for a recipe; returns the campaign and version ARNs. */
export async function deploy(
  h: Harness,
  datasetGroupArn: string,
  recipe: string,
  extra: { eventType?: string; eventValueThreshold?: string } = {},
) {
  const solutionArn = await solution(h, datasetGroupArn, recipe, extra);
  const version = await train(h, solutionArn);
  if (version.status !== "ACTIVE")
    throw new Error(`training ${recipe} ended ${version.status}: ${version.failureReason}`);
  const campaignArn = await campaign(h, version.solutionVersionArn!);
  return { solutionArn, solutionVersionArn: version.solutionVersionArn!, campaignArn };
}

export async function tracker(h: Harness, datasetGroupArn: string) {
  const p = h.personalize;
  const { eventTrackerArn, trackingId } = await p.send(
    new CreateEventTrackerCommand({ name: unique("tracker"), datasetGroupArn }),
  );
  await settle(
    async () => (await p.send(new DescribeEventTrackerCommand({ eventTrackerArn }))).eventTracker!,
  );
  return trackingId!;
}

export async function filter(h: Harness, datasetGroupArn: string, filterExpression: string) {
  const p = h.personalize;
  const { filterArn } = await p.send(
    new CreateFilterCommand({ name: unique("filter"), datasetGroupArn, filterExpression }),
  );
  const f = await settle(
    async () => (await p.send(new DescribeFilterCommand({ filterArn }))).filter!,
  );
  if (f.status !== "ACTIVE")
    throw new Error(`filter ${filterExpression} ended ${f.status}: ${f.failureReason}`);
  return filterArn!;
}
