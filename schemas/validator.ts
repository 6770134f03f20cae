/**
 * The one CSV-against-schema validator, shared by the emulator's import jobs, the stack's
 * preview check and `npm run validate`. Rules:
 * https://docs.aws.amazon.com/personalize/latest/dg/how-it-works-dataset-schema.html,
 * https://docs.aws.amazon.com/personalize/latest/dg/data-prep-formatting.html and
 * https://docs.aws.amazon.com/personalize/latest/dg/limits.html.
 *
 * It streams: `CsvValidator` takes the file in pieces of any size and holds only the record
 * being read and its counters (one entry per distinct user and item), so a file of any size is
 * checked in bounded memory; `collect` adds the typed columns the emulator's import keeps.
 */
import { DatasetType, FieldType, PersonalizeSchema, SchemaField } from "./avro";
import { CsvEncodingError, CsvReader, CsvStream, pieces } from "./csv";
import { show } from "../rules/show";

export interface ValidationIssue {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  column?: string;
  value?: string;
  message: string;
}

export interface DataStats {
  /** Data rows (the header excluded). */
  records: number;
  /** Distinct USER_ID values. */
  users: number;
  /** Distinct ITEM_ID values (ACTION_ID for action datasets). */
  items: number;
  /** Users with at least two records: Personalize's training minimum counts these. */
  usersWithAtLeastTwo: number;
  /** Records per EVENT_TYPE value. */
  eventTypes: Record<string, number>;
  /** Smallest and largest TIMESTAMP (CREATION_TIMESTAMP for items and actions), epoch seconds. */
  firstTimestamp?: number;
  lastTimestamp?: number;
  /** With the `eventType` option: the same counts over that event type's records only. */
  forEventType?: { eventType: string; records: number; usersWithAtLeastTwo: number };
}

/**
 * A string column, dictionary-encoded: row r holds `strings[codes[r]]`, or null where
 * `codes[r]` is -1 (an empty value of a nullable field). Each distinct value is held once, so
 * a million rows cost four bytes each plus the distinct values.
 */
export interface StringColumn {
  kind: "string";
  codes: Int32Array;
  /**
   * The values, in order of first appearance: each once, except in a column of mostly unique
   * values (over 65536 distinct, more than half the rows), where later values are kept as they
   * come. USER_ID and ITEM_ID (ACTION_ID) are always deduplicated.
   */
  strings: string[];
}

/** An int, long, float or double column; `nulls` (1 = null) is there when the field is nullable. */
export interface NumberColumn {
  kind: "number";
  values: Float64Array;
  nulls?: Uint8Array;
}

/** A boolean column: 1 for true, 0 for false; `nulls` as for numbers. */
export interface BooleanColumn {
  kind: "boolean";
  values: Uint8Array;
  nulls?: Uint8Array;
}

export type Column = StringColumn | NumberColumn | BooleanColumn;

/** The rows column by column in typed arrays (no object per row), typed per schema field. */
export interface ColumnarData {
  /** The file's whole header, columns the schema does not have included. */
  header: string[];
  rows: number;
  /** The collected columns, by name (never a column the schema does not have). */
  columns: Record<string, Column>;
}

/** One value of a collected column: the string, number or boolean, or null. */
export function columnValue(column: Column, row: number): string | number | boolean | null {
  if (column.kind === "string") {
    const code = column.codes[row];
    return code < 0 ? null : column.strings[code];
  }
  if (column.nulls !== undefined && column.nulls[row] === 1) return null;
  return column.kind === "number" ? column.values[row] : column.values[row] === 1;
}

/** A collected column as plain values, one per row (for small data and tests). */
export function columnValues(column: Column): (string | number | boolean | null)[] {
  const rows = column.kind === "string" ? column.codes.length : column.values.length;
  const out: (string | number | boolean | null)[] = new Array(rows);
  for (let r = 0; r < rows; r++) out[r] = columnValue(column, r);
  return out;
}

export interface ValidationResult {
  ok: boolean;
  /** One sentence a user can act on, in the service's words where they are known. */
  failureReason?: string;
  issues: ValidationIssue[];
  /**
   * Things the service accepts but that deserve a look: columns out of schema order, columns
   * the schema does not have (ignored).
   */
  warnings: ValidationIssue[];
  stats: DataStats;
  /** Present with `collect: true` when the file is valid. */
  data?: ColumnarData;
}

export interface ValidateOptions {
  /** How many issues to list; @default 20 */
  maxIssues?: number;
  /** Fill `data` with the typed columns; @default false */
  collect?: boolean;
  /** With `collect`, keep only these columns (the others are checked, not kept); @default all */
  collectColumns?: string[];
  /** Enforce the 1000-record minimum of an INTERACTIONS import job; @default true */
  minimumRecords?: boolean;
  /**
   * Also count records and users with two or more records of this EVENT_TYPE alone, what a
   * solution with this `eventType` trains on (`stats.forEventType`); @default none
   */
  eventType?: string;
  /** The input's size in bytes when known: collected columns are sized from it; @default none */
  expectedBytes?: number;
}

