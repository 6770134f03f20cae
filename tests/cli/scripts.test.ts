// The scripts beside `npm start`, the emulator, validate and generate-data read their flags
// with cli/args.ts too: a bad flag exits 2 in the common wording, and does nothing else.
import { strict as assert } from "assert";
import { readFileSync, statSync } from "fs";
import { join } from "path";
import { ROOT, runScript } from "../support/script";

const refused: [string, string, string[], string][] = [
  ["bench", "bench/index.ts", ["--bogus"], 'unknown flag "--bogus"'],
  ["bench", "bench/index.ts", ["--only"], "--only needs a value"],
  ["bench", "bench/index.ts", ["--only", "nothing"], '--only "nothing" matches no benchmark'],
  [
    "flaky-deploys",
    "scripts/flaky-deploys.ts",
    ["--seeds", "0"],
    '--seeds must be a whole number >= 1, got "0"',
  ],
  ["flaky-deploys", "scripts/flaky-deploys.ts", ["--jsn"], 'unknown flag "--jsn"'],
  [
    "generate-service-model",
    "scripts/generate-service-model.ts",
    ["--chek"],
    'unknown flag "--chek"',
  ],
  [
    "generate-service-model",
    "scripts/generate-service-model.ts",
    ["--botocore"],
    "--botocore needs a value",
  ],
  [
    "generate-service-model",
    "scripts/generate-service-model.ts",
    ["--check", "--botocore", "emulator/api"],
    `${join(ROOT, "emulator", "api")} is not a botocore package folder (no __init__.py)`,
  ],
  ["docs", "scripts/resource-table.ts", ["--check"], 'unknown flag "--check"'],
];

/** What a script with a bad flag must leave as it was: the files two of them rewrite. */
const WRITTEN = [join(ROOT, "emulator", "api", "personalize.ts"), join(ROOT, "README.md")];

describe("the other scripts' command lines", function () {
  this.timeout(120_000);

  for (const [name, file, args, message] of refused) {
    it(`npm run ${name} -- ${args.join(" ")}: exit 2, ${message}`, async () => {
      const before = WRITTEN.map((f) => statSync(f).mtimeMs);
      const { code, stdout, stderr } = await runScript(file, args);
      const out = stdout + stderr;
      assert.equal(code, 2, out);
      assert.ok(out.includes(`npm run ${name}: ${message}`), out);
      assert.ok(out.includes(`Run "npm run ${name} -- --help" for the flags.`), out);
      // A misspelled --check must not regenerate the service model, nor the README's table.
      assert.deepEqual(
        WRITTEN.map((f) => statSync(f).mtimeMs),
        before,
      );
    });
  }

  for (const [name, file] of [
    ["bench", "bench/index.ts"],
    ["flaky-deploys", "scripts/flaky-deploys.ts"],
    ["generate-service-model", "scripts/generate-service-model.ts"],
  ]) {
    it(`npm run ${name} -- --help lists the flags and exits 0`, async () => {
      const { code, stdout, stderr } = await runScript(file, ["--help"]);
      const out = stdout + stderr;
      assert.equal(code, 0, out);
      assert.ok(out.startsWith(`usage: npm run ${name} [-- [`), out);
      const readme = readFileSync(join(ROOT, "README.md"), "utf8");
      assert.ok(readme.includes(`npm run ${name} [-- [`), `README names npm run ${name}'s flags`);
    });
  }
});
