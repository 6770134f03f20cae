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

/** The rows column by column, values typed per schema field (null for an empty nullable value). */
export interface ColumnarData {
  header: string[];
  rows: number;
  columns: Record<string, (string | number | boolean | null)[]>;
}

export interface ValidationResult {
  ok: boolean;
  /** One sentence a user can act on, in the service's words where they are known. */
  failureReason?: string;
  issues: ValidationIssue[];
  /** Things the service may accept but that deserve a look, e.g. columns out of schema order. */
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
  field: SchemaField;
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
  const { field } = check;
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
  const unknown = header.filter((name) => !byName.has(name));
  const missing = schema.fields
    .filter((f) => !f.nullable && !header.includes(f.name))
    .map((f) => f.name);
  if (missing.length > 0) {
    headerIssues.push({
      line: reader.line,
      message: `Input CSV is missing the following columns: ${list(missing)}`,
    });
  }
  if (unknown.length > 0) {
    headerIssues.push({
      line: reader.line,
      column: unknown[0],
      message: `Input CSV has columns that are not in the schema: ${list(unknown)} (the schema's fields are ${list(fieldNames)})`,
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

  // The 2023 developer guide asks for the schema's field order; matching by name is what the
  // service does in practice (personalize-api.md §5), so a different order is only a warning.
  const warnings: ValidationIssue[] = [];
  const schemaOrder = fieldNames.filter((name) => header.includes(name));
  if (schemaOrder.some((name, i) => header[i] !== name)) {
    warnings.push({
      line: reader.line,
      message: `Input CSV columns are in the order ${list(header)}, not the schema's ${list(schemaOrder)}; matching them by name`,
    });
  }
  const checks: ColumnCheck[] = header.map((name) => ({
    name,
    field: byName.get(name)!,
    isId: ID_FIELDS.includes(name),
    isTimestamp: TIMESTAMP_FIELDS.includes(name),
  }));
  const columnCount = checks.length;
  const userCol = header.indexOf("USER_ID");
  const itemCol = header.indexOf(datasetType.startsWith("ACTION") ? "ACTION_ID" : "ITEM_ID");
  const eventCol = header.indexOf("EVENT_TYPE");
  const timeCol =
    header.indexOf("TIMESTAMP") >= 0
      ? header.indexOf("TIMESTAMP")
      : header.indexOf("CREATION_TIMESTAMP");
  const userCounts = new Map<string, number>();
  const items = new Set<string>();
  const eventTypes = new Map<string, number>();
  let lastEvent = "";
  let lastEventCount = 0;
  let firstTimestamp = Number.POSITIVE_INFINITY;
  let lastTimestamp = Number.NEGATIVE_INFINITY;
  const columns: Value[][] = checks.map(() => []);

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
    for (let c = 0; c < columnCount; c++) {
      const raw = fields[c];
      const check = checks[c];
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
      if (collect) columns[c].push(typed);
    }
    if (userCol >= 0) {
      const u = fields[userCol];
      userCounts.set(u, (userCounts.get(u) ?? 0) + 1);
    }
    if (itemCol >= 0) items.add(fields[itemCol]);
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
  }

  if (lastEventCount > 0)
    eventTypes.set(lastEvent, (eventTypes.get(lastEvent) ?? 0) + lastEventCount);
  stats.records = records;
  stats.users = userCounts.size;
  stats.items = items.size;
  let twoOrMore = 0;
  for (const count of userCounts.values()) if (count >= 2) twoOrMore++;
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
      columns: Object.fromEntries(header.map((name, c) => [name, columns[c]])),
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
