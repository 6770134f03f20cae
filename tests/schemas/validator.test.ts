import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSchema } from "../../schemas/avro";
import { avroSchema } from "../support/schemas";
import {
  columnValue,
  columnValues,
  CsvValidator,
  trainingMinimumsProblem,
  validateCsv,
} from "../../schemas/validator";

const WORKSHOP = parseSchema(
  readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8"),
);
const HEADER = "ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP";
const T0 = 1788220800;

/** n workshop-shaped rows over `users` users; row i is on line i + 2. */
function rows(n: number, users = 50): string[] {
  const events = ["Product Clicked", "Product Added", "Order Completed"];
  return Array.from({ length: n }, (_, i) => {
    const t = T0 + i * 60;
    const user = 1000000000 + (i % users);
    return `0b7d2a8e-1c2d-4e5f-8a9b-${String(i % users).padStart(12, "0")},${user},navy-sport-jacket-${i % 30},"${events[i % 3]}",${new Date(t * 1000).toISOString()},${t}`;
  });
}

function csv(lines: string[], header = HEADER): string {
  return [header, ...lines].join("\n") + "\n";
}

/** A valid file with line `line` (2 = first data row) replaced. */
function withLine(line: number, replacement: string): string {
  const data = rows(1000);
  data[line - 2] = replacement;
  return csv(data);
}

