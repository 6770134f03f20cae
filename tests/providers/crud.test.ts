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
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { type RunningEmulator } from "../../emulator";
import { createDataPlane } from "../../emulator/data";
import { PROVIDER_VERSION } from "../../providers";
import {
  checkAndCreate,
  clearCredentials,
  Deployed,
  Props,
  PROVIDERS,
  requireFromString,
  startTestEmulator,
  TestEmulator,
  wire,
} from "./helpers";
import { itemsSchema } from "../support/schemas";

/** check -> create, as the engine runs a new resource; a refresh right after must change nothing. */
async function create(provider: dynamic.ResourceProvider, news: Props): Promise<Deployed> {
  const deployed = await checkAndCreate(provider, news);
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

/** ITEM_ID, CATEGORY, and optionally one more (nullable) categorical column. */
const ITEMS_SCHEMA = (extra = "") => itemsSchema("CATEGORY", ...(extra ? [extra] : []));

describe("providers: create/read/update/delete against the emulator", function () {
  let emulator: RunningEmulator;
  let personalize: PersonalizeClient;
  let s3: S3Client;
  let base: Props;
  let running: TestEmulator;
  const dir = mkdtempSync(join(tmpdir(), "providers-crud-"));
  const csv = join(dir, "interactions.csv");
  const deployed: Record<string, Deployed> = {};
  const savedEnv = { ...process.env };

  before(async () => {
    // No credentials in the environment: the providers fall back to dummy ones for loopback.
    clearCredentials();
    running = await startTestEmulator({ durationScale: 0, dataPlane: createDataPlane });
    ({ emulator, personalize, s3, base } = running);
    writeFileSync(csv, readFileSync(join(__dirname, "../../data/interactions.csv")));
  });

  after(async () => {
    await running?.close();
    process.env = savedEnv;
  });

  const hashOf = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

  it("LocalBucket and LocalObject upload the CSV to the emulator's S3", async () => {
    deployed.bucket = await create(PROVIDERS.LocalBucket, {
      bucket: "workshop-data",
      endpoint: emulator.url,
    });
    assert.equal(deployed.bucket.outs.arn, "arn:aws:s3:::workshop-data");
    deployed.object = await create(PROVIDERS.LocalObject, {
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
    const read = await PROVIDERS.LocalObject.read!(deployed.object.id, deployed.object.outs);
    assert.equal(read.id, deployed.object.id);
    assert.equal((read.props as Props).etag, deployed.object.outs.etag);
  });

  it("DatasetGroup: create waits for ACTIVE, read returns inputs, tags update in place", async () => {
    const dg = await create(PROVIDERS.DatasetGroup, {
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
    const read = await PROVIDERS.DatasetGroup.read!(dg.id, dg.outs);
    assert.equal(read.id, dg.id);
    assert.deepEqual((read.inputs as Props).tags, { stack: "dev" });
    assert.equal((read.inputs as Props).name, "workshop");
    const { deployed: next } = await update(PROVIDERS.DatasetGroup, dg, {
      ...base,
      name: "workshop",
      tags: { team: "recs" },
    });
    const tags = await personalize.send(new ListTagsForResourceCommand({ resourceArn: dg.id }));
    assert.deepEqual(tags.tags, [{ tagKey: "team", tagValue: "recs" }]);
    assert.deepEqual(next.outs.tags, { team: "recs" });
    // A provider fix reaches resources deployed by older code: a new providerVersion is an
    // in-place update that rewrites the stored outputs, not a replacement.
    const { deployed: fixed } = await update(PROVIDERS.DatasetGroup, next, {
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
    deployed.schema = await create(PROVIDERS.Schema, {
      ...base,
      name: "interactions",
      schema: text,
    });
    const read = await PROVIDERS.Schema.read!(deployed.schema.id, deployed.schema.outs);
    const again = await PROVIDERS.Schema.check!(read.inputs as Props, {
      ...base,
      name: "interactions",
      schema: text,
    });
    const diff = await PROVIDERS.Schema.diff!(
      deployed.schema.id,
      read.props as Props,
      again.inputs as Props,
    );
    assert.equal(diff.changes, false);
    deployed.itemsSchema = await create(PROVIDERS.Schema, {
      ...base,
      name: "items",
      schema: ITEMS_SCHEMA(),
    });
    deployed.itemsSchema2 = await create(PROVIDERS.Schema, {
      ...base,
      name: "items-v2",
      schema: ITEMS_SCHEMA("COLOR"),
    });
  });

  it("Dataset: type in any case; an ITEMS dataset's schema updates in place through UpdateDataset", async () => {
    deployed.interactions = await create(PROVIDERS.Dataset, {
      ...base,
      name: "interactions",
      datasetGroupArn: deployed.dg.id,
      datasetType: "Interactions",
      schemaArn: deployed.schema.id,
    });
    assert.match(deployed.interactions.id, /:dataset\/workshop\/INTERACTIONS$/);
    assert.equal(deployed.interactions.outs.datasetType, "INTERACTIONS");
    const items = await create(PROVIDERS.Dataset, {
      ...base,
      name: "items",
      datasetGroupArn: deployed.dg.id,
      datasetType: "items",
      schemaArn: deployed.itemsSchema.id,
    });
    const { deployed: updated } = await update(PROVIDERS.Dataset, items, {
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
    deployed.import1 = await create(PROVIDERS.DatasetImportJob, importArgs());
    assert.equal(deployed.import1.outs.status, "ACTIVE");
    assert.match(
      String(deployed.import1.outs.jobName),
      new RegExp(`^interactions-${hashOf(csv).slice(0, 8)}-[0-9a-f]{6}$`),
    );
    assert.equal(deployed.import1.outs.jobNamePrefix, "interactions");
    const read = await PROVIDERS.DatasetImportJob.read!(deployed.import1.id, deployed.import1.outs);
    const again = await PROVIDERS.DatasetImportJob.check!(read.inputs as Props, importArgs());
    const diff = await PROVIDERS.DatasetImportJob.diff!(
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
    const solution = await create(PROVIDERS.Solution, args);
    const described = await personalize.send(
      new DescribeSolutionCommand({ solutionArn: solution.id }),
    );
    assert.equal(described.solution?.performAutoTraining, false);
    const eventsConfig = { eventParametersList: [{ eventType: "Order Completed", weight: 0.8 }] };
    const { deployed: next } = await update(PROVIDERS.Solution, solution, {
      ...args,
      solutionConfig: { eventsConfig },
    });
    const after = await personalize.send(new DescribeSolutionCommand({ solutionArn: solution.id }));
    assert.equal(after.solution?.latestSolutionUpdate?.status, "ACTIVE");
    assert.deepEqual(after.solution?.solutionConfig?.eventsConfig, eventsConfig);
    deployed.solution = next;
  });

  it("SolutionVersion: trains to ACTIVE and reports metrics as plain numbers", async () => {
    deployed.version1 = await create(PROVIDERS.SolutionVersion, {
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
    const campaign = await create(PROVIDERS.Campaign, args);
    assert.equal(campaign.outs.minProvisionedTPS, 1);

    // New data: a new hash gives a new import job with a new name, which trains a new version.
    const changedData = { ...importArgs(), dataHash: "0".repeat(64) };
    const checked = await PROVIDERS.DatasetImportJob.check!(deployed.import1.inputs, changedData);
    const importDiff = await PROVIDERS.DatasetImportJob.diff!(
      deployed.import1.id,
      deployed.import1.outs,
      wire(checked.inputs),
    );
    assert.ok((importDiff.replaces ?? []).includes("dataHash"));
    const import2 = await create(PROVIDERS.DatasetImportJob, changedData);
    assert.notEqual(import2.outs.jobName, deployed.import1.outs.jobName);
    const version2 = await create(PROVIDERS.SolutionVersion, {
      ...base,
      solutionArn: deployed.solution.id,
      trainingInputs: [import2.id],
    });
    assert.notEqual(version2.id, deployed.version1.id);

    const { deployed: rolled } = await update(PROVIDERS.Campaign, campaign, {
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

    const { deployed: scaled } = await update(PROVIDERS.Campaign, rolled, {
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
    deployed.tracker = await create(PROVIDERS.EventTracker, {
      ...base,
      name: "tracker",
      datasetGroupArn: deployed.dg.id,
    });
    assert.match(String(deployed.tracker.outs.trackingId), /^[0-9a-f-]{36}$/);
    const filter = await create(PROVIDERS.Filter, {
      ...base,
      name: "no-purchased",
      datasetGroupArn: deployed.dg.id,
      filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
    });
    const read = await PROVIDERS.Filter.read!(filter.id, filter.outs);
    assert.equal((read.inputs as Props).filterExpression, filter.inputs.filterExpression);
    await personalize.send(new DeleteFilterCommand({ filterArn: filter.id }));
    for (let i = 0; i < 100; i++) {
      const gone = await PROVIDERS.Filter.read!(filter.id, filter.outs);
      if (!gone.id) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail("read should report the deleted filter as gone (empty id)");
  });

  it("delete: waits until Describe says NotFound; versions and import jobs are forgotten", async () => {
    // The service refuses to delete a solution under a campaign for as long as the campaign
    // exists: say so at once instead of waiting out the timeout.
    await assert.rejects(
      PROVIDERS.Solution.delete!(deployed.solution.id, deployed.solution.outs),
      /^Error: Solution \S+ is still deployed by campaign\(s\) \S+campaign\/segment-workshop-campaign; /,
    );
    await PROVIDERS.Campaign.delete!(deployed.campaign.id, deployed.campaign.outs);
    await assert.rejects(
      personalize.send(new DescribeCampaignCommand({ campaignArn: deployed.campaign.id })),
      { name: "ResourceNotFoundException" },
    );
    for (const v of [deployed.version2, deployed.version1]) {
      await PROVIDERS.SolutionVersion.delete!(v.id, v.outs);
      const still = await personalize.send(
        new DescribeSolutionVersionCommand({ solutionVersionArn: v.id }),
      );
      assert.equal(
        still.solutionVersion?.status,
        "ACTIVE",
        "forgetting does not touch a finished version",
      );
    }
    await PROVIDERS.DatasetImportJob.delete!(deployed.import2.id, deployed.import2.outs);
    await PROVIDERS.DatasetImportJob.delete!(deployed.import1.id, deployed.import1.outs);
    const order: [dynamic.ResourceProvider, Deployed][] = [
      [PROVIDERS.Solution, deployed.solution],
      [PROVIDERS.EventTracker, deployed.tracker],
      [PROVIDERS.Dataset, deployed.items],
      [PROVIDERS.Dataset, deployed.interactions],
      [PROVIDERS.Schema, deployed.schema],
      [PROVIDERS.Schema, deployed.itemsSchema],
      [PROVIDERS.Schema, deployed.itemsSchema2],
      [PROVIDERS.DatasetGroup, deployed.dg],
    ];
    for (const [provider, d] of order) {
      await provider.delete!(d.id, d.outs);
      const read = await provider.read!(d.id, d.outs);
      assert.equal(read.id, undefined, `${d.id} is gone after delete`);
    }
    // Deleting again is not an error (the engine may retry a delete).
    await PROVIDERS.DatasetGroup.delete!(deployed.dg.id, deployed.dg.outs);
  });

  it("LocalObject and LocalBucket: a non-empty bucket fails clearly; deleting the object first works", async () => {
    await assert.rejects(
      PROVIDERS.LocalBucket.delete!(deployed.bucket.id, deployed.bucket.outs),
      /LocalBucket "workshop-data" is not empty/,
    );
    await PROVIDERS.LocalObject.delete!(deployed.object.id, deployed.object.outs);
    assert.equal(
      (await PROVIDERS.LocalObject.read!(deployed.object.id, deployed.object.outs)).id,
      undefined,
    );
    await PROVIDERS.LocalBucket.delete!(deployed.bucket.id, deployed.bucket.outs);
    assert.equal(
      (await PROVIDERS.LocalBucket.read!(deployed.bucket.id, deployed.bucket.outs)).id,
      undefined,
    );
  });

  it("a provider loaded as the host loads it creates and deletes against the emulator", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => PROVIDERS.DatasetGroup, {
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
  let running: TestEmulator;
  let emulator: RunningEmulator;
  let personalize: PersonalizeClient;
  const REASON = "Injected: the KMS key arn:aws:kms:us-east-1:000000000000:key/x is disabled.";

  before(async () => {
    running = await startTestEmulator({
      durationScale: 0,
      faults: {
        failures: {
          "doomed-group": REASON,
          "doomed-version": "Insufficient data: 3 users, at least 25 needed.",
        },
      },
    });
    ({ emulator, personalize } = running);
  });
  after(async () => {
    await running?.close();
  });

  it("CREATE FAILED throws the failureReason verbatim and deletes the failed resource so the name is free", async () => {
    const checked = await PROVIDERS.DatasetGroup.check!(
      {},
      { region: "us-east-1", endpoint: emulator.url, name: "doomed-group" },
    );
    await assert.rejects(PROVIDERS.DatasetGroup.create(checked.inputs), (err: Error) => {
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
    const dg = await create(PROVIDERS.DatasetGroup, { ...base, name: "fine" });
    const solution = await create(PROVIDERS.Solution, {
      ...base,
      name: "s",
      datasetGroupArn: dg.id,
      recipeArn: "arn:aws:personalize:::recipe/aws-sims",
    });
    const checked = await PROVIDERS.SolutionVersion.check!(
      {},
      { ...base, solutionArn: solution.id, name: "doomed-version" },
    );
    await assert.rejects(
      PROVIDERS.SolutionVersion.create(checked.inputs),
      /ended in CREATE FAILED: Insufficient data: 3 users, at least 25 needed\.$/,
    );
  });

  it("a wait that outlives timeoutMinutes keeps the resource in state (id and properties on the error)", async () => {
    emulator.setFaults({});
    const slow = await startTestEmulator({ durationScale: 1000 });
    try {
      const checked = await PROVIDERS.DatasetGroup.check!(
        {},
        { region: "us-east-1", endpoint: slow.emulator.url, name: "slow", timeoutMinutes: 0.002 },
      );
      await assert.rejects(
        PROVIDERS.DatasetGroup.create(checked.inputs),
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