/**
 * Each interactions import job needs at least this many records
 * (https://docs.aws.amazon.com/personalize/latest/dg/limits.html).
 */
export const MIN_IMPORT_INTERACTIONS = 1000;
/** Training minimums (https://docs.aws.amazon.com/personalize/latest/dg/limits.html). */
export const MIN_TRAINING_INTERACTIONS = 1000;
export const MIN_TRAINING_USERS_WITH_TWO = 25;

// Arrays and strings rather than Sets and bigints: the providers' preview check serializes this
// module with Pulumi's closure serializer, which cannot carry either.
const ID_FIELDS = ["USER_ID", "ITEM_ID", "ACTION_ID"];
const TIMESTAMP_FIELDS = ["TIMESTAMP", "CREATION_TIMESTAMP"];
const MAX_ID_LENGTH = 256;
/** A string column stops deduplicating past this many distinct values, if most are distinct. */
const DEDUPE_UP_TO = 65536;
const MAX_CATEGORICAL_VALUE_LENGTH = 1000;
/** Epoch seconds stay below this until the year 5138; epoch milliseconds passed it in 1973. */
const MILLISECONDS_THRESHOLD = 1e11;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = "-9223372036854775808";
const LONG_MAX = "9223372036854775807";
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** How a column's values are checked. */
const IGNORED = 0;
const TEXT = 1;
const ID = 2;
const CATEGORICAL = 3;
const INTEGER = 4;
const DECIMAL_NUMBER = 5;
const BOOLEAN = 6;

/** What a column is checked against, resolved once from the header. */
interface ColumnCheck {
  name: string;
  kind: number;
  nullable: boolean;
  /** int (32-bit) rather than long. */
  isInt: boolean;
  isTimestamp: boolean;
  typeName: string;
}

const TYPE_NAMES: Record<FieldType, string> = {
  string: "a string",
  int: "an int (a whole number between -2147483648 and 2147483647)",
  long: "a long (a whole number)",
  float: "a float (a decimal number)",
  double: "a double (a decimal number)",
  boolean: "a boolean (lower-case true or false)",
};

