import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sha256Hex } from "../../stack";
import {
  checkInteractionsData,
  checkInteractionsDataOnce,
  checkerFiles,
  RememberedCheckInput,
} from "../../stack/datacheck";
import { HEADER, interactionsCsv } from "./data";

const ROOT = path.resolve(__dirname, "../..");
const schemaText = fs.readFileSync(path.join(ROOT, "schemas/event_schema.avsc"), "utf8");
const files = { dataFile: "data/x.csv", schemaFile: "schemas/event_schema.avsc", schemaText };

describe("stack data check (preview-time import and training check)", () => {
  it("accepts the committed sample data and reports its size", () => {
    const { stats } = checkInteractionsData({
      ...files,
      data: fs.readFileSync(path.join(ROOT, "data/interactions.csv")),
    });
    assert.ok(stats.records >= 1000, `${stats.records} records`);
    assert.ok(stats.usersWithAtLeastTwo >= 25, `${stats.usersWithAtLeastTwo} users with two`);
  });

  it("counts only the configured event type toward the minimums", () => {
    const data = interactionsCsv(1200, 40, "Order Completed");
    assert.strictEqual(
      checkInteractionsData({ ...files, data, eventType: "Order Completed" }).stats.records,
      1200,
    );
    assert.throws(() => checkInteractionsData({ ...files, data, eventType: "Product Added" }), {
      message:
        'personalize-workshop:dataFile "data/x.csv" is too small to train a solution (eventType "Product Added"): ' +
        "Dataset has fewer than 1000 interactions after filtering by event type: found 0.",
    });
  });

  it("counts only the configured event type's users toward the 25 users with two", () => {
    // 1100 orders from 10 users, and 100 users with two clicks each: enough users overall,
    // too few among the orders the solution would train on.
    const orders = interactionsCsv(1100, 10, "Order Completed");
    const clicks = interactionsCsv(200, 100, "Product Clicked").split("\n").slice(1).join("\n");
    const data = orders + clicks;
    assert.ok(checkInteractionsData({ ...files, data }).stats.usersWithAtLeastTwo >= 25);
    assert.throws(() => checkInteractionsData({ ...files, data, eventType: "Order Completed" }), {
      message:
        'personalize-workshop:dataFile "data/x.csv" is too small to train a solution (eventType "Order Completed"): ' +
        "Create failed. Dataset has fewer than 25 users with at least 2 interactions each.",
    });
  });

  const rejected: [string, string, string][] = [
    [
      "a value of the wrong type",
      `${HEADER}\na,1,i,Product Clicked,2020-01-01T00:00:00.000Z,soon\n`,
      'personalize-workshop:dataFile "data/x.csv" would fail to import with schemas/event_schema.avsc: ' +
        'Line 2, column TIMESTAMP: value "soon" is not a long (a whole number)',
    ],
    [
      "missing columns",
      "USER_ID,ITEM_ID\n1,2\n",
      'personalize-workshop:dataFile "data/x.csv" would fail to import with schemas/event_schema.avsc: ' +
        "Input CSV is missing the following columns: [ANONYMOUS_ID, EVENT_TYPE, TIMESTAMP_ISO, TIMESTAMP]",
    ],
    [
      "too few users with two interactions",
      interactionsCsv(1200, 1200),
      'personalize-workshop:dataFile "data/x.csv" is too small to train a solution: ' +
        "Create failed. Dataset has fewer than 25 users with at least 2 interactions each.",
    ],
  ];
  for (const [what, data, message] of rejected) {
    it(`rejects ${what} with the service's wording`, () => {
      assert.throws(() => checkInteractionsData({ ...files, data }), { message });
    });
  }

  it("rejects too few interactions for an import job", () => {
    assert.throws(() => checkInteractionsData({ ...files, data: interactionsCsv(999) }), {
      message:
        'personalize-workshop:dataFile "data/x.csv" would fail to import with schemas/event_schema.avsc: ' +
        "Input CSV has 999 interaction records; an INTERACTIONS import job needs at least 1000",
    });
  });

  it("points at npm run validate when there are several problems", () => {
    const data = `${HEADER}\na,1,i,E,x,soon\nb,2,j,E,y,later\n`;
    assert.throws(
      () => checkInteractionsData({ ...files, data }),
      (err: Error) => {
        assert.match(
          err.message,
          /problems; npm run validate -- --schema schemas\/event_schema\.avsc data\/x\.csv lists them\)$/,
        );
        return true;
      },
    );
  });

  it("names the schema file when the schema itself is invalid", () => {
    assert.throws(
      () => checkInteractionsData({ ...files, schemaText: "{not json", data: interactionsCsv() }),
      (err: Error) => {
        assert.match(
          err.message,
          /^personalize-workshop:schemaFile "schemas\/event_schema\.avsc" is not a valid Personalize schema: /,
        );
        return true;
      },
    );
  });
});

