import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { solutionVersionSpec } from "../../providers/solutionVersion";
import { fixedChange } from "../../providers/lifecycle";
import { buildWorkshopStack, readStackConfig, sha256Hex, WorkshopOutputs } from "../../stack";
import { interactionsCsv } from "./data";
import { expectedBucketPolicy, expectedReadPolicy, expectedTrustPolicy } from "./expected-policies";
import { ACCOUNT_ID, DYNAMIC, LOCAL_S3, plainInputs, promiseOf, RecordingEngine } from "./mocks";

const ROOT = path.resolve(__dirname, "../..");
const SCHEMA_TEXT = fs.readFileSync(path.join(ROOT, "schemas/event_schema.avsc"), "utf8");
const PERSONALIZE_KINDS = [
  "DatasetGroup",
  "Schema",
  "Dataset",
  "DatasetImportJob",
  "Solution",
  "SolutionVersion",
  "Campaign",
];

let tmpDir: string;

/** A valid interactions file; its content decides the import job's dataHash. */
function writeCsv(name: string, rows = 1200, eventType?: string): string {
  const file = path.join(tmpDir, name);
  fs.writeFileSync(file, interactionsCsv(rows, 40, eventType));
  return file;
}

type Resolved = { [K in keyof WorkshopOutputs]: string };

async function resolveAll(outputs: WorkshopOutputs): Promise<Resolved> {
  const entries = await Promise.all(
    Object.entries(outputs).map(async ([key, value]) => [key, await promiseOf(value)] as const),
  );
  return Object.fromEntries(entries) as Resolved;
}

/** Builds the stack the way index.ts does, under a fresh recording engine. */
async function deploy(
  stack: string,
  config: Record<string, string>,
): Promise<{ engine: RecordingEngine; outputs: Resolved }> {
  const engine = new RecordingEngine();
  await engine.install(stack, config);
  const outputs = await resolveAll(buildWorkshopStack(readStackConfig()));
  await engine.settle();
  return { engine, outputs };
}

/** Every Personalize and S3 physical name a deployment uses. */
function physicalNames(engine: RecordingEngine): string[] {
  const names: string[] = [];
  for (const r of engine.registrations) {
    for (const key of ["name", "jobName", "bucket"]) {
      if (typeof r.outputs[key] === "string") names.push(r.outputs[key]);
    }
  }
  return names;
}

before(() => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "workshop-stack-"));
});