function checkFor(name: string, field: SchemaField | undefined): ColumnCheck {
  const check: ColumnCheck = {
    name,
    kind: IGNORED,
    nullable: field?.nullable ?? true,
    isInt: field?.type === "int",
    isTimestamp: TIMESTAMP_FIELDS.includes(name),
    typeName: field ? TYPE_NAMES[field.type] : "",
  };
  if (!field) return check;
  switch (field.type) {
    case "string":
      check.kind = ID_FIELDS.includes(name) ? ID : field.categorical ? CATEGORICAL : TEXT;
      break;
    case "int":
    case "long":
      check.kind = INTEGER;
      break;
    case "float":
    case "double":
      check.kind = DECIMAL_NUMBER;
      break;
    case "boolean":
      check.kind = BOOLEAN;
      break;
  }
  return check;
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/**
 * A copy of `value` that does not keep alive the (much longer) text it was sliced from: V8
 * slices share their parent, and a dictionary that outlives a piece of input must not pin it.
 */
function detached(value: string): string {
  return value.length < 13 ? value : (" " + value).slice(1);
}

/** The Avro int or long written in decimal in `text[start, end)`; NaN when it is not one. */
function integerAt(text: string, start: number, end: number, isInt: boolean): number {
  const first = text.charCodeAt(start);
  const negative = first === 0x2d;
  let i = negative || first === 0x2b ? start + 1 : start;
  if (i === end) return Number.NaN;
  let n = 0;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  if (negative) n = -n;
  if (isInt) return n >= INT_MIN && n <= INT_MAX ? n : Number.NaN;
  if (Number.isSafeInteger(n)) return n;
  const big = BigInt(text.slice(start, end));
  return big >= BigInt(LONG_MIN) && big <= BigInt(LONG_MAX) ? n : Number.NaN;
}

/**
 * Distinct strings and their codes, looked up by their place in the text, so a value already
 * seen is found without making a string of it (and without garbage per row). With 20,000 users
 * and more, a lookup costs what it touches in memory, so each hash table slot holds all a
 * lookup needs: a value of up to 16 Latin-1 characters (IDs, event types) is compared within
 * the slot, packed four characters to an int; longer values are compared with their code units,
 * packed one after the other in `chars`. A plain object, built per validator: no module-level
 * Map.
 */
interface Dictionary {
  /** Distinct values so far. */
  count: number;
  /** Their code units, one after the other: Latin-1 bytes until a wider character comes. */
  chars: Uint8Array | Uint16Array;
  /** Value `code` is `chars[offsets[code], offsets[code + 1])`. */
  offsets: Int32Array;
  /**
   * SLOT ints per slot: hash, code + 1 (0 in an empty slot), length, offset in `chars` (-1 for
   * a short value), then a short value's characters, packed. At most three quarters of the
   * slots are used.
   */
  table: Int32Array;
  /** The slot of the value last looked up: runs of one value (a user's rows) skip the hash. */
  lastSlot: number;
}

const SLOT = 8;
/** Values up to this long, all Latin-1, are held packed in their slot. */
const PACKED = 16;

function newDictionary(): Dictionary {
  return {
    count: 0,
    chars: new Uint8Array(4096),
    offsets: new Int32Array(257),
    table: new Int32Array(256 * SLOT),
    lastSlot: -1,
  };
}

/** Up to four Latin-1 characters `text[from, to)` as an int, the first in the low byte. */
function packed(text: string, from: number, to: number): number {
  let word = 0;
  for (let i = to - 1; i >= from; i--) word = (word << 8) | text.charCodeAt(i);
  return word;
}

/** Whether `text[start, end)` is all Latin-1 (so it packs). */
function latin1(text: string, start: number, end: number): boolean {
  let units = 0;
  for (let i = start; i < end; i++) units |= text.charCodeAt(i);
  return units <= 0xff;
}

/** FNV-1a over the UTF-16 code units of `text[start, end)`. */
function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** A hash of a packed value (murmur3's finalizer spreads every bit into the low ones). */
function hashPacked(length: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ length, 0xcc9e2d51);
  h = Math.imul(h ^ w1, 0x1b873593);
  h = Math.imul(h ^ w2, 0xcc9e2d51);
  h = Math.imul(h ^ w3, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Whether the value at `offset` in `chars` is `text[start, start + length)`. */
function holds(
  chars: Uint8Array | Uint16Array,
  offset: number,
  text: string,
  start: number,
  length: number,
): boolean {
  for (let k = 0; k < length; k++) {
    if (chars[offset + k] !== text.charCodeAt(start + k)) return false;
  }
  return true;
}

/** The code of `text[start, end)`, assigning the next one on first sight. */
function codeOf(dict: Dictionary, text: string, start: number, end: number): number {
  const length = end - start;
  const table = dict.table;
  const short = length <= PACKED && latin1(text, start, end);
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  let h: number;
  if (short) {
    w0 = packed(text, start, Math.min(start + 4, end));
    if (length > 4) w1 = packed(text, start + 4, Math.min(start + 8, end));
    if (length > 8) w2 = packed(text, start + 8, Math.min(start + 12, end));
    if (length > 12) w3 = packed(text, start + 12, end);
    h = hashPacked(length, w0, w1, w2, w3);
  } else h = hashRange(text, start, end);
  const last = dict.lastSlot;
  if (
    last >= 0 &&
    table[last] === h &&
    same(dict, last, text, start, length, short, w0, w1, w2, w3)
  ) {
    return table[last + 1] - 1;
  }
  const mask = table.length / SLOT - 1;
  let i = (h & mask) * SLOT;
  for (let slot = table[i + 1]; slot !== 0; slot = table[i + 1]) {
    if (table[i] === h && same(dict, i, text, start, length, short, w0, w1, w2, w3)) {
      dict.lastSlot = i;
      return slot - 1;
    }
    i = (i + SLOT) & (table.length - 1);
  }
  const code = dict.count++;
  if (code + 2 > dict.offsets.length) {
    dict.offsets = grown(dict.offsets, new Int32Array(dict.offsets.length * 2));
  }
  const from = dict.offsets[code];
  const to = from + length;
  let chars = dict.chars;
  if (to > chars.length) {
    const bigger =
      chars instanceof Uint8Array
        ? new Uint8Array(Math.max(to, chars.length * 2))
        : new Uint16Array(Math.max(to, chars.length * 2));
    bigger.set(chars);
    chars = dict.chars = bigger;
  }
  for (let k = 0; k < length; k++) {
    const unit = text.charCodeAt(start + k);
    if (unit > 0xff && chars instanceof Uint8Array) {
      chars = dict.chars = Uint16Array.from(chars);
    }
    chars[from + k] = unit;
  }
  dict.offsets[code + 1] = to;
  table[i] = h;
  table[i + 1] = code + 1;
  table[i + 2] = length;
  if (short) {
    table[i + 3] = -1;
    table[i + 4] = w0;
    table[i + 5] = w1;
    table[i + 6] = w2;
    table[i + 7] = w3;
  } else table[i + 3] = from;
  dict.lastSlot = i;
  if (dict.count * 4 * SLOT > table.length * 3) rehash(dict, table.length * 2);
  return code;
}

/** Whether the value in the slot at `i` is `text[start, start + length)`. */
function same(
  dict: Dictionary,
  i: number,
  text: string,
  start: number,
  length: number,
  short: boolean,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
): boolean {
  const table = dict.table;
  if (table[i + 2] !== length) return false;
  if (short) {
    return (
      table[i + 3] === -1 &&
      table[i + 4] === w0 &&
      table[i + 5] === w1 &&
      table[i + 6] === w2 &&
      table[i + 7] === w3
    );
  }
  return table[i + 3] >= 0 && holds(dict.chars, table[i + 3], text, start, length);
}

function rehash(dict: Dictionary, length: number): void {
  const old = dict.table;
  const table = new Int32Array(length);
  const mask = length / SLOT - 1;
  for (let j = 0; j < old.length; j += SLOT) {
    if (old[j + 1] === 0) continue;
    let i = (old[j] & mask) * SLOT;
    while (table[i + 1] !== 0) i = (i + SLOT) & (length - 1);
    table.set(old.subarray(j, j + SLOT), i);
  }
  dict.table = table;
  dict.lastSlot = -1;
}

/** The code of field `col` of the reader's record (see codeOf). */
function fieldCode(dict: Dictionary, reader: CsvReader, col: number): number {
  const start = reader.starts[col];
  if (start >= 0) return codeOf(dict, reader.text, start, reader.ends[col]);
  const value = reader.field(col);
  return codeOf(dict, value, 0, value.length);
}

/** Value `code` of the dictionary, as a string. */
function valueAt(dict: Dictionary, code: number): string {
  const units = dict.chars.subarray(dict.offsets[code], dict.offsets[code + 1]);
  let value = "";
  // In slices: String.fromCharCode takes each code unit as an argument.
  for (let at = 0; at < units.length; at += 8192) {
    value += String.fromCharCode.apply(null, units.subarray(at, at + 8192) as unknown as number[]);
  }
  return value;
}

function allValues(dict: Dictionary): string[] {
  const out: string[] = new Array(dict.count);
  for (let code = 0; code < dict.count; code++) out[code] = valueAt(dict, code);
  return out;
}

/** Where one column's values are collected while the rows are read. */
type Sink =
  | {
      kind: "string";
      codes: Int32Array;
      dict: Dictionary;
      /** Set once the column stops deduplicating: every value so far, then each as it comes. */
      kept?: string[];
    }
  | { kind: "number"; values: Float64Array; nulls?: Uint8Array }
  | { kind: "boolean"; values: Uint8Array; nulls?: Uint8Array };

function newSink(check: ColumnCheck, capacity: number): Sink {
  const nulls = check.nullable ? new Uint8Array(capacity) : undefined;
  switch (check.kind) {
    case INTEGER:
    case DECIMAL_NUMBER:
      return { kind: "number", values: new Float64Array(capacity), nulls };
    case BOOLEAN:
      return { kind: "boolean", values: new Uint8Array(capacity), nulls };
    default:
      return {
        kind: "string",
        codes: new Int32Array(capacity),
        dict: newDictionary(),
      };
  }
}

function growSink(sink: Sink, capacity: number): void {
  if (sink.kind === "string") {
    sink.codes = grown(sink.codes, new Int32Array(capacity));
    return;
  }
  if (sink.nulls) sink.nulls = grown(sink.nulls, new Uint8Array(capacity));
  if (sink.kind === "number") sink.values = grown(sink.values, new Float64Array(capacity));
  else sink.values = grown(sink.values, new Uint8Array(capacity));
}

/** Trimmed to `rows`: a view when the spare room is small, else a copy (frees the rest). */
function trimmed<T extends Int32Array | Float64Array | Uint8Array>(array: T, rows: number): T {
  if (array.length - rows <= array.length / 16) return array.subarray(0, rows) as T;
  return array.slice(0, rows) as T;
}

function finishSink(sink: Sink, rows: number): Column {
  if (sink.kind === "string") {
    return {
      kind: "string",
      codes: trimmed(sink.codes, rows),
      strings: sink.kept ?? allValues(sink.dict),
    };
  }
  const nulls = sink.nulls ? trimmed(sink.nulls, rows) : undefined;
  if (sink.kind === "number") {
    const column: NumberColumn = { kind: "number", values: trimmed(sink.values, rows) };
    if (nulls) column.nulls = nulls;
    return column;
  }
  const column: BooleanColumn = { kind: "boolean", values: trimmed(sink.values, rows) };
  if (nulls) column.nulls = nulls;
  return column;
}

/** Per-user record counts that stop at 2 (all the minimums ask), one byte per user. */
function counted(counts: Uint8Array, code: number): Uint8Array {
  if (code >= counts.length) counts = grown(counts, new Uint8Array(counts.length * 2));
  if (counts[code] < 2) counts[code]++;
  return counts;
}

function atLeastTwo(counts: Uint8Array, users: number): number {
  let n = 0;
  for (let u = 0; u < users; u++) if (counts[u] === 2) n++;
  return n;
}

function list(names: string[]): string {
  return `[${names.join(", ")}]`;
}

/**
 * Validates an import file as a dataset import job does, from pieces of input of any size:
 * `write` each piece in order, then `end` for the result. Never throws on bad data: every
 * problem becomes an issue, and the first (or most important) the failureReason.
 */
export class CsvValidator {
  // All state is assigned in the constructor (see CsvReader: the closure serializer drops
  // field initializers).
  private readonly schema: PersonalizeSchema;
  private readonly datasetType: DatasetType;
  private readonly maxIssues: number;
  private readonly collect: boolean;
  private readonly collectColumns: string[] | undefined;
  private readonly minimumRecords: boolean;
  private readonly eventType: string | undefined;
  private readonly expectedBytes: number;
  private readonly stream: CsvStream;
  private bytes: number;
  /** Set once the header is read. */
  private header: string[] | undefined;
  private checks: ColumnCheck[];
  /** Rows are no longer read: the header failed, a quote never closed, bytes were not UTF-8. */
  private stopped: boolean;
  /** A failure found before any row (the header), returned as it is. */
  private headerFailure: ValidationResult | undefined;
  private readonly issues: ValidationIssue[];
  private issueCount: number;
  private readonly warnings: ValidationIssue[];
  private records: number;
  private userCol: number;
  private itemCol: number;
  private eventCol: number;
  private timeCol: number;
  private readonly users: Dictionary;
  private userCounts: Uint8Array;
  private emptyUsers: number;
  private readonly items: Dictionary;
  private emptyItems: number;
  /** Event types in order of first sight, and their record counts. */
  private readonly eventTypes: Dictionary;
  private eventCounts: Float64Array;
  /** With `eventType`: its code among the event types once seen, and its users' counts. */
  private eventTypeCode: number;
  private eventTypeUserCounts: Uint8Array;
  private firstTimestamp: number;
  private lastTimestamp: number;
  private sinks: (Sink | undefined)[];
  private capacity: number;

  constructor(schema: PersonalizeSchema, datasetType: DatasetType, options: ValidateOptions = {}) {
    this.schema = schema;
    this.datasetType = datasetType;
    this.maxIssues = options.maxIssues ?? 20;
    this.collect = options.collect ?? false;
    this.collectColumns = options.collectColumns;
    this.minimumRecords = options.minimumRecords ?? true;
    this.eventType = options.eventType;
    this.expectedBytes = options.expectedBytes ?? 0;
    this.stream = new CsvStream();
    this.bytes = 0;
    this.header = undefined;
    this.checks = [];
    this.stopped = false;
    this.headerFailure = undefined;
    this.issues = [];
    this.issueCount = 0;
    this.warnings = [];
    this.records = 0;
    this.userCol = -1;
    this.itemCol = -1;
    this.eventCol = -1;
    this.timeCol = -1;
    this.users = newDictionary();
    this.userCounts = new Uint8Array(1024);
    this.emptyUsers = 0;
    this.items = newDictionary();
    this.emptyItems = 0;
    this.eventTypes = newDictionary();
    this.eventCounts = new Float64Array(16);
    this.eventTypeCode = -1;
    this.eventTypeUserCounts = new Uint8Array(options.eventType === undefined ? 0 : 1024);
    this.firstTimestamp = Number.POSITIVE_INFINITY;
    this.lastTimestamp = Number.NEGATIVE_INFINITY;
    this.sinks = [];
    this.capacity = 0;
  }

  /**
   * Reads the next piece of the file (bytes, or text). Bytes may split a record or a UTF-8
   * character anywhere; the piece is not kept after the call, so its buffer may be reused.
   */
  write(chunk: Uint8Array | string): this {
    for (const piece of pieces(chunk)) {
      if (this.stopped) return this;
      this.bytes += typeof piece === "string" ? piece.length : piece.byteLength;
      try {
        this.stream.push(piece);
      } catch (err) {
        this.encodingFailure(err);
        return this;
      }
      this.drain();
    }
    return this;
  }

  /**
   * Whether the result is settled whatever follows: the header failed, a quote never closed or
   * bytes were not UTF-8. Further pieces are not read; a caller may stop reading the file.
   */
  get settled(): boolean {
    return this.stopped;
  }

  /** Ends the input and returns the result. */
  end(): ValidationResult {
    if (!this.stopped) {
      try {
        this.stream.end();
        this.drain();
      } catch (err) {
        this.encodingFailure(err);
      }
    }
    return this.result();
  }

  private encodingFailure(err: unknown): void {
    if (!(err instanceof CsvEncodingError)) throw err;
    this.report({ line: this.stream.reader.line + 1, message: err.message });
    this.stopped = true;
  }

  private drain(): void {
    const reader = this.stream.reader;
    for (let n = reader.read(); n >= 0; n = reader.read()) {
      if (this.header === undefined) this.readHeader(reader, n);
      else this.readRow(reader, n);
      if (this.stopped) return;
    }
  }

  private readHeader(reader: CsvReader, n: number): void {
    const header: string[] = [];
    for (let i = 0; i < n; i++) header.push(reader.field(i));
    this.header = header;
    const schema = this.schema;
    const fieldNames = schema.fields.map((f) => f.name);
    const byName = new Map(schema.fields.map((f) => [f.name, f]));
    const line = reader.line;
    // Header problems stop the import before any row is read.
    const problems: ValidationIssue[] = [];
    const duplicates = header.filter((name, i) => header.indexOf(name) !== i);
    const missing = schema.fields
      .filter((f) => !f.nullable && !header.includes(f.name))
      .map((f) => f.name);
    if (missing.length > 0) {
      problems.push({
        line,
        message: `Input CSV is missing the following columns: ${list(missing)}`,
      });
    }
    if (duplicates.length > 0) {
      problems.push({
        line,
        column: duplicates[0],
        message: `Input CSV header repeats the columns ${list([...new Set(duplicates)])}`,
      });
    }
    if (problems.length > 0) {
      this.headerFailure = {
        ok: false,
        failureReason: problems[0].message,
        issues: problems.slice(0, this.maxIssues),
        warnings: [],
        stats: this.stats(),
      };
      this.stopped = true;
      return;
    }

    // Extra columns: the workshop shipped a six-column CSV with a four-field schema from
    // February to May 2019 and told users the two extra columns are ignored (README.md,
    // "Columns the schema does not have"), so the import ignores them and says so.
    const unknown = header.filter((name) => !byName.has(name));
    if (unknown.length > 0) {
      this.warnings.push({
        line,
        column: unknown[0],
        message: `Input CSV has columns that are not in the schema: ${list(unknown)}; they are ignored (the schema's fields are ${list(fieldNames)})`,
      });
    }
    // The developer guide asks for the CSV's columns in the schema's field order
    // (https://docs.aws.amazon.com/personalize/latest/dg/how-it-works-dataset-schema.html); the
    // import matches them by name, so a different order is only a warning.
    const known = header.filter((name) => byName.has(name));
    const schemaOrder = fieldNames.filter((name) => header.includes(name));
    if (schemaOrder.some((name, i) => known[i] !== name)) {
      this.warnings.push({
        line,
        message: `Input CSV columns are in the order ${list(known)}, not the schema's ${list(schemaOrder)}; matching them by name`,
      });
    }
    this.checks = header.map((name) => checkFor(name, byName.get(name)));
    const column = (name: string): number => (byName.has(name) ? header.indexOf(name) : -1);
    this.userCol = column("USER_ID");
    this.itemCol = column(this.datasetType.startsWith("ACTION") ? "ACTION_ID" : "ITEM_ID");
    this.eventCol = column("EVENT_TYPE");
    this.timeCol = column("TIMESTAMP") >= 0 ? column("TIMESTAMP") : column("CREATION_TIMESTAMP");
    if (this.collect) {
      this.capacity = 1024;
      const kept = this.collectColumns;
      this.sinks = this.checks.map((check) =>
        check.kind !== IGNORED && (kept === undefined || kept.includes(check.name))
          ? newSink(check, this.capacity)
          : undefined,
      );
      // Distinct users and items are counted through the same dictionaries the collected
      // USER_ID and ITEM_ID columns use, so each value is hashed once per row.
      for (const [col, dict] of [
        [this.userCol, this.users],
        [this.itemCol, this.items],
      ] as const) {
        const sink = this.sinks[col];
        if (col >= 0 && sink?.kind === "string") sink.dict = dict;
      }
    }
  }

  private report(issue: ValidationIssue): void {
    this.issueCount++;
    if (this.issues.length < this.maxIssues) this.issues.push(issue);
  }

  private problem(line: number, check: ColumnCheck, raw: string, problem: string): void {
    const value = detached(raw);
    this.report({
      line,
      column: check.name,
      value,
      message: `Line ${line}, column ${check.name}: value ${show(value, 80)} ${problem}`,
    });
  }

  /** Room for collecting row `row`: sized from the bytes read so far when the size is known. */
  private grow(row: number): void {
    let capacity = this.capacity * 2;
    if (this.expectedBytes > this.bytes && this.bytes > 0) {
      const estimate = Math.ceil(((row + 1) * this.expectedBytes * 1.05) / this.bytes);
      capacity = Math.max(Math.ceil(this.capacity * 1.25), estimate);
    }
    this.capacity = capacity;
    for (const sink of this.sinks) if (sink) growSink(sink, capacity);
  }

  private readRow(reader: CsvReader, n: number): void {
    this.records++;
    const line = reader.line;
    const checks = this.checks;
    const columnCount = checks.length;
    if (reader.unterminatedQuote) {
      this.report({
        line,
        message: `Line ${line} has a quoted value that is never closed; check for a missing " or an unescaped quote`,
      });
      this.stopped = true;
      return;
    }
    if (n !== columnCount) {
      const header = this.header!.join(",");
      this.report({
        line,
        message:
          reader.endLine > line
            ? `Line ${line} has ${n} fields, but the header has ${columnCount} columns (${header}); a quoted value runs on to line ${reader.endLine}, so a quote is probably unbalanced`
            : `Line ${line} has ${n} fields, but the header has ${columnCount} columns (${header}); quote values that contain commas`,
      });
      return;
    }
    const userCol = this.userCol;
    let userCode = -1;
    if (userCol >= 0) {
      if (reader.fieldLength(userCol) === 0) this.emptyUsers++;
      else {
        userCode = fieldCode(this.users, reader, userCol);
        this.userCounts = counted(this.userCounts, userCode);
      }
    }
    const itemCol = this.itemCol;
    let itemCode = -1;
    if (itemCol >= 0) {
      if (reader.fieldLength(itemCol) === 0) this.emptyItems++;
      else itemCode = fieldCode(this.items, reader, itemCol);
    }
    if (this.eventCol >= 0) {
      const k = fieldCode(this.eventTypes, reader, this.eventCol);
      if (k === this.eventCounts.length) {
        this.eventCounts = grown(this.eventCounts, new Float64Array(k * 2));
      }
      if (this.eventCounts[k]++ === 0 && valueAt(this.eventTypes, k) === this.eventType) {
        this.eventTypeCode = k;
      }
      if (userCode >= 0 && k === this.eventTypeCode) {
        this.eventTypeUserCounts = counted(this.eventTypeUserCounts, userCode);
      }
    }
    // Once a row has failed, no data is returned: only the checks go on.
    const row = this.records - 1;
    const collecting = this.collect && this.issueCount === 0;
    if (collecting && row >= this.capacity) this.grow(row);
    const timeCol = this.timeCol;
    const starts = reader.starts;
    for (let c = 0; c < columnCount; c++) {
      const check = checks[c];
      const kind = check.kind;
      if (kind === IGNORED) continue;
      const sink = collecting ? this.sinks[c] : undefined;
      const length = reader.fieldLength(c);
      if (length === 0) {
        if (!check.nullable) {
          this.problem(
            line,
            check,
            "",
            `is empty, but ${check.name} is not nullable in the schema`,
          );
        } else if (sink !== undefined) {
          if (sink.kind === "string") sink.codes[row] = -1;
          else {
            sink.nulls![row] = 1;
            if (sink.kind === "number") sink.values[row] = Number.NaN;
          }
        }
        continue;
      }
      if (kind === INTEGER || kind === DECIMAL_NUMBER) {
        let value: number;
        if (kind === DECIMAL_NUMBER) {
          const raw = reader.field(c);
          value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
          if (!Number.isFinite(value)) value = Number.NaN;
        } else {
          const start = starts[c];
          if (start >= 0) value = integerAt(reader.text, start, reader.ends[c], check.isInt);
          else {
            const raw = reader.field(c);
            value = integerAt(raw, 0, raw.length, check.isInt);
          }
        }
        if (value !== value) {
          this.problem(line, check, reader.field(c), `is not ${check.typeName}`);
          continue;
        }
        if (kind === INTEGER && check.isTimestamp && value > MILLISECONDS_THRESHOLD) {
          this.problem(
            line,
            check,
            reader.field(c),
            `looks like epoch milliseconds; ${check.name} must be Unix epoch seconds (divide by 1000)`,
          );
          continue;
        }
        if (c === timeCol) {
          if (value < this.firstTimestamp) this.firstTimestamp = value;
          if (value > this.lastTimestamp) this.lastTimestamp = value;
        }
        if (sink?.kind === "number") sink.values[row] = value;
        continue;
      }
      if (kind === BOOLEAN) {
        const yes = reader.fieldIs(c, "true");
        if (!yes && !reader.fieldIs(c, "false")) {
          this.problem(line, check, reader.field(c), `is not ${check.typeName}`);
          continue;
        }
        if (sink?.kind === "boolean") sink.values[row] = yes ? 1 : 0;
        continue;
      }
      if (kind === ID && length > MAX_ID_LENGTH) {
        this.problem(
          line,
          check,
          reader.field(c),
          `is ${length} characters long; IDs may have at most ${MAX_ID_LENGTH}`,
        );
        continue;
      }
      if (kind === CATEGORICAL && length > MAX_CATEGORICAL_VALUE_LENGTH) {
        const long = reader
          .field(c)
          .split("|")
          .find((part) => part.length > MAX_CATEGORICAL_VALUE_LENGTH);
        if (long !== undefined) {
          this.problem(
            line,
            check,
            reader.field(c),
            `has a categorical value of ${long.length} characters; each |-separated value may have at most ${MAX_CATEGORICAL_VALUE_LENGTH}`,
          );
          continue;
        }
      }
      if (sink?.kind !== "string") continue;
      if (c === userCol) sink.codes[row] = userCode;
      else if (c === itemCol) sink.codes[row] = itemCode;
      else if (sink.kept === undefined) {
        const code = fieldCode(sink.dict, reader, c);
        sink.codes[row] = code;
        const distinct = sink.dict.count;
        // Mostly unique values (row ids, ISO times, free text) gain nothing from a
        // dictionary but its hashing and its index: from here on they are kept as they come.
        if (code === distinct - 1 && distinct > DEDUPE_UP_TO && distinct * 2 > row) {
          sink.kept = allValues(sink.dict);
          sink.dict = newDictionary();
        }
      } else {
        sink.codes[row] = sink.kept.length;
        sink.kept.push(detached(reader.field(c)));
      }
    }
  }

  private stats(): DataStats {
    const users = this.users.count;
    const stats: DataStats = {
      records: this.records,
      users: users + (this.emptyUsers > 0 ? 1 : 0),
      items: this.items.count + (this.emptyItems > 0 ? 1 : 0),
      usersWithAtLeastTwo: atLeastTwo(this.userCounts, users) + (this.emptyUsers >= 2 ? 1 : 0),
      eventTypes: Object.fromEntries(
        allValues(this.eventTypes).map((name, k) => [name, this.eventCounts[k]]),
      ),
    };
    if (Number.isFinite(this.firstTimestamp)) {
      stats.firstTimestamp = this.firstTimestamp;
      stats.lastTimestamp = this.lastTimestamp;
    }
    if (this.eventType !== undefined) {
      stats.forEventType = {
        eventType: this.eventType,
        records: stats.eventTypes[this.eventType] ?? 0,
        usersWithAtLeastTwo: atLeastTwo(this.eventTypeUserCounts, users),
      };
    }
    return stats;
  }

  private result(): ValidationResult {
    if (this.headerFailure) return this.headerFailure;
    const stats = this.stats();
    const { issues, warnings } = this;
    const fail = (reason: string): ValidationResult => ({
      ok: false,
      failureReason: reason,
      issues,
      warnings,
      stats,
    });
    if (this.header === undefined && this.issueCount === 0) {
      const message = `Input CSV is empty; its first line must be a header naming the columns ${list(this.schema.fields.map((f) => f.name))}`;
      issues.push({ line: 1, message });
      return fail(message);
    }
    if (this.issueCount > 0) {
      const more = this.issueCount - 1;
      return fail(
        more > 0
          ? `${issues[0].message} (and ${more} more problem${more === 1 ? "" : "s"})`
          : issues[0].message,
      );
    }
    if (
      this.minimumRecords &&
      this.datasetType === "INTERACTIONS" &&
      this.records < MIN_IMPORT_INTERACTIONS
    ) {
      const message = `Input CSV has ${this.records} interaction records; an INTERACTIONS import job needs at least ${MIN_IMPORT_INTERACTIONS}`;
      issues.push({ line: this.stream.reader.line || 1, message });
      return fail(message);
    }
    const result: ValidationResult = { ok: true, issues, warnings, stats };
    if (this.collect) {
      const rows = this.records;
      const header = this.header!;
      result.data = {
        header,
        rows,
        columns: Object.fromEntries(
          header.flatMap((name, c) => {
            const sink = this.sinks[c];
            return sink ? [[name, finishSink(sink, rows)]] : [];
          }),
        ),
      };
    }
    return result;
  }
}

/**
 * Validates a whole import file (bytes or text) at once: `CsvValidator` over one input. A large
 * buffer is still read in pieces, never decoded into one string.
 */
export function validateCsv(
  input: Uint8Array | string,
  schema: PersonalizeSchema,
  datasetType: DatasetType,
  options: ValidateOptions = {},
): ValidationResult {
  const expectedBytes =
    options.expectedBytes ?? (typeof input === "string" ? input.length : input.byteLength);
  return new CsvValidator(schema, datasetType, { ...options, expectedBytes }).write(input).end();
}

/**
 * Personalize's training minimums (>= 1000 interactions after filtering; >= 25 users with
 * >= 2 interactions) on stats; undefined when met, else the service's failure wording.
 */
export function trainingMinimumsProblem(
  stats: Pick<DataStats, "records" | "usersWithAtLeastTwo">,
): string | undefined {
  if (stats.records < MIN_TRAINING_INTERACTIONS) {
    return `Dataset has fewer than ${MIN_TRAINING_INTERACTIONS} interactions after filtering by event type: found ${stats.records}.`;
  }
  if (stats.usersWithAtLeastTwo < MIN_TRAINING_USERS_WITH_TWO) {
    return `Create failed. Dataset has fewer than ${MIN_TRAINING_USERS_WITH_TWO} users with at least 2 interactions each.`;
  }
  return undefined;
}
