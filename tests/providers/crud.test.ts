import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createHash } from "crypto";
import {
  DeleteFilterCommand,
  DescribeCampaignCommand,
  DescribeDatasetCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  ListDatasetGroupsCommand,
  ListTagsForResourceCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { createDataPlane } from "../../emulator/data";
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

type Props = Record<string, unknown>;
const requireFromString: (code: string) => {
  handler(): dynamic.ResourceProvider;
} = require("require-from-string");

/** What crosses the engine boundary: a Struct round trip (undefined or Date in outputs would throw or vanish). */
const wire = (v: unknown) => Struct.fromJavaScript(v as never).toJavaScript() as Props;

interface Deployed {
  id: string;
  inputs: Props;
  outs: Props;
}

/** check -> create, as the engine runs a new resource. */
async function create(provider: dynamic.ResourceProvider, news: Props): Promise<Deployed> {
  const checked = await provider.check!({}, news);
  assert.deepEqual(checked.failures, []);
  const inputs = wire(checked.inputs);
  const result = await provider.create(inputs);
  assert.ok(result.id, "create returns an id");
  const deployed = { id: result.id, inputs, outs: wire(result.outs) };
  await assertRefreshConverges(provider, deployed, news);
  return deployed;
}

/** refresh (read) then the same program again: no diff, or every `up` after a refresh would change something. */
async function assertRefreshConverges(
  provider: dynamic.ResourceProvider,
  d: Deployed,
  news: Props,
) {
  const read = await provider.read!(d.id, d.outs);
  assert.equal(read.id, d.id);
  const again = await provider.check!(wire(read.inputs), news);
  const diff = await provider.diff!(d.id, wire(read.props), wire(again.inputs));
  assert.equal(
    diff.changes,
    false,
    `refresh of ${d.id} must converge, got ${JSON.stringify(diff)}`,
  );
}

/** check -> diff -> update, as the engine runs a changed resource; returns the diff it decided on. */
async function update(provider: dynamic.ResourceProvider, was: Deployed, news: Props) {
  const checked = await provider.check!(was.inputs, news);
  assert.deepEqual(checked.failures, []);
  const inputs = wire(checked.inputs);
  const diff = await provider.diff!(was.id, was.outs, inputs);
  assert.equal(diff.changes, true, "an update needs a change");
  assert.deepEqual(diff.replaces, [], "must update in place, not replace");
  const result = await provider.update!(was.id, was.outs, inputs);
  return { deployed: { id: was.id, inputs, outs: wire(result.outs) }, diff };
}

const ITEMS_SCHEMA = (extra = "") =>
  JSON.stringify({
    type: "record",
    name: "Items",
    namespace: "com.amazonaws.personalize.schema",
    fields: [
      { name: "ITEM_ID", type: "string" },
      { name: "CATEGORY", type: "string", categorical: true },
      ...(extra ? [{ name: extra, type: ["null", "string"], categorical: true }] : []),
    ],
    version: "1.0",
  });

describe("providers: create/read/update/delete against the emulator", function () {
  let emulator: RunningEmulator;
  let personalize: PersonalizeClient;
  let s3: S3Client;
  let base: Props;
  const dir = mkdtempSync(join(tmpdir(), "providers-crud-"));
  const csv = join(dir, "interactions.csv");
  const deployed: Record<string, Deployed> = {};
  const savedEnv = { ...process.env };

  before(async () => {
    // No credentials in the environment: the providers fall back to dummy ones for loopback.
    for (const name of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_PROFILE",
      "AWS_SESSION_TOKEN",
    ])
      delete process.env[name];
    emulator = await startEmulator({ port: 0, durationScale: 0, dataPlane: createDataPlane });
    base = { region: "us-east-1", endpoint: emulator.url };
    const credentials = { accessKeyId: "test", secretAccessKey: "test" };
    personalize = new PersonalizeClient({
      region: "us-east-1",
      endpoint: emulator.url,
      credentials,
    });
    s3 = new S3Client({
      region: "us-east-1",
      endpoint: emulator.url,
      credentials,
      forcePathStyle: true,
    });
    writeFileSync(csv, readFileSync(join(__dirname, "../../data/interactions.csv")));
  });

  after(async () => {
    personalize?.destroy();
    s3?.destroy();
    await emulator?.close();
    process.env = savedEnv;
  });

  const hashOf = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

  it("LocalBucket and LocalObject upload the CSV to the emulator's S3", async () => {
    deployed.bucket = await create(localBucketProvider, {
      bucket: "workshop-data",
      endpoint: emulator.url,
    });
    assert.equal(deployed.bucket.outs.arn, "arn:aws:s3:::workshop-data");
    deployed.object = await create(localObjectProvider, {
      bucket: "workshop-data",
      key: "transformed/interactions.csv",
      source: csv,
      contentHash: hashOf(csv),
      endpoint: emulator.url,
    });
    assert.equal(deployed.object.outs.s3Uri, "s3://workshop-data/transformed/interactions.csv");
    const got = await s3.send(
      new GetObjectCommand({ Bucket: "workshop-data", Key: "transformed/interactions.csv" }),
    );
    assert.equal(
      (await got.Body!.transformToString()).split("\n")[0],
      "ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP",
    );
    const read = await localObjectProvider.read!(deployed.object.id, deployed.object.outs);
    assert.equal(read.id, deployed.object.id);
    assert.equal((read.props as Props).etag, deployed.object.outs.etag);
  });

  it("DatasetGroup: create waits for ACTIVE, read returns inputs, tags update in place", async () => {
    const dg = await create(datasetGroupProvider, {
      ...base,
      name: "workshop",
      tags: { stack: "dev" },
    });
    assert.match(
      String(dg.outs.arn),
      /^arn:aws:personalize:us-east-1:\d{12}:dataset-group\/workshop$/,
    );
    assert.equal(dg.outs.status, "ACTIVE");
    assert.equal(dg.outs.providerVersion, PROVIDER_VERSION);
    const read = await datasetGroupProvider.read!(dg.id, dg.outs);
    assert.equal(read.id, dg.id);
    assert.deepEqual((read.inputs as Props).tags, { stack: "dev" });
    assert.equal((read.inputs as Props).name, "workshop");
    const { deployed: next } = await update(datasetGroupProvider, dg, {
      ...base,
      name: "workshop",
      tags: { team: "recs" },
    });
    const tags = await personalize.send(new ListTagsForResourceCommand({ resourceArn: dg.id }));
    assert.deepEqual(tags.tags, [{ tagKey: "team", tagValue: "recs" }]);
    assert.deepEqual(next.outs.tags, { team: "recs" });
    // A provider fix reaches resources deployed by older code: a new providerVersion is an
    // in-place update that rewrites the stored outputs, not a replacement.
    const { deployed: fixed } = await update(datasetGroupProvider, next, {
      ...base,
      name: "workshop",
      tags: { team: "recs" },
      providerVersion: "2.0.0",
    });
    assert.equal(fixed.outs.providerVersion, "2.0.0");
    assert.equal(fixed.outs.arn, dg.id);
    assert.equal(fixed.outs.status, "ACTIVE");
    deployed.dg = fixed;
  });

  it("Schema: create and read; the service's whitespace is not a diff", async () => {
    const text = readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8");
    deployed.schema = await create(schemaProvider, { ...base, name: "interactions", schema: text });
    const read = await schemaProvider.read!(deployed.schema.id, deployed.schema.outs);
    const again = await schemaProvider.check!(read.inputs as Props, {
      ...base,
      name: "interactions",
      schema: text,
    });
    const diff = await schemaProvider.diff!(
      deployed.schema.id,
      read.props as Props,
      again.inputs as Props,
    );
    assert.equal(diff.changes, false);
    deployed.itemsSchema = await create(schemaProvider, {
      ...base,
      name: "items",
      schema: ITEMS_SCHEMA(),
    });
    deployed.itemsSchema2 = await create(schemaProvider, {
      ...base,
      name: "items-v2",
      schema: ITEMS_SCHEMA("COLOR"),
    });
  });

  it("Dataset: type in any case; an ITEMS dataset's schema updates in place through UpdateDataset", async () => {
    deployed.interactions = await create(datasetProvider, {
      ...base,
      name: "interactions",
      datasetGroupArn: deployed.dg.id,
      datasetType: "Interactions",
      schemaArn: deployed.schema.id,
    });
    assert.match(deployed.interactions.id, /:dataset\/workshop\/INTERACTIONS$/);
    assert.equal(deployed.interactions.outs.datasetType, "INTERACTIONS");
    const items = await create(datasetProvider, {
      ...base,
      name: "items",
      datasetGroupArn: deployed.dg.id,
      datasetType: "items",
      schemaArn: deployed.itemsSchema.id,
    });
    const { deployed: updated } = await update(datasetProvider, items, {
      ...items.inputs,
      schemaArn: deployed.itemsSchema2.id,
    });
    assert.equal(updated.id, items.id, "same dataset");
    const described = await personalize.send(new DescribeDatasetCommand({ datasetArn: items.id }));
    assert.equal(described.dataset?.schemaArn, deployed.itemsSchema2.id);
    assert.equal(described.dataset?.latestDatasetUpdate?.status, "ACTIVE");
    assert.equal(updated.outs.schemaArn, deployed.itemsSchema2.id);
    deployed.items = updated;
  });

  const importArgs = () => ({
    ...base,
    jobName: "interactions",
    datasetArn: deployed.interactions.id,
    dataLocation: "s3://workshop-data/transformed/interactions.csv",
    roleArn: "arn:aws:iam::000000000000:role/personalize-placeholder",
    dataHash: hashOf(csv),
  });

  it("DatasetImportJob: imports the CSV under a suffixed physical name", async () => {
    deployed.import1 = await create(datasetImportJobProvider, importArgs());
    assert.equal(deployed.import1.outs.status, "ACTIVE");
    assert.match(
      String(deployed.import1.outs.jobName),
      new RegExp(`^interactions-${hashOf(csv).slice(0, 8)}-[0-9a-f]{6}$`),
    );
    assert.equal(deployed.import1.outs.jobNamePrefix, "interactions");
    const read = await datasetImportJobProvider.read!(deployed.import1.id, deployed.import1.outs);
    const again = await datasetImportJobProvider.check!(read.inputs as Props, importArgs());
    const diff = await datasetImportJobProvider.diff!(
      deployed.import1.id,
      read.props as Props,
      again.inputs as Props,
    );
    assert.equal(diff.changes, false, "refresh converges: no diff against unchanged inputs");
  });

  it("Solution: automatic training off by default; eventsConfig updates in place", async () => {
    const args = {
      ...base,
      name: "workshop",
      datasetGroupArn: deployed.dg.id,
      recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
    };
    const solution = await create(solutionProvider, args);
    const described = await personalize.send(
      new DescribeSolutionCommand({ solutionArn: solution.id }),
    );
    assert.equal(described.solution?.performAutoTraining, false);
    const eventsConfig = { eventParametersList: [{ eventType: "Order Completed", weight: 0.8 }] };
    const { deployed: next } = await update(solutionProvider, solution, {
      ...args,
      solutionConfig: { eventsConfig },
    });
    const after = await personalize.send(new DescribeSolutionCommand({ solutionArn: solution.id }));
    assert.equal(after.solution?.latestSolutionUpdate?.status, "ACTIVE");
    assert.deepEqual(after.solution?.solutionConfig?.eventsConfig, eventsConfig);
    deployed.solution = next;
  });

  it("SolutionVersion: trains to ACTIVE and reports metrics as plain numbers", async () => {
    deployed.version1 = await create(solutionVersionProvider, {
      ...base,
      solutionArn: deployed.solution.id,
      trainingInputs: [deployed.import1.id],
    });
    assert.equal(deployed.version1.outs.status, "ACTIVE");
    assert.equal(typeof deployed.version1.outs.trainingHours, "number");
    const metrics = deployed.version1.outs.metrics as Record<string, number>;
    assert.ok(Object.keys(metrics).length > 0, "metrics after training");
    for (const value of Object.values(metrics)) assert.equal(typeof value, "number");
  });

  it("Campaign: new data rolls forward in place (new import job, new version, same campaign), and TPS updates in place", async () => {
    const args = {
      ...base,
      name: "segment-workshop-campaign",
      solutionArn: deployed.solution.id,
      solutionVersionArn: deployed.version1.id,
    };
    const campaign = await create(campaignProvider, args);
    assert.equal(campaign.outs.minProvisionedTPS, 1);

    // New data: a new hash gives a new import job with a new name, which trains a new version.
    const changedData = { ...importArgs(), dataHash: "0".repeat(64) };
    const checked = await datasetImportJobProvider.check!(deployed.import1.inputs, changedData);
    const importDiff = await datasetImportJobProvider.diff!(
      deployed.import1.id,
      deployed.import1.outs,
      wire(checked.inputs),
    );
    assert.ok((importDiff.replaces ?? []).includes("dataHash"));
    const import2 = await create(datasetImportJobProvider, changedData);
    assert.notEqual(import2.outs.jobName, deployed.import1.outs.jobName);
    const version2 = await create(solutionVersionProvider, {
      ...base,
      solutionArn: deployed.solution.id,
      trainingInputs: [import2.id],
    });
    assert.notEqual(version2.id, deployed.version1.id);

    const { deployed: rolled } = await update(campaignProvider, campaign, {
      ...args,
      solutionVersionArn: version2.id,
    });
    assert.equal(rolled.id, campaign.id, "the campaign is never replaced");
    let described = await personalize.send(
      new DescribeCampaignCommand({ campaignArn: campaign.id }),
    );
    assert.equal(described.campaign?.solutionVersionArn, version2.id);
    assert.equal(described.campaign?.latestCampaignUpdate?.status, "ACTIVE");
    assert.equal(rolled.outs.deployedSolutionVersionArn, version2.id);

    const { deployed: scaled } = await update(campaignProvider, rolled, {
      ...args,
      solutionVersionArn: version2.id,
      minProvisionedTPS: 2,
    });
    described = await personalize.send(new DescribeCampaignCommand({ campaignArn: campaign.id }));
    assert.equal(described.campaign?.minProvisionedTPS, 2);
    assert.equal(scaled.outs.minProvisionedTPS, 2);
    deployed.campaign = scaled;
    deployed.import2 = import2;
    deployed.version2 = version2;
  });

  it("EventTracker and Filter: create, read, and refresh notices an out-of-band delete", async () => {
    deployed.tracker = await create(eventTrackerProvider, {
      ...base,
      name: "tracker",
      datasetGroupArn: deployed.dg.id,
    });
    assert.match(String(deployed.tracker.outs.trackingId), /^[0-9a-f-]{36}$/);
    const filter = await create(filterProvider, {
      ...base,
      name: "no-purchased",
      datasetGroupArn: deployed.dg.id,
      filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
    });
    const read = await filterProvider.read!(filter.id, filter.outs);
    assert.equal((read.inputs as Props).filterExpression, filter.inputs.filterExpression);
    await personalize.send(new DeleteFilterCommand({ filterArn: filter.id }));
    for (let i = 0; i < 100; i++) {
      const gone = await filterProvider.read!(filter.id, filter.outs);
      if (!gone.id) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail("read should report the deleted filter as gone (empty id)");
  });

  it("delete: waits until Describe says NotFound; versions and import jobs are forgotten", async () => {
    // The service refuses to delete a solution under a campaign for as long as the campaign
    // exists: say so at once instead of waiting out the timeout.
    await assert.rejects(
      solutionProvider.delete!(deployed.solution.id, deployed.solution.outs),
      /^Error: Solution \S+ is still deployed by campaign\(s\) \S+campaign\/segment-workshop-campaign; /,
    );
    await campaignProvider.delete!(deployed.campaign.id, deployed.campaign.outs);
    await assert.rejects(
      personalize.send(new DescribeCampaignCommand({ campaignArn: deployed.campaign.id })),
      { name: "ResourceNotFoundException" },
    );
    for (const v of [deployed.version2, deployed.version1]) {
      await solutionVersionProvider.delete!(v.id, v.outs);
      const still = await personalize.send(
        new DescribeSolutionVersionCommand({ solutionVersionArn: v.id }),
      );
      assert.equal(
        still.solutionVersion?.status,
        "ACTIVE",
        "forgetting does not touch a finished version",
      );
    }
    await datasetImportJobProvider.delete!(deployed.import2.id, deployed.import2.outs);
    await datasetImportJobProvider.delete!(deployed.import1.id, deployed.import1.outs);
    const order: [dynamic.ResourceProvider, Deployed][] = [
      [solutionProvider, deployed.solution],
      [eventTrackerProvider, deployed.tracker],
      [datasetProvider, deployed.items],
      [datasetProvider, deployed.interactions],
      [schemaProvider, deployed.schema],
      [schemaProvider, deployed.itemsSchema],
      [schemaProvider, deployed.itemsSchema2],
      [datasetGroupProvider, deployed.dg],
    ];
    for (const [provider, d] of order) {
      await provider.delete!(d.id, d.outs);
      const read = await provider.read!(d.id, d.outs);
      assert.equal(read.id, undefined, `${d.id} is gone after delete`);
    }
    // Deleting again is not an error (the engine may retry a delete).
    await datasetGroupProvider.delete!(deployed.dg.id, deployed.dg.outs);
  });

  it("LocalObject and LocalBucket: a non-empty bucket fails clearly; deleting the object first works", async () => {
    await assert.rejects(
      localBucketProvider.delete!(deployed.bucket.id, deployed.bucket.outs),
      /LocalBucket "workshop-data" is not empty/,
    );
    await localObjectProvider.delete!(deployed.object.id, deployed.object.outs);
    assert.equal(
      (await localObjectProvider.read!(deployed.object.id, deployed.object.outs)).id,
      undefined,
    );
    await localBucketProvider.delete!(deployed.bucket.id, deployed.bucket.outs);
    assert.equal(
      (await localBucketProvider.read!(deployed.bucket.id, deployed.bucket.outs)).id,
      undefined,
    );
  });

  it("a provider loaded as the host loads it creates and deletes against the emulator", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => datasetGroupProvider, {
      allowSecrets: true,
    });
    const loaded = requireFromString(serialized.text).handler();
    const dg = await create(loaded, { ...base, name: "serialized" });
    assert.equal(dg.outs.status, "ACTIVE");
    await loaded.delete!(dg.id, dg.outs);
    const list = await personalize.send(new ListDatasetGroupsCommand({}));
    assert.ok(!(list.datasetGroups ?? []).some((g) => g.name === "serialized"));
  });
});

