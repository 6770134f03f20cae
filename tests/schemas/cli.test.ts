import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runScript } from "../support/script";

const SCHEMA = "schemas/event_schema.avsc";
const SAMPLE = "data/interactions.csv";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

async function validate(args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await runScript("schemas/cli.ts", args);
  return { status: code, stdout, stderr };
}

function lastJson(stdout: string): Record<string, any> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const dir = mkdtempSync(join(tmpdir(), "validate-"));
const MS_CSV = join(dir, "ms.csv");
const BAD_SCHEMA = join(dir, "bad.avsc");

/** Every invocation the tests look at; they run concurrently in `before`, each process loads ts-node. */
const INVOCATIONS = {
  sample: ["--schema", SCHEMA, SAMPLE],
  sampleJson: ["--schema", SCHEMA, "--dataset-type", "interactions", SAMPLE, "--json"],
  inline: [`--schema=${SCHEMA}`, "--dataset-type=interactions", "--max-issues=3", SAMPLE],
  msJson: ["--schema", SCHEMA, MS_CSV, "--json"],
  ms: ["--schema", SCHEMA, MS_CSV],
  unknownFlag: ["--schema", SCHEMA, "--strict", SAMPLE],
  missingCsv: ["--schema", SCHEMA, "no-such.csv"],
  noSchema: [SAMPLE],
  unknownType: ["--schema", SCHEMA, "--dataset-type", "clicks", SAMPLE],
  wrongType: ["--schema", SCHEMA, "--dataset-type", "ITEMS", SAMPLE],
  badSchema: ["--schema", BAD_SCHEMA, SAMPLE, "--json"],
  help: ["--help"],
};
const runs = {} as Record<keyof typeof INVOCATIONS, Run>;

describe("npm run validate (schemas/cli.ts)", () => {
  before(async () => {
    const lines = readFileSync(join(ROOT, SAMPLE), "utf8").split("\n");
    lines[2] = lines[2].replace(/,(\d+)$/, ",$1000");
    writeFileSync(MS_CSV, lines.join("\n"));
    writeFileSync(
      BAD_SCHEMA,
      JSON.stringify({
        type: "record",
        name: "Interactions",
        fields: [{ name: "TAGS", type: "array" }],
      }),
    );
    const names = Object.keys(INVOCATIONS) as (keyof typeof INVOCATIONS)[];
    // Four at a time: enough to overlap ts-node start-up without starving a 2-core machine.
    for (let i = 0; i < names.length; i += 4) {
      const batch = names.slice(i, i + 4);
      const results = await Promise.all(batch.map((name) => validate(INVOCATIONS[name])));
      batch.forEach((name, k) => (runs[name] = results[k]));
    }
  });

  it("exits 0 on the sample file and prints its stats", () => {
    const r = runs.sample;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid INTERACTIONS data/);
    assert.match(r.stdout, /records: 17337\n/);
    assert.match(r.stdout, /users: 400 \(400 with at least 2 records\)/);
    assert.match(r.stdout, /event types: .*Product Clicked \d+/);
  });

  it("takes --flag=value as well as --flag value", () => {
    assert.equal(runs.inline.status, 0, runs.inline.stderr);
    assert.match(runs.inline.stdout, /valid INTERACTIONS data/);
  });

  it("--json ends stdout with one JSON object of ok, failureReason, issues and stats", () => {
    const r = runs.sampleJson;
    assert.equal(r.status, 0, r.stderr);
    const out = lastJson(r.stdout);
    assert.equal(out.ok, true);
    assert.equal(out.failureReason, null);
    assert.deepEqual(out.issues, []);
    assert.equal(out.stats.records, 17337);
    assert.equal(out.stats.users, 400);
  });

  it("exits 1 on invalid data, naming the line, column and value", () => {
    assert.equal(runs.msJson.status, 1);
    const out = lastJson(runs.msJson.stdout);
    assert.equal(out.ok, false);
    assert.match(
      out.failureReason,
      /^Line 3, column TIMESTAMP: value "\d+000" looks like epoch milliseconds/,
    );
    assert.equal(out.issues[0].line, 3);
    assert.equal(runs.ms.status, 1);
    assert.match(
      runs.ms.stdout,
      /INVALID INTERACTIONS data\n {2}failure: Line 3, column TIMESTAMP/,
    );
  });

  const usage: [string, keyof typeof INVOCATIONS, RegExp][] = [
    [
      "an unknown flag, pointing at --help",
      "unknownFlag",
      /^npm run validate: unknown flag "--strict"\nRun "npm run validate -- --help" for the flags\.$/m,
    ],
    ["a missing CSV file", "missingCsv", /cannot read CSV file "no-such.csv": no such file/],
    ["no --schema", "noSchema", /--schema FILE is required/],
    ["an unknown dataset type", "unknownType", /--dataset-type must be one of .*, got "clicks"/],
    [
      "a schema that does not fit the dataset type",
      "wrongType",
      /not valid for ITEMS datasets: Schema record name "Interactions" does not match dataset type ITEMS/,
    ],
    [
      "an invalid schema file, naming the field",
      "badSchema",
      /invalid schema ".*bad.avsc": Field TAGS has nested type "array"/,
    ],
  ];
  for (const [what, name, message] of usage) {
    it(`exits 2 on ${what}`, () => {
      assert.equal(runs[name].status, 2);
      assert.match(runs[name].stderr, message);
    });
  }

  it("--json still ends with a JSON object on a usage error", () => {
    assert.deepEqual(Object.keys(lastJson(runs.badSchema.stdout)), ["ok", "usageError"]);
  });

  it("--help lists every flag", () => {
    assert.equal(runs.help.status, 0);
    for (const flag of ["--schema", "--dataset-type", "--max-issues", "--json", "--help"]) {
      assert.match(runs.help.stdout, new RegExp(flag));
    }
  });
});
