import { strict as assert } from "assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { OfflineEngine, StepEvent } from "../../offline/engine";
import { RecordServer, startRecordServer } from "./fixtures/record-server";

// The engine on its own, driving a tiny dynamic provider (fixtures/record.ts) that talks to
// a loopback record service, through the program in fixtures/program.ts.
const program = resolve(__dirname, "fixtures/program.ts");
const record = resolve(__dirname, "fixtures/record.ts");
const RECORD = "pulumi-nodejs:dynamic/fixture:Record";

describe("offline engine", () => {
  let server: RecordServer;
  let events: StepEvent[];

  const engineFor = (
    config: Record<string, string> = {},
    stateFile?: string,
    newProviderCode = false,
  ) =>
    new OfflineEngine({
      program,
      project: "fixture",
      stack: "test",
      // `newProviderCode` reloads the provider's module too: the SDK caches a provider's
      // serialized text per object, so new code needs a new object, as in a new process.
      reload: newProviderCode ? [program, record] : [program],
      config: { "fixture:endpoint": server.url, ...config },
      ...(stateFile ? { stateFile } : {}),
      onEvent: (e) => events.push(e),
    });

  beforeEach(async () => {
    server = await startRecordServer();
    events = [];
  });
  afterEach(() => server.close());

  it("previews an empty state with check only: no service calls, every resource planned", async () => {
    const engine = engineFor();
    const result = await engine.preview();
    assert.deepEqual(server.calls, []);
    assert.deepEqual(
      result.steps.map((s) => `${s.op} ${s.name}`),
      ["create group", "create item-a", "create item-b"],
    );
    assert.ok(events.length > 0 && events.every((e) => e.preview));
    assert.equal(result.outputs.groupId, undefined, "an output-only value is unknown in preview");
    assert.deepEqual(engine.resources(), []);
  });

  it("creates in dependency order and resolves outputs, with config reaching configure", async () => {
    const engine = engineFor({ "fixture:label": "from-config" });
    const result = await engine.up();
    assert.deepEqual(server.writes(), ["POST group-one", "POST item-a", "POST item-b"]);
    const group = [...server.records.values()].find((r) => r.name === "group-one");
    assert.equal(result.outputs.groupId, group?.id);
    assert.equal(result.outputs.label, "from-config");
    const items = engine.resources(RECORD).filter((r) => r.name.startsWith("item-"));
    const groupUrn = engine.resources(RECORD).find((r) => r.name === "group")?.urn;
    for (const item of items) {
      assert.equal(item.inputs.group, group?.id);
      assert.ok(item.dependencies.includes(groupUrn!), `${item.name} depends on the group`);
      assert.deepEqual(item.propertyDependencies.group, [groupUrn]);
      assert.equal(typeof item.outputs.__provider, "string");
    }
  });

  it("changes nothing on a second up with nothing changed", async () => {
    const engine = engineFor();
    const first = await engine.up();
    server.calls.length = 0;
    const second = await engine.up();
    assert.deepEqual(server.writes(), []);
    assert.deepEqual(second.outputs, first.outputs);
    assert.ok(second.steps.every((s) => s.op === "same"));
  });

  it("updates in place when the provider's diff reports changes without replaces", async () => {
    const engine = engineFor();
    const first = await engine.up();
    server.calls.length = 0;
    engine.config["fixture:value"] = "2";
    const second = await engine.up();
    assert.deepEqual(server.writes().sort(), ["PUT item-a", "PUT item-b"]);
    assert.deepEqual(second.outputs.itemIds, first.outputs.itemIds);
    const grouped = [...server.records.values()].filter((r) => r.group);
    assert.ok(grouped.length > 0 && grouped.every((r) => r.value === "2"));
  });

  it("a same step keeps the old outputs and provider code, which refresh and destroy then use", async () => {
    const engine = engineFor({}, undefined, true);
    await engine.up();
    const before = engine.getState().resources;
    // A new release of the provider's code alone is no change (host 1.2, engine 1.7).
    engine.config["fixture:providerCode"] = "code-2";
    server.calls.length = 0;
    const same = await engine.up();
    assert.deepEqual(server.writes(), []);
    assert.deepEqual(
      same.steps.map((s) => s.op),
      ["same", "same", "same"],
    );
    for (const r of engine.getState().resources) {
      const old = before.find((b) => b.urn === r.urn)!;
      assert.deepEqual(r.outputs, old.outputs, `${r.name} keeps its old outputs`);
      assert.match(String(r.outputs.__provider), /code-1/);
      assert.match(String(r.inputs.__provider), /code-2/, `${r.name} records the new inputs`);
    }
    // An update runs the new code and stores it; the group, unchanged, keeps the old.
    engine.config["fixture:value"] = "2";
    server.callsByCode.length = 0;
    await engine.up();
    assert.deepEqual(server.callsByCode.filter((c) => !c.startsWith("GET")).sort(), [
      "PUT item-a by code-2",
      "PUT item-b by code-2",
    ]);
    server.callsByCode.length = 0;
    await engine.refresh();
    assert.deepEqual(server.callsByCode.sort(), [
      "GET group-one by code-1",
      "GET item-a by code-2",
      "GET item-b by code-2",
    ]);
    server.callsByCode.length = 0;
    await engine.destroy();
    assert.deepEqual(server.callsByCode.sort(), [
      "DELETE group-one by code-1",
      "DELETE item-a by code-2",
      "DELETE item-b by code-2",
    ]);
  });

  it("stores exactly what update returns: outputs it leaves out are gone", async () => {
    const engine = engineFor({ "fixture:items": "a" });
    await engine.up();
    const created = engine.resources().find((r) => r.name === "item-a")!;
    assert.equal(created.outputs.recordId, created.id);
    engine.config["fixture:value"] = "2";
    engine.config["fixture:updateReturnsNothing"] = "true";
    server.calls.length = 0;
    await engine.up();
    assert.deepEqual(server.writes(), ["PUT item-a"]);
    const updated = engine.resources().find((r) => r.name === "item-a")!;
    // The host stores `outs` plus `__provider`; no outs wipes every other output.
    assert.deepEqual(Object.keys(updated.outputs), ["__provider"]);
    assert.equal(updated.inputs.value, "2");
  });

  it("replaces delete-first with the dependents deleted before and recreated after", async () => {
    const engine = engineFor();
    await engine.up();
    server.calls.length = 0;
    engine.config["fixture:groupName"] = "group-two";
    const result = await engine.up();
    const writes = server.writes();
    const at = (call: string) => writes.indexOf(call);
    assert.deepEqual(writes.slice(2), ["DELETE group-one", "POST group-two", ...writes.slice(4)]);
    assert.ok(at("DELETE item-a") < at("DELETE group-one"));
    assert.ok(at("DELETE item-b") < at("DELETE group-one"));
    assert.ok(at("POST item-a") > at("POST group-two"));
    assert.equal(server.records.size, 3);
    const group = [...server.records.values()].find((r) => r.name === "group-two");
    assert.ok(
      [...server.records.values()].filter((r) => r.group).every((r) => r.group === group?.id),
    );
    assert.deepEqual(
      result.steps.filter((s) => s.name === "item-a").map((s) => s.op),
      ["delete-replaced", "replace"],
    );
  });

  it("replaces create-first when the provider does not ask to delete first", async () => {
    const engine = engineFor();
    const first = await engine.up();
    server.calls.length = 0;
    engine.config["fixture:slot"] = "s2";
    const second = await engine.up();
    const writes = server.writes();
    assert.ok(writes.indexOf("POST item-a") < writes.indexOf("DELETE item-a"), writes.join(", "));
    assert.notDeepEqual(second.outputs.itemIds, first.outputs.itemIds);
    assert.equal(second.outputs.groupId, first.outputs.groupId);
    assert.equal(engine.resources().length, 3);
  });

  it("keeps the old half of a create-first replacement through a failed up; the next up deletes it", async () => {
    const engine = engineFor();
    await engine.up();
    // Both items are replaced create-first; item-b's new half fails, so the up stops before
    // its end-of-run deletes, with item-a's new half created and its old half still there.
    engine.config["fixture:slot"] = "s2";
    engine.config["fixture:failItem"] = "b";
    await assert.rejects(engine.up(), /item b refused by the service/);
    assert.deepEqual(
      engine
        .resources()
        .filter((r) => r.name === "item-a")
        .map((r) => `${r.inputs.slot ?? "-"} ${r.delete ? "old" : "current"}`)
        .sort(),
      ["- old", "s2 current"],
    );
    delete engine.config["fixture:failItem"];
    server.calls.length = 0;
    const next = await engine.up();
    // item-a is already what the program wants: only its old half goes.
    assert.deepEqual(server.writes().sort(), ["DELETE item-a", "DELETE item-b", "POST item-b"]);
    assert.deepEqual(
      next.steps.filter((s) => s.name === "item-a").map((s) => s.op),
      ["same", "delete-replaced"],
    );
    assert.equal(server.records.size, 3);
    assert.deepEqual(
      engine
        .resources()
        .map((r) => `${r.name} ${r.inputs.slot ?? "-"}`)
        .sort(),
      ["group -", "item-a s2", "item-b s2"],
    );
  });

  it("honours the deleteBeforeReplace resource option", async () => {
    const engine = engineFor({ "fixture:deleteFirst": "true", "fixture:items": "a" });
    await engine.up();
    server.calls.length = 0;
    engine.config["fixture:slot"] = "s2";
    await engine.up();
    assert.deepEqual(server.writes(), ["DELETE item-a", "POST item-a"]);
  });

  it("honours ignoreChanges: an ignored input keeps its stored value", async () => {
    const engine = engineFor({ "fixture:ignoreValue": "true" });
    await engine.up();
    server.calls.length = 0;
    engine.config["fixture:value"] = "2";
    const result = await engine.up();
    assert.deepEqual(server.writes(), []);
    assert.ok(result.steps.every((s) => s.op === "same"));
    assert.equal(engine.resources().find((r) => r.name === "item-a")?.inputs.value, "1");
  });

  it("deletes resources the program no longer declares", async () => {
    const engine = engineFor();
    await engine.up();
    server.calls.length = 0;
    engine.config["fixture:items"] = "a";
    await engine.up();
    assert.deepEqual(server.writes(), ["DELETE item-b"]);
    assert.deepEqual(
      engine.resources().map((r) => r.name),
      ["group", "item-a"],
    );
  });

  it("refresh drops a resource deleted behind its back, and the next up recreates it", async () => {
    const engine = engineFor();
    await engine.up();
    const itemA = [...server.records.values()].find((r) => r.name === "item-a")!;
    server.records.delete(itemA.id);
    const refreshed = await engine.refresh();
    assert.equal(refreshed.steps.find((s) => s.name === "item-a")?.refreshed, "deleted");
    assert.equal(refreshed.steps.find((s) => s.name === "group")?.refreshed, "unchanged");
    assert.deepEqual(
      engine.resources().map((r) => r.name),
      ["group", "item-b"],
    );
    server.calls.length = 0;
    await engine.up();
    assert.deepEqual(server.writes(), ["POST item-a"]);
  });

  it("refresh takes the service's values, so the next up puts the program's back", async () => {
    const engine = engineFor();
    await engine.up();
    const itemA = [...server.records.values()].find((r) => r.name === "item-a")!;
    itemA.value = "edited";
    const refreshed = await engine.refresh();
    assert.equal(refreshed.steps.find((s) => s.name === "item-a")?.refreshed, "changed");
    assert.equal(engine.resources().find((r) => r.name === "item-a")?.outputs.value, "edited");
    server.calls.length = 0;
    await engine.up();
    assert.deepEqual(server.writes(), ["PUT item-a"]);
  });

  it("destroys dependents before what they depend on, leaving nothing", async () => {
    const engine = engineFor();
    await engine.up();
    server.calls.length = 0;
    const result = await engine.destroy();
    const writes = server.writes();
    assert.equal(writes[2], "DELETE group-one");
    assert.deepEqual(writes.slice(0, 2).sort(), ["DELETE item-a", "DELETE item-b"]);
    assert.equal(server.records.size, 0);
    assert.deepEqual(engine.getState(), { outputs: {}, resources: [] });
    assert.equal(result.steps.length, 3);
  });

  it("sends secrets to the provider unwrapped", async () => {
    const engine = engineFor({ "fixture:secretValue": "s3cret" });
    await engine.up();
    const group = [...server.records.values()].find((r) => r.name === "group-one");
    assert.equal(group?.value, "s3cret");
  });

  it("fails with the check failure, naming the property and the value", async () => {
    const engine = engineFor({ "fixture:items": "Bad Name" });
    await assert.rejects(engine.up(), /check failed: name: 'item-Bad Name' must match/);
    assert.equal(
      events.find((e) => e.phase === "failed")?.name,
      "item-Bad Name",
      "the failing resource is reported",
    );
  });

  it("fails with the provider's message and keeps what was created", async () => {
    const engine = engineFor({ "fixture:failItem": "b" });
    await assert.rejects(engine.up(), /item-b'.*item b refused by the service/);
    assert.deepEqual(
      engine
        .resources()
        .map((r) => r.name)
        .sort(),
      ["group", "item-a"],
    );
    delete engine.config["fixture:failItem"];
    server.calls.length = 0;
    await engine.up();
    assert.deepEqual(server.writes(), ["POST item-b"]);
  });

  it("after a failed step, deletes nothing the program could not register", async () => {
    const engine = engineFor({ "fixture:quietExports": "true" });
    await engine.up();
    server.calls.length = 0;
    // The group's replacement (create-first) fails, so the items waiting for its id never
    // register; they are not "removed from the program" and must survive.
    engine.config["fixture:groupSlot"] = "s2";
    engine.config["fixture:failGroup"] = "yes";
    await assert.rejects(engine.up(), /group refused by the service/);
    assert.deepEqual(server.writes(), []);
    assert.deepEqual(
      engine
        .resources()
        .map((r) => r.name)
        .sort(),
      ["group", "item-a", "item-b"],
    );
  });

  it("rejects outputs that cannot cross the wire, as the real host does", async () => {
    const engine = engineFor({ "fixture:returnUndefined": "true", "fixture:items": "a" });
    await assert.rejects(engine.up(), /'item-a': create: Unexpected struct type/);
  });

  it("turns a Date output into {} as the Struct round trip does", async () => {
    const engine = engineFor({ "fixture:returnDate": "true", "fixture:items": "a" });
    await engine.up();
    assert.deepEqual(engine.resources().find((r) => r.name === "item-a")?.outputs.createdAt, {});
  });

  it("fails fast, with the serializer's message, on a provider that cannot be serialized", async () => {
    const unserializable = resolve(__dirname, "fixtures/unserializable.ts");
    const engine = new OfflineEngine({
      program: unserializable,
      project: "fixture",
      stack: "test",
      reload: [unserializable],
    });
    const hooks = process.listeners("unhandledRejection");
    await assert.rejects(
      engine.up(),
      /could not be serialized because\s+it was a native code function/,
    );
    assert.deepEqual(engine.resources(), []);
    // The mocha root hook (tests/hooks.ts) is back in place for everything after the run.
    assert.deepEqual(process.listeners("unhandledRejection"), hooks);
  });

  it("runs one operation at a time, in an engine and across engines", async () => {
    const engine = engineFor();
    const running = engine.up();
    await assert.rejects(engine.preview(), /cannot start preview: up is still running/);
    await assert.rejects(engineFor().up(), /another engine's up is running in this process/);
    await running;
    assert.equal(engine.resources().length, 3);
  });

  it("keeps the state in a JSON file that a new engine picks up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "offline-state-"));
    try {
      const stateFile = join(dir, "state.json");
      await engineFor({}, stateFile).up();
      assert.ok(existsSync(stateFile));
      const saved = JSON.parse(readFileSync(stateFile, "utf8"));
      assert.equal(saved.resources.length, 3);
      server.calls.length = 0;
      const again = engineFor({}, stateFile);
      await again.up();
      assert.deepEqual(server.writes(), []);
      await again.destroy();
      assert.equal(server.records.size, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
