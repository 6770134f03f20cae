/**
 * The shared streaming validator (full checks and statistics) against the JavaScript CSV
 * parsers people reach for, all on the same generated 1M-row interactions file in this run:
 * uDSV (the fastest we know), csv-parse and papaparse, each parsing only, each called as its
 * documentation shows (papaparse's `Papa.parse(text)` guesses the delimiter; it is about four
 * times faster told it, which is printed too). Every one starts from the same bytes in memory
 * (the peers decode them to the string they take; csv-parse takes the bytes), and two floors
 * are measured on those bytes: a bare scan for newlines and a bare UTF-8 decode. Ratios are
 * the validator's rows per second over each peer's.
 *
 * Then at scale, each in a child process run as the user runs it, its peak RSS read at exit:
 * `npm run validate` on generated files of 1M and 10M rows (about 125 MB and 1.25 GB), and the
 * stack's preview (`pulumi preview -s local` through the offline engine, which checks and
 * hashes the data file) of a file past 2 GiB. The files go to a temp dir, deleted after.
 */
import { execFile } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse as csvParse } from "csv-parse/sync";
import Papa from "papaparse";
import { inferSchema, initParser } from "udsv";
import type { BenchReport } from "./index";
import { seededRandom } from "../emulator/random";
import { parseSchema } from "../schemas/avro";
import { CsvStream, PIECE_BYTES } from "../schemas/csv";
import { fileChunks } from "../schemas/file-chunks";
import { validateCsv } from "../schemas/validator";

const ROWS = 1_000_000;
const BIG_ROWS = 10_000_000;
const HEADER = "ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP\n";
const ROOT = join(__dirname, "..");
const SCHEMA_FILE = join(ROOT, "schemas/event_schema.avsc");
/** The columns an interactions import keeps (emulator/data/imports.ts); the rest are checked. */
const IMPORT_COLUMNS = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"];

/**
 * Workshop-shaped rows `from` to `from + count` with mixed quoting, over 20,000 users and 500
 * items; deterministic (one random stream, read in order) so that runs compare.
 */
function rows(next: () => number, from: number, count: number): string {
  const events = ['"Product Clicked"', "Product Added", '"Order Completed"'];
  const start = 1788220800;
  const parts: string[] = [];
  for (let i = from; i < from + count; i++) {
    const user = 1000000000 + (next() % 20000);
    const item = next() % 500;
    const t = start + Math.floor(i * 2.4);
    const iso = new Date(t * 1000 + (i % 1000)).toISOString();
    const anon = `${(next() >>> 0).toString(16).padStart(8, "0")}-1c2d-4e5f-8a9b-${user.toString(16).padStart(12, "0")}`;
    parts.push(
      `${i % 2 ? `"${anon}"` : anon},${user},${i % 3 ? `navy-sport-jacket-${item}` : `"navy-sport-jacket-${item}"`},${events[i % 3]},${i % 2 ? iso : `"${iso}"`},${t}\n`,
    );
  }
  return parts.join("");
}

function randomStream(): () => number {
  const rand = seededRandom(12345);
  return () => Math.floor(rand() * 4294967296);
}

function generate(count: number): Buffer {
  return Buffer.from(HEADER + rows(randomStream(), 0, count));
}

/** Writes `count` rows to `file` in slices, so the bench never holds the file. */
function generateFile(file: string, count: number): void {
  const next = randomStream();
  const fd = openSync(file, "w");
  try {
    writeSync(fd, HEADER);
    for (let from = 0; from < count; from += 200_000) {
      writeSync(fd, rows(next, from, Math.min(200_000, count - from)));
    }
  } finally {
    closeSync(fd);
  }
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

const run$ = promisify(execFile);

/**
 * Runs a project script (`schemas/cli.ts`, `bench/stack-preview.ts`) as `ts-node
 * --transpile-only` runs it, plus the peak-RSS preload; returns the last stdout line as JSON,
 * the peak RSS in MB and the wall time.
 */
async function child(
  script: string,
  args: string[],
): Promise<{ out: Record<string, unknown>; peakRssMB: number; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const { stdout, stderr } = await run$(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      "-r",
      join(__dirname, "peak-rss.ts"),
      join(ROOT, script),
      ...args,
    ],
    { cwd: ROOT, maxBuffer: 1 << 26 },
  ).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
    // npm run validate exits 1 for invalid data; the JSON says why.
    if (err.code === 1 && err.stdout) return { stdout: err.stdout, stderr: err.stderr ?? "" };
    throw new Error(`${script} failed: ${err.stderr ?? String(err)}`);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const kb = /peak-rss-kb (\d+)/.exec(stderr);
  if (!kb) throw new Error(`${script} reported no peak RSS: ${stderr}`);
  const lines = stdout.trim().split("\n");
  const out = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  return { out, peakRssMB: Math.round(Number(kb[1]) / 1024), seconds };
}

