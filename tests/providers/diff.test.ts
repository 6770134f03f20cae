import assert from "node:assert/strict";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { PROVIDER_VERSION, UNKNOWN } from "../../providers";
import { ARN, COMMON as common, DSG, Props, PROVIDERS, ROLE, WORKSHOP_SCHEMA } from "./helpers";

interface Case {
  title: string;
  provider: dynamic.ResourceProvider;
  /** The stored outputs (what the engine passes to diff). */
  olds: Props;
  /** Changes to the checked inputs, relative to the olds. */
  change: Props;
  expect: "none" | "update" | "replace";
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

const dg = { ...common, name: "workshop", arn: DSG, status: "ACTIVE" };
const schema = {
  ...common,
  name: "interactions",
  schema: WORKSHOP_SCHEMA,
  arn: ARN("schema/interactions"),
  status: "ACTIVE",
};
const dataset = {
  ...common,
  name: "interactions",
  datasetGroupArn: DSG,
  datasetType: "INTERACTIONS",
  schemaArn: ARN("schema/interactions"),
  arn: ARN("dataset/workshop/INTERACTIONS"),
  status: "ACTIVE",
};
const importJob = {
  ...common,
  jobNamePrefix: "import",
  physicalJobName: "import-01234567-abcdef",
  jobName: "import-01234567-abcdef",
  datasetArn: dataset.arn,
  dataLocation: "s3://b/transformed/interactions.csv",
  roleArn: ROLE,
  importMode: "FULL",
  dataHash: "01234567",
  arn: ARN("dataset-import-job/import-01234567-abcdef"),
  status: "ACTIVE",
};
/** The checked inputs matching importJob's outputs (jobName is the prefix on the way in). */
const importJobInputs = (change: Props) => {
  const { jobNamePrefix, arn: _arn, status: _status, ...rest } = importJob;
  return { ...rest, jobName: jobNamePrefix, ...change };
};
const solution = {
  ...common,
  name: "workshop",
  datasetGroupArn: DSG,
  recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
  performHPO: false,
  performAutoTraining: false,
  solutionConfig: {
    algorithmHyperParameters: { hidden_dimension: "64" },
    autoTrainingConfig: { schedulingExpression: "rate(7 days)" },
  },
  arn: ARN("solution/workshop"),
  status: "ACTIVE",
};
const version = {
  ...common,
  solutionArn: solution.arn,
  trainingMode: "FULL",
  trainingInputs: [importJob.arn],
  arn: ARN("solution/workshop/3a1b2c3d"),
  status: "ACTIVE",
  trainingHours: 0.1,
  metrics: { coverage: 0.5 },
};
const campaign = {
  ...common,
  name: "segment-workshop-campaign",
  solutionVersionArn: version.arn,
  minProvisionedTPS: 1,
  arn: ARN("campaign/segment-workshop-campaign"),
  status: "ACTIVE",
};
const tracker = {
  ...common,
  name: "tracker",
  datasetGroupArn: DSG,
  arn: ARN("event-tracker/tracker"),
  status: "ACTIVE",
  trackingId: "t-1",
};
const filter = {
  ...common,
  name: "no-purchased",
  datasetGroupArn: DSG,
  filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
  arn: ARN("filter/no-purchased"),
  status: "ACTIVE",
};
const bucket = {
  bucket: "data",
  endpoint: "http://127.0.0.1:1",
  region: "us-east-1",
  arn: "arn:aws:s3:::data",
};
const object = {
  bucket: "data",
  key: "transformed/i.csv",
  source: "/tmp/i.csv",
  contentHash: "h1",
  endpoint: "http://127.0.0.1:1",
  region: "us-east-1",
  etag: '"e"',
  s3Uri: "s3://data/transformed/i.csv",
};

const cases: Case[] = [
  {
    title: "DatasetGroup: nothing changed",
    provider: PROVIDERS.DatasetGroup,
    olds: dg,
    change: {},
    expect: "none",
  },
  {
    title: "DatasetGroup: empty tags are no tags",
    provider: PROVIDERS.DatasetGroup,
    olds: dg,
    change: { tags: {} },
    expect: "none",
  },
  {
    title: "DatasetGroup: tags update in place",
    provider: PROVIDERS.DatasetGroup,
    olds: dg,
    change: { tags: { team: "recs" } },
    expect: "update",
  },
  {
    title: "DatasetGroup: a new provider version updates in place (fixes reach old resources)",
    provider: PROVIDERS.DatasetGroup,
    olds: { ...dg, providerVersion: "0.9.0" },
    change: { providerVersion: PROVIDER_VERSION },
    expect: "update",
  },
  {
    title: "DatasetGroup: new name replaces, create-first is safe",
    provider: PROVIDERS.DatasetGroup,
    olds: dg,
    change: { name: "workshop-2" },
    expect: "replace",
    replaces: ["name"],
    deleteBeforeReplace: false,
  },
  {
    title: "DatasetGroup: same name, new domain: delete first",
    provider: PROVIDERS.DatasetGroup,
    olds: dg,
    change: { domain: "ECOMMERCE" },
    expect: "replace",
    replaces: ["domain"],
    deleteBeforeReplace: true,
  },
  {
    title: "DatasetGroup: unknown name in preview is a replacement that may keep the name",
    provider: PROVIDERS.DatasetGroup,
    olds: dg,
    change: { name: UNKNOWN },
    expect: "replace",
    replaces: ["name"],
    deleteBeforeReplace: true,
  },
  {
    title: "DatasetGroup: region change replaces",
    provider: PROVIDERS.DatasetGroup,
    olds: dg,
    change: { region: "eu-west-1" },
    expect: "replace",
    replaces: ["region"],
    deleteBeforeReplace: false,
  },
  {
    title: "Schema: only whitespace differs",
    provider: PROVIDERS.Schema,
    olds: schema,
    change: { schema: JSON.stringify(JSON.parse(WORKSHOP_SCHEMA)) },
    expect: "none",
  },
  {
    title: "Schema: a new field replaces, same name: delete first",
    provider: PROVIDERS.Schema,
    olds: schema,
    change: {
      schema: WORKSHOP_SCHEMA.replace(
        '"long" }',
        '"long" },\n    { "name": "EVENT_VALUE", "type": ["null", "float"] }',
      ),
    },
    expect: "replace",
    replaces: ["schema"],
    deleteBeforeReplace: true,
  },
  {
    title: "Dataset: dataset type case differs only",
    provider: PROVIDERS.Dataset,
    olds: dataset,
    change: { datasetType: "Interactions" },
    expect: "none",
  },
  {
    title:
      "Dataset: new schema for INTERACTIONS replaces (no UpdateDataset for it), same ARN: delete first",
    provider: PROVIDERS.Dataset,
    olds: dataset,
    change: { schemaArn: ARN("schema/interactions-v2") },
    expect: "replace",
    replaces: ["schemaArn"],
    deleteBeforeReplace: true,
  },
  {
    title: "Dataset: new schema for ITEMS updates in place",
    provider: PROVIDERS.Dataset,
    olds: { ...dataset, datasetType: "ITEMS" },
    change: { datasetType: "ITEMS", schemaArn: ARN("schema/items-v2") },
    expect: "update",
  },
  {
    title: "Dataset: a new name alone still replaces but the ARN stays: delete first",
    provider: PROVIDERS.Dataset,
    olds: dataset,
    change: { name: "interactions-2" },
    expect: "replace",
    replaces: ["name"],
    deleteBeforeReplace: true,
  },
  {
    title: "DatasetImportJob: unchanged",
    provider: PROVIDERS.DatasetImportJob,
    olds: importJob,
    change: {},
    expect: "none",
  },
  {
    title: "DatasetImportJob: new data is a new job with a new name, no delete first",
    provider: PROVIDERS.DatasetImportJob,
    olds: importJob,
    change: { dataHash: "89abcdef", physicalJobName: "import-89abcdef-123456" },
    expect: "replace",
    replaces: ["physicalJobName", "dataHash"],
    deleteBeforeReplace: false,
  },
  {
    title: "DatasetImportJob: tags update in place",
    provider: PROVIDERS.DatasetImportJob,
    olds: importJob,
    change: { tags: { a: "b" } },
    expect: "update",
  },
  {
    title: "Solution: turning automatic training on updates in place",
    provider: PROVIDERS.Solution,
    olds: solution,
    change: { performAutoTraining: true },
    expect: "update",
  },
  {
    title: "Solution: a new auto-training schedule updates in place",
    provider: PROVIDERS.Solution,
    olds: solution,
    change: {
      solutionConfig: {
        ...solution.solutionConfig,
        autoTrainingConfig: { schedulingExpression: "rate(3 days)" },
      },
    },
    expect: "update",
  },
  {
    title: "Solution: adding eventsConfig to a solution without config updates in place",
    provider: PROVIDERS.Solution,
    olds: { ...solution, solutionConfig: undefined },
    change: {
      solutionConfig: {
        eventsConfig: { eventParametersList: [{ eventType: "Order Completed", weight: 0.8 }] },
      },
    },
    expect: "update",
  },
  {
    title: "Solution: new hyperparameters replace, same name: delete first",
    provider: PROVIDERS.Solution,
    olds: solution,
    change: {
      solutionConfig: {
        ...solution.solutionConfig,
        algorithmHyperParameters: { hidden_dimension: "128" },
      },
    },
    expect: "replace",
    replaces: ["solutionConfig"],
    deleteBeforeReplace: true,
  },
  {
    title: "Solution: a new recipe replaces",
    provider: PROVIDERS.Solution,
    olds: solution,
    change: { recipeArn: "arn:aws:personalize:::recipe/aws-hrnn" },
    expect: "replace",
    replaces: ["recipeArn"],
    deleteBeforeReplace: true,
  },
  {
    title: "Solution: turning HPO on replaces",
    provider: PROVIDERS.Solution,
    olds: solution,
    change: { performHPO: true },
    expect: "replace",
    replaces: ["performHPO"],
    deleteBeforeReplace: true,
  },
  {
    title: "SolutionVersion: unchanged",
    provider: PROVIDERS.SolutionVersion,
    olds: version,
    change: {},
    expect: "none",
  },
  {
    title: "SolutionVersion: a new import job trains a new version, no delete first",
    provider: PROVIDERS.SolutionVersion,
    olds: version,
    change: { trainingInputs: [ARN("dataset-import-job/import-89abcdef-123456")] },
    expect: "replace",
    replaces: ["trainingInputs"],
    deleteBeforeReplace: false,
  },
  {
    title: "SolutionVersion: an unknown import job in preview trains a new version",
    provider: PROVIDERS.SolutionVersion,
    olds: version,
    change: { trainingInputs: [UNKNOWN] },
    expect: "replace",
    replaces: ["trainingInputs"],
    deleteBeforeReplace: false,
  },
  {
    title: "Campaign: unchanged",
    provider: PROVIDERS.Campaign,
    olds: campaign,
    change: {},
    expect: "none",
  },
  {
    title: "Campaign: a new solution version rolls forward in place",
    provider: PROVIDERS.Campaign,
    olds: campaign,
    change: { solutionVersionArn: ARN("solution/workshop/4e5f6a7b") },
    expect: "update",
  },
  {
    title: "Campaign: an unknown solution version in preview is still an update",
    provider: PROVIDERS.Campaign,
    olds: campaign,
    change: { solutionVersionArn: UNKNOWN },
    expect: "update",
  },
  {
    title:
      "Campaign: a replaced solution (solutionArn unknown, as the engine asks about dependents) replaces the campaign, deleting first",
    provider: PROVIDERS.Campaign,
    olds: { ...campaign, solutionArn: solution.arn },
    change: { solutionArn: UNKNOWN, solutionVersionArn: UNKNOWN },
    expect: "replace",
    replaces: ["solutionArn"],
    deleteBeforeReplace: true,
  },
  {
    title: "Campaign: a new version of the same solution still updates in place",
    provider: PROVIDERS.Campaign,
    olds: { ...campaign, solutionArn: solution.arn },
    change: { solutionVersionArn: UNKNOWN },
    expect: "update",
  },
  {
    title: "Campaign: TPS updates in place",
    provider: PROVIDERS.Campaign,
    olds: campaign,
    change: { minProvisionedTPS: 5 },
    expect: "update",
  },
  {
    title: "Campaign: config updates in place",
    provider: PROVIDERS.Campaign,
    olds: campaign,
    change: { campaignConfig: { itemExplorationConfig: { explorationWeight: "0.3" } } },
    expect: "update",
  },
  {
    title: "Campaign: a new name replaces, create-first is safe",
    provider: PROVIDERS.Campaign,
    olds: campaign,
    change: { name: "other-campaign" },
    expect: "replace",
    replaces: ["name"],
    deleteBeforeReplace: false,
  },
  {
    title:
      "EventTracker: a new name in the same dataset group deletes first (one tracker per group)",
    provider: PROVIDERS.EventTracker,
    olds: tracker,
    change: { name: "tracker-2" },
    expect: "replace",
    replaces: ["name"],
    deleteBeforeReplace: true,
  },
  {
    title: "Filter: a new expression replaces, same name: delete first",
    provider: PROVIDERS.Filter,
    olds: filter,
    change: {
      filterExpression: 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Product Added")',
    },
    expect: "replace",
    replaces: ["filterExpression"],
    deleteBeforeReplace: true,
  },
  {
    title: "LocalBucket: unchanged",
    provider: PROVIDERS.LocalBucket,
    olds: bucket,
    change: {},
    expect: "none",
  },
  {
    title: "LocalBucket: new name replaces, create-first is safe",
    provider: PROVIDERS.LocalBucket,
    olds: bucket,
    change: { bucket: "data-2" },
    expect: "replace",
    replaces: ["bucket"],
    deleteBeforeReplace: false,
  },
  {
    title: "LocalObject: new content uploads in place",
    provider: PROVIDERS.LocalObject,
    olds: object,
    change: { contentHash: "h2" },
    expect: "update",
  },
  {
    title: "LocalObject: new key replaces",
    provider: PROVIDERS.LocalObject,
    olds: object,
    change: { key: "transformed/j.csv" },
    expect: "replace",
    replaces: ["key"],
    deleteBeforeReplace: false,
  },
];

/** Checked inputs as the engine would pass them: the olds' input fields plus the change. */
function newsFor(c: Case): Props {
  if (c.provider === PROVIDERS.DatasetImportJob) return importJobInputs(c.change);
  const outputOnly = ["arn", "status", "trackingId", "trainingHours", "metrics", "etag", "s3Uri"];
  return Object.fromEntries(
    Object.entries({ ...c.olds, ...c.change }).filter(([k]) => !outputOnly.includes(k)),
  );
}

describe("providers: diff", () => {
  for (const c of cases) {
    it(c.title, async () => {
      const result = await c.provider.diff!(String(c.olds.arn ?? "id"), c.olds, newsFor(c));
      const decision = !result.changes
        ? "none"
        : (result.replaces ?? []).length > 0
          ? "replace"
          : "update";
      assert.equal(decision, c.expect, JSON.stringify(result));
      if (c.expect === "replace") {
        assert.deepEqual(result.replaces, c.replaces);
        assert.equal(result.deleteBeforeReplace, c.deleteBeforeReplace);
      } else {
        assert.ok(!result.deleteBeforeReplace, "no replacement, no delete-before-replace");
      }
    });
  }
});