after(() => {
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe("workshop stack, target aws (mocks)", () => {
  let engine: RecordingEngine;
  let outputs: Resolved;
  let dataFile: string;

  before(async () => {
    dataFile = writeCsv("interactions.csv");
    ({ engine, outputs } = await deploy("dev", { "aws:region": "us-east-1", dataFile }));
  });

  it("registers the data store, the pipeline and every resource exactly once", () => {
    assert.deepStrictEqual(
      engine.types(),
      [
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketObjectv2:BucketObjectv2",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "personalize:workshop:DataStore",
        "personalize:workshop:PersonalizePipeline",
        ...PERSONALIZE_KINDS.map(DYNAMIC),
        DYNAMIC("QualityGate"),
      ].sort(),
    );
    assert.deepStrictEqual(engine.invokes, ["aws:index/getCallerIdentity:getCallerIdentity"]);
  });

  it("ships each Personalize resource with its serialized provider", () => {
    for (const kind of [...PERSONALIZE_KINDS, "QualityGate"]) {
      const provider = engine.one(DYNAMIC(kind)).inputs.__provider;
      assert.strictEqual(typeof provider, "string", kind);
      assert.match(provider, /exports\.handler/, kind);
    }
  });

  it("blocks public access and encrypts the bucket by default", () => {
    const bucket = engine.one("aws:s3/bucket:Bucket");
    assert.strictEqual(bucket.name, "workshop-data");
    assert.strictEqual(bucket.inputs.bucket, undefined, "the bucket is autonamed on AWS");
    assert.strictEqual(bucket.inputs.bucketPrefix, "segment-workshop-data-");
    assert.deepStrictEqual(
      plainInputs(engine.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs),
      {
        bucket: outputs.bucketName,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
    );
    const encryption = engine.one(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    assert.deepStrictEqual(encryption.inputs, {
      bucket: outputs.bucketName,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
  });

  it("uploads the CSV under transformed/ with its sha256", async () => {
    const object = engine.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs;
    assert.strictEqual(object.bucket, outputs.bucketName);
    assert.strictEqual(object.key, "transformed/interactions.csv");
    assert.strictEqual(object.contentType, "text/csv");
    assert.strictEqual(await object.source.path, dataFile);
    assert.strictEqual(object.sourceHash, sha256Hex(fs.readFileSync(dataFile)));
  });

  it("writes the bucket policy as exact JSON: TLS only, Personalize of this account reads", () => {
    const policy = engine.one("aws:s3/bucketPolicy:BucketPolicy").inputs;
    assert.strictEqual(policy.bucket, outputs.bucketName);
    const arn = `arn:aws:s3:::${outputs.bucketName}`;
    assert.deepStrictEqual(JSON.parse(policy.policy), expectedBucketPolicy(arn, ACCOUNT_ID));
  });

  it("writes the role's trust and read-only policies as exact JSON", () => {
    const role = engine.one("aws:iam/role:Role");
    assert.deepStrictEqual(
      JSON.parse(role.inputs.assumeRolePolicy),
      expectedTrustPolicy(ACCOUNT_ID),
    );
    const rolePolicy = engine.one("aws:iam/rolePolicy:RolePolicy").inputs;
    assert.strictEqual(rolePolicy.role, role.outputs.name);
    const arn = `arn:aws:s3:::${outputs.bucketName}`;
    assert.deepStrictEqual(JSON.parse(rolePolicy.policy), expectedReadPolicy(arn));
  });

  it("creates the Personalize chain with the workshop's names and safe defaults", () => {
    const tags = { project: "personalize-workshop", stack: "dev" };
    const where = { region: "us-east-1" };
    const inputs = (kind: string) => engine.one(DYNAMIC(kind)).inputs;
    assert.deepStrictEqual(pick(inputs("DatasetGroup"), ["name", "region", "endpoint", "tags"]), {
      ...where,
      name: "segment-workshop-dataset-group",
      tags,
    });
    assert.deepStrictEqual(pick(inputs("Schema"), ["name", "region", "schema", "tags"]), {
      ...where,
      name: "segment-workshop-interactions-schema",
      schema: SCHEMA_TEXT,
    });
    assert.deepStrictEqual(pick(inputs("Dataset"), ["name", "datasetType"]), {
      name: "segment-workshop-interactions",
      datasetType: "INTERACTIONS",
    });
    assert.deepStrictEqual(
      pick(inputs("DatasetImportJob"), ["jobName", "importMode", "dataHash"]),
      {
        jobName: "segment-workshop-import",
        importMode: "FULL",
        dataHash: sha256Hex(fs.readFileSync(dataFile)),
      },
    );
    assert.deepStrictEqual(
      pick(inputs("Solution"), [
        "name",
        "recipeArn",
        "performHPO",
        "performAutoTraining",
        "eventType",
        "solutionConfig",
      ]),
      {
        name: "segment-workshop-solution",
        recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
        performHPO: false,
        performAutoTraining: false,
      },
    );
    assert.deepStrictEqual(pick(inputs("SolutionVersion"), ["name", "trainingMode"]), {
      name: "segment-workshop-version",
      trainingMode: "FULL",
    });
    assert.deepStrictEqual(pick(inputs("Campaign"), ["name", "minProvisionedTPS"]), {
      name: "segment-workshop-campaign",
      minProvisionedTPS: 1,
    });
    for (const kind of PERSONALIZE_KINDS) {
      assert.strictEqual(inputs(kind).region, "us-east-1", kind);
      assert.strictEqual(inputs(kind).endpoint, undefined, `${kind} must use the AWS endpoint`);
      if (kind !== "Schema") assert.deepStrictEqual(inputs(kind).tags, tags, kind);
    }
  });

  it("wires the role, the S3 path, the import job and the version through", () => {
    const out = (kind: string) => engine.one(DYNAMIC(kind)).outputs;
    const inputs = (kind: string) => engine.one(DYNAMIC(kind)).inputs;
    const role = engine.one("aws:iam/role:Role").outputs;
    assert.strictEqual(inputs("Dataset").datasetGroupArn, out("DatasetGroup").arn);
    assert.strictEqual(inputs("Dataset").schemaArn, out("Schema").arn);
    assert.strictEqual(inputs("DatasetImportJob").datasetArn, out("Dataset").arn);
    assert.strictEqual(inputs("DatasetImportJob").roleArn, role.arn);
    assert.strictEqual(
      inputs("DatasetImportJob").dataLocation,
      `s3://${outputs.bucketName}/transformed/interactions.csv`,
    );
    assert.strictEqual(inputs("Solution").datasetGroupArn, out("DatasetGroup").arn);
    assert.strictEqual(inputs("SolutionVersion").solutionArn, out("Solution").arn);
    assert.deepStrictEqual(inputs("SolutionVersion").trainingInputs, [out("DatasetImportJob").arn]);
    // The campaign deploys what the quality gate approved of the versions it is given.
    assert.strictEqual(inputs("QualityGate").solutionVersionArn, out("SolutionVersion").arn);
    assert.strictEqual(
      inputs("Campaign").solutionVersionArn,
      out("QualityGate").approvedVersionArn,
    );
    assert.strictEqual(inputs("QualityGate").solutionArn, out("Solution").arn);
    // What a preview can know of the candidate: exactly what replaces the version.
    assert.deepStrictEqual(
      inputs("QualityGate").trainedFrom,
      pick(
        inputs("SolutionVersion"),
        Object.entries(solutionVersionSpec.fields)
          .filter(([, rule]) => fixedChange(rule) === "replace")
          .map(([field]) => field),
      ),
    );
    // Replacing the solution must replace its campaign first (DeleteSolution is refused
    // while a campaign deploys it), which the engine decides from this input.
    assert.strictEqual(inputs("Campaign").solutionArn, out("Solution").arn);
  });

  it("gates the campaign with the default quality gate, on the AWS endpoint", () => {
    assert.deepStrictEqual(
      pick(engine.one(DYNAMIC("QualityGate")).inputs, [
        "metric",
        "minimum",
        "maxDrop",
        "approve",
        "region",
        "endpoint",
      ]),
      {
        metric: "normalized_discounted_cumulative_gain_at_10",
        minimum: 0.05,
        maxDrop: 0.1,
        region: "us-east-1",
      },
    );
  });

  it("starts the import only after the bucket and role policies exist", () => {
    const importJob = engine.request(DYNAMIC("DatasetImportJob"));
    const urnOf = (type: string) => {
      const r = engine.request(type);
      return `urn:pulumi:dev::personalize-workshop::personalize:workshop:DataStore$${type}::${r.name}`;
    };
    for (const type of ["aws:s3/bucketPolicy:BucketPolicy", "aws:iam/rolePolicy:RolePolicy"]) {
      assert.ok(
        importJob.dependencies.includes(urnOf(type)),
        `${type} missing from ${importJob.dependencies.join(", ")}`,
      );
    }
  });

  it("parents every resource under its component", () => {
    const stackUrn = "urn:pulumi:dev::personalize-workshop::";
    // Logical names do not depend on config (the namePrefix is only an alias).
    const store = `${stackUrn}personalize:workshop:DataStore::workshop`;
    const pipeline = `${stackUrn}personalize:workshop:PersonalizePipeline::workshop`;
    for (const r of engine.requests) {
      if (r.type.startsWith("personalize:workshop:")) assert.strictEqual(r.parent, "", r.type);
      else if (r.type.startsWith("aws:")) assert.strictEqual(r.parent, store, r.type);
      else assert.strictEqual(r.parent, pipeline, r.type);
    }
  });

  it("exports the bucket, data location, role, every ARN and the campaign name", () => {
    const out = (kind: string) => engine.one(DYNAMIC(kind)).outputs.arn;
    assert.deepStrictEqual(outputs, {
      target: "aws",
      bucketName: "segment-workshop-data-7f3a9c1",
      dataLocation: "s3://segment-workshop-data-7f3a9c1/transformed/interactions.csv",
      roleArn: engine.one("aws:iam/role:Role").outputs.arn,
      datasetGroupArn: out("DatasetGroup"),
      schemaArn: out("Schema"),
      datasetArn: out("Dataset"),
      datasetImportJobArn: out("DatasetImportJob"),
      solutionArn: out("Solution"),
      solutionVersionArn: out("SolutionVersion"),
      campaignArn: out("Campaign"),
      campaignName: "segment-workshop-campaign",
    });
    assert.strictEqual(
      outputs.campaignArn,
      "arn:aws:personalize:us-east-1:123456789012:campaign/segment-workshop-campaign",
    );
  });
});

describe("workshop stack, target local (mocks)", () => {
  let engine: RecordingEngine;
  let outputs: Resolved;
  let dataFile: string;
  const endpoint = "http://127.0.0.1:4599";

  before(async () => {
    dataFile = writeCsv("local.csv");
    ({ engine, outputs } = await deploy("local", {
      target: "local",
      dataFile,
      recipe: "aws-hrnn",
      minProvisionedTPS: "3",
    }));
  });

  it("uses the emulator's bucket and object resources instead of AWS's", () => {
    assert.deepStrictEqual(
      engine.types(),
      [
        "personalize:workshop:DataStore",
        "personalize:workshop:PersonalizePipeline",
        ...PERSONALIZE_KINDS.map(DYNAMIC),
        DYNAMIC("QualityGate"),
        LOCAL_S3("LocalBucket"),
        LOCAL_S3("LocalObject"),
      ].sort(),
    );
    assert.deepStrictEqual(engine.invokes, [], "no AWS account is asked for");
    assert.deepStrictEqual(
      pick(engine.one(LOCAL_S3("LocalBucket")).inputs, ["bucket", "endpoint", "region"]),
      {
        bucket: "segment-workshop-local-data",
        endpoint,
        region: "us-east-1",
      },
    );
    assert.deepStrictEqual(
      pick(engine.one(LOCAL_S3("LocalObject")).inputs, [
        "bucket",
        "key",
        "source",
        "contentHash",
        "contentType",
        "endpoint",
        "region",
      ]),
      {
        bucket: "segment-workshop-local-data",
        key: "transformed/local.csv",
        source: dataFile,
        contentHash: sha256Hex(fs.readFileSync(dataFile)),
        contentType: "text/csv",
        endpoint,
        region: "us-east-1",
      },
    );
  });

  it("points every Personalize resource at the emulator", () => {
    for (const kind of [...PERSONALIZE_KINDS, "QualityGate"]) {
      const inputs = engine.one(DYNAMIC(kind)).inputs;
      assert.strictEqual(inputs.endpoint, endpoint, kind);
      assert.strictEqual(inputs.region, "us-east-1", kind);
    }
  });

  it("imports the uploaded object with the placeholder role, and serves the trained version", () => {
    const importJob = engine.one(DYNAMIC("DatasetImportJob")).inputs;
    assert.strictEqual(importJob.roleArn, "arn:aws:iam::000000000000:role/personalize-local");
    assert.strictEqual(importJob.dataLocation, engine.one(LOCAL_S3("LocalObject")).outputs.s3Uri);
    assert.strictEqual(
      importJob.dataLocation,
      "s3://segment-workshop-local-data/transformed/local.csv",
    );
    assert.strictEqual(importJob.dataHash, sha256Hex(fs.readFileSync(dataFile)));
    assert.deepStrictEqual(engine.one(DYNAMIC("SolutionVersion")).inputs.trainingInputs, [
      engine.one(DYNAMIC("DatasetImportJob")).outputs.arn,
    ]);
    assert.strictEqual(
      engine.one(DYNAMIC("Campaign")).inputs.solutionVersionArn,
      engine.one(DYNAMIC("SolutionVersion")).outputs.arn,
    );
    assert.strictEqual(engine.one(DYNAMIC("Campaign")).inputs.minProvisionedTPS, 3);
    assert.strictEqual(
      engine.one(DYNAMIC("Solution")).inputs.recipeArn,
      "arn:aws:personalize:::recipe/aws-hrnn",
    );
  });

  it("exports the same outputs as on AWS", () => {
    assert.deepStrictEqual(outputs, {
      target: "local",
      bucketName: "segment-workshop-local-data",
      dataLocation: "s3://segment-workshop-local-data/transformed/local.csv",
      roleArn: "arn:aws:iam::000000000000:role/personalize-local",
      datasetGroupArn:
        "arn:aws:personalize:us-east-1:123456789012:dataset-group/segment-workshop-local-dataset-group",
      schemaArn:
        "arn:aws:personalize:us-east-1:123456789012:schema/segment-workshop-local-interactions-schema",
      datasetArn:
        "arn:aws:personalize:us-east-1:123456789012:dataset/segment-workshop-local-dataset-group/INTERACTIONS",
      datasetImportJobArn: engine.one(DYNAMIC("DatasetImportJob")).outputs.arn,
      solutionArn:
        "arn:aws:personalize:us-east-1:123456789012:solution/segment-workshop-local-solution",
      solutionVersionArn:
        "arn:aws:personalize:us-east-1:123456789012:solution/segment-workshop-local-solution/5e1f0a9c",
      campaignArn:
        "arn:aws:personalize:us-east-1:123456789012:campaign/segment-workshop-local-campaign",
      campaignName: "segment-workshop-local-campaign",
    });
  });
});

describe("workshop stack across stacks and changes (mocks)", () => {
  it("gives two stacks in one account disjoint physical names", async () => {
    const dataFile = writeCsv("shared.csv");
    const dev = await deploy("dev", { "aws:region": "us-east-1", dataFile });
    const prod = await deploy("prod", { "aws:region": "us-east-1", dataFile });
    const devNames = physicalNames(dev.engine);
    const prodNames = physicalNames(prod.engine);
    assert.strictEqual(devNames.length, prodNames.length);
    assert.ok(devNames.length >= 7, devNames.join(", "));
    assert.deepStrictEqual(
      devNames.filter((n) => prodNames.includes(n)),
      [],
    );
    assert.strictEqual(prod.outputs.campaignName, "segment-workshop-prod-campaign");
  });

  it("rolls new data forward: new import-job hash and version inputs, same campaign", async () => {
    const before = await deploy("dev", {
      "aws:region": "us-east-1",
      dataFile: writeCsv("week1.csv", 1200),
    });
    const after = await deploy("dev", {
      "aws:region": "us-east-1",
      dataFile: writeCsv("week1.csv", 1201),
    });
    const job = (e: RecordingEngine) => e.one(DYNAMIC("DatasetImportJob"));
    assert.notStrictEqual(job(before.engine).inputs.dataHash, job(after.engine).inputs.dataHash);
    assert.notDeepStrictEqual(
      before.engine.one(DYNAMIC("SolutionVersion")).inputs.trainingInputs,
      after.engine.one(DYNAMIC("SolutionVersion")).inputs.trainingInputs,
    );
    const campaign = (e: RecordingEngine) => plainInputs(e.one(DYNAMIC("Campaign")).inputs);
    const { solutionVersionArn: _b, ...campaignBefore } = campaign(before.engine);
    const { solutionVersionArn: _a, ...campaignAfter } = campaign(after.engine);
    assert.deepStrictEqual(
      campaignAfter,
      campaignBefore,
      "only the version changes on the campaign",
    );
    assert.strictEqual(before.outputs.campaignArn, after.outputs.campaignArn);
  });

  it("passes the quality gate's settings and approval; without the gate the campaign takes the version", async () => {
    const approve =
      "arn:aws:personalize:us-east-1:123456789012:solution/segment-workshop-solution/1a2b3c4d";
    const dataFile = writeCsv("gated.csv");
    const gated = await deploy("dev", {
      "aws:region": "us-east-1",
      dataFile,
      qualityGate: JSON.stringify({
        metric: "precision_at_10",
        minimum: 0.01,
        maxDrop: 0.3,
        approve,
      }),
    });
    assert.deepStrictEqual(
      pick(gated.engine.one(DYNAMIC("QualityGate")).inputs, [
        "metric",
        "minimum",
        "maxDrop",
        "approve",
      ]),
      { metric: "precision_at_10", minimum: 0.01, maxDrop: 0.3, approve },
    );
    const open = await deploy("dev", {
      "aws:region": "us-east-1",
      dataFile,
      qualityGate: '{"enabled":false}',
    });
    assert.deepStrictEqual(
      open.engine.registrations.filter((r) => r.type === DYNAMIC("QualityGate")),
      [],
    );
    assert.strictEqual(
      open.engine.one(DYNAMIC("Campaign")).inputs.solutionVersionArn,
      open.engine.one(DYNAMIC("SolutionVersion")).outputs.arn,
    );
    assert.deepStrictEqual(open.outputs, gated.outputs);
  });

  it("passes automatic training, its schedule, HPO and the event type to the solution", async () => {
    const { engine } = await deploy("dev", {
      "aws:region": "us-east-1",
      dataFile: writeCsv("auto.csv", 1200, "Order Completed"),
      performAutoTraining: "true",
      autoTrainingSchedule: "rate(3 days)",
      performHPO: "true",
      eventType: "Order Completed",
    });
    assert.deepStrictEqual(
      pick(engine.one(DYNAMIC("Solution")).inputs, [
        "performAutoTraining",
        "performHPO",
        "eventType",
        "solutionConfig",
      ]),
      {
        performAutoTraining: true,
        performHPO: true,
        eventType: "Order Completed",
        solutionConfig: { autoTrainingConfig: { schedulingExpression: "rate(3 days)" } },
      },
    );
  });

  it("in preview, hands dependents the ARNs it can compute; only a new version's stays unknown", async () => {
    const engine = new RecordingEngine();
    await engine.install("dev", { "aws:region": "us-east-1", dataFile: writeCsv("p.csv") }, true);
    buildWorkshopStack(readStackConfig());
    await engine.waitFor(DYNAMIC("Campaign"));
    await engine.settle();
    const arn = (path: string) => `arn:aws:personalize:us-east-1:${ACCOUNT_ID}:${path}`;
    const inputs = (kind: string) => engine.one(DYNAMIC(kind)).inputs;
    assert.strictEqual(
      inputs("Dataset").datasetGroupArn,
      arn("dataset-group/segment-workshop-dataset-group"),
    );
    assert.strictEqual(
      inputs("Dataset").schemaArn,
      arn("schema/segment-workshop-interactions-schema"),
    );
    assert.strictEqual(
      inputs("DatasetImportJob").datasetArn,
      arn("dataset/segment-workshop-dataset-group/INTERACTIONS"),
    );
    assert.strictEqual(inputs("Campaign").solutionArn, arn("solution/segment-workshop-solution"));
    assert.ok(pulumi.isUnknown(inputs("Campaign").solutionVersionArn));
    assert.strictEqual(inputs("Campaign").name, "segment-workshop-campaign");
  });
});

describe("index.ts, the Pulumi program (mocks)", () => {
  it("exports every stack output under its name, read from the stack's config", async () => {
    const engine = new RecordingEngine();
    await engine.install("prod", { "aws:region": "eu-central-1", dataFile: writeCsv("prod.csv") });
    const programPath = require.resolve("../../index");
    delete require.cache[programPath];
    const program: WorkshopOutputs = require(programPath);
    const outputs = await resolveAll(program);
    await engine.settle();
    assert.deepStrictEqual(Object.keys(program).sort(), [
      "bucketName",
      "campaignArn",
      "campaignName",
      "dataLocation",
      "datasetArn",
      "datasetGroupArn",
      "datasetImportJobArn",
      "roleArn",
      "schemaArn",
      "solutionArn",
      "solutionVersionArn",
      "target",
    ]);
    assert.strictEqual(outputs.campaignName, "segment-workshop-prod-campaign");
    assert.strictEqual(
      outputs.campaignArn,
      "arn:aws:personalize:eu-central-1:123456789012:campaign/segment-workshop-prod-campaign",
    );
    assert.strictEqual(outputs.dataLocation, `s3://${outputs.bucketName}/transformed/prod.csv`);
  });
});

describe("workshop stack errors and warnings (mocks)", () => {
  async function warningsOf(stack: string, config: Record<string, string>): Promise<string[]> {
    const seen: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => seen.push(args.join(" "));
    try {
      await deploy(stack, config);
    } finally {
      console.warn = original;
    }
    return seen.filter((line) => line.includes("recipe"));
  }

  it("warns that the legacy HRNN recipe fails on AWS", async () => {
    const warnings = await warningsOf("dev", {
      "aws:region": "us-east-1",
      dataFile: writeCsv("w.csv"),
      recipe: "aws-hrnn",
    });
    assert.strictEqual(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /recipe aws-hrnn is legacy: Amazon Personalize no longer accepts it/);
  });

  it("does not warn about the HRNN recipe on the emulator", async () => {
    const warnings = await warningsOf("local", {
      target: "local",
      dataFile: writeCsv("w.csv"),
      recipe: "aws-hrnn",
    });
    assert.deepStrictEqual(warnings, []);
  });

  it("names the config key and the path of a missing data file", async () => {
    const engine = new RecordingEngine();
    await engine.install("dev", { "aws:region": "us-east-1", dataFile: "data/missing.csv" });
    assert.throws(() => buildWorkshopStack(readStackConfig()), {
      message:
        `personalize-workshop:dataFile "data/missing.csv" cannot be read at ${path.join(ROOT, "data/missing.csv")}: ` +
        "ENOENT (npm run generate-data writes the default)",
    });
  });

  it("refuses data that would fail the import, before creating anything", async () => {
    const engine = new RecordingEngine();
    await engine.install("dev", { "aws:region": "us-east-1", dataFile: writeCsv("small.csv", 10) });
    assert.throws(() => buildWorkshopStack(readStackConfig()), /would fail to import/);
    assert.deepStrictEqual(engine.registrations, []);
  });

  it("deploys data the check would refuse when validateData is false", async () => {
    const { engine } = await deploy("dev", {
      "aws:region": "us-east-1",
      dataFile: writeCsv("small.csv", 10),
      validateData: "false",
    });
    assert.strictEqual(
      engine.one(DYNAMIC("DatasetImportJob")).inputs.dataHash,
      sha256Hex(fs.readFileSync(path.join(tmpDir, "small.csv"))),
    );
  });

  it("warns, naming them, about data columns the schema does not have (the import ignores them)", async () => {
    const file = path.join(tmpDir, "extra.csv");
    const [header, ...rows] = interactionsCsv().trimEnd().split("\n");
    fs.writeFileSync(file, [`${header},RATING`, ...rows.map((r) => `${r},5`)].join("\n"));
    const seen: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => seen.push(args.join(" "));
    try {
      await deploy("dev", { "aws:region": "us-east-1", dataFile: file });
    } finally {
      console.warn = original;
    }
    assert.deepStrictEqual(
      seen.filter((line) => line.includes("dataFile")),
      [
        `warning: [runtime] personalize-workshop:dataFile ${JSON.stringify(file)}: Input CSV has columns that are not in the schema: [RATING]; they are ignored (the schema's fields are [ANONYMOUS_ID, USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP_ISO, TIMESTAMP])`,
      ],
    );
  });

  it("reads a data file past 2 GiB (2.25 GiB) in pieces, stopping at the first problem that settles it", async () => {
    // Sparse: no disk used. Its header misses columns, so the check needs its first bytes only;
    // reading it whole, as a single buffer, would fail at 2 GiB.
    const file = path.join(tmpDir, "huge.csv");
    fs.writeFileSync(file, "USER_ID,ITEM_ID\n");
    fs.truncateSync(file, 2.25 * 1024 ** 3);
    try {
      const engine = new RecordingEngine();
      await engine.install("dev", { "aws:region": "us-east-1", dataFile: file });
      assert.throws(() => buildWorkshopStack(readStackConfig()), {
        message:
          `personalize-workshop:dataFile ${JSON.stringify(file)} would fail to import with schemas/event_schema.avsc: ` +
          "Input CSV is missing the following columns: [ANONYMOUS_ID, EVENT_TYPE, TIMESTAMP_ISO, TIMESTAMP]",
      });
    } finally {
      fs.rmSync(file);
    }
  });

  it("rejects bad config read from the stack before creating anything", async () => {
    const engine = new RecordingEngine();
    await engine.install("dev", { "aws:region": "us-east-1", target: "azure" });
    assert.throws(() => readStackConfig(), {
      message: 'personalize-workshop:target must be "aws" or "local", got "azure"',
    });
    assert.deepStrictEqual(engine.registrations, []);
  });
});

function pick(inputs: Record<string, any>, keys: string[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const key of keys) if (inputs[key] !== undefined) out[key] = inputs[key];
  return out;
}
