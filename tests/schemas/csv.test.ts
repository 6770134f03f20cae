import { strict as assert } from "node:assert";
import { CsvEncodingError, CsvReader, decodeCsv, parseCsv } from "../../schemas/csv";

describe("schemas/csv reader", () => {
  const cases: [string, string, string[][]][] = [
    [
      "plain LF rows",
      "a,b\n1,2\n",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "CRLF rows without a final newline",
      "a,b\r\n1,2",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "a quoted comma",
      'a,b\n"x,y",2\n',
      [
        ["a", "b"],
        ["x,y", "2"],
      ],
    ],
    ["RFC 4180 doubled quotes", 'a\n"he said ""hi"""\n', [["a"], ['he said "hi"']]],
    [
      "Personalize backslash-escaped quote and backslash",
      'a,b\n"say \\"hi\\"","C:\\\\dir"\n',
      [
        ["a", "b"],
        ['say "hi"', "C:\\dir"],
      ],
    ],
    [
      "a backslash before other characters kept as is",
      'a\n"line\\nbreak"\n',
      [["a"], ["line\\nbreak"]],
    ],
    [
      "a newline inside quotes",
      'a,b\n"two\nlines",2\n',
      [
        ["a", "b"],
        ["two\nlines", "2"],
      ],
    ],
    [
      "quoting that varies per field",
      'a,b,c\n"1",2,"3"\n4,"5",6\n',
      [
        ["a", "b", "c"],
        ["1", "2", "3"],
        ["4", "5", "6"],
      ],
    ],
    [
      "empty and quoted-empty fields",
      'a,b,c\n,"",\n',
      [
        ["a", "b", "c"],
        ["", "", ""],
      ],
    ],
    ["blank lines skipped", "a\n\n1\r\n\r\n2\n\n", [["a"], ["1"], ["2"]]],
    ["a quote inside an unquoted field kept literally", 'a\nsay "hi"\n', [["a"], ['say "hi"']]],
    ["UTF-8 text", "a\nzoë,日本\n", [["a"], ["zoë", "日本"]]],
  ];
  for (const [what, text, rows] of cases) {
    it(`reads ${what}`, () => assert.deepEqual(parseCsv(text), rows));
  }

  it("tolerates a byte-order mark in a Buffer and in a string", () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("USER_ID\n1\n")]);
    assert.deepEqual(parseCsv(withBom), [["USER_ID"], ["1"]]);
    assert.deepEqual(parseCsv("\ufeffUSER_ID\n1\n"), [["USER_ID"], ["1"]]);
  });

  it("rejects bytes that are not UTF-8, saying so", () => {
    assert.throws(
      () => decodeCsv(Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x0a])),
      (err: unknown) => err instanceof CsvEncodingError && /not valid UTF-8/.test(err.message),
    );
  });

  it("reports the line each record starts on, counting newlines inside quotes", () => {
    const reader = new CsvReader('a,b\n"x\ny",1\n\n2,3\n');
    const fields: string[] = [];
    const lines: number[] = [];
    while (reader.next(fields) >= 0) lines.push(reader.line);
    assert.deepEqual(lines, [1, 2, 5]);
  });

  it("flags a quoted value that never closes", () => {
    const reader = new CsvReader('a\n"open\n');
    const fields: string[] = [];
    reader.next(fields);
    assert.equal(reader.unterminatedQuote, false);
    assert.equal(reader.next(fields), 1);
    assert.equal(reader.unterminatedQuote, true);
    assert.equal(fields[0], "open\n");
  });
});
