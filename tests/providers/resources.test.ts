import assert from "node:assert/strict";
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import { createDataPlane } from "../../emulator/data";
import {
  Campaign,
  Dataset,
  DatasetGroup,
  DatasetImportJob,
  EventTracker,
  Filter,
  LocalBucket,
  LocalObject,
  Schema,
  Solution,
  SolutionVersion,
} from "../../providers";
import { requireFromString, startTestEmulator, type TestEmulator, wire } from "./helpers";

/** Resolves an output's value (undefined when unknown) without `apply`, which never runs on unknowns. */
const valueOf = <T>(o: pulumi.Output<T>): Promise<T> =>
  (o as unknown as { promise(): Promise<T> }).promise();

/**
 * The resource classes as a program uses them, under Pulumi's mock runtime with a
 * `newResource` that does what the engine and the dynamic-provider host do for a new
 * resource: load `__provider` from its text, check, create against the emulator, and return
 * the outputs through a Struct round trip. Shows the type tokens, that inputs flow from one
 * resource's declared outputs into the next, and that every declared output resolves.
 */
describe("providers: resource classes in a program (mock runtime, real providers, emulator)", () => {
  let running: TestEmulator;
  const types: string[] = [];

  before(async () => {
    running = await startTestEmulator({ dataPlane: createDataPlane });
    await pulumi.runtime.setMocks(
      {
        newResource: async (args) => {
          types.push(args.type);
          const news = wire(args.inputs);
          const provider = requireFromString(news.__provider as string).handler();
          const checked = await provider.check!({}, news);
          if ((checked.failures ?? []).length > 0)
            throw new Error(JSON.stringify(checked.failures));
          const created = await provider.create(wire(checked.inputs));
          return { id: created.id, state: wire(created.outs) };
        },
        call: () => ({}),
      },
      "providers",
      "test",
      false,
    );
  });

  after(async () => {
    await running?.close();
  });

  it("builds the workshop chain; every declared output resolves", async () => {
    const where = { region: "us-east-1", endpoint: running.emulator.url };
    const csv = join(__dirname, "../../data/interactions.csv");
    const hash = createHash("sha256").update(readFileSync(csv)).digest("hex");
    const bucket = new LocalBucket("bucket", { bucket: "classes", endpoint: running.emulator.url });
    const object = new LocalObject("csv", {
      bucket: bucket.bucket,
      key: "transformed/interactions.csv",
      source: csv,
      contentHash: hash,
      endpoint: running.emulator.url,
    });
    const group = new DatasetGroup("group", { ...where, name: "classes" });
    const schema = new Schema("schema", {
      ...where,
      name: "classes",
      schema: readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8"),
    });
    const dataset = new Dataset("dataset", {
      ...where,
      name: "interactions",
      datasetGroupArn: group.arn,
      datasetType: "Interactions",
      schemaArn: schema.arn,
    });
    const job = new DatasetImportJob("import", {
      ...where,
      jobName: "classes",
      datasetArn: dataset.arn,
      dataLocation: object.s3Uri,
      roleArn: "arn:aws:iam::000000000000:role/placeholder",
      dataHash: hash,
    });
    const solution = new Solution("solution", {
      ...where,
      name: "classes",
      datasetGroupArn: group.arn,
      recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
    });
    const version = new SolutionVersion("version", {
      ...where,
      solutionArn: solution.arn,
      trainingInputs: [job.arn],
    });
    const campaign = new Campaign("campaign", {
      ...where,
      name: "classes",
      solutionArn: solution.arn,
      solutionVersionArn: version.arn,
    });
    const tracker = new EventTracker("tracker", {
      ...where,
      name: "classes",
      datasetGroupArn: group.arn,
    });
    const filter = new Filter("filter", {
      ...where,
      name: "classes",
      datasetGroupArn: group.arn,
      filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
    });

    assert.equal(await valueOf(object.s3Uri), "s3://classes/transformed/interactions.csv");
    assert.match(
      await valueOf(job.jobName),
      new RegExp(`^classes-${hash.slice(0, 8)}-[0-9a-f]{6}$`),
    );
    assert.equal(await valueOf(dataset.datasetType), "INTERACTIONS");
    assert.equal(await valueOf(campaign.status), "ACTIVE");
    assert.equal(await valueOf(campaign.solutionVersionArn), await valueOf(version.arn));
    assert.equal(await valueOf(campaign.minProvisionedTPS), 1);
    assert.equal(await valueOf(campaign.deployedSolutionVersionArn), await valueOf(version.arn));
    // Outputs every resource class has, whether the program set them or check defaulted them.
    assert.equal(await valueOf(filter.region), "us-east-1");
    assert.match(await valueOf(group.arn), /:dataset-group\/classes$/);
    assert.equal(await valueOf(solution.performAutoTraining), false);
    assert.equal(typeof (await valueOf(version.trainingHours)), "number");
    assert.ok(Object.keys(await valueOf(version.metrics)).length > 0);
    assert.match(await valueOf(tracker.trackingId), /^[0-9a-f-]{36}$/);
    assert.match(await valueOf(filter.arn), /:filter\/classes$/);
    assert.deepEqual([...new Set(types)].sort(), [
      "pulumi-nodejs:dynamic/personalize:Campaign",
      "pulumi-nodejs:dynamic/personalize:Dataset",
      "pulumi-nodejs:dynamic/personalize:DatasetGroup",
      "pulumi-nodejs:dynamic/personalize:DatasetImportJob",
      "pulumi-nodejs:dynamic/personalize:EventTracker",
      "pulumi-nodejs:dynamic/personalize:Filter",
      "pulumi-nodejs:dynamic/personalize:Schema",
      "pulumi-nodejs:dynamic/personalize:Solution",
      "pulumi-nodejs:dynamic/personalize:SolutionVersion",
      "pulumi-nodejs:dynamic/s3:LocalBucket",
      "pulumi-nodejs:dynamic/s3:LocalObject",
    ]);
  });
});
