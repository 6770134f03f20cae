import * as assert from "assert";
import { CreateDatasetGroupCommand, CreateSolutionCommand } from "@aws-sdk/client-personalize";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { isRegion } from "../../emulator/http/signing";
import {
  datasetGroupProvider,
  errorCode,
  localBucketProvider,
  solutionProvider,
} from "../../providers";
import { startTestEmulator, type TestEmulator } from "../support/emulator";
import {
  DEFAULT_LOCAL_ENDPOINT,
  KNOWN_RECIPES,
  QUALITY_GATE_CONFIG_DEFAULTS,
  StackConfig,
  defaultNamePrefix,
  parseStackConfig,
} from "../../stack/config";

/** A config getter over a plain object, the way `pulumi config` would answer. */
function configOf(values: Record<string, string>): (key: string) => string | undefined {
  return (key) => values[key];
}

function parse(values: Record<string, string>, stack = "dev"): StackConfig {
  return parseStackConfig(configOf(values), stack);
}

const AWS = { "aws:region": "us-east-1" };

describe("stack config", () => {
  it("defaults to target aws with the workshop's names on the dev stack", () => {
    const cfg = parse(AWS);
    assert.strictEqual(cfg.target, "aws");
    assert.strictEqual(cfg.region, "us-east-1");
    assert.strictEqual(cfg.endpoint, undefined);
    assert.deepStrictEqual(cfg.names, {
      datasetGroup: "segment-workshop-dataset-group",
      schema: "segment-workshop-interactions-schema",
      dataset: "segment-workshop-interactions",
      importJob: "segment-workshop-import",
      solution: "segment-workshop-solution",
      solutionVersion: "segment-workshop-version",
      campaign: "segment-workshop-campaign",
    });
    assert.strictEqual(cfg.dataFile, "data/interactions.csv");
    assert.strictEqual(cfg.schemaFile, "schemas/event_schema.avsc");
    assert.strictEqual(cfg.validateData, true);
    assert.strictEqual(cfg.recipe, "aws-user-personalization");
    assert.strictEqual(cfg.recipeArn, "arn:aws:personalize:::recipe/aws-user-personalization");
    assert.strictEqual(cfg.performAutoTraining, false);
    assert.strictEqual(cfg.performHPO, false);
    assert.strictEqual(cfg.minProvisionedTPS, 1);
    assert.strictEqual(cfg.eventType, undefined);
    assert.deepStrictEqual(cfg.tags, { project: "personalize-workshop", stack: "dev" });
    assert.deepStrictEqual(cfg.qualityGate, {
      enabled: true,
      metric: "normalized_discounted_cumulative_gain_at_10",
      minimum: 0.05,
      maxDrop: 0.1,
    });
    assert.deepStrictEqual(cfg.warnings, []);
  });

  it("gives every other stack its own prefix, so two stacks never share a name", () => {
    const dev = parse(AWS, "dev");
    const prod = parse(AWS, "prod");
    assert.strictEqual(prod.names.campaign, "segment-workshop-prod-campaign");
    for (const key of Object.keys(dev.names) as (keyof StackConfig["names"])[]) {
      assert.notStrictEqual(dev.names[key], prod.names[key], key);
    }
  });

  it("derives a valid prefix from any stack name", () => {
    assert.strictEqual(defaultNamePrefix("dev"), "segment-workshop");
    assert.strictEqual(defaultNamePrefix("Feature_Branch.2"), "segment-workshop-feature-branch-2");
    assert.strictEqual(defaultNamePrefix("___"), "segment-workshop-stack");
    const long = defaultNamePrefix("a".repeat(80));
    assert.ok(long.length <= 40, long);
    assert.doesNotThrow(() => parse({ ...AWS }, "a".repeat(80)));
  });

  it("fills the emulator's endpoint, region, bucket and names on target local", () => {
    const cfg = parse({ target: "local" }, "local");
    assert.strictEqual(cfg.target, "local");
    assert.strictEqual(cfg.endpoint, DEFAULT_LOCAL_ENDPOINT);
    assert.strictEqual(cfg.region, "us-east-1");
    assert.strictEqual(cfg.names.bucket, "segment-workshop-local-data");
    assert.strictEqual(cfg.names.campaign, "segment-workshop-local-campaign");
  });

  it("takes every name, the prefix and the files from config", () => {
    const cfg = parse({
      ...AWS,
      namePrefix: "team-a",
      campaignName: "Custom_Campaign-1",
      bucketName: "team-a.bucket",
      dataFile: "/tmp/x.csv",
      schemaFile: "other.avsc",
      endpoint: "https://personalize.example.test",
    });
    assert.strictEqual(cfg.names.datasetGroup, "team-a-dataset-group");
    assert.strictEqual(cfg.names.campaign, "Custom_Campaign-1");
    assert.strictEqual(cfg.names.bucket, "team-a.bucket");
    assert.strictEqual(cfg.dataFile, "/tmp/x.csv");
    assert.strictEqual(cfg.schemaFile, "other.avsc");
    assert.strictEqual(cfg.endpoint, "https://personalize.example.test");
  });

  it("treats empty values (Pulumi.yaml's defaults) as unset", () => {
    const cfg = parse({ ...AWS, namePrefix: "", campaignName: "", endpoint: "", tags: "" });
    assert.strictEqual(cfg.names.campaign, "segment-workshop-campaign");
    assert.strictEqual(cfg.endpoint, undefined);
  });

  it("accepts a recipe as an id or a full ARN", () => {
    assert.strictEqual(
      parse({ ...AWS, recipe: "aws-sims" }).recipeArn,
      "arn:aws:personalize:::recipe/aws-sims",
    );
    const fromArn = parse({
      ...AWS,
      recipe: "arn:aws:personalize:::recipe/aws-user-personalization-v2",
    });
    assert.strictEqual(fromArn.recipe, "aws-user-personalization-v2");
    assert.strictEqual(
      fromArn.recipeArn,
      "arn:aws:personalize:::recipe/aws-user-personalization-v2",
    );
  });

  it("warns about the legacy HRNN recipe on target aws only", () => {
    const onAws = parse({ ...AWS, recipe: "aws-hrnn" });
    assert.strictEqual(onAws.recipeArn, "arn:aws:personalize:::recipe/aws-hrnn");
    assert.deepStrictEqual(onAws.warnings, [
      'recipe aws-hrnn is legacy: Amazon Personalize no longer accepts it for new solutions, so "pulumi up" ' +
        "will fail at CreateSolution; use aws-user-personalization (the default) or " +
        "aws-user-personalization-v2 on AWS, or keep aws-hrnn on the local emulator",
    ]);
    assert.deepStrictEqual(parse({ target: "local", recipe: "aws-hrnn" }).warnings, []);
    assert.deepStrictEqual(parse({ ...AWS, recipe: "aws-user-personalization" }).warnings, []);
  });

  it("parses the training switches, the schedule, TPS, event type and tags", () => {
    const cfg = parse({
      ...AWS,
      performAutoTraining: "true",
      autoTrainingSchedule: "rate(14 days)",
      performHPO: "true",
      minProvisionedTPS: "5",
      eventType: "Order Completed",
      tags: '{"team":"recs","stack":"override"}',
    });
    assert.strictEqual(cfg.performAutoTraining, true);
    assert.strictEqual(cfg.autoTrainingSchedule, "rate(14 days)");
    assert.strictEqual(cfg.performHPO, true);
    assert.strictEqual(cfg.minProvisionedTPS, 5);
    assert.strictEqual(parse({ ...AWS, validateData: "false" }).validateData, false);
    assert.strictEqual(cfg.eventType, "Order Completed");
    assert.deepStrictEqual(cfg.tags, {
      project: "personalize-workshop",
      stack: "override",
      team: "recs",
    });
  });

  it("parses the quality gate; a setting left out keeps its default", () => {
    const version = "arn:aws:personalize:us-east-1:123456789012:solution/s/1a2b3c4d";
    const gate = (value: unknown) =>
      parse({ ...AWS, qualityGate: JSON.stringify(value) }).qualityGate;
    assert.deepStrictEqual(gate({ approve: version }), {
      ...QUALITY_GATE_CONFIG_DEFAULTS,
      approve: version,
    });
    assert.deepStrictEqual(gate({ metric: "precision_at_10", minimum: 0, maxDrop: 0.25 }), {
      enabled: true,
      metric: "precision_at_10",
      minimum: 0,
      maxDrop: 0.25,
    });
    // `pulumi config set --path` may store numbers and booleans as text.
    assert.deepStrictEqual(gate({ enabled: "false", minimum: "0.2", approve: "" }), {
      ...QUALITY_GATE_CONFIG_DEFAULTS,
      enabled: false,
      minimum: 0.2,
    });
    assert.deepStrictEqual(gate({}), QUALITY_GATE_CONFIG_DEFAULTS);
    const other = parse({ ...AWS, qualityGate: '{"metric":"average_rating"}' });
    assert.strictEqual(other.qualityGate.metric, "average_rating");
    assert.match(
      other.warnings.join("\n"),
      /qualityGate\.metric "average_rating" is none of the metrics Personalize reports .*; the gate fails if the new version does not report it/,
    );
  });

  const errors: [string, Record<string, string>, string][] = [
    [
      "bad target",
      { ...AWS, target: "gcp" },
      'personalize-workshop:target must be "aws" or "local", got "gcp"',
    ],
    [
      "no region on aws",
      {},
      'aws:region is required on target "aws" (pulumi config set aws:region us-east-1)',
    ],
    [
      "bad region",
      { "aws:region": "US East" },
      'aws:region is not an AWS region name such as us-east-1, got "US East"',
    ],
    [
      "TPS zero",
      { ...AWS, minProvisionedTPS: "0" },
      'personalize-workshop:minProvisionedTPS must be a whole number of at least 1, got "0"',
    ],
    [
      "TPS fraction",
      { ...AWS, minProvisionedTPS: "1.5" },
      'personalize-workshop:minProvisionedTPS must be a whole number of at least 1, got "1.5"',
    ],
    [
      "TPS text",
      { ...AWS, minProvisionedTPS: "many" },
      'personalize-workshop:minProvisionedTPS must be a whole number of at least 1, got "many"',
    ],
    [
      "unknown recipe",
      { ...AWS, recipe: "aws-magic" },
      `personalize-workshop:recipe is not a recipe this stack can deploy (one of ${KNOWN_RECIPES.join(", ")}), got "aws-magic"`,
    ],
    [
      "boolean",
      { ...AWS, performHPO: "yes" },
      'personalize-workshop:performHPO must be "true" or "false", got "yes"',
    ],
    [
      "name pattern",
      { ...AWS, campaignName: "my campaign" },
      `personalize-workshop:campaignName must start with a letter or digit and contain only letters, digits, '-' and '_', got "my campaign"`,
    ],
    [
      "name length",
      { ...AWS, solutionName: "s".repeat(64) },
      `personalize-workshop:solutionName must be at most 63 characters (it is 64), got "${"s".repeat(64)}"`,
    ],
    [
      "prefix case",
      { ...AWS, namePrefix: "Team_A" },
      'personalize-workshop:namePrefix must be lower-case letters, digits and inner hyphens, got "Team_A"',
    ],
    [
      "bucket name",
      { ...AWS, bucketName: "Bucket" },
      `personalize-workshop:bucketName is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-'), got "Bucket"`,
    ],
    [
      "endpoint",
      { ...AWS, endpoint: "localhost:4599" },
      'personalize-workshop:endpoint must be an http:// or https:// URL, got "localhost:4599"',
    ],
    [
      "schedule",
      { ...AWS, performAutoTraining: "true", autoTrainingSchedule: "rate(31 days)" },
      'personalize-workshop:autoTrainingSchedule must be rate(N days) with N from 1 to 30, got "rate(31 days)"',
    ],
    [
      "schedule without training",
      { ...AWS, autoTrainingSchedule: "rate(7 days)" },
      'personalize-workshop:autoTrainingSchedule needs performAutoTraining "true" (automatic training is off), got "rate(7 days)"',
    ],
    [
      "tags not an object",
      { ...AWS, tags: "[1]" },
      'personalize-workshop:tags must be an object of string values, got "[1]"',
    ],
    [
      "tags not JSON",
      { ...AWS, tags: "team=recs" },
      'personalize-workshop:tags must be an object of string values, got "team=recs"',
    ],
    [
      "tag value",
      { ...AWS, tags: '{"cost":5}' },
      "personalize-workshop:tags.cost must be a string, got 5",
    ],
    [
      "reserved tag",
      { ...AWS, tags: '{"aws:owner":"x"}' },
      'personalize-workshop:tags keys must not start with "aws:", got "aws:owner"',
    ],
    [
      "quality gate not an object",
      { ...AWS, qualityGate: "on" },
      `personalize-workshop:qualityGate must be an object such as {"metric":"normalized_discounted_cumulative_gain_at_10","minimum":0.05,"maxDrop":0.1}, got "on"`,
    ],
    [
      "quality gate setting unknown",
      { ...AWS, qualityGate: '{"floor":0.1}' },
      "personalize-workshop:qualityGate.floor is not a setting of the quality gate (enabled, metric, minimum, maxDrop, approve), got 0.1",
    ],
    [
      "quality gate floor above 1",
      { ...AWS, qualityGate: '{"minimum":5}' },
      "personalize-workshop:qualityGate.minimum must be a number from 0 to 1, got 5",
    ],
    [
      "quality gate drop as a percentage",
      { ...AWS, qualityGate: '{"maxDrop":10}' },
      "personalize-workshop:qualityGate.maxDrop must be a number from 0 to 1 (a fraction: 0.1 allows a 10% drop), got 10",
    ],
    [
      "quality gate drop as text",
      { ...AWS, qualityGate: '{"maxDrop":"10%"}' },
      'personalize-workshop:qualityGate.maxDrop must be a number from 0 to 1 (a fraction: 0.1 allows a 10% drop), got "10%"',
    ],
    [
      "quality gate switch",
      { ...AWS, qualityGate: '{"enabled":"off"}' },
      'personalize-workshop:qualityGate.enabled must be true or false, got "off"',
    ],
    [
      "quality gate metric",
      { ...AWS, qualityGate: '{"metric":"NDCG@10"}' },
      'personalize-workshop:qualityGate.metric must be a metric name such as normalized_discounted_cumulative_gain_at_10, got "NDCG@10"',
    ],
    [
      "quality gate approval of a solution",
      {
        ...AWS,
        qualityGate: '{"approve":"arn:aws:personalize:us-east-1:123456789012:solution/s"}',
      },
      'personalize-workshop:qualityGate.approve must be a solution version ARN (arn:aws:personalize:<region>:<account>:solution/<name>/<id>), got "arn:aws:personalize:us-east-1:123456789012:solution/s"',
    ],
  ];
  for (const [what, values, message] of errors) {
    it(`rejects ${what} with a message naming key and value`, () => {
      assert.throws(() => parse(values), { message });
    });
  }
});