interface ValidateRun {
  ok: boolean;
  stats: { records: number; users: number; items: number; usersWithAtLeastTwo: number };
}

async function validateRun(file: string) {
  const { out, peakRssMB, seconds } = await child("schemas/cli.ts", [
    "--schema",
    SCHEMA_FILE,
    file,
    "--json",
  ]);
  const result = out as unknown as ValidateRun;
  if (!result.ok) throw new Error(`generated ${file} did not validate: ${JSON.stringify(out)}`);
  return { ...result.stats, peakRssMB, seconds: Number(seconds.toFixed(1)) };
}

export async function run(): Promise<BenchReport> {
  const schema = parseSchema(readFileSync(SCHEMA_FILE, "utf8"));
  const bytes = generate(ROWS);
  const mb = bytes.length / 1e6;
  let lines = 0;
  const lineScanMs = best(3, () => {
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
  let records = 0;
  const validateMs = best(5, () => {
    const result = validateCsv(bytes, schema, "INTERACTIONS");
    records = result.ok ? result.stats.records : -1;
  });
  const collectMs = best(2, () =>
    validateCsv(bytes, schema, "INTERACTIONS", { collect: true, collectColumns: IMPORT_COLUMNS }),
  );
  if (records !== ROWS || lines !== ROWS + 1) {
    throw new Error(`bench input did not validate (records=${records}, lines=${lines})`);
  }

  // The peers, each checked to have read every row.
  const peers: Record<string, () => number> = {
    udsv: () => {
      const text = bytes.toString("utf8");
      return initParser(inferSchema(text)).stringArrs(text).length;
    },
    csvParse: () => (csvParse(bytes) as unknown[]).length,
    papaparse: () => Papa.parse<string[]>(bytes.toString("utf8")).data.length,
    papaparseToldComma: () =>
      Papa.parse<string[]>(bytes.toString("utf8"), { delimiter: "," }).data.length,
  };
  const runs: Record<string, number> = {
    udsv: 5,
    csvParse: 2,
    papaparse: 2,
    papaparseToldComma: 2,
  };
  const peerMs: Record<string, number> = {};
  for (const [name, parse] of Object.entries(peers)) {
    let read = 0;
    peerMs[name] = best(runs[name], () => (read = parse()));
    // uDSV leaves out the header; papaparse counts the empty line after the last newline.
    if (read < ROWS || read > ROWS + 2) throw new Error(`${name} read ${read} rows, not ${ROWS}`);
  }

  // At scale: the real commands in child processes, on files in a temp dir.
  const dir = mkdtempSync(join(tmpdir(), "validator-bench-"));
  let scale;
  try {
    const small = join(dir, "1m.csv");
    generateFile(small, ROWS);
    const atOneMillion = await validateRun(small);
    rmSync(small);
    const big = join(dir, "10m.csv");
    generateFile(big, BIG_ROWS);
    const bigBytes = statSync(big).size;
    const atTenMillion = await validateRun(big);
    // Past 2 GiB: the 10M rows twice (their timestamps repeat, which Personalize accepts).
    const huge = join(dir, "20m.csv");
    copyFileSync(big, huge);
    const fd = openSync(huge, "a");
    try {
      let first = true;
      for (const chunk of fileChunks(big, 1 << 22)) {
        writeSync(fd, first ? chunk.subarray(HEADER.length) : chunk);
        first = false;
      }
    } finally {
      closeSync(fd);
    }
    rmSync(big);
    const hugeBytes = statSync(huge).size;
    const preview = await child("bench/stack-preview.ts", [huge]);
    scale = { atOneMillion, atTenMillion, bigBytes, hugeBytes, preview };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rate = (ms: number): number => Math.round(ROWS / (ms / 1000));
  const ratio = (peer: number): number => Number((peer / validateMs).toFixed(2));
  const json = {
    rows: ROWS,
    megabytes: Number(mb.toFixed(1)),
    validateRowsPerSecond: rate(validateMs),
    collectRowsPerSecond: rate(collectMs),
    udsvRowsPerSecond: rate(peerMs.udsv),
    csvParseRowsPerSecond: rate(peerMs.csvParse),
    papaparseRowsPerSecond: rate(peerMs.papaparse),
    papaparseToldCommaRowsPerSecond: rate(peerMs.papaparseToldComma),
    lineScanRowsPerSecond: rate(lineScanMs),
    decodeRowsPerSecond: rate(decodeMs),
    validate_vs_udsv: ratio(peerMs.udsv),
    validate_vs_csv_parse: ratio(peerMs.csvParse),
    validate_vs_papaparse: ratio(peerMs.papaparse),
    validateVsPapaparseToldComma: ratio(peerMs.papaparseToldComma),
    validateVsLineSplit: Number((validateMs / lineScanMs).toFixed(1)),
    validateVsDecode: Number((validateMs / decodeMs).toFixed(1)),
    validateVsReader: Number((validateMs / readerMs).toFixed(2)),
    collectVsValidate: Number((collectMs / validateMs).toFixed(2)),
    validate_peak_rss_mb_1m: scale.atOneMillion.peakRssMB,
    validate_peak_rss_mb_10m: scale.atTenMillion.peakRssMB,
    validate1m: scale.atOneMillion,
    validate10m: { ...scale.atTenMillion, megabytes: Math.round(scale.bigBytes / 1e6) },
    stackPreview: {
      megabytes: Math.round(scale.hugeBytes / 1e6),
      seconds: Number(scale.preview.seconds.toFixed(1)),
      peakRssMB: scale.preview.peakRssMB,
      planned: (scale.preview.out.steps as string[]).length,
    },
  };
  const perSecond = (n: number): string => `${n.toLocaleString("en")} rows/s`;
  const v10 = json.validate10m;
  return {
    name: "validator",
    lines: [
      `input: ${ROWS.toLocaleString("en")} interaction rows, ${mb.toFixed(1)} MB, from the same bytes in memory`,
      `validateCsv (all checks and statistics, streaming): ${perSecond(json.validateRowsPerSecond)} (${(mb / (validateMs / 1000)).toFixed(0)} MB/s)`,
      `  vs uDSV ${perSecond(json.udsvRowsPerSecond)}: ${json.validate_vs_udsv}x; vs csv-parse ${perSecond(json.csvParseRowsPerSecond)}: ${json.validate_vs_csv_parse}x; vs papaparse ${perSecond(json.papaparseRowsPerSecond)}: ${json.validate_vs_papaparse}x (parsing only)`,
      `  papaparse told the delimiter: ${perSecond(json.papaparseToldCommaRowsPerSecond)}, validate ${json.validateVsPapaparseToldComma}x`,
      `  floors: a bare newline scan ${perSecond(json.lineScanRowsPerSecond)} (validate takes ${json.validateVsLineSplit}x its time), a bare UTF-8 decode ${perSecond(json.decodeRowsPerSecond)} (${json.validateVsDecode}x); the CSV reader alone: validate takes ${json.validateVsReader}x its time`,
      `validateCsv collecting the columns an import keeps (typed, as the emulator's import does): ${perSecond(json.collectRowsPerSecond)}, ${json.collectVsValidate}x validate alone`,
      `npm run validate, 1M rows: ${json.validate1m.seconds} s, peak RSS ${json.validate_peak_rss_mb_1m} MB`,
      `npm run validate, 10M rows (${v10.megabytes} MB): ${v10.seconds} s, peak RSS ${json.validate_peak_rss_mb_10m} MB; ${v10.records.toLocaleString("en")} records, ${v10.users} users (${v10.usersWithAtLeastTwo} with two or more), ${v10.items} items`,
      `stack preview (offline engine, index.ts) of a ${json.stackPreview.megabytes} MB data file: ${json.stackPreview.seconds} s, peak RSS ${json.stackPreview.peakRssMB} MB, ${json.stackPreview.planned} steps planned`,
    ],
    json,
  };
}