describe("schemas/validator validateCsv", () => {
  it("accepts a good file and reports its stats", () => {
    const result = validateCsv(csv(rows(1200, 40)), WORKSHOP, "INTERACTIONS");
    assert.equal(result.failureReason, undefined);
    assert.equal(result.ok, true);
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.stats, {
      records: 1200,
      users: 40,
      items: 30,
      usersWithAtLeastTwo: 40,
      eventTypes: { "Product Clicked": 400, "Product Added": 400, "Order Completed": 400 },
      firstTimestamp: T0,
      lastTimestamp: T0 + 1199 * 60,
    });
    assert.equal(result.data, undefined);
  });

  it("collects typed columns when asked", () => {
    const result = validateCsv(Buffer.from(csv(rows(1000))), WORKSHOP, "INTERACTIONS", {
      collect: true,
    });
    assert.equal(result.ok, true);
    assert.equal(result.data?.rows, 1000);
    assert.deepEqual(result.data?.header, HEADER.split(","));
    const columns = result.data!.columns;
    assert.equal(columnValue(columns.TIMESTAMP, 1), T0 + 60);
    assert.equal(columnValue(columns.USER_ID, 1), "1000000001");
    assert.equal(columnValue(columns.EVENT_TYPE, 2), "Order Completed");
    // Each distinct string is held once, rows refer to it by code: that is what keeps a
    // million-row import small.
    assert.equal(columns.USER_ID.kind, "string");
    if (columns.USER_ID.kind === "string" && columns.EVENT_TYPE.kind === "string") {
      assert.equal(columns.USER_ID.codes.length, 1000);
      assert.equal(columns.USER_ID.strings.length, result.stats.users);
      assert.deepEqual([...columns.EVENT_TYPE.strings].sort(), [
        "Order Completed",
        "Product Added",
        "Product Clicked",
      ]);
    }
    assert.ok(
      columns.TIMESTAMP.kind === "number" && columns.TIMESTAMP.values instanceof Float64Array,
    );
  });

  it("keeps only the columns asked for, and checks the others all the same", () => {
    const result = validateCsv(csv(rows(1000)), WORKSHOP, "INTERACTIONS", {
      collect: true,
      collectColumns: ["USER_ID", "TIMESTAMP"],
    });
    assert.deepEqual(Object.keys(result.data!.columns), ["USER_ID", "TIMESTAMP"]);
    assert.equal(result.stats.items, 30);
    const bad = validateCsv(
      withLine(5, rows(1)[0].replace('Product Clicked"', '"')),
      WORKSHOP,
      "INTERACTIONS",
      {
        collect: true,
        collectColumns: ["USER_ID"],
      },
    );
    assert.equal(bad.ok, false);
    assert.equal(bad.issues[0].column, "EVENT_TYPE");
  });

  it("collects a column of mostly unique values exactly, repeats included", () => {
    const data = rows(70000);
    const repeats = [data[3], data[69998], data[3]];
    const result = validateCsv(csv([...data, ...repeats]), WORKSHOP, "INTERACTIONS", {
      collect: true,
    });
    assert.equal(result.ok, true);
    const iso = (line: string) => line.split(",")[4];
    assert.deepEqual(
      columnValues(result.data!.columns.TIMESTAMP_ISO),
      [...data, ...repeats].map(iso),
    );
    const anonymous = result.data!.columns.ANONYMOUS_ID;
    assert.ok(anonymous.kind === "string" && anonymous.strings.length === 50);
  });

  const failures: [
    string,
    string,
    string,
    Partial<{ line: number; column: string; value: string }>?,
  ][] = [
    [
      "a header that names other columns",
      csv(
        rows(1000).map((r) => r.split(",").slice(1, 5).join(",")),
        "USER,ITEM,EVENT,WHEN",
      ),
      "Input CSV is missing the following columns: [ANONYMOUS_ID, USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP_ISO, TIMESTAMP]",
      { line: 1 },
    ],
    [
      "a missing column",
      csv(
        rows(1000).map((r) =>
          r
            .split(",")
            .filter((_, i) => i !== 2)
            .join(","),
        ),
        "ANONYMOUS_ID,USER_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP",
      ),
      "Input CSV is missing the following columns: [ITEM_ID]",
      { line: 1 },
    ],
    [
      "a repeated column",
      csv(
        rows(1000).map((r) => `${r},x`),
        `${HEADER},USER_ID`,
      ),
      "Input CSV header repeats the columns [USER_ID]",
      { column: "USER_ID" },
    ],
    [
      "a wrong-typed value",
      withLine(7, "a,1000000001,jacket,Product Clicked,2026-09-01T00:00:00.000Z,yesterday"),
      'Line 7, column TIMESTAMP: value "yesterday" is not a long (a whole number)',
      { line: 7, column: "TIMESTAMP", value: "yesterday" },
    ],
    [
      "milliseconds in TIMESTAMP",
      withLine(3, "a,1000000001,jacket,Product Clicked,2026-09-01T00:00:00.000Z,1788220800000"),
      'Line 3, column TIMESTAMP: value "1788220800000" looks like epoch milliseconds; TIMESTAMP must be Unix epoch seconds (divide by 1000)',
      { line: 3, column: "TIMESTAMP", value: "1788220800000" },
    ],
    [
      "an empty non-nullable value",
      withLine(4, "a,,jacket,Product Clicked,2026-09-01T00:00:00.000Z,1788220800"),
      'Line 4, column USER_ID: value "" is empty, but USER_ID is not nullable in the schema',
      { line: 4, column: "USER_ID", value: "" },
    ],
    [
      "an ID longer than 256 characters",
      withLine(
        5,
        `a,1000000001,${"x".repeat(257)},Product Clicked,2026-09-01T00:00:00.000Z,1788220800`,
      ),
      'Line 5, column ITEM_ID: value "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..." is 257 characters long; IDs may have at most 256',
      { line: 5, column: "ITEM_ID" },
    ],
    [
      "a row with the wrong number of fields",
      withLine(9, "a,1000000001,jacket,Product Clicked,2026-09-01T00:00:00.000Z,1788220800,extra"),
      "Line 9 has 7 fields, but the header has 6 columns (ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP); quote values that contain commas",
      { line: 9 },
    ],
    [
      "too few rows",
      csv(rows(999)),
      "Input CSV has 999 interaction records; an INTERACTIONS import job needs at least 1000",
    ],
    [
      "an empty file",
      "",
      "Input CSV is empty; its first line must be a header naming the columns [ANONYMOUS_ID, USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP_ISO, TIMESTAMP]",
    ],
    [
      "an unbalanced quote that swallows the next line",
      withLine(6, 'a,1000000001,"jacket,Product Clicked,2026-09-01T00:00:00.000Z,1788220800'),
      "Line 6 has 5 fields, but the header has 6 columns (ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP); a quoted value runs on to line 7, so a quote is probably unbalanced",
      { line: 6 },
    ],
    [
      "an unterminated quote",
      withLine(1001, 'a,1000000001,"jacket,Product Clicked,2026-09-01T00:00:00.000Z,1788220800'),
      'Line 1001 has a quoted value that is never closed; check for a missing " or an unescaped quote',
      { line: 1001 },
    ],
  ];
  for (const [what, text, reason, where] of failures) {
    it(`fails ${what}, naming it`, () => {
      const result = validateCsv(text, WORKSHOP, "INTERACTIONS");
      assert.equal(result.ok, false);
      assert.equal(result.failureReason, reason);
      assert.equal(result.issues[0].message, reason);
      if (where)
        for (const [k, v] of Object.entries(where))
          assert.equal((result.issues[0] as never)[k], v, k);
    });
  }

  it("lists up to maxIssues problems and counts the rest in failureReason", () => {
    const data = rows(1000).map((r, i) => (i % 100 === 0 ? r.replace(/,\d+$/, ",soon") : r));
    const result = validateCsv(csv(data), WORKSHOP, "INTERACTIONS", { maxIssues: 3 });
    assert.equal(result.issues.length, 3);
    assert.deepEqual(
      result.issues.map((i) => i.line),
      [2, 102, 202],
    );
    assert.match(
      result.failureReason ?? "",
      /^Line 2, column TIMESTAMP: value "soon" is not a long .* \(and 9 more problems\)$/,
    );
    assert.equal(result.stats.records, 1000);
  });

  it("skips the 1000-record minimum when asked and for other dataset types", () => {
    assert.equal(
      validateCsv(csv(rows(5)), WORKSHOP, "INTERACTIONS", { minimumRecords: false }).ok,
      true,
    );
    const users = parseSchema(
      avroSchema("Users", [
        { name: "USER_ID", type: "string" },
        { name: "AGE", type: ["null", "int"] },
        { name: "MEMBER", type: "boolean" },
        { name: "SCORE", type: "double" },
        { name: "SEGMENTS", type: "string", categorical: true },
      ]),
    );
    const result = validateCsv(
      'USER_ID,AGE,MEMBER,SCORE,SEGMENTS\nu1,,true,1.5e2,"a|b"\nu2,41,false,-.5,c\n',
      users,
      "USERS",
      {
        collect: true,
      },
    );
    assert.equal(result.failureReason, undefined);
    const columns = result.data!.columns;
    assert.deepEqual(
      Object.fromEntries(Object.keys(columns).map((c) => [c, columnValues(columns[c])])),
      {
        USER_ID: ["u1", "u2"],
        AGE: [null, 41],
        MEMBER: [true, false],
        SCORE: [150, -0.5],
        SEGMENTS: ["a|b", "c"],
      },
    );
    assert.ok(columns.AGE.kind === "number");
    assert.deepEqual(columns.AGE.kind === "number" && [...columns.AGE.nulls!], [1, 0]);
    const bad = validateCsv(
      `USER_ID,MEMBER,SCORE,SEGMENTS,AGE\nu1,True,1e999,${"s".repeat(1001)}|ok,3000000000\n`,
      users,
      "USERS",
      {
        maxIssues: 10,
      },
    );
    assert.deepEqual(
      bad.issues.map((i) => `${i.column}: ${i.message.replace(/value ".*" /, "")}`),
      [
        "MEMBER: Line 2, column MEMBER: is not a boolean (lower-case true or false)",
        "SCORE: Line 2, column SCORE: is not a double (a decimal number)",
        "SEGMENTS: Line 2, column SEGMENTS: has a categorical value of 1001 characters; each |-separated value may have at most 1000",
        "AGE: Line 2, column AGE: is not an int (a whole number between -2147483648 and 2147483647)",
      ],
    );
  });

  it("accepts a missing nullable column and Personalize-escaped quotes", () => {
    const schema = parseSchema(
      avroSchema("Items", [
        { name: "ITEM_ID", type: "string" },
        { name: "DESCRIPTION", type: ["null", "string"], textual: true },
        { name: "PRICE", type: ["null", "float"] },
      ]),
    );
    const result = validateCsv(
      'ITEM_ID,DESCRIPTION\r\ni1,"A \\"warm\\" coat, navy"\r\n',
      schema,
      "ITEMS",
      { collect: true },
    );
    assert.equal(result.ok, true);
    assert.deepEqual(columnValues(result.data!.columns.DESCRIPTION), ['A "warm" coat, navy']);
  });

  it("matches columns by name and warns when they are out of schema order", () => {
    const reordered = rows(1000).map((r) => {
      const [a, u, i, e, iso, t] = r.split(",");
      return [t, u, i, e, iso, a].join(",");
    });
    const result = validateCsv(
      csv(reordered, "TIMESTAMP,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,ANONYMOUS_ID"),
      WORKSHOP,
      "INTERACTIONS",
      { collect: true },
    );
    assert.equal(result.ok, true);
    assert.equal(columnValue(result.data!.columns.TIMESTAMP, 0), T0);
    assert.deepEqual(result.warnings, [
      {
        line: 1,
        message:
          "Input CSV columns are in the order [TIMESTAMP, USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP_ISO, ANONYMOUS_ID], not the schema's [ANONYMOUS_ID, USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP_ISO, TIMESTAMP]; matching them by name",
      },
    ]);
  });

  it("ignores columns the schema does not have, with a warning naming them", () => {
    // The workshop's February 2019 shape: a six-column CSV against a four-field schema.
    const fourFields = parseSchema(
      avroSchema("Interactions", [
        { name: "USER_ID", type: "string" },
        { name: "ITEM_ID", type: "string" },
        { name: "EVENT_TYPE", type: "string" },
        { name: "TIMESTAMP", type: "long" },
      ]),
    );
    // ANONYMOUS_ID holds values no schema field would accept: ignored columns are not checked.
    const data = rows(1000).map((r, i) => (i === 3 ? r.replace(/^[^,]*/, "x".repeat(300)) : r));
    const result = validateCsv(csv(data), fourFields, "INTERACTIONS", { collect: true });
    assert.equal(result.failureReason, undefined);
    assert.deepEqual(result.warnings, [
      {
        line: 1,
        column: "ANONYMOUS_ID",
        message:
          "Input CSV has columns that are not in the schema: [ANONYMOUS_ID, TIMESTAMP_ISO]; they are ignored (the schema's fields are [USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP])",
      },
    ]);
    assert.deepEqual(result.data!.header, HEADER.split(","));
    assert.deepEqual(Object.keys(result.data!.columns), [
      "USER_ID",
      "ITEM_ID",
      "EVENT_TYPE",
      "TIMESTAMP",
    ]);
    assert.equal(result.stats.records, 1000);
  });

  it("fails a file that is not UTF-8", () => {
    const result = validateCsv(
      Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from([0xe9, 0x0a])]),
      WORKSHOP,
      "INTERACTIONS",
    );
    assert.equal(result.ok, false);
    assert.match(result.failureReason ?? "", /^Input CSV is not valid UTF-8/);
  });
});

