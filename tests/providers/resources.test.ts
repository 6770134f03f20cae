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
  campaignSpec,
  datasetGroupSpec,
  datasetImportJobSpec,
  datasetSpec,
  eventTrackerSpec,
  Filter,
  filterSpec,
  LOCAL_BUCKET_FIELDS,
  LOCAL_BUCKET_OUTPUTS,
  LOCAL_OBJECT_FIELDS,
  LOCAL_OBJECT_OUTPUTS,
  LocalBucket,
  LocalObject,
  outputKeys,
  PROVIDER_VERSION,
  type AnySpec,
  Schema,
  schemaSpec,
  Solution,
  solutionSpec,
  SolutionVersion,
  solutionVersionSpec,
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
 * resource's declared outputs into the next, and that every kind, deployed with every input
 * set, has an Output for each key of its table (inputs, arn, status, what it adds), typed on
 * its class and resolving to a value.
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

  it("builds the workshop chain with every input set; every input and output of every kind resolves", async () => {
    const where = {
      region: "us-east-1",
      endpoint: running.emulator.url,
      timeoutMinutes: 30,
      providerVersion: PROVIDER_VERSION,
    };
    const tags = { stack: "classes" };
    const csv = join(__dirname, "../../data/interactions.csv");
    const hash = createHash("sha256").update(readFileSync(csv)).digest("hex");
    const workshopSchema = readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8");
    const bucket = new LocalBucket("bucket", {
      bucket: "classes",
      endpoint: running.emulator.url,
      region: "us-east-1",
    });
    const object = new LocalObject("csv", {
      bucket: bucket.bucket,
      key: "transformed/interactions.csv",
      source: csv,
      contentHash: hash,
      contentType: "text/csv",
      endpoint: running.emulator.url,
      region: "us-east-1",
    });
    // A domain group with its own key, and a domain schema: every input of both kinds set.
    const domainGroup = new DatasetGroup("domain-group", {
      ...where,
      name: "classes-domain",
      domain: "ECOMMERCE",
      kmsKeyArn: "arn:aws:kms:us-east-1:000000000000:key/placeholder",
      roleArn: "arn:aws:iam::000000000000:role/placeholder",
      tags,
    });
    const domainSchema = new Schema("domain-schema", {
      ...where,
      name: "classes-domain",
      schema: workshopSchema,
      domain: "ECOMMERCE",
    });
    // The chain itself lives in a custom group.
    const group = new DatasetGroup("group", { ...where, name: "classes", tags });
    const schema = new Schema("schema", { ...where, name: "classes", schema: workshopSchema });
    const dataset = new Dataset("dataset", {
      ...where,
      name: "interactions",
      datasetGroupArn: group.arn,
      datasetType: "Interactions",
      schemaArn: schema.arn,
      tags,
    });
    const job = new DatasetImportJob("import", {
      ...where,
      jobName: "classes",
      datasetArn: dataset.arn,
      dataLocation: object.s3Uri,
      roleArn: "arn:aws:iam::000000000000:role/placeholder",
      importMode: "FULL",
      dataHash: hash,
      tags,
    });
    const solution = new Solution("solution", {
      ...where,
      name: "classes",
      datasetGroupArn: group.arn,
      recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
      performHPO: false,
      performAutoTraining: false,
      performIncrementalUpdate: false,
      eventType: "Product Clicked",
      solutionConfig: { autoTrainingConfig: { schedulingExpression: "rate(7 days)" } },
      tags,
    });
    const version = new SolutionVersion("version", {
      ...where,
      solutionArn: solution.arn,
      name: "classes",
      trainingMode: "FULL",
      trainingInputs: [job.arn],
      tags,
    });
    const campaign = new Campaign("campaign", {
      ...where,
      name: "classes",
      solutionArn: solution.arn,
      solutionVersionArn: version.arn,
      minProvisionedTPS: 1,
      campaignConfig: { itemExplorationConfig: { explorationWeight: "0.3" } },
      tags,
    });
    const tracker = new EventTracker("tracker", {
      ...where,
      name: "classes",
      datasetGroupArn: group.arn,
      tags,
    });
    const filter = new Filter("filter", {
      ...where,
      name: "classes",
      datasetGroupArn: group.arn,
      filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
      tags,
    });

    // Every key of every kind's table (its inputs under their output keys, arn, status and
    // what the kind adds) is an Output of the resource class that resolves to a value.
    const tables: [AnySpec, object][] = [
      [datasetGroupSpec, domainGroup],
      [schemaSpec, domainSchema],
      [datasetSpec, dataset],
      [datasetImportJobSpec, job],
      [solutionSpec, solution],
      [solutionVersionSpec, version],
      [campaignSpec, campaign],
      [eventTrackerSpec, tracker],
      [filterSpec, filter],
    ];
    const deployed: [string, string[], object][] = [
      ...tables.map(([spec, resource]): [string, string[], object] => [
        spec.kind,
        outputKeys(spec),
        resource,
      ]),
      ["LocalBucket", [...Object.keys(LOCAL_BUCKET_FIELDS), ...LOCAL_BUCKET_OUTPUTS], bucket],
      ["LocalObject", [...Object.keys(LOCAL_OBJECT_FIELDS), ...LOCAL_OBJECT_OUTPUTS], object],
    ];
    // Outputs that describe something a new resource does not have yet: a solution's latest
    // version (none until one trains), a dataset's trackingId (Action_Interactions datasets only).
    const absentAtCreation = ["Solution.latestSolutionVersionArn", "Dataset.trackingId"];
    const unresolved: string[] = [];
    for (const [kind, keys, resource] of deployed) {
      for (const key of keys) {
        const output: unknown = Reflect.get(resource, key);
        if (!pulumi.Output.isInstance(output)) unresolved.push(`${kind}.${key}: no Output`);
        else if (
          (await valueOf(output)) === undefined &&
          !absentAtCreation.includes(`${kind}.${key}`)
        )
          unresolved.push(`${kind}.${key}: undefined`);
      }
    }
    assert.deepEqual(unresolved, []);
    // The outputs a resource class once failed to declare, so a program could not read them.
    const declared: pulumi.Output<unknown>[] = [
      solution.eventType,
      solution.performIncrementalUpdate,
      domainGroup.kmsKeyArn,
      domainGroup.roleArn,
      domainSchema.domain,
      job.jobNamePrefix,
    ];
    assert.ok(declared.every((output) => pulumi.Output.isInstance(output)));

    assert.equal(await valueOf(object.s3Uri), "s3://classes/transformed/interactions.csv");
    assert.match(
      (await valueOf(job.jobName)) ?? "",
      new RegExp(`^classes-${hash.slice(0, 8)}-[0-9a-f]{6}$`),
    );
    assert.equal(await valueOf(job.jobNamePrefix), "classes");
    assert.equal(await valueOf(dataset.datasetType), "INTERACTIONS");
    assert.equal(await valueOf(campaign.status), "ACTIVE");
    assert.equal(await valueOf(campaign.solutionVersionArn), await valueOf(version.arn));
    assert.equal(await valueOf(campaign.deployedSolutionVersionArn), await valueOf(version.arn));
    assert.equal(typeof (await valueOf(version.trainingHours)), "number");
    assert.ok(Object.keys(await valueOf(version.metrics)).length > 0);
    assert.match((await valueOf(tracker.trackingId)) ?? "", /^[0-9a-f-]{36}$/);
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
