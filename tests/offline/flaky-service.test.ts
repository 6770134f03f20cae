import { strict as assert } from "assert";
import { resolve } from "path";
import { createDataPlane } from "../../emulator/data";
import { readStack, stackEngine } from "../../offline/stack-config";
import { startTestEmulator, TestEmulator } from "../support/emulator";
import { leftovers } from "../../offline/leftovers";

// The workshop stack against a service that throttles 30% of the control-plane calls and fails
// 5% with a 500, each seed a different sequence: every deploy and destroy must succeed and
// leave nothing behind. `npm run flaky-deploys` runs ten seeds and reports the count.
const ROOT = resolve(__dirname, "../..");
const FLAKY = { throttleRate: 0.3, errorRate: 0.05 };

describe("offline: the workshop stack on a service that throttles and fails calls", function () {
  this.timeout(300_000);
  let env: TestEmulator | undefined;
  afterEach(() => env?.close());

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: deploys, destroys, and leaves nothing behind`, async () => {
      env = await startTestEmulator({ dataPlane: createDataPlane, faults: { ...FLAKY, seed } });
      const engine = stackEngine(readStack(ROOT, "local"), env.emulator.url);
      const up = await engine.up();
      assert.equal(engine.resources("Campaign")[0]?.outputs.status, "ACTIVE");
      assert.ok(up.outputs.campaignArn);
      await engine.destroy();
      assert.deepEqual(engine.resources(), []);
      // The test's own clients make no retries: ask a well-behaved service what is left.
      env.emulator.setFaults({});
      assert.deepEqual(await leftovers(env), []);
    });
  }
});
