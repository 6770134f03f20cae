/**
 * The shared validator on a generated 1M-row interactions file (~100 MB, the size the emulator
 * imports), as a ratio against the floor of a bare Buffer line split of the same bytes and
 * against the reader alone, all measured in this run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchReport } from "./index";
import { seededRandom } from "../emulator/random";
import { parseSchema } from "../schemas/avro";
import { CsvStream, PIECE_BYTES } from "../schemas/csv";
import { validateCsv } from "../schemas/validator";

const ROWS = 1_000_000;

/** A workshop-shaped file with mixed quoting; deterministic so runs compare. */
function generate(rows: number): Buffer {
  const parts: string[] = ["ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP\n"];
  const events = ['"Product Clicked"', "Product Added", '"Order Completed"'];
  const rand = seededRandom(12345);
  const next = (): number => Math.floor(rand() * 4294967296);
  const start = 1788220800;
  for (let i = 0; i < rows; i++) {
    const user = 1000000000 + (next() % 20000);
    const item = next() % 500;
    const t = start + Math.floor(i * 2.4);
    const iso = new Date(t * 1000 + (i % 1000)).toISOString();
    const anon = `${(next() >>> 0).toString(16).padStart(8, "0")}-1c2d-4e5f-8a9b-${user.toString(16).padStart(12, "0")}`;
    parts.push(
      `${i % 2 ? `"${anon}"` : anon},${user},${i % 3 ? `navy-sport-jacket-${item}` : `"navy-sport-jacket-${item}"`},${events[i % 3]},${i % 2 ? iso : `"${iso}"`},${t}\n`,
    );
  }
  return Buffer.from(parts.join(""));
}

/** Best of `runs` timings, in milliseconds. */
function best(runs: number, fn: () => unknown): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return min;
}

export async function run(): Promise<BenchReport> {
  const schema = parseSchema(readFileSync(join(__dirname, "../schemas/event_schema.avsc"), "utf8"));
  const bytes = generate(ROWS);
  let lines = 0;
  const floorMs = best(3, () => {
    lines = 0;
    for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) lines++;
  });
  const decodeMs = best(3, () => bytes.toString("utf8"));
  const readerMs = best(3, () => {
    const stream = new CsvStream();
    const reader = stream.reader;
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
      stream.push(bytes.subarray(at, at + PIECE_BYTES));
      while (reader.read() >= 0);
    }
    stream.end();
    while (reader.read() >= 0);
  });
  let ok = false;
  const validateMs = best(3, () => {
    ok = validateCsv(bytes, schema, "INTERACTIONS").ok;
  });
  const collectMs = best(2, () => validateCsv(bytes, schema, "INTERACTIONS", { collect: true }));
  if (!ok || lines !== ROWS + 1)
    throw new Error(`bench input did not validate (ok=${ok}, lines=${lines})`);
  const mb = bytes.length / 1e6;
  const rate = (ms: number): number => Math.round(ROWS / (ms / 1000));
  const json = {
    rows: ROWS,
    megabytes: Number(mb.toFixed(1)),
    validateRowsPerSecond: rate(validateMs),
    collectRowsPerSecond: rate(collectMs),
    validateVsLineSplit: Number((validateMs / floorMs).toFixed(1)),
    validateVsDecode: Number((validateMs / decodeMs).toFixed(1)),
    validateVsReader: Number((validateMs / readerMs).toFixed(2)),
    collectVsValidate: Number((collectMs / validateMs).toFixed(2)),
  };
  return {
    name: "validator",
    lines: [
      `input: ${ROWS} interaction rows, ${mb.toFixed(1)} MB`,
      `validateCsv: ${json.validateRowsPerSecond.toLocaleString("en")} rows/s (${(mb / (validateMs / 1000)).toFixed(0)} MB/s)`,
      `  ${json.validateVsLineSplit}x the floor (bare Buffer line split of the same bytes)`,
      `  ${json.validateVsDecode}x a UTF-8 decode of the bytes; ${json.validateVsReader}x the CSV reader alone`,
      `validateCsv with collect (typed columns): ${json.collectRowsPerSecond.toLocaleString("en")} rows/s, ${json.collectVsValidate}x validate alone`,
    ],
    json,
  };
}
