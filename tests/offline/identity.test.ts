import { strict as assert } from "assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { createDataPlane } from "../../emulator/data";
import { ApiRecorder, startApiRecorder } from "../../offline/api-recorder";
import { readStack, stackEngine } from "../../offline/stack-config";
import { startTestEmulator, TestEmulator } from "../support/emulator";
import { leftovers } from "../../offline/leftovers";

// Stacks deployed when the stack's components were named after `namePrefix` (so every URN
// carried it) keep their resources: the components' aliases, and the aliases their children
// inherit from them, carry the state over to the config-free URNs, with nothing replaced.
const ROOT = resolve(__dirname, "../..");

describe("offline: stacks deployed under prefix-named URNs keep their resources", function () {
  this.timeout(300_000);
  let env: TestEmulator;
  let recorder: ApiRecorder;
  let tmp: string;

  before(async () => {
    env = await startTestEmulator({ dataPlane: createDataPlane });
    recorder = await startApiRecorder(env.emulator.url);
    tmp = mkdtempSync(join(tmpdir(), "identity-"));
  });
  after(async () => {
    await recorder?.close();
    await env?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("previews every resource as the same, and the up writes nothing", async () => {
    const stack = readStack(ROOT, "local");
    const prefix = stack.parsed.namePrefix;
    const stateFile = join(tmp, "state.json");
    await stackEngine(stack, recorder.url, { stateFile }).up();

    // The state as the earlier code wrote it: components named `<prefix>`, children
    // `<prefix>-<role>`, in every URN, parent and dependency.
    const current = readFileSync(stateFile, "utf8");
    const earlier = current
      .replaceAll("::workshop-", `::${prefix}-`)
      .replaceAll('::workshop"', `::${prefix}"`)
      .replaceAll('"name": "workshop-', `"name": "${prefix}-`)
      .replaceAll('"name": "workshop"', `"name": "${prefix}"`);
    assert.notEqual(earlier, current);
    assert.doesNotMatch(earlier, /::workshop\b/);
    writeFileSync(stateFile, earlier);

    const engine = stackEngine(stack, recorder.url, { stateFile });
    const ids = engine.resources().map((r) => r.id);
    const preview = await engine.preview();
    assert.deepEqual(
      preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
      [],
    );
    recorder.reset();
    const up = await engine.up();
    assert.deepEqual(
      up.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
      [],
    );
    assert.deepEqual(recorder.writes(), []);
    assert.deepEqual(
      engine.resources().map((r) => r.id),
      ids,
    );
    assert.ok(engine.resources().every((r) => /::workshop(-|$)/.test(r.urn)));

    await engine.destroy();
    assert.deepEqual(await leftovers(env), []);
  });
});
