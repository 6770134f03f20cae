import assert from "node:assert/strict";
import { resolve } from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { ManualClock } from "../../emulator";
import { HostError, ProviderHost, startProviderHost } from "../../offline/host";
import { bundleOf, packed } from "../../providers/packed";
import { qualityGateProvider } from "../../providers/qualityGate";
import { rejection } from "../support/emulator";
import {
  avroSchema,
  MINIMAL_INTERACTIONS_SCHEMA,
  REQUIRED_INTERACTION_FIELDS,
} from "../support/schemas";
import { checkAndCreate, Props, PROVIDERS, startTestEmulator, TestEmulator, wire } from "./helpers";

const {
  Campaign: campaignProvider,
  DatasetGroup: datasetGroupProvider,
  Dataset: datasetProvider,
  Schema: schemaProvider,
} = PROVIDERS;

// The providers as `pulumi up` runs them: serialized as `dynamic.Resource` serializes them and
// called through the SDK's own dynamic-provider host over gRPC. What a user reads when something
// fails must be what the provider said, exactly as when it is called in this process.
const ROOT = resolve(__dirname, "../..");

const urnOf = (kind: string, name: string) =>
  `urn:pulumi:test::host::pulumi-nodejs:dynamic/personalize:${kind}::${name}`;

/** A provider's module text, as `dynamic.Resource` produces it for the object it is given. */
async function serialize(provider: dynamic.ResourceProvider): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

/** The text the host loads: a resource class's `__provider`, the provider packed. */
const stored = (provider: dynamic.ResourceProvider) => serialize(packed(provider));

/**
 * The most an init failure's properties, `__provider` among them, may take in the host's one
 * gRPC trailer: Node's HTTP/2 sends no header block over 64 KiB (providers/packed.ts).
 */
const TRAILER_BYTES = 64 * 1024;
/** What a resource's own inputs and outputs may take beside it: 16 KiB, 40 tags at their longest. */
const PROPERTIES_BYTES = 16 * 1024;

/** A message with one resource's names and ARNs put in place of another's. */
const renamed = (message: string, from: string, to: string) => message.split(from).join(to);