describe("schemas/validator trainingMinimumsProblem", () => {
  const cases: [number, number, string | undefined][] = [
    [1000, 25, undefined],
    [50000, 1000, undefined],
    [
      999,
      400,
      "Dataset has fewer than 1000 interactions after filtering by event type: found 999.",
    ],
    [1000, 24, "Create failed. Dataset has fewer than 25 users with at least 2 interactions each."],
  ];
  for (const [records, usersWithAtLeastTwo, expected] of cases) {
    it(`${records} records, ${usersWithAtLeastTwo} users with >= 2: ${expected ?? "met"}`, () => {
      assert.equal(trainingMinimumsProblem({ records, usersWithAtLeastTwo }), expected);
    });
  }
});

describe("schemas/validator CsvValidator: the file in pieces", () => {
  const schema = parseSchema(
    avroSchema("Interactions", [
      { name: "USER_ID", type: "string" },
      { name: "ITEM_ID", type: "string" },
      { name: "EVENT_TYPE", type: "string" },
      { name: "EVENT_VALUE", type: ["null", "float"] },
      { name: "TIMESTAMP", type: "long" },
    ]),
  );
  // A BOM, CRLF line ends, quoted IDs holding commas, line breaks and escapes, a blank line,
  // multi-byte characters in IDs and event types, and a column the schema does not have.
  const text =
    "\ufeffUSER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,NOTE,TIMESTAMP\r\n" +
    'zoë,"jacket, navy",Clicked,,"a\r\nb",1788220800\r\n' +
    '"日本",jacket,"Añadido",1.5,x,1788220801\r\n' +
    "\r\n" +
    '😀,"say ""hi""",Clicked,2,"\\"q\\"",1788220802\r\n' +
    'zoë,jacket,"Añadido",,,1788220803\r\n';
  const bytes = Buffer.from(text);
  const options = { collect: true, minimumRecords: false };
  const whole = validateCsv(bytes, schema, "INTERACTIONS", options);

  function inPieces(pieces: Uint8Array[]) {
    const validator = new CsvValidator(schema, "INTERACTIONS", options);
    for (const piece of pieces) validator.write(piece);
    return validator.end();
  }

  it("reads the whole file as expected", () => {
    assert.equal(whole.failureReason, undefined);
    assert.deepEqual(whole.stats, {
      records: 4,
      users: 3,
      items: 3,
      usersWithAtLeastTwo: 1,
      eventTypes: { Clicked: 2, Añadido: 2 },
      firstTimestamp: 1788220800,
      lastTimestamp: 1788220803,
    });
    const columns = whole.data!.columns;
    assert.deepEqual(columnValues(columns.USER_ID), ["zoë", "日本", "😀", "zoë"]);
    assert.deepEqual(columnValues(columns.ITEM_ID), [
      "jacket, navy",
      "jacket",
      'say "hi"',
      "jacket",
    ]);
    assert.deepEqual(columnValues(columns.EVENT_VALUE), [null, 1.5, 2, null]);
    assert.deepEqual(
      whole.warnings.map((w) => w.column),
      ["NOTE"],
    );
  });

  it("gives the same result, columns included, split at every byte", () => {
    for (let at = 0; at <= bytes.length; at++) {
      assert.deepEqual(inPieces([bytes.subarray(0, at), bytes.subarray(at)]), whole, `at ${at}`);
    }
  });

  it("gives the same result in pieces of 1 to 7 bytes", () => {
    for (let size = 1; size <= 7; size++) {
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
      assert.deepEqual(inPieces(pieces), whole, `pieces of ${size}`);
    }
  });

  it("reports a quote that never closes and bad UTF-8 the same, wherever the pieces split", () => {
    for (const [bad, reason] of [
      [
        Buffer.from(text + 'u,"open,Clicked,,,1788220804\r\n'),
        'Line 8 has a quoted value that is never closed; check for a missing " or an unescaped quote',
      ],
      [
        Buffer.concat([
          bytes,
          Buffer.from("u,i,"),
          Buffer.from([0xf0, 0x28, 0x8c]),
          Buffer.from(",,,1\n"),
        ]),
        `Input CSV is not valid UTF-8 (the first bad byte is byte ${bytes.length + 5} of the file, 0xf0); save the file as UTF-8`,
      ],
    ] as const) {
      for (let at = 0; at <= bad.length; at++) {
        const result = inPieces([bad.subarray(0, at), bad.subarray(at)]);
        assert.equal(result.failureReason, reason, `at ${at}`);
      }
    }
  });

  it("counts the users with two records of one event type (a solution's eventType)", () => {
    const validator = new CsvValidator(schema, "INTERACTIONS", {
      minimumRecords: false,
      eventType: "Añadido",
    });
    assert.deepEqual(validator.write(bytes).end().stats.forEventType, {
      eventType: "Añadido",
      records: 2,
      usersWithAtLeastTwo: 0,
    });
    const clicks = new CsvValidator(schema, "INTERACTIONS", {
      minimumRecords: false,
      eventType: "Clicked",
    });
    clicks.write(text + "zoë,j,Clicked,,,1788220809\n");
    assert.deepEqual(clicks.end().stats.forEventType, {
      eventType: "Clicked",
      records: 3,
      usersWithAtLeastTwo: 1,
    });
  });

  it("counts distinct values exactly past the point where the hash table grows", () => {
    // 70,000 users, one record each, then one more for every seventh: dictionaries resize
    // several times, and a value must be found again wherever it moved.
    const lines = ["USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"];
    for (let u = 0; u < 70000; u++) lines.push(`user-${u},item-${u % 977},E,1788220800`);
    for (let u = 0; u < 70000; u += 7) lines.push(`user-${u},item-${u % 977},E,1788220801`);
    const result = validateCsv(lines.join("\n"), schema, "INTERACTIONS", { collect: true });
    assert.equal(result.stats.users, 70000);
    assert.equal(result.stats.items, 977);
    assert.equal(result.stats.usersWithAtLeastTwo, 10000);
    const users = result.data!.columns.USER_ID;
    assert.equal(columnValue(users, 70000 + 5), "user-35");
  });
});
