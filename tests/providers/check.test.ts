import assert from "node:assert/strict";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { JOB_NAME_PREFIX_MAX, PROVIDER_VERSION, UNKNOWN } from "../../providers";
import { Kind, Props, PROVIDERS, ROLE, SOLUTION, VALID, VERSION, wire } from "./helpers";

type Provider = dynamic.ResourceProvider;

async function check(
  provider: Provider,
  news: Record<string, unknown>,
  olds: Record<string, unknown> = {},
) {
  const result = await provider.check!(olds, news);
  assert.deepEqual(
    wire(result.inputs),
    result.inputs,
    "checked inputs must survive the engine's Struct round trip",
  );
  return {
    inputs: result.inputs as Record<string, unknown>,
    reasons: (result.failures ?? []).map((f) => f.reason),
  };
}

interface Case {
  title: string;
  provider: Provider;
  news: Record<string, unknown>;
  /** Exact failure reasons, in order; [] for valid inputs. */
  reasons: string[];
  /** The reasons are prefixes, followed by ": " and the validator's own words. */
  prefixes?: boolean;
  /** Expected values of checked inputs. */
  inputs?: Record<string, unknown>;
}

const NAME_RULE = "must start with a letter or digit and contain only letters, digits, '-' and '_'";

const cases: Case[] = [
  // Defaults every Personalize resource gets.
  {
    title: "DatasetGroup: defaults for region, provider version and timeout",
    provider: PROVIDERS.DatasetGroup,
    news: VALID.DatasetGroup,
    reasons: [],
    inputs: {
      name: "workshop",
      region: "eu-west-1",
      providerVersion: PROVIDER_VERSION,
      timeoutMinutes: 10,
    },
  },
  {
    title: "DatasetGroup: undefined optional inputs are dropped, not sent as undefined",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "workshop", domain: undefined, tags: undefined },
    reasons: [],
    inputs: { domain: undefined, tags: undefined },
  },
  {
    title: "DatasetGroup: bad name",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "bad name!" },
    reasons: [`name "bad name!" ${NAME_RULE}`],
  },
  {
    title: "DatasetGroup: name starting with '-'",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "-x" },
    reasons: [`name "-x" ${NAME_RULE}`],
  },
  {
    title: "DatasetGroup: 64-character name",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "a".repeat(64) },
    reasons: [`name "${"a".repeat(64)}" must be 1-63 characters long (it has 64)`],
  },
  {
    title: "DatasetGroup: 63-character name is fine",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "a".repeat(63) },
    reasons: [],
  },
  {
    title: "DatasetGroup: missing name",
    provider: PROVIDERS.DatasetGroup,
    news: {},
    reasons: ["name is required"],
  },
  {
    title: "DatasetGroup: name that is a number",
    provider: PROVIDERS.DatasetGroup,
    news: { name: 7 },
    reasons: ["name 7 must be a string"],
  },
  {
    title: "DatasetGroup: unknown name in preview passes through",
    provider: PROVIDERS.DatasetGroup,
    news: { name: UNKNOWN },
    reasons: [],
    inputs: { name: UNKNOWN },
  },
  {
    title: "DatasetGroup: bad domain",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "g", domain: "RETAIL" },
    reasons: ['domain "RETAIL" must be one of ECOMMERCE, VIDEO_ON_DEMAND'],
  },
  {
    title: "DatasetGroup: roleArn without kmsKeyArn",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "g", roleArn: ROLE },
    reasons: [`roleArn "${ROLE}" is only valid together with kmsKeyArn`],
  },
  {
    title: "DatasetGroup: bad KMS key ARN",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "g", kmsKeyArn: "key-1", roleArn: ROLE },
    reasons: ['kmsKeyArn "key-1" is not a KMS key ARN'],
  },
  {
    title: "DatasetGroup: misspelt property",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "g", domian: "ECOMMERCE" },
    reasons: [
      "domian is not a property of DatasetGroup; known properties: region, endpoint, timeoutMinutes, providerVersion, tags, name, domain, kmsKeyArn, roleArn",
    ],
  },
  {
    title: "DatasetGroup: bad region, endpoint, timeout",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "g", region: "mars", endpoint: "ftp://x", timeoutMinutes: 0 },
    reasons: [
      'region "mars" is not an AWS region name such as us-east-1',
      'endpoint "ftp://x" must be an http(s) URL such as http://127.0.0.1:4599',
      "timeoutMinutes 0 must be a number of minutes above 0 and at most 10080 (a week)",
    ],
  },
  {
    title: "DatasetGroup: bad tag value",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "g", tags: { team: 5, ok: "yes" } },
    reasons: [
      "tags.team 5 is not a valid tag value (a string of 0-256 letters, digits, spaces, _.:/=+-@)",
    ],
  },
  {
    title: "DatasetGroup: unknown tag value passes through",
    provider: PROVIDERS.DatasetGroup,
    news: { name: "g", tags: { stack: UNKNOWN } },
    reasons: [],
    inputs: { tags: { stack: UNKNOWN } },
  },
  // Schema
  {
    title: "Schema: the workshop schema",
    provider: PROVIDERS.Schema,
    news: VALID.Schema,
    reasons: [],
    inputs: { timeoutMinutes: 5 },
  },
  {
    title: "Schema: not JSON",
    provider: PROVIDERS.Schema,
    news: { name: "s", schema: "{not json" },
    reasons: ["schema is not a valid Personalize schema"],
    prefixes: true,
  },
  {
    title: "Schema: unknown schema in preview",
    provider: PROVIDERS.Schema,
    news: { name: "s", schema: UNKNOWN },
    reasons: [],
  },
  {
    title: "Schema: tags are not a Schema property",
    provider: PROVIDERS.Schema,
    news: { ...VALID.Schema, tags: { a: "b" } },
    reasons: [
      "tags is not a property of Schema; known properties: region, endpoint, timeoutMinutes, providerVersion, name, schema, domain",
    ],
  },
  // Dataset
  {
    title: "Dataset: dataset type in any case is stored upper-case",
    provider: PROVIDERS.Dataset,
    news: { ...VALID.Dataset, datasetType: "action_interactions" },
    reasons: [],
    inputs: { datasetType: "ACTION_INTERACTIONS" },
  },
  {
    title: "Dataset: unknown dataset type",
    provider: PROVIDERS.Dataset,
    news: { ...VALID.Dataset, datasetType: "Clicks" },
    reasons: [
      'datasetType "Clicks" must be one of INTERACTIONS, ITEMS, USERS, ACTIONS, ACTION_INTERACTIONS (any case)',
    ],
  },
  {
    title: "Dataset: schema ARN that is not an ARN",
    provider: PROVIDERS.Dataset,
    news: { ...VALID.Dataset, schemaArn: "interactions" },
    reasons: ['schemaArn "interactions" is not a Personalize ARN'],
  },
  {
    title: "Dataset: unknown ARNs in preview",
    provider: PROVIDERS.Dataset,
    news: { ...VALID.Dataset, datasetGroupArn: UNKNOWN, schemaArn: UNKNOWN },
    reasons: [],
  },
  // DatasetImportJob
  {
    title: "DatasetImportJob: defaults FULL import",
    provider: PROVIDERS.DatasetImportJob,
    news: VALID.DatasetImportJob,
    reasons: [],
    inputs: { importMode: "FULL", timeoutMinutes: 120 },
  },
  {
    title: "DatasetImportJob: prefix too long for the suffix",
    provider: PROVIDERS.DatasetImportJob,
    news: { ...VALID.DatasetImportJob, jobName: "j".repeat(JOB_NAME_PREFIX_MAX + 1) },
    reasons: [`jobName "${"j".repeat(48)}" must be 1-47 characters long (it has 48)`],
  },
  {
    title: "DatasetImportJob: bad mode, location and role",
    provider: PROVIDERS.DatasetImportJob,
    news: {
      ...VALID.DatasetImportJob,
      importMode: "PARTIAL",
      dataLocation: "/tmp/x.csv",
      roleArn: "arn:aws:iam::1:role/x",
    },
    reasons: [
      'dataLocation "/tmp/x.csv" must be an S3 location such as s3://bucket/path/file.csv',
      'roleArn "arn:aws:iam::1:role/x" is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)',
      'importMode "PARTIAL" must be one of FULL, INCREMENTAL',
    ],
  },
  // Solution
  {
    title: "Solution: automatic training and HPO off by default",
    provider: PROVIDERS.Solution,
    news: VALID.Solution,
    reasons: [],
    inputs: { performHPO: false, performAutoTraining: false },
  },
  {
    title: "Solution: booleans and schedule",
    provider: PROVIDERS.Solution,
    news: {
      ...VALID.Solution,
      performHPO: "yes",
      solutionConfig: { autoTrainingConfig: { schedulingExpression: "rate(31 days)" } },
    },
    reasons: [
      'performHPO "yes" must be true or false',
      'solutionConfig.autoTrainingConfig.schedulingExpression "rate(31 days)" must be rate(N days) with N from 1 to 30',
    ],
  },
  {
    title: "Solution: recipe that is not an ARN",
    provider: PROVIDERS.Solution,
    news: { ...VALID.Solution, recipeArn: "aws-hrnn" },
    reasons: ['recipeArn "aws-hrnn" is not a Personalize ARN'],
  },
  // SolutionVersion
  {
    title: "SolutionVersion: FULL training by default, generous timeout",
    provider: PROVIDERS.SolutionVersion,
    news: VALID.SolutionVersion,
    reasons: [],
    inputs: { trainingMode: "FULL", timeoutMinutes: 360 },
  },
  {
    title: "SolutionVersion: AUTOTRAIN is set by the service only",
    provider: PROVIDERS.SolutionVersion,
    news: { ...VALID.SolutionVersion, trainingMode: "AUTOTRAIN" },
    reasons: ['trainingMode "AUTOTRAIN" must be one of FULL, UPDATE'],
  },
  {
    title: "SolutionVersion: training inputs must be strings",
    provider: PROVIDERS.SolutionVersion,
    news: { ...VALID.SolutionVersion, trainingInputs: [1] },
    reasons: ["trainingInputs [1] must be a list of strings"],
  },
  {
    title: "SolutionVersion: unknown training input in preview",
    provider: PROVIDERS.SolutionVersion,
    news: { ...VALID.SolutionVersion, trainingInputs: [UNKNOWN] },
    reasons: [],
    inputs: { trainingInputs: [UNKNOWN] },
  },
  // Campaign
  {
    title: "Campaign: one TPS by default",
    provider: PROVIDERS.Campaign,
    news: VALID.Campaign,
    reasons: [],
    inputs: { minProvisionedTPS: 1, timeoutMinutes: 180 },
  },
  {
    title: "Campaign: zero TPS",
    provider: PROVIDERS.Campaign,
    news: { ...VALID.Campaign, minProvisionedTPS: 0 },
    reasons: ["minProvisionedTPS 0 must be at least 1"],
  },
  {
    title: "Campaign: fractional TPS",
    provider: PROVIDERS.Campaign,
    news: { ...VALID.Campaign, minProvisionedTPS: 1.5 },
    reasons: ["minProvisionedTPS 1.5 must be a whole number"],
  },
  {
    title: "Campaign: TPS as text",
    provider: PROVIDERS.Campaign,
    news: { ...VALID.Campaign, minProvisionedTPS: "2" },
    reasons: ['minProvisionedTPS "2" must be a number'],
  },
  {
    title: "Campaign: unknown solution version in preview",
    provider: PROVIDERS.Campaign,
    news: { ...VALID.Campaign, solutionVersionArn: UNKNOWN },
    reasons: [],
  },
  {
    title: "Campaign: solution version that is not an ARN",
    provider: PROVIDERS.Campaign,
    news: { ...VALID.Campaign, solutionVersionArn: "latest" },
    reasons: ['solutionVersionArn "latest" is not a solution version ARN'],
  },
  {
    title: "Campaign: a version of another solution",
    provider: PROVIDERS.Campaign,
    news: {
      ...VALID.Campaign,
      solutionArn: "arn:aws:personalize:us-east-1:111122223333:solution/other",
    },
    reasons: [
      `solutionVersionArn "${VERSION}" is not a version of solutionArn "arn:aws:personalize:us-east-1:111122223333:solution/other"`,
    ],
  },
  {
    title: "Campaign: its own solution",
    provider: PROVIDERS.Campaign,
    news: { ...VALID.Campaign, solutionArn: SOLUTION },
    reasons: [],
    inputs: { solutionArn: SOLUTION },
  },
  // EventTracker and Filter
  {
    title: "EventTracker: valid",
    provider: PROVIDERS.EventTracker,
    news: VALID.EventTracker,
    reasons: [],
  },
  {
    title: "EventTracker: bad dataset group ARN",
    provider: PROVIDERS.EventTracker,
    news: { ...VALID.EventTracker, datasetGroupArn: "arn:aws:s3:::bucket" },
    reasons: ['datasetGroupArn "arn:aws:s3:::bucket" is not a Personalize ARN'],
  },
  { title: "Filter: valid", provider: PROVIDERS.Filter, news: VALID.Filter, reasons: [] },
  {
    title: "Filter: expression without EXCLUDE/INCLUDE",
    provider: PROVIDERS.Filter,
    news: { ...VALID.Filter, filterExpression: "ItemID" },
    reasons: [
      'filterExpression "ItemID" must start with EXCLUDE or INCLUDE, e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
    ],
  },
  {
    title: "Filter: expression over 2500 characters",
    provider: PROVIDERS.Filter,
    news: { ...VALID.Filter, filterExpression: "EXCLUDE " + "x".repeat(2493) },
    reasons: [
      `filterExpression "EXCLUDE ${"x".repeat(2493)}" must be 1-2500 characters long (it has 2501)`,
    ],
  },
  // Local S3
  {
    title: "LocalBucket: valid",
    provider: PROVIDERS.LocalBucket,
    news: VALID.LocalBucket,
    reasons: [],
    inputs: { region: "eu-west-1" },
  },
  {
    title: "LocalBucket: bad bucket name, no endpoint",
    provider: PROVIDERS.LocalBucket,
    news: { bucket: "Bad_Bucket" },
    reasons: [
      `bucket "Bad_Bucket" is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-')`,
      "endpoint is required",
    ],
  },
  {
    title: "LocalObject: a source file that is not there",
    provider: PROVIDERS.LocalObject,
    news: { ...VALID.LocalObject, source: "/nonexistent/interactions.csv" },
    reasons: [
      `source "/nonexistent/interactions.csv" does not exist (relative paths are from ${process.cwd()})`,
    ],
  },
  {
    title: "LocalObject: valid",
    provider: PROVIDERS.LocalObject,
    news: VALID.LocalObject,
    reasons: [],
  },
  {
    title: "LocalObject: missing source and hash",
    provider: PROVIDERS.LocalObject,
    news: { ...VALID.LocalObject, source: undefined, contentHash: undefined },
    reasons: ["source is required", "contentHash is required"],
  },
];

