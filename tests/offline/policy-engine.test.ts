// The offline engine with policy packs, as `pulumi preview/up --policy-pack` runs them
// (step_generator.go analyzeAll and AnalyzeResources in pulumi/pulumi): the fixture program's
// records (fixtures/program.ts) against fixtures/record-pack's policies, over the analyzer
// protocol, with the dynamic resources in the real provider host.
import { strict as assert } from "assert";
import { resolve } from "path";
import { OfflineEngine } from "../../offline/engine";
import { PolicyViolation } from "../../offline/policy";
import { RecordServer, startRecordServer } from "./fixtures/record-server";

const program = resolve(__dirname, "fixtures/program.ts");
const PACK = resolve(__dirname, "fixtures/record-pack");
const CRASHING_PACK = resolve(__dirname, "fixtures/crashing-pack");

/** A violation as a user reads it: level, policy, resource name, and what was found. */
function brief(v: PolicyViolation): string {
  const finding = v.message.split("\n").pop();
  return `${v.enforcementLevel} ${v.policyName} ${v.urn?.split("::").pop() ?? "(stack)"}: ${finding}`;
}

describe("offline engine with a policy pack", function () {
  this.timeout(180_000);
  let server: RecordServer;
  let seen: PolicyViolation[];

  const engineFor = (config: Record<string, string> = {}, dir = PACK) =>
    new OfflineEngine({
      program,
      project: "fixture",
      stack: "test",
      reload: [program],
      config: { "fixture:endpoint": server.url, ...config },
      policyPacks: [{ dir }],
      onPolicyViolation: (v) => seen.push(v),
    });

  beforeEach(async () => {
    server = await startRecordServer();
    seen = [];
  });
  afterEach(() => server.close());

  it("a preview reports every mandatory violation, plans every step, calls nothing, and fails", async () => {
    const engine = engineFor({ "fixture:value": "forbidden" });
    await assert.rejects(engine.preview(), (err: Error) => {
      assert.match(
        err.message,
        /^preview failed: pulumi-nodejs:dynamic\/fixture:Record 'item-a': resource is invalid: mandatory policy record-value-allowed: record item-a has value forbidden; .*'item-b'/,
      );
      return true;
    });
    assert.deepEqual(seen.map(brief).sort(), [
      "advisory record-advice item-b: checked inputs without the provider: endpoint,group,name,value",
      "mandatory record-value-allowed item-a: record item-a has value forbidden",
      "mandatory record-value-allowed item-b: record item-b has value forbidden",
    ]);
    assert.deepEqual(server.calls, []);
  });

  it("an up creates nothing a mandatory violation concerns, and fails; what passed is created", async () => {
    const engine = engineFor({ "fixture:value": "forbidden", "fixture:items": "a" });
    await assert.rejects(engine.up(), (err: Error) => {
      assert.equal(
        err.message,
        "up failed: pulumi-nodejs:dynamic/fixture:Record 'item-a': resource is invalid: " +
          "mandatory policy record-value-allowed: record item-a has value forbidden",
      );
      return true;
    });
    assert.deepEqual(server.writes(), ["POST group-one"]);
    assert.deepEqual(
      engine.resources("Record").map((r) => r.name),
      ["group"],
    );
    await engine.destroy();
  });

  it("advisory violations stop nothing and come back in the result", async () => {
    const engine = engineFor();
    const up = await engine.up();
    assert.deepEqual(up.policyViolations.map(brief), [
      "advisory record-advice item-b: checked inputs without the provider: endpoint,group,name,value",
    ]);
    assert.deepEqual(server.writes(), ["POST group-one", "POST item-a", "POST item-b"]);
    await engine.destroy();
  });

  it("a mandatory stack policy sees the outputs, and fails the up after its steps", async () => {
    const engine = engineFor({ "fixture:items": "" });
    await assert.rejects(engine.up(), (err: Error) => {
      assert.match(
        err.message,
        /^up failed: pulumi-nodejs:dynamic\/fixture:Record 'group': mandatory policy group-has-items: group \S+ has no items$/,
      );
      return true;
    });
    const group = engine.resources("Record").find((r) => r.name === "group");
    assert.ok(group, "the group stays deployed, as the engine keeps what its steps did");
    assert.deepEqual(seen.map(brief), [
      `mandatory group-has-items group: group ${group.outputs.recordId} has no items`,
    ]);
    await engine.destroy();
  });

  it("a pack that cannot start fails the operation with its own error, before any call", async () => {
    const engine = engineFor({}, CRASHING_PACK);
    await assert.rejects(
      engine.up(),
      /crashing-pack exited with code \d+ before printing its gRPC port/,
    );
    assert.deepEqual(server.calls, []);
    assert.deepEqual(engine.resources(), []);
  });
});
