/**
 * Dataset import jobs: read `dataSource.dataLocation` from the emulator's S3 in pieces, check
 * every file with the shared streaming validator (schemas/validator.ts) while collecting its
 * columns, then replace (FULL) or extend (INCREMENTAL) the dataset's bulk data. An object of any
 * size is read without holding its bytes, or its text, in memory.
 *
 * Failure wording: an unknown bucket fails as the service does when it cannot read the
 * bucket ("Insufficient privileges for accessing data in Amazon S3"), with the bucket named;
 * an unknown object or an empty folder is named explicitly ("Data location ... does not exist").
 */
import { parseSchema, SchemaError } from "../../schemas/avro";
import { fileChunks } from "../../schemas/file-chunks";
import {
  CsvValidator,
  MIN_IMPORT_INTERACTIONS,
  columnValue,
  columnValues,
  type Column,
  type ColumnarData,
} from "../../schemas/validator";
import type { ImportJobSpec, ObjectBody, ObjectStore, Outcome } from "../dataplane";
import { InteractionTable, concatColumns, type InteractionColumns } from "../ml/interactions";
import { Vocabulary } from "../ml/vocabulary";
import { mergeRecords, type DatasetStore, type RecordData } from "./datasets";

const ID_COLUMNS: Record<string, string> = {
  ITEMS: "ITEM_ID",
  USERS: "USER_ID",
  ACTIONS: "ACTION_ID",
};

/** What the interactions table keeps; other columns (e.g. TIMESTAMP_ISO) are only checked. */
const INTERACTION_COLUMNS = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"];

