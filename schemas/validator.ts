/**
 * The one CSV-against-schema validator (design.md §3), shared by the emulator's import jobs,
 * the providers' preview check and `npm run validate`. Rules: personalize-api.md §5 and §6.
 */
import { DatasetType, FieldType, PersonalizeSchema, SchemaField } from "./avro";
import { CsvEncodingError, CsvReader, decodeCsv } from "./csv";

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
}

/** Each interactions import job needs at least this many records (personalize-api.md §6). */
export const MIN_IMPORT_INTERACTIONS = 1000;
/** Training minimums (personalize-api.md §6). */
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

type Value = string | number | boolean | null;

/** What a column is checked against, resolved once from the header. */
interface ColumnCheck {
  name: string;
  /** Undefined for a column the schema does not have: it is ignored. */
  field: SchemaField | undefined;
  isId: boolean;
  isTimestamp: boolean;
}

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** Parses an Avro int/long written in decimal; undefined when it is not one. */
function parseInteger(value: string, type: FieldType): number | undefined {
  const len = value.length;
  let i = value.charCodeAt(0) === 0x2d || value.charCodeAt(0) === 0x2b ? 1 : 0;
  if (i === len) return undefined;
  let n = 0;
  for (; i < len; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  if (value.charCodeAt(0) === 0x2d) n = -n;
  if (type === "int") return n >= INT_MIN && n <= INT_MAX ? n : undefined;
  if (Number.isSafeInteger(n)) return n;
  const big = BigInt(value);
  return big >= BigInt(LONG_MIN) && big <= BigInt(LONG_MAX) ? n : undefined;
}

const TYPE_NAMES: Record<FieldType, string> = {
  string: "a string",
  int: "an int (a whole number between -2147483648 and 2147483647)",
  long: "a long (a whole number)",
  float: "a float (a decimal number)",
  double: "a double (a decimal number)",
  boolean: "a boolean (lower-case true or false)",
};

/** Returns the typed value, or the problem with it (completing "value X ..."). */
function checkValue(check: ColumnCheck, raw: string): Value | { problem: string } {
  const field = check.field!;
  if (raw.length === 0) {
    if (field.nullable) return null;
    return { problem: `is empty, but ${field.name} is not nullable in the schema` };
  }
  switch (field.type) {
    case "string": {
      if (check.isId && raw.length > MAX_ID_LENGTH) {
        return {
          problem: `is ${raw.length} characters long; IDs may have at most ${MAX_ID_LENGTH}`,
        };
      }
      if (field.categorical && raw.length > MAX_CATEGORICAL_VALUE_LENGTH) {
        for (const part of raw.split("|")) {
          if (part.length > MAX_CATEGORICAL_VALUE_LENGTH) {
            return {
              problem: `has a categorical value of ${part.length} characters; each |-separated value may have at most ${MAX_CATEGORICAL_VALUE_LENGTH}`,
            };
          }
        }
      }
      return raw;
    }
    case "int":
    case "long": {
      const n = parseInteger(raw, field.type);
      if (n === undefined) return { problem: `is not ${TYPE_NAMES[field.type]}` };
      if (check.isTimestamp && n > MILLISECONDS_THRESHOLD) {
        return {
          problem: `looks like epoch milliseconds; ${field.name} must be Unix epoch seconds (divide by 1000)`,
        };
      }
      return n;
    }
    case "float":
    case "double": {
      const n = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) return { problem: `is not ${TYPE_NAMES[field.type]}` };
      return n;
    }
    case "boolean": {
      if (raw === "true") return true;
      if (raw === "false") return false;
      return { problem: `is not ${TYPE_NAMES.boolean}` };
    }
  }
}

/** Distinct strings and their codes. A plain object, built per call: no module-level Map. */
interface Dictionary {
  index: Map<string, number>;
  strings: string[];
  /** The value last interned and its code. */
  last: string;
  lastCode: number;
}

function newDictionary(): Dictionary {
  return { index: new Map<string, number>(), strings: [], last: "", lastCode: -1 };
}

/**
 * The value's code, assigning the next one on first sight. Runs of one value (a user's rows
 * in a file sorted by user, event types) skip the hash lookup, which is most of the cost.
 */
