import { strict as assert } from "assert";
import { resolve } from "path";
import {
  CreateDatasetGroupCommand,
  ListDatasetGroupsCommand,
  ListDatasetsCommand,
} from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { ManualClock } from "../../emulator";
import { startApiRecorder } from "../../offline/api-recorder";
import { OfflineEngine } from "../../offline/engine";
import { Dataset, DatasetGroup, Schema } from "../../providers";
import { rejection, startTestEmulator, TestEmulator } from "../support/emulator";
import { MINIMAL_INTERACTIONS_SCHEMA } from "../support/schemas";

// What the engine and the providers make of trouble after a create was accepted, through the
// real dynamic-provider host: the resource is never stranded, and the next `up` finishes it.
const ROOT = resolve(__dirname, "../..");
const TAGS = { stack: "failures" };

/** A dataset group, a schema and the dataset that needs both. */
function program() {
  const config = new pulumi.Config();
  const timeoutMinutes = config.getNumber("timeoutMinutes");
  const where = {
    region: "us-east-1",
    endpoint: config.require("endpoint"),
    ...(timeoutMinutes === undefined ? {} : { timeoutMinutes }),
  };
  const group = new DatasetGroup("group", { ...where, name: "failures-group", tags: TAGS });
  const schema = new Schema("schema", {
    ...where,
    name: "failures-schema",
    schema: MINIMAL_INTERACTIONS_SCHEMA,
  });
  const dataset = new Dataset("interactions", {
    ...where,
    name: "failures-interactions",
    datasetGroupArn: group.arn,
    datasetType: "INTERACTIONS",
    schemaArn: schema.arn,
    tags: TAGS,
  });
  return { groupArn: group.arn, datasetArn: dataset.arn };
}