describe("providers: failures against the emulator", () => {
  let emulator: RunningEmulator;
  let personalize: PersonalizeClient;
  const REASON = "Injected: the KMS key arn:aws:kms:us-east-1:000000000000:key/x is disabled.";

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      durationScale: 0,
      faults: {
        failures: {
          "doomed-group": REASON,
          "doomed-version": "Insufficient data: 3 users, at least 25 needed.",
        },
      },
    });
    personalize = new PersonalizeClient({
      region: "us-east-1",
      endpoint: emulator.url,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  });
  after(async () => {
    personalize?.destroy();
    await emulator?.close();
  });

  it("CREATE FAILED throws the failureReason verbatim and deletes the failed resource so the name is free", async () => {
    const checked = await datasetGroupProvider.check!(
      {},
      { region: "us-east-1", endpoint: emulator.url, name: "doomed-group" },
    );
    await assert.rejects(datasetGroupProvider.create(checked.inputs), (err: Error) => {
      assert.ok(err.message.includes(REASON), err.message);
      assert.match(err.message, /^DatasetGroup "doomed-group" \(.*\) ended in CREATE FAILED: /);
      assert.match(err.message, /the failed resource was deleted so the name can be reused$/);
      return true;
    });
    const list = await personalize.send(new ListDatasetGroupsCommand({}));
    assert.deepEqual(
      (list.datasetGroups ?? []).map((g) => g.name),
      [],
    );
  });

  it("a failed solution version cannot be removed, but its reason still reaches the user", async () => {
    const base = { region: "us-east-1", endpoint: emulator.url };
    const dg = await create(datasetGroupProvider, { ...base, name: "fine" });
    const solution = await create(solutionProvider, {
      ...base,
      name: "s",
      datasetGroupArn: dg.id,
      recipeArn: "arn:aws:personalize:::recipe/aws-sims",
    });
    const checked = await solutionVersionProvider.check!(
      {},
      { ...base, solutionArn: solution.id, name: "doomed-version" },
    );
    await assert.rejects(
      solutionVersionProvider.create(checked.inputs),
      /ended in CREATE FAILED: Insufficient data: 3 users, at least 25 needed\.$/,
    );
  });

  it("a wait that outlives timeoutMinutes keeps the resource in state (id and properties on the error)", async () => {
    emulator.setFaults({});
    const slow = await startEmulator({ port: 0, durationScale: 1000 });
    try {
      const checked = await datasetGroupProvider.check!(
        {},
        { region: "us-east-1", endpoint: slow.url, name: "slow", timeoutMinutes: 0.002 },
      );
      await assert.rejects(
        datasetGroupProvider.create(checked.inputs),
        (err: Error & { id?: string; properties?: Props }) => {
          assert.match(
            err.message,
            /gave up waiting for DatasetGroup "slow" to become ACTIVE after 0.002 minutes/,
          );
          assert.match(String(err.id), /:dataset-group\/slow$/);
          assert.equal(err.properties?.name, "slow");
          return true;
        },
      );
    } finally {
      await slow.close();
    }
  });
});