describe("stack data check, remembered between runs", () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "data-check-"));
  });
  afterEach(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  // A column the schema does not have: the import ignores it, the check warns.
  const withExtra = interactionsCsv()
    .trimEnd()
    .split("\n")
    .map((line, i) => `${line},${i === 0 ? "EXTRA" : "x"}`)
    .join("\n");
  /** The remembered check of `data`, counting how often it reads the data. */
  const checkOnce = (data: string, more: Partial<RememberedCheckInput> = {}) => {
    let reads = 0;
    const result = checkInteractionsDataOnce({
      ...files,
      dataPath: path.join(cacheDir, "data.csv"),
      dataHash: sha256Hex(data),
      data: () => {
        reads++;
        return [Buffer.from(data)];
      },
      cacheDir,
      ...more,
    });
    return { ...result, reads };
  };

  it("reads the data again only when the data, schema, eventType or record differ", () => {
    const first = checkOnce(withExtra);
    assert.deepStrictEqual([first.remembered, first.reads], [false, 1]);
    assert.strictEqual(first.warnings.length, 1, first.warnings.join("; "));
    assert.match(first.warnings[0], /EXTRA/);
    const again = checkOnce(withExtra);
    assert.deepStrictEqual(again, { ...first, remembered: true, reads: 0 });

    const other = interactionsCsv(1300);
    assert.deepStrictEqual(checkOnce(other), { warnings: [], remembered: false, reads: 1 });
    assert.strictEqual(checkOnce(other).remembered, true);
    // A record answers for one file: the latest check of it.
    assert.strictEqual(checkOnce(withExtra).remembered, false);
    assert.strictEqual(checkOnce(withExtra, { schemaText: `${schemaText}\n` }).remembered, false);
    assert.strictEqual(checkOnce(withExtra, { eventType: "Product Clicked" }).remembered, false);
    const [record] = fs.readdirSync(cacheDir).filter((f) => f.endsWith(".json"));
    fs.writeFileSync(path.join(cacheDir, record), "{damaged");
    assert.deepStrictEqual(checkOnce(withExtra, { eventType: "Product Clicked" }), {
      ...first,
      reads: 1,
    });
  });

  it("records no failed check, and none for bytes that are not the hashed ones", () => {
    const tooFew = interactionsCsv(10);
    for (let i = 0; i < 2; i++) assert.throws(() => checkOnce(tooFew), /would fail to import/);
    assert.deepStrictEqual(fs.readdirSync(cacheDir), []);

    // The file changed between its hash and the check: this run's check stands, unrecorded.
    const changed = checkOnce(withExtra, { dataHash: sha256Hex(interactionsCsv()) });
    assert.deepStrictEqual([changed.remembered, changed.reads], [false, 1]);
    assert.deepStrictEqual(fs.readdirSync(cacheDir), []);
  });

  it("keys a record to the text of the validator's modules", () => {
    const files = checkerFiles().map((file) => path.relative(ROOT, file));
    for (const module of [
      "stack/datacheck.ts",
      "schemas/validator.ts",
      "schemas/csv.ts",
      "schemas/avro.ts",
    ])
      assert.ok(files.includes(module), `${module} in ${files.join(", ")}`);
    assert.ok(!files.some((file) => file.includes("node_modules")), files.join(", "));
  });

  it("checks on when the records cannot be written", () => {
    const blocked = path.join(cacheDir, "blocked");
    fs.writeFileSync(blocked, "a file where the directory would be");
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => written.push(text) > 0) as typeof write;
    try {
      for (let i = 0; i < 2; i++)
        assert.deepStrictEqual(checkOnce(interactionsCsv(), { cacheDir: blocked }), {
          warnings: [],
          remembered: false,
          reads: 1,
        });
    } finally {
      process.stderr.write = write;
    }
    assert.strictEqual(written.length, 2);
    assert.match(written[0], /^data check not recorded \(.*blocked.*\): /);
  });
});
