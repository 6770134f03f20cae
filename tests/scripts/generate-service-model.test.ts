// The service-model generator: offline, deterministic, and the committed tables are its output.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GeneratorError,
  generateFiles,
  locateBotocore,
} from "../../scripts/generate-service-model";

const API = join(__dirname, "..", "..", "emulator", "api");

describe("scripts/generate-service-model", function () {
  this.timeout(60_000);

  it("gives the same bytes twice, and the committed tables from the botocore they name", async function () {
    let botocore: { dir: string; version: string };
    try {
      botocore = locateBotocore();
    } catch (err) {
      if (!(err instanceof GeneratorError)) throw err;
      return this.skip(); // no botocore (no AWS CLI) on this machine
    }
    const first = await generateFiles(botocore);
    const second = await generateFiles(botocore);
    assert.deepEqual([...first.keys()].sort(), [
      join(API, "personalize-events.ts"),
      join(API, "personalize-runtime.ts"),
      join(API, "personalize.ts"),
    ]);
    assert.deepEqual(first, second);
    const committed = /from botocore (\S+),/.exec(
      readFileSync(join(API, "personalize.ts"), "utf8"),
    )?.[1];
    // Another botocore may model more; the committed tables name the one they came from.
    if (committed !== botocore.version) return this.skip();
    for (const [file, text] of first) assert.equal(readFileSync(file, "utf8"), text, file);
  });

  it("refuses a folder that is not botocore, naming it", () => {
    assert.throws(
      () => locateBotocore(API),
      (err: Error) =>
        err instanceof GeneratorError && err.message.includes(`${API} is not a botocore package`),
    );
  });
});