describe("providers: check", () => {
  const saved = { region: process.env.AWS_REGION, defaultRegion: process.env.AWS_DEFAULT_REGION };
  before(() => {
    process.env.AWS_REGION = "eu-west-1";
    delete process.env.AWS_DEFAULT_REGION;
  });
  after(() => {
    for (const [name, value] of [
      ["AWS_REGION", saved.region],
      ["AWS_DEFAULT_REGION", saved.defaultRegion],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  for (const c of cases) {
    it(c.title, async () => {
      const { inputs, reasons } = await check(c.provider, c.news);
      if (c.prefixes) {
        assert.equal(reasons.length, c.reasons.length, JSON.stringify(reasons));
        c.reasons.forEach((prefix, i) =>
          assert.ok(reasons[i].startsWith(`${prefix}: `), reasons[i]),
        );
      } else {
        assert.deepEqual(reasons, c.reasons);
      }
      for (const [key, value] of Object.entries(c.inputs ?? {})) {
        assert.deepEqual(inputs[key], value, `checked input ${key}`);
        if (value === undefined)
          assert.ok(!(key in inputs), `${key} must be absent, not undefined`);
      }
    });
  }

  /** Inputs beyond the valid ones, so that every field is covered. */
  const more: Partial<Record<Kind, Props>> = {
    Solution: { performHPO: true, eventType: "Order Completed" },
    SolutionVersion: { name: "v1", trainingMode: "UPDATE" },
    Campaign: { solutionArn: SOLUTION, minProvisionedTPS: 2 },
  };
  const everyProvider = Object.entries(PROVIDERS).map(([kind, provider]) => {
    const inputs = { ...VALID[kind as Kind], ...more[kind as Kind] };
    // Schemas and the local S3 resources take no tags.
    const taggable = !["Schema", "LocalBucket", "LocalObject"].includes(kind);
    return [kind, provider, inputs, taggable] as const;
  });
  for (const [kind, provider, inputs, taggable] of everyProvider) {
    it(`${kind}: in preview every input may be unknown, and stays unknown`, async () => {
      const keys = [...Object.keys(inputs), "region", ...(taggable ? ["tags"] : [])];
      const { inputs: checked, reasons } = await check(
        provider,
        Object.fromEntries(keys.map((key) => [key, UNKNOWN])),
      );
      assert.deepEqual(reasons, []);
      for (const key of keys) assert.equal(checked[key], UNKNOWN, key);
    });
  }

  it("keeps __provider in the checked inputs", async () => {
    const { inputs } = await check(PROVIDERS.DatasetGroup, { name: "g", __provider: "code" });
    assert.equal(inputs.__provider, "code");
  });

  describe("DatasetImportJob physical name", () => {
    it("appends the data hash and a random part to the prefix", async () => {
      const { inputs } = await check(PROVIDERS.DatasetImportJob, VALID.DatasetImportJob);
      assert.match(String(inputs.physicalJobName), /^interactions-import-01234567-[0-9a-f]{6}$/);
    });

    it("keeps the name across later checks while nothing that replaces the job changes", async () => {
      const first = await check(PROVIDERS.DatasetImportJob, VALID.DatasetImportJob);
      const again = await check(
        PROVIDERS.DatasetImportJob,
        { ...VALID.DatasetImportJob, tags: { team: "recs" } },
        first.inputs,
      );
      assert.equal(again.inputs.physicalJobName, first.inputs.physicalJobName);
    });

    it("chooses a new name when the data changes (names are unique forever)", async () => {
      const first = await check(PROVIDERS.DatasetImportJob, VALID.DatasetImportJob);
      const next = await check(
        PROVIDERS.DatasetImportJob,
        { ...VALID.DatasetImportJob, dataHash: "sha256:fedcba9876543210" },
        first.inputs,
      );
      assert.match(
        String(next.inputs.physicalJobName),
        /^interactions-import-fedcba98-[0-9a-f]{6}$/,
      );
    });

    it("is unknown in preview while the dataset is unknown", async () => {
      const { inputs, reasons } = await check(PROVIDERS.DatasetImportJob, {
        ...VALID.DatasetImportJob,
        datasetArn: UNKNOWN,
      });
      assert.deepEqual(reasons, []);
      assert.equal(inputs.physicalJobName, UNKNOWN);
    });

    it("fits the 63-character limit with the longest prefix", async () => {
      const { inputs, reasons } = await check(PROVIDERS.DatasetImportJob, {
        ...VALID.DatasetImportJob,
        jobName: "j".repeat(JOB_NAME_PREFIX_MAX),
      });
      assert.deepEqual(reasons, []);
      assert.equal(String(inputs.physicalJobName).length, 63);
    });
  });
});
