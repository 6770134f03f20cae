import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "../..");
const SCHEMA = "schemas/event_schema.avsc";
const SAMPLE = "data/interactions.csv";

function validate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "schemas/cli.ts", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(stdout: string): Record<string, any> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

describe("npm run validate (schemas/cli.ts)", () => {
  const dir = mkdtempSync(join(tmpdir(), "validate-"));

  it("exits 0 on the sample file and prints its stats", () => {
    const r = validate("--schema", SCHEMA, SAMPLE);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid INTERACTIONS data/);
    assert.match(r.stdout, /records: 17337\n/);
    assert.match(r.stdout, /users: 400 \(400 with at least 2 records\)/);
    assert.match(r.stdout, /event types: .*Product Clicked \d+/);
  });

  it("--json ends stdout with one JSON object of ok, failureReason, issues and stats", () => {
    const r = validate("--schema", SCHEMA, "--dataset-type", "interactions", SAMPLE, "--json");
    assert.equal(r.status, 0, r.stderr);
    const out = lastJson(r.stdout);
    assert.equal(out.ok, true);
    assert.equal(out.failureReason, null);
    assert.deepEqual(out.issues, []);
    assert.equal(out.stats.records, 17337);
    assert.equal(out.stats.users, 400);
  });

  it("exits 1 on invalid data, naming the line, column and value", () => {
    const bad = join(dir, "ms.csv");
    const lines = readFileSync(join(ROOT, SAMPLE), "utf8").split("\n");
    lines[2] = lines[2].replace(/,(\d+)$/, ",$1000");
    writeFileSync(bad, lines.join("\n"));
    const r = validate("--schema", SCHEMA, bad, "--json");
    assert.equal(r.status, 1);
    const out = lastJson(r.stdout);
    assert.equal(out.ok, false);
    assert.match(
      out.failureReason,
      /^Line 3, column TIMESTAMP: value "\d+000" looks like epoch milliseconds/,
    );
    assert.equal(out.issues[0].line, 3);
    const human = validate("--schema", SCHEMA, bad);
    assert.equal(human.status, 1);
    assert.match(human.stdout, /INVALID INTERACTIONS data\n {2}failure: Line 3, column TIMESTAMP/);
  });

  const usage: [string, string[], RegExp][] = [
    ["an unknown flag", ["--schema", SCHEMA, "--strict", SAMPLE], /unknown flag "--strict"/],
    [
      "a missing CSV file",
      ["--schema", SCHEMA, "no-such.csv"],
      /cannot read CSV file "no-such.csv": no such file/,
    ],
    ["no --schema", [SAMPLE], /--schema FILE is required/],
    [
      "an unknown dataset type",
      ["--schema", SCHEMA, "--dataset-type", "clicks", SAMPLE],
      /--dataset-type must be one of .*, got "clicks"/,
    ],
    [
      "a schema that does not fit the dataset type",
      ["--schema", SCHEMA, "--dataset-type", "ITEMS", SAMPLE],
      /not valid for ITEMS datasets: Schema record name "Interactions" does not match dataset type ITEMS/,
    ],
  ];
  for (const [what, args, message] of usage) {
    it(`exits 2 on ${what}`, () => {
      const r = validate(...args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
    });
  }

  it("exits 2 on an invalid schema file, naming the field", () => {
    const schema = join(dir, "bad.avsc");
    writeFileSync(
      schema,
      JSON.stringify({
        type: "record",
        name: "Interactions",
        fields: [{ name: "TAGS", type: "array" }],
      }),
    );
    const r = validate("--schema", schema, SAMPLE, "--json");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /invalid schema ".*bad.avsc": Field TAGS has nested type "array"/);
    assert.equal(lastJson(r.stdout).ok, false);
  });

  it("--help lists every flag", () => {
    const r = validate("--help");
    assert.equal(r.status, 0);
    for (const flag of ["--schema", "--dataset-type", "--max-issues", "--json", "--help"])
      assert.match(r.stdout, new RegExp(flag));
  });
});