describe("offline engine: failures after a create was accepted", function () {
  this.timeout(300_000);
  let env: TestEmulator;
  let clock: ManualClock | undefined;

  const engineFor = (config: Record<string, string> = {}) =>
    new OfflineEngine({
      program,
      project: "failures",
      stack: "test",
      cwd: ROOT,
      config: { "failures:endpoint": env.emulator.url, ...config },
    });
  const groups = async () =>
    (await env.personalize.send(new ListDatasetGroupsCommand({}))).datasetGroups ?? [];
  const datasets = async () =>
    (await env.personalize.send(new ListDatasetsCommand({}))).datasets ?? [];
  const recorded = (engine: OfflineEngine, type: string) => engine.resources(type)[0];
  /** The emulator denies the next `Describe<kind>` once, as IAM would: the create's wait fails. */
  const denyDescribeOnce = (kind: string) =>
    env.emulator.setFaults({
      scripted: [
        {
          operation: `Describe${kind}`,
          code: "AccessDeniedException",
          message: `User is not authorized to perform: personalize:Describe${kind}`,
        },
      ],
    });

  /** Runs `work` while the manual clock moves a minute every 10 ms of real time. */
  async function ticking<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const finished = work.finally(() => (done = true));
    while (!done) {
      clock!.advance(60_000);
      await new Promise((r) => setTimeout(r, 10));
    }
    return finished;
  }

  afterEach(() => env?.close());

  describe("with instant lifecycles", () => {
    beforeEach(async () => {
      env = await startTestEmulator();
    });

    it("an AccessDenied on the Describe after Create fails the up with its text; the next up records the same group", async () => {
      denyDescribeOnce("DatasetGroup");
      const engine = engineFor();
      const failed = await rejection(engine.up());
      assert.match(failed.message, /not authorized to perform: personalize:DescribeDatasetGroup/);
      const group = recorded(engine, "DatasetGroup");
      assert.ok(group, "the group is in the state");
      assert.equal(group.initErrors?.length, 1);
      assert.equal(recorded(engine, "Dataset"), undefined, "nothing started after the failure");
      assert.equal((await groups()).length, 1);

      env.emulator.setFaults({});
      const up = await engine.up();
      assert.deepEqual(
        up.steps.filter((s) => s.type.endsWith("DatasetGroup")).map((s) => s.op),
        ["update"],
      );
      assert.equal(recorded(engine, "DatasetGroup").id, group.id);
      assert.equal(recorded(engine, "DatasetGroup").initErrors, undefined);
      assert.equal(recorded(engine, "DatasetGroup").outputs.status, "ACTIVE");
      assert.equal((await groups()).length, 1);
      assert.equal((await datasets()).length, 1);
      await engine.destroy();
      assert.deepEqual(await groups(), []);
    });

    it("a schema's init failure reaches the engine whole: the host's trailer carries the largest provider code", async () => {
      // The host sends an init failure's properties, `__provider` among them, in one gRPC
      // trailer, and Node's HTTP/2 sends no header block over 64 KiB: a call whose failure
      // does not fit never answers (providers/packed.ts).
      denyDescribeOnce("Schema");
      const engine = engineFor();
      const failed = await rejection(engine.up());
      assert.match(failed.message, /not authorized to perform: personalize:DescribeSchema/);
      const schema = recorded(engine, "Schema");
      assert.equal(schema.initErrors?.length, 1);
      assert.equal(typeof schema.outputs.__provider, "string");

      env.emulator.setFaults({});
      await engine.up();
      assert.equal(recorded(engine, "Schema").id, schema.id);
      assert.equal(recorded(engine, "Schema").initErrors, undefined);
      assert.equal(recorded(engine, "Dataset").outputs.status, "ACTIVE");
      await engine.destroy();
      assert.deepEqual(await groups(), []);
    });

    it("throttled Describe calls are waited out, well past the SDK's own retries", async () => {
      env.emulator.setFaults({
        scripted: [{ operation: "DescribeDatasetGroup", code: "ThrottlingException", times: 9 }],
      });
      const engine = engineFor();
      await engine.up();
      assert.equal(recorded(engine, "Dataset").outputs.status, "ACTIVE");
      await engine.destroy();
    });

    it("takes over a group of its own name and tags that a lost run created", async () => {
      const { datasetGroupArn } = await env.personalize.send(
        new CreateDatasetGroupCommand({
          name: "failures-group",
          tags: [{ tagKey: "stack", tagValue: "failures" }],
        }),
      );
      const engine = engineFor();
      await engine.up();
      assert.equal(recorded(engine, "DatasetGroup").id, datasetGroupArn);
      assert.equal((await groups()).length, 1);
      await engine.destroy();
      assert.deepEqual(await groups(), []);
    });

    it("reads a group the stack does not manage with .get, and leaves it alone on destroy", async () => {
      const { datasetGroupArn } = await env.personalize.send(
        new CreateDatasetGroupCommand({ name: "someone-elses" }),
      );
      const engine = new OfflineEngine({
        program: () => {
          const existing = new DatasetGroup(
            "existing",
            { name: "someone-elses", region: "us-east-1", endpoint: env.emulator.url },
            { id: datasetGroupArn },
          );
          return { status: existing.status, name: existing.name };
        },
        project: "failures",
        stack: "test",
        cwd: ROOT,
      });
      const up = await engine.up();
      assert.deepEqual(up.outputs, { status: "ACTIVE", name: "someone-elses" });
      assert.deepEqual(
        up.steps.map((s) => s.op),
        ["read"],
      );
      await engine.destroy();
      assert.deepEqual(
        (await groups()).map((g) => g.datasetGroupArn),
        [datasetGroupArn],
      );
    });

    it("refuses a group of its name that is not the stack's, saying whose it is and what to do", async () => {
      await env.personalize.send(
        new CreateDatasetGroupCommand({
          name: "failures-group",
          tags: [{ tagKey: "stack", tagValue: "someone-else" }],
        }),
      );
      const engine = engineFor();
      const failed = await rejection(engine.up());
      assert.match(
        failed.message,
        /DatasetGroup "failures-group" already exists as arn:aws:personalize:us-east-1:\d+:dataset-group\/failures-group and is not this stack's: its tags \{"stack":"someone-else"\} lack this stack's \{"stack":"failures"\}; delete it, or give this resource another name/,
      );
      assert.equal(recorded(engine, "DatasetGroup"), undefined);
    });
  });

  describe("with a clock that moves only when told", () => {
    beforeEach(async () => {
      clock = new ManualClock();
      env = await startTestEmulator({ clock, durationScale: 1 });
    });

    it("a create that times out is recorded, refreshed, and waited for by the next up", async () => {
      const engine = engineFor({ "failures:timeoutMinutes": "0.002" });
      const failed = await rejection(engine.up());
      assert.match(
        failed.message,
        /gave up waiting for DatasetGroup "failures-group" to become ACTIVE/,
      );
      const group = recorded(engine, "DatasetGroup");
      assert.equal(group.outputs.status, "CREATE PENDING");
      assert.equal(typeof group.outputs.__provider, "string");

      const refreshed = await engine.refresh();
      assert.deepEqual(
        refreshed.steps.filter((s) => s.type.endsWith("DatasetGroup")).map((s) => s.refreshed),
        ["unchanged"],
      );

      delete engine.config["failures:timeoutMinutes"];
      await ticking(engine.up());
      assert.equal(recorded(engine, "DatasetGroup").id, group.id);
      assert.equal(recorded(engine, "DatasetGroup").outputs.status, "ACTIVE");
      assert.equal(recorded(engine, "Dataset").outputs.status, "ACTIVE");
      await ticking(engine.destroy());
      assert.deepEqual(await groups(), []);
    });

    it("a create that times out can be destroyed", async () => {
      // The delete waits with the recorded timeoutMinutes (the engine sends Delete the stored
      // state only), so the clock jumps the moment the service accepts each deletion: the
      // first Describe finds the group gone, however slow the machine.
      const recorder = await startApiRecorder(env.emulator.url, {
        onCall: (call) => {
          if (call.operation.startsWith("Delete")) clock!.advance(3_600_000);
        },
      });
      try {
        const engine = engineFor({
          "failures:endpoint": recorder.url,
          "failures:timeoutMinutes": "0.002",
        });
        await rejection(engine.up());
        assert.equal(recorded(engine, "DatasetGroup").outputs.status, "CREATE PENDING");
        clock!.advance(3_600_000);
        await engine.destroy();
        assert.deepEqual(engine.resources(), []);
        assert.deepEqual(await groups(), []);
      } finally {
        await recorder.close();
      }
    });
  });
});