/**
 * The stack config refuses a value exactly when the providers' check would, and the emulator
 * refuses it too (rules/ is their one home): otherwise the program accepts in config what a
 * preview then rejects, or a deploy to the emulator what the preview accepted.
 */
describe("stack config, the providers' check and the emulator agree", () => {
  const RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization";
  const GROUP = "arn:aws:personalize:us-east-1:000000000000:dataset-group/g";
  let running: TestEmulator;
  before(async () => {
    running = await startTestEmulator({ durationScale: 0 });
  });
  after(async () => {
    await running?.close();
  });

  const providerAccepts = async (
    provider: dynamic.ResourceProvider,
    news: Record<string, unknown>,
    property: string,
  ) => {
    const { failures = [] } = await provider.check!({}, news);
    return !failures.some((failure) => failure.property === property);
  };
  const stackAccepts = (values: Record<string, string>) => {
    try {
      parse(values);
      return true;
    } catch {
      return false;
    }
  };
  /** Whether the emulator answers the call with anything but the given refusal. */
  const emulatorAccepts = async (call: () => Promise<unknown>, refusal: string) => {
    try {
      await call();
      return true;
    } catch (err) {
      return errorCode(err) !== refusal;
    }
  };
  const solutionWith = (schedule: string) =>
    running.personalize.send(
      new CreateSolutionCommand({
        name: "s",
        datasetGroupArn: GROUP,
        recipeArn: RECIPE,
        solutionConfig: { autoTrainingConfig: { schedulingExpression: schedule } },
      }),
    );

  type Verdict = (v: string) => boolean | Promise<boolean>;
  const rules: [string, string[], Record<string, Verdict>][] = [
    [
      "regions",
      [
        "us-east-1",
        "us-gov-west-1",
        "ap-southeast-10",
        "eusc-de-east-1",
        "US East",
        "eu-central",
        "mars",
      ],
      {
        stack: (v) => stackAccepts({ "aws:region": v }),
        providers: (v) => providerAccepts(datasetGroupProvider, { name: "g", region: v }, "region"),
        // The region of a request's signature, and the emulator's --default-region.
        emulator: (v) => isRegion(v),
      },
    ],
    [
      "bucket names",
      ["team-a.bucket", "abc", "ab", "Bucket", "-abc", "a..b", "a".repeat(63), "a".repeat(64)],
      {
        stack: (v) => stackAccepts({ ...AWS, bucketName: v }),
        providers: (v) =>
          providerAccepts(
            localBucketProvider,
            { bucket: v, endpoint: DEFAULT_LOCAL_ENDPOINT },
            "bucket",
          ),
        emulator: (v) =>
          emulatorAccepts(
            () => running.s3.send(new CreateBucketCommand({ Bucket: v })),
            "InvalidBucketName",
          ),
      },
    ],
    [
      "Personalize names",
      ["Custom_Campaign-1", "9lives", "my campaign", "_x", "s".repeat(63), "s".repeat(64)],
      {
        stack: (v) => stackAccepts({ ...AWS, solutionName: v }),
        providers: (v) =>
          providerAccepts(
            solutionProvider,
            { name: v, datasetGroupArn: GROUP, recipeArn: RECIPE },
            "name",
          ),
        emulator: (v) =>
          emulatorAccepts(
            () => running.personalize.send(new CreateDatasetGroupCommand({ name: v })),
            "InvalidInputException",
          ),
      },
    ],
    [
      "automatic training schedules",
      [
        "rate(1 day)",
        "rate(30 days)",
        "rate(31 days)",
        "rate(0 days)",
        "rate(7 weeks)",
        "cron(0 0 * * ? *)",
      ],
      {
        stack: (v) =>
          stackAccepts({ ...AWS, performAutoTraining: "true", autoTrainingSchedule: v }),
        providers: (v) =>
          providerAccepts(
            solutionProvider,
            {
              name: "s",
              datasetGroupArn: GROUP,
              recipeArn: RECIPE,
              solutionConfig: { autoTrainingConfig: { schedulingExpression: v } },
            },
            "solutionConfig.autoTrainingConfig.schedulingExpression",
          ),
        // A good schedule gets as far as the missing dataset group (ResourceNotFoundException).
        emulator: (v) => emulatorAccepts(() => solutionWith(v), "InvalidInputException"),
      },
    ],
  ];
  for (const [what, values, judges] of rules) {
    it(`on ${what}`, async () => {
      const verdicts: Record<string, boolean>[] = [];
      for (const value of values) {
        const verdict: Record<string, boolean> = {};
        for (const [who, judge] of Object.entries(judges)) verdict[who] = await judge(value);
        verdicts.push(verdict);
      }
      const rows = values.map((value, i) => ({ value, ...verdicts[i] }));
      assert.deepStrictEqual(
        rows.filter((_, i) => new Set(Object.values(verdicts[i])).size > 1),
        [],
      );
      // Each refuses something: the agreement is not that of checks that accept all.
      assert.ok(verdicts.some((verdict) => !verdict.stack));
      assert.ok(verdicts.some((verdict) => verdict.stack));
    });
  }
});
