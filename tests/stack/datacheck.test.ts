import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkInteractionsData } from "../../stack/datacheck";
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