function intern(dict: Dictionary, value: string): number {
  if (value === dict.last && dict.lastCode >= 0) return dict.lastCode;
  let code = dict.index.get(value);
  if (code === undefined) {
    code = dict.strings.length;
    dict.strings.push(value);
    dict.index.set(value, code);
  }
  dict.last = value;
  dict.lastCode = code;
  return code;
}

/** Where one column's values are collected while the rows are read. */
type Sink =
  | { kind: "string"; codes: Int32Array; dict: Dictionary; dedupe: boolean }
  | { kind: "number"; values: Float64Array; nulls?: Uint8Array }
  | { kind: "boolean"; values: Uint8Array; nulls?: Uint8Array };

function newSink(field: SchemaField, capacity: number): Sink {
  const nulls = field.nullable ? new Uint8Array(capacity) : undefined;
  switch (field.type) {
    case "string":
      return {
        kind: "string",
        codes: new Int32Array(capacity),
        dict: newDictionary(),
        dedupe: true,
      };
    case "boolean":
      return { kind: "boolean", values: new Uint8Array(capacity), nulls };
    default:
      return { kind: "number", values: new Float64Array(capacity), nulls };
  }
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
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
    return { kind: "string", codes: trimmed(sink.codes, rows), strings: sink.dict.strings };
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

/** At least the number of records in `text` (one per line, at most), for sizing the sinks. */
function lineCountBound(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function emptyStats(): DataStats {
  return { records: 0, users: 0, items: 0, usersWithAtLeastTwo: 0, eventTypes: {} };
}

function fail(
  reason: string,
  issues: ValidationIssue[],
  stats: DataStats,
  warnings: ValidationIssue[] = [],
): ValidationResult {
  return { ok: false, failureReason: reason, issues, warnings, stats };
}

function list(names: string[]): string {
  return `[${names.join(", ")}]`;
}

/**
 * Validates an import file against a schema as a dataset import job does. Never throws on bad
 * data: every problem becomes an issue, and the first (or most important) the failureReason.
 */
export function validateCsv(
  input: string | Buffer,
  schema: PersonalizeSchema,
  datasetType: DatasetType,
  options: ValidateOptions = {},
): ValidationResult {
  const maxIssues = options.maxIssues ?? 20;
  const collect = options.collect ?? false;
  const minimumRecords = options.minimumRecords ?? true;
  const stats = emptyStats();

  let text: string;
  try {
    text = decodeCsv(input);
  } catch (err) {
    if (!(err instanceof CsvEncodingError)) throw err;
    return fail(err.message, [{ line: 1, message: err.message }], stats);
  }

  const reader = new CsvReader(text);
  const fields: string[] = [];
  const headerCount = reader.next(fields);
  const fieldNames = schema.fields.map((f) => f.name);
  if (headerCount < 0) {
    const message = `Input CSV is empty; its first line must be a header naming the columns ${list(fieldNames)}`;
    return fail(message, [{ line: 1, message }], stats);
  }
  const header = fields.slice(0, headerCount);

  // Header problems stop the import before any row is read.
  const headerIssues: ValidationIssue[] = [];
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const duplicates = header.filter((name, i) => header.indexOf(name) !== i);
  const missing = schema.fields
    .filter((f) => !f.nullable && !header.includes(f.name))
    .map((f) => f.name);
  if (missing.length > 0) {
    headerIssues.push({
      line: reader.line,
      message: `Input CSV is missing the following columns: ${list(missing)}`,
    });
  }
  if (duplicates.length > 0) {
    headerIssues.push({
      line: reader.line,
      column: duplicates[0],
      message: `Input CSV header repeats the columns ${list([...new Set(duplicates)])}`,
    });
  }
  if (headerIssues.length > 0) {
    return fail(headerIssues[0].message, headerIssues.slice(0, maxIssues), stats);
  }

  // Columns the schema does not have: the workshop shipped a six-column CSV with a four-field
  // schema from February to May 2019 and told users the two extra columns are ignored
  // (README.md, "Columns the schema does not have"), so they are ignored, with a warning.
  const warnings: ValidationIssue[] = [];
  const unknown = header.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    warnings.push({
      line: reader.line,
      column: unknown[0],
      message: `Input CSV has columns that are not in the schema: ${list(unknown)}; they are ignored (the schema's fields are ${list(fieldNames)})`,
    });
  }
  // The 2023 developer guide asks for the schema's field order; matching by name is what the
  // service does in practice (personalize-api.md §5), so a different order is only a warning.
  const known = header.filter((name) => byName.has(name));
  const schemaOrder = fieldNames.filter((name) => header.includes(name));
  if (schemaOrder.some((name, i) => known[i] !== name)) {
    warnings.push({
      line: reader.line,
      message: `Input CSV columns are in the order ${list(known)}, not the schema's ${list(schemaOrder)}; matching them by name`,
    });
  }
  const checks: ColumnCheck[] = header.map((name) => ({
    name,
    field: byName.get(name),
    isId: ID_FIELDS.includes(name),
    isTimestamp: TIMESTAMP_FIELDS.includes(name),
  }));
  const columnCount = checks.length;
  const column = (name: string): number => (byName.has(name) ? header.indexOf(name) : -1);
  const userCol = column("USER_ID");
  const itemCol = column(datasetType.startsWith("ACTION") ? "ACTION_ID" : "ITEM_ID");
  const eventCol = column("EVENT_TYPE");
  const timeCol = column("TIMESTAMP") >= 0 ? column("TIMESTAMP") : column("CREATION_TIMESTAMP");
  // Sized once from the line count, so a large file's columns are not regrown row by row.
  let capacity = collect ? Math.max(16, lineCountBound(text) - 1) : 0;
  const kept = options.collectColumns;
  const sinks: (Sink | undefined)[] = collect
    ? checks.map((check) =>
        check.field && (kept === undefined || kept.includes(check.name))
          ? newSink(check.field, capacity)
          : undefined,
      )
    : [];
  // Distinct users and items, counted through the same dictionaries the collected USER_ID and
  // ITEM_ID columns use, so each value is hashed once per row. Empty values are counted apart:
  // a nullable id column collects them as null, not as a string.
  const sinkDictionary = (col: number): Dictionary => {
    const sink = sinks[col];
    return sink?.kind === "string" ? sink.dict : newDictionary();
  };
  const users = sinkDictionary(userCol);
  const userCounts: number[] = [];
  let emptyUsers = 0;
  const items = sinkDictionary(itemCol);
  let emptyItems = 0;
  const eventTypes = new Map<string, number>();
  let lastEvent = "";
  let lastEventCount = 0;
  let firstTimestamp = Number.POSITIVE_INFINITY;
  let lastTimestamp = Number.NEGATIVE_INFINITY;

  const issues: ValidationIssue[] = [];
  let issueCount = 0;
  const report = (issue: ValidationIssue): void => {
    issueCount++;
    if (issues.length < maxIssues) issues.push(issue);
  };

  let records = 0;
  for (let n = reader.next(fields); n >= 0; n = reader.next(fields)) {
    records++;
    const line = reader.line;
    if (reader.unterminatedQuote) {
      report({
        line,
        message: `Line ${line} has a quoted value that is never closed; check for a missing " or an unescaped quote`,
      });
      break;
    }
    if (n !== columnCount) {
      const spans = reader.endLine > line;
      report({
        line,
        message: spans
          ? `Line ${line} has ${n} fields, but the header has ${columnCount} columns (${header.join(",")}); a quoted value runs on to line ${reader.endLine}, so a quote is probably unbalanced`
          : `Line ${line} has ${n} fields, but the header has ${columnCount} columns (${header.join(",")}); quote values that contain commas`,
      });
      continue;
    }
    let userCode = -1;
    if (userCol >= 0) {
      const u = fields[userCol];
      if (u.length === 0) emptyUsers++;
      else {
        userCode = intern(users, u);
        if (userCode === userCounts.length) userCounts.push(1);
        else userCounts[userCode]++;
      }
    }
    let itemCode = -1;
    if (itemCol >= 0) {
      const i = fields[itemCol];
      if (i.length === 0) emptyItems++;
      else itemCode = intern(items, i);
    }
    if (eventCol >= 0) {
      // A handful of event types: comparing with the previous row's is cheaper than hashing.
      const e = fields[eventCol];
      if (e === lastEvent) lastEventCount++;
      else {
        if (lastEventCount > 0)
          eventTypes.set(lastEvent, (eventTypes.get(lastEvent) ?? 0) + lastEventCount);
        lastEvent = e;
        lastEventCount = 1;
      }
    }
    // Once a row has failed, no data is returned: only the checks go on.
    const row = records - 1;
    const collecting = collect && issueCount === 0;
    if (collecting && row >= capacity) {
      capacity *= 2;
      for (const sink of sinks) if (sink) growSink(sink, capacity);
    }
    for (let c = 0; c < columnCount; c++) {
      const raw = fields[c];
      const check = checks[c];
      if (check.field === undefined) continue;
      const typed = checkValue(check, raw);
      if (typed !== null && typeof typed === "object") {
        report({
          line,
          column: check.name,
          value: raw,
          message: `Line ${line}, column ${check.name}: value ${show(raw)} ${typed.problem}`,
        });
        continue;
      }
      if (c === timeCol && typeof typed === "number") {
        if (typed < firstTimestamp) firstTimestamp = typed;
        if (typed > lastTimestamp) lastTimestamp = typed;
      }
      const sink = collecting ? sinks[c] : undefined;
      if (sink === undefined) continue;
      if (sink.kind === "string") {
        if (typed === null) sink.codes[row] = -1;
        else if (c === userCol) sink.codes[row] = userCode;
        else if (c === itemCol) sink.codes[row] = itemCode;
        else if (sink.dedupe) {
          const code = intern(sink.dict, raw);
          sink.codes[row] = code;
          const distinct = sink.dict.strings.length;
          // Mostly unique values (row ids, ISO times, free text) gain nothing from a
          // dictionary but its hashing and its index: from here on they are kept as they come.
          if (code === distinct - 1 && distinct > DEDUPE_UP_TO && distinct * 2 > row) {
            sink.dedupe = false;
            sink.dict.index = new Map<string, number>();
          }
        } else {
          sink.codes[row] = sink.dict.strings.length;
          sink.dict.strings.push(raw);
        }
      } else if (typed === null) {
        sink.nulls![row] = 1;
        if (sink.kind === "number") sink.values[row] = Number.NaN;
      } else if (sink.kind === "number") sink.values[row] = typed as number;
      else sink.values[row] = typed === true ? 1 : 0;
    }
  }

  if (lastEventCount > 0)
    eventTypes.set(lastEvent, (eventTypes.get(lastEvent) ?? 0) + lastEventCount);
  stats.records = records;
  stats.users = users.strings.length + (emptyUsers > 0 ? 1 : 0);
  stats.items = items.strings.length + (emptyItems > 0 ? 1 : 0);
  let twoOrMore = emptyUsers >= 2 ? 1 : 0;
  for (const count of userCounts) if (count >= 2) twoOrMore++;
  stats.usersWithAtLeastTwo = twoOrMore;
  stats.eventTypes = Object.fromEntries(eventTypes);
  if (Number.isFinite(firstTimestamp)) {
    stats.firstTimestamp = firstTimestamp;
    stats.lastTimestamp = lastTimestamp;
  }

  if (issueCount > 0) {
    const more = issueCount - 1;
    const reason =
      more > 0
        ? `${issues[0].message} (and ${more} more problem${more === 1 ? "" : "s"})`
        : issues[0].message;
    return fail(reason, issues, stats, warnings);
  }
  if (minimumRecords && datasetType === "INTERACTIONS" && records < MIN_IMPORT_INTERACTIONS) {
    const message = `Input CSV has ${records} interaction records; an INTERACTIONS import job needs at least ${MIN_IMPORT_INTERACTIONS}`;
    return fail(message, [{ line: reader.line || 1, message }], stats, warnings);
  }
  const result: ValidationResult = { ok: true, issues, warnings, stats };
  if (collect) {
    result.data = {
      header,
      rows: records,
      columns: Object.fromEntries(
        header.flatMap((name, c) => {
          const sink = sinks[c];
          return sink ? [[name, finishSink(sink, records)]] : [];
        }),
      ),
    };
  }
  return result;
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
