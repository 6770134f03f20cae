import { strict as assert } from "assert";
import { join } from "path";
import { ROOT, run, TS_NODE } from "../support/script";

const PRELOAD = join(ROOT, "bench", "peak-rss.ts");
const MB = 1024 * 1024;

describe("bench/peak-rss.ts", function () {
  this.timeout(60_000);

  it("reports the child's own peak, not the parent's memory at the spawn", async function () {
    // Resident in this process when it spawns the child, as the dataplane bench's arrays are
    // when the validator bench runs after it in `npm run bench`.
    const held = Buffer.alloc(512 * MB, 1);
    const parentMB = process.memoryUsage.rss() / MB;
    const { stderr } = await run(process.execPath, [...TS_NODE, "-r", PRELOAD, "-e", ""]);
    const kb = /peak-rss-kb (\d+)/.exec(stderr);
    assert.ok(kb, `no peak-rss-kb line in: ${stderr}`);
    const childMB = Number(kb[1]) / 1024;
    assert.ok(held.length > 0); // keeps the buffer resident until the child has exited
    // A Node process that only loads ts-node stays far under the 512 MB this one holds.
    assert.ok(
      childMB < parentMB / 2,
      `child reported ${childMB.toFixed(0)} MB with the parent at ${parentMB.toFixed(0)} MB`,
    );
  });
});