/** `s3://bucket/key` -> bucket and key; undefined for anything else. */
export function parseS3Location(location: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(location);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

/**
 * The objects a data location names: one key, or every object directly under a folder,
 * whatever its name (the workshop's Glue job writes part files such as
 * `run-1551018703844-part-r-00000`, with no extension). Empty objects in a folder (the
 * console's folder marker, a Spark `_SUCCESS` flag) hold no data and are skipped [inferred];
 * the developer guide includes sub-folders only for data deletion jobs, so imports do not
 * recurse.
 */
export function resolveLocation(
  objects: ObjectStore,
  location: string,
): { files: ImportFile[] } | { failureReason: string } {
  const parsed = parseS3Location(location);
  if (!parsed) {
    return {
      failureReason: `Invalid Data location: ${location}. Use s3://bucket/file.csv or s3://bucket/folder/.`,
    };
  }
  const { bucket, key } = parsed;
  if (!objects.hasBucket(bucket)) {
    return {
      failureReason: `Insufficient privileges for accessing data in Amazon S3: bucket "${bucket}" of ${location} does not exist or cannot be read.`,
    };
  }
  if (key === "" || key.endsWith("/")) {
    const files: ImportFile[] = [];
    for (const k of objects.listKeys(bucket, key)) {
      if (k.length === key.length || k.includes("/", key.length)) continue;
      const body = objects.openObject(bucket, k);
      if (body && body.size > 0) files.push({ key: k, body });
    }
    if (files.length === 0) {
      return { failureReason: `Data location ${location} does not exist or has no data files.` };
    }
    return { files };
  }
  const body = objects.openObject(bucket, key);
  if (!body) return { failureReason: `Data location ${location} does not exist.` };
  return { files: [{ key, body }] };
}

/** One object of an import: its key and where its bytes are. */
export interface ImportFile {
  key: string;
  body: ObjectBody;
}

/** What parsing an import needs: plain data, so it can run in the worker thread. */
export interface ParseWork {
  schemaJson: string;
  datasetType: ImportJobSpec["datasetType"];
  dataLocation: string;
  files: ImportFile[];
}

/** The checked contents of an import's files, or why the job fails. */
export type Parsed = { failureReason: string } | (ParsedData & { warnings: string[] });
type ParsedData = { interactions: InteractionColumns } | { records: RecordData[] };

/** The bytes of an object, piece by piece. */
function* bodyChunks(body: ObjectBody): Generator<Uint8Array> {
  if ("path" in body) yield* fileChunks(body.path);
  else yield* body.chunks;
}

/**
 * Checks every file with the shared validator and converts the rows (pure; no store).
 * Consumes `work.files`: each in-memory file is let go once read.
 */
export function parseImport(work: ParseWork): Parsed {
  let schema;
  try {
    schema = parseSchema(work.schemaJson);
  } catch (err) {
    if (err instanceof SchemaError) return { failureReason: `Invalid schema: ${err.message}` };
    throw err;
  }
  const parts: ColumnarData[] = [];
  const warnings: string[] = [];
  let records = 0;
  const files = work.files;
  const several = files.length > 1;
  const bucket = parseS3Location(work.dataLocation)?.bucket ?? "";
  for (let f = 0; f < files.length; f++) {
    const { key, body } = files[f];
    const validator = new CsvValidator(schema, work.datasetType, {
      collect: true,
      collectColumns: work.datasetType === "INTERACTIONS" ? INTERACTION_COLUMNS : undefined,
      minimumRecords: !several,
      expectedBytes: body.size,
    });
    try {
      for (const chunk of bodyChunks(body)) {
        validator.write(chunk);
        if (validator.settled) break;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      return {
        failureReason: `s3://${bucket}/${key} could not be read (${code}); it was deleted or replaced during the import.`,
      };
    }
    files[f] = { key, body: { size: body.size, chunks: [] } };
    const result = validator.end();
    if (!result.ok || !result.data) {
      const reason = result.failureReason ?? "Input CSV is not valid";
      return { failureReason: several ? `s3://${bucket}/${key}: ${reason}` : reason };
    }
    for (const warning of result.warnings) {
      if (!warnings.includes(warning.message)) warnings.push(warning.message);
    }
    parts.push(result.data);
    records += result.data.rows;
  }
  if (work.datasetType === "INTERACTIONS") {
    if (several && records < MIN_IMPORT_INTERACTIONS) {
      return {
        failureReason: `Input CSV files under ${work.dataLocation} have ${records} interaction records; an INTERACTIONS import job needs at least ${MIN_IMPORT_INTERACTIONS}`,
      };
    }
    const tables = parts.map(toInteractions);
    return { interactions: tables.length === 1 ? tables[0] : concatColumns(tables), warnings };
  }
  const idColumn = ID_COLUMNS[work.datasetType] ?? "USER_ID";
  return { records: parts.map((part) => toRecords(part, idColumn)), warnings };
}

/**
 * Runs an import job: resolve the data location, parse (through `parse`, which may run it
 * in the worker thread), then replace (FULL) or extend (INCREMENTAL) the dataset. The
 * validator's warnings (e.g. columns the schema does not have, which are ignored) go to `warn`.
 */
export async function runImport(
  spec: ImportJobSpec,
  objects: ObjectStore,
  store: DatasetStore,
  parse: (work: ParseWork) => Promise<Parsed>,
  warn: (line: string) => void = () => undefined,
): Promise<Outcome> {
  const resolved = resolveLocation(objects, spec.dataLocation);
  if ("failureReason" in resolved) return resolved;
  if (spec.importMode === "INCREMENTAL" && !store.get(spec.datasetArn)?.bulkImported) {
    return {
      failureReason: `An INCREMENTAL import needs an earlier bulk (FULL) import into ${spec.datasetArn}; import with importMode FULL first.`,
    };
  }
  const parsed = await parse({
    schemaJson: spec.schemaJson,
    datasetType: spec.datasetType,
    dataLocation: spec.dataLocation,
    files: resolved.files,
  });
  if ("failureReason" in parsed) return parsed;
  for (const warning of parsed.warnings) {
    warn(`Import job ${spec.jobArn} (${spec.dataLocation}): ${warning}`);
  }

  const dataset = store.ensure(spec.datasetArn, spec.datasetGroupArn, spec.datasetType);
  if ("interactions" in parsed) {
    if (spec.importMode === "FULL" || !dataset.bulk) {
      dataset.bulk = InteractionTable.from(parsed.interactions);
    } else {
      dataset.bulk.appendTable(parsed.interactions);
    }
  } else {
    let merged: RecordData | undefined = spec.importMode === "FULL" ? undefined : dataset.records;
    for (const part of parsed.records) merged = mergeRecords(merged, part);
    dataset.records = merged;
  }
  dataset.bulkImported = true;
  store.saveBulk(dataset);
  return {};
}

/**
 * An interactions table straight from the validator's columns: its dictionary codes and
 * distinct strings become the table's id columns and vocabularies as they are, uncopied.
 */
function toInteractions(data: ColumnarData): InteractionColumns {
  const rows = data.rows;
  const users = asStrings(data.columns.USER_ID, rows);
  const items = asStrings(data.columns.ITEM_ID, rows);
  const eventType = data.columns.EVENT_TYPE;
  const types = eventType ? asStrings(eventType, rows) : undefined;
  return {
    length: rows,
    users: users.codes,
    items: items.codes,
    times: asNumbers(data.columns.TIMESTAMP, rows),
    types: types ? types.codes : new Int32Array(rows).fill(-1),
    // NaN marks a missing EVENT_VALUE in both the validator's column and the table.
    values: new Float32Array(asNumbers(data.columns.EVENT_VALUE, rows)),
    userIds: users.strings,
    itemIds: items.strings,
    eventTypes: types ? types.strings : [],
  };
}

/** A string column as it is; any other column's values turned into strings (null stays -1). */
function asStrings(
  column: Column | undefined,
  rows: number,
): { codes: Int32Array; strings: string[] } {
  if (column?.kind === "string") return column;
  const codes = new Int32Array(rows).fill(-1);
  const vocab = new Vocabulary();
  if (column) {
    for (let r = 0; r < rows; r++) {
      const value = columnValue(column, r);
      if (value !== null) codes[r] = vocab.intern(String(value));
    }
  }
  return { codes, strings: vocab.ids };
}

/** A number column's values (NaN where null), or NaN throughout when there is no such column. */
function asNumbers(column: Column | undefined, rows: number): Float64Array {
  if (column?.kind === "number") return column.values;
  const out = new Float64Array(rows).fill(Number.NaN);
  if (column) for (let r = 0; r < rows; r++) out[r] = Number(columnValue(column, r) ?? Number.NaN);
  return out;
}

function toRecords(data: ColumnarData, idColumn: string): RecordData {
  const idValues = data.columns[idColumn];
  const ids = idValues ? columnValues(idValues).map((v) => String(v)) : [];
  const columns: RecordData["columns"] = {};
  for (const [name, column] of Object.entries(data.columns)) {
    if (name !== idColumn) columns[name] = columnValues(column);
  }
  const index = new Map<string, number>();
  const uniqueIds: string[] = [];
  const uniqueColumns: RecordData["columns"] = Object.fromEntries(
    Object.keys(columns).map((c) => [c, []]),
  );
  // A later row for the same id replaces the earlier one.
  ids.forEach((id, r) => {
    let at = index.get(id);
    if (at === undefined) {
      at = uniqueIds.length;
      uniqueIds.push(id);
      index.set(id, at);
    }
    for (const c of Object.keys(columns)) uniqueColumns[c][at] = columns[c][r];
  });
  return { idColumn, ids: uniqueIds, index, columns: uniqueColumns };
}
