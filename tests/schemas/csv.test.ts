import { strict as assert } from "node:assert";
import {
  CsvEncodingError,
  CsvReader,
  CsvStream,
  csvRecords,
  MAX_RECORD_CHARS,
  NEED_MORE,
  parseCsv,
  Utf8Decoder,
} from "../../schemas/csv";

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
      () => new Utf8Decoder().decode(Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x0a])),
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

describe("schemas/csv streaming: input split anywhere", () => {
  // Everything a boundary can fall inside: a BOM, CRLF and LF line ends, a bare CR line end,
  // quoted values holding commas, LF, CRLF, doubled quotes and backslash escapes, blank lines,
  // and characters of two, three and four UTF-8 bytes (the last a UTF-16 surrogate pair).
  const text =
    "\ufeffid,name,note\r\n" +
    '1,"zoë, the ""first""","line one\r\nline two"\r\n' +
    "\r\n" +
    '2,日本,"say \\"hi\\" to C:\\\\dir"\n' +
    '3,"😀 smile",plain\r' +
    '4,"a\nb",\n' +
    "\n" +
    '5,"",ünïcödé';
  const bytes = Buffer.from(text);
  const whole = records([bytes]);

  function records(pieces: Uint8Array[]): { line: number; fields: string[] }[] {
    const out: { line: number; fields: string[] }[] = [];
    for (const reader of csvRecords(pieces)) {
      const fields: string[] = [];
      for (let i = 0; i < reader.count; i++) fields.push(reader.field(i));
      out.push({ line: reader.line, fields });
    }
    return out;
  }

  it("reads the whole input as expected", () => {
    assert.deepEqual(whole, [
      { line: 1, fields: ["id", "name", "note"] },
      { line: 2, fields: ["1", 'zoë, the "first"', "line one\r\nline two"] },
      { line: 5, fields: ["2", "日本", 'say "hi" to C:\\dir'] },
      { line: 6, fields: ["3", "😀 smile", "plain"] },
      { line: 7, fields: ["4", "a\nb", ""] },
      { line: 10, fields: ["5", "", "ünïcödé"] },
    ]);
  });

  it("reads the same records, on the same lines, split at every byte", () => {
    for (let at = 0; at <= bytes.length; at++) {
      assert.deepEqual(
        records([bytes.subarray(0, at), bytes.subarray(at)]),
        whole,
        `split at ${at}`,
      );
    }
  });

  it("reads the same records in pieces of 1 to 7 bytes", () => {
    for (let size = 1; size <= 7; size++) {
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
      assert.deepEqual(records(pieces), whole, `pieces of ${size}`);
    }
  });

  it("names the byte offset of bad UTF-8, wherever the pieces split", () => {
    const bad = Buffer.concat([
      Buffer.from("a,b\nzo"),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(",x\n"),
    ]);
    for (let at = 0; at <= bad.length; at++) {
      assert.throws(
        () => records([bad.subarray(0, at), bad.subarray(at)]),
        (err: unknown) =>
          err instanceof CsvEncodingError &&
          /first bad byte is byte 7 of the file, 0xc3/.test(err.message),
        `split at ${at}`,
      );
    }
  });

  it("refuses a file that ends inside a multi-byte character", () => {
    const cut = Buffer.from("a\nzoë").subarray(0, -1);
    assert.throws(
      () => records([cut.subarray(0, 3), cut.subarray(3)]),
      /first bad byte is byte 5 of the file, 0xc3/,
    );
  });

  it("reads a record still open after MAX_RECORD_CHARS as it stands, never holding the rest", () => {
    const stream = new CsvStream();
    const reader = stream.reader;
    stream.push('a\n"');
    assert.equal(reader.read(), 1);
    assert.equal(reader.read(), NEED_MORE);
    const filler = "x".repeat(1 << 20);
    let pushed = 0;
    let n = NEED_MORE;
    while (n === NEED_MORE && pushed <= MAX_RECORD_CHARS + filler.length) {
      stream.push(filler);
      pushed += filler.length;
      n = reader.read();
    }
    assert.ok(pushed > MAX_RECORD_CHARS, `read after ${pushed} characters`);
    assert.equal(n, 1);
    assert.equal(reader.unterminatedQuote, true);
    assert.equal(reader.line, 2);
  });
});