describe("providers through the real dynamic-provider host", function () {
  this.timeout(300_000);
  let host: ProviderHost;
  let env: TestEmulator;
  const texts = new Map<dynamic.ResourceProvider, string>();
  const code = async (provider: dynamic.ResourceProvider) => {
    if (!texts.has(provider)) texts.set(provider, await stored(provider));
    return texts.get(provider)!;
  };
  /** check through the host, as the engine calls it for a new resource. */
  const checked = async (provider: dynamic.ResourceProvider, kind: string, news: Props) => {
    const answer = await host.check(
      urnOf(kind, "x"),
      {},
      { ...news, __provider: await code(provider) },
    );
    assert.deepEqual(answer.failures, []);
    return answer.inputs;
  };

  before(async () => {
    host = await startProviderHost({ cwd: ROOT });
    await host.configure({});
    env = await startTestEmulator({});
  });
  after(async () => {
    await host?.close();
    await env?.close();
  });
  afterEach(() => env.emulator.setFaults({}));

  it("reports check failures with the text the provider gave", async () => {
    const uuidField = avroSchema("Interactions", [
      { name: "USER_ID", type: "uuid" },
      ...REQUIRED_INTERACTION_FIELDS.slice(1),
    ]);
    const cases: [dynamic.ResourceProvider, string, Props][] = [
      [schemaProvider, "Schema", { name: "interactions", schema: uuidField }],
      [schemaProvider, "Schema", { name: "interactions", schema: "{ not json" }],
      [datasetGroupProvider, "DatasetGroup", { name: "bad name!" }],
      [campaignProvider, "Campaign", { name: "c", solutionVersionArn: "not-an-arn" }],
    ];
    for (const [provider, kind, news] of cases) {
      const direct = await provider.check!({}, news);
      const through = await host.check(
        urnOf(kind, "x"),
        {},
        { ...news, __provider: await code(provider) },
      );
      assert.ok((direct.failures ?? []).length > 0, `${kind} ${JSON.stringify(news)} must fail`);
      assert.deepEqual(through.failures, direct.failures);
    }
    const [schema] = (await schemaProvider.check!({}, cases[0][2])).failures!;
    assert.match(schema.reason, /Field USER_ID has unsupported type "uuid"/);
  });

  it("reports a create that ended CREATE FAILED with the service's failureReason", async () => {
    const reason = "Insufficient privileges for accessing data in S3";
    env.emulator.setFaults({ failures: { "failing-direct": reason, "failing-host": reason } });
    const direct = await rejection(
      datasetGroupProvider.create(
        wire(
          (await datasetGroupProvider.check!({}, { ...env.base, name: "failing-direct" })).inputs,
        ),
      ),
    );
    const inputs = await checked(datasetGroupProvider, "DatasetGroup", {
      ...env.base,
      name: "failing-host",
    });
    const through = (await rejection(
      host.create(urnOf("DatasetGroup", "failing"), inputs),
    )) as HostError;
    assert.match(through.message, new RegExp(reason));
    assert.equal(through.message, renamed(direct.message, "failing-direct", "failing-host"));
    // Deleted so the name can be reused: nothing for the engine to record.
    assert.equal(through.initFailure, undefined);
  });

  it("reports an update's failure with its text", async () => {
    const { id, outs } = await checkAndCreate(datasetGroupProvider, {
      ...env.base,
      name: "tagged",
      tags: { stack: "a" },
    });
    const { arn: _arn, status: _status, ...inputs } = outs;
    const news = { ...inputs, tags: { stack: "b" } };
    const denied = {
      operation: "TagResource",
      code: "AccessDeniedException",
      message:
        "User: arn:aws:iam::000000000000:user/ci is not authorized to perform: personalize:TagResource",
    };
    env.emulator.setFaults({ scripted: [denied] });
    const direct = await rejection(datasetGroupProvider.update!(id, outs, news));
    env.emulator.setFaults({ scripted: [denied] });
    const through = await rejection(
      host.update(
        urnOf("DatasetGroup", "tagged"),
        id,
        { ...outs, __provider: await code(datasetGroupProvider) },
        { ...news, __provider: await code(datasetGroupProvider) },
        {},
      ),
    );
    assert.match(direct.message, /not authorized to perform: personalize:TagResource/);
    assert.equal(through.message, direct.message);
  });

  it("reports a delete that timed out with its text", async () => {
    const group = await checkAndCreate(datasetGroupProvider, { ...env.base, name: "busy" });
    const schema = await checkAndCreate(schemaProvider, {
      ...env.base,
      name: "busy-schema",
      schema: MINIMAL_INTERACTIONS_SCHEMA,
    });
    await checkAndCreate(datasetProvider, {
      ...env.base,
      name: "busy-interactions",
      datasetGroupArn: group.id,
      datasetType: "INTERACTIONS",
      schemaArn: schema.id,
    });
    // The group holds a dataset: the service refuses its deletion until the deadline passes.
    const outs = { ...group.outs, timeoutMinutes: 0.002 };
    const direct = await rejection(datasetGroupProvider.delete!(group.id, outs));
    const through = await rejection(
      host.delete(
        urnOf("DatasetGroup", "busy"),
        group.id,
        { ...outs, __provider: await code(datasetGroupProvider) },
        {},
      ),
    );
    assert.match(direct.message, /gave up waiting .* \(last answer: ResourceInUseException/);
    assert.equal(through.message, direct.message);
  });

  describe("a create that times out", () => {
    let slow: TestEmulator;
    let clock: ManualClock;
    before(async () => {
      clock = new ManualClock();
      slow = await startTestEmulator({ clock, durationScale: 1 });
    });
    after(() => slow?.close());

    it("is recorded with its id and provider code, refreshed, waited for by update, and deleted", async () => {
      const urn = urnOf("DatasetGroup", "slow");
      const text = await code(datasetGroupProvider);
      const inputs = await checked(datasetGroupProvider, "DatasetGroup", {
        ...slow.base,
        name: "slow",
        timeoutMinutes: 0.002,
      });
      const directInputs = wire(
        (
          await datasetGroupProvider.check!(
            {},
            { ...slow.base, name: "slow-direct", timeoutMinutes: 0.002 },
          )
        ).inputs,
      );
      const direct = await rejection(datasetGroupProvider.create(directInputs));

      const failed = (await rejection(host.create(urn, inputs))) as HostError;
      assert.match(failed.message, /gave up waiting for DatasetGroup "slow" to become ACTIVE/);
      assert.equal(failed.message, renamed(direct.message, "slow-direct", "slow"));
      const init = failed.initFailure!;
      assert.ok(init, "an init failure, so the engine records the resource");
      assert.match(init.id, /dataset-group\/slow$/);
      assert.equal(init.properties.__provider, text);
      assert.equal(init.properties.status, "CREATE PENDING");

      // refresh with the recorded state (it failed with "code must be a string" without __provider)
      const read = await host.read(urn, init.id, init.properties, inputs);
      assert.equal(read.id, init.id);
      assert.equal(read.properties.status, "CREATE PENDING");

      // The next up: diff asks for an update, which keeps waiting, and still gives up in time.
      const diff = await host.diff(urn, init.id, init.properties, inputs, inputs);
      assert.deepEqual([diff.changes, diff.replaces], ["some", []]);
      const again = (await rejection(
        host.update(urn, init.id, init.properties, inputs, inputs),
      )) as HostError;
      assert.equal(again.initFailure?.id, init.id);

      clock.advance(60 * 60_000);
      const settled = await host.update(
        urn,
        init.id,
        again.initFailure!.properties,
        inputs,
        inputs,
      );
      assert.equal(settled.properties.status, "ACTIVE");
      assert.equal(settled.properties.__provider, text);

      // The delete waits until the resource is gone, which the manual clock decides.
      let deleted = false;
      const deleting = host
        .delete(urn, init.id, { ...settled.properties, timeoutMinutes: 10 }, inputs)
        .finally(() => (deleted = true));
      while (!deleted) {
        clock.advance(60_000);
        await new Promise((r) => setTimeout(r, 20));
      }
      await deleting;
      assert.equal((await host.read(urn, init.id, settled.properties, inputs)).id, "");
    });
  });

  it("stores every kind's provider leaving an init failure's trailer room for its properties", async () => {
    const sizes: Record<string, number> = {};
    for (const [kind, provider] of Object.entries({
      ...PROVIDERS,
      QualityGate: qualityGateProvider,
    }))
      sizes[kind] = Buffer.byteLength(await stored(provider));
    const over = Object.entries(sizes).filter(
      ([, bytes]) => bytes > TRAILER_BYTES - PROPERTIES_BYTES,
    );
    assert.deepEqual(over, [], `stored provider sizes in bytes: ${JSON.stringify(sizes)}`);
  });

  it("requires the AWS SDK by package name, never by a path inside it", async () => {
    for (const provider of [
      datasetGroupProvider,
      schemaProvider,
      datasetProvider,
      campaignProvider,
    ]) {
      // The code the packed provider unpacks and runs.
      const text = Object.values(bundleOf(packed(provider)).modules)
        .map((m) => m.code)
        .join("\n");
      assert.doesNotMatch(text, /require\("@aws-sdk\/[^"/]+\/[^"]*"\)/);
      assert.match(text, /require\("@aws-sdk\/client-personalize"\)/);
    }
  });
});
