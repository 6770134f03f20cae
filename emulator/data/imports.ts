/**
 * Dataset import jobs: read `dataSource.dataLocation` from the emulator's S3, check every
 * file with the shared validator (schemas/validator.ts), then replace (FULL) or extend
 * (INCREMENTAL) the dataset's bulk data.
 *
 * Failure wording: an unknown bucket fails as the service does when it cannot read the
 * bucket ("Insufficient privileges for accessing data in Amazon S3"), with the bucket named;
 * an unknown object or an empty folder is named explicitly ("Data location ... does not exist").
 */
import { isUtf8 } from "node:buffer";
import { parseSchema, SchemaError } from "../../schemas/avro";
import {
  MIN_IMPORT_INTERACTIONS,
  columnValue,
  columnValues,
  validateCsv,
  type Column,
  type ColumnarData,
} from "../../schemas/validator";
import type { ImportJobSpec, ObjectStore, Outcome } from "../dataplane";
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

/** The objects a data location names: one key, or every CSV directly under a folder. */
export function resolveLocation(
  objects: ObjectStore,
  location: string,
): { files: { key: string; body: Buffer }[] } | { failureReason: string } {
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
    const keys = objects
      .listKeys(bucket, key)
      .filter((k) => !k.slice(key.length).includes("/") && k.toLowerCase().endsWith(".csv"));
    if (keys.length === 0) {
      return { failureReason: `Data location ${location} does not exist or has no CSV files.` };
    }
    return { files: keys.map((k) => ({ key: k, body: objects.getObject(bucket, k)! })) };
  }
  const body = objects.getObject(bucket, key);
  if (!body) return { failureReason: `Data location ${location} does not exist.` };
  return { files: [{ key, body }] };
}

/** What parsing an import needs: plain data, so it can run in the worker thread. */
export interface ParseWork {
  schemaJson: string;
  datasetType: ImportJobSpec["datasetType"];
  dataLocation: string;
  files: { key: string; body: Uint8Array }[];
}

/** The checked contents of an import's files, or why the job fails. */
export type Parsed =
  { failureReason: string } | { interactions: InteractionColumns } | { records: RecordData[] };

/**
 * Checks every file with the shared validator and converts the rows (pure; no store).
 * Consumes `work.files`: each file's bytes are let go once decoded, so a large file is not
 * held as bytes and as text at once.
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
  let records = 0;
  const files = work.files;
  const several = files.length > 1;
  const bucket = parseS3Location(work.dataLocation)?.bucket ?? "";
  for (let f = 0; f < files.length; f++) {
    const { key, body } = files[f];
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    // Decoded here rather than in the validator so the bytes can go before the rows are read.
    // The BOM is left for the validator to drop; bytes that are not UTF-8 go to it as they
    // are, for its own wording of the failure.
    const input = isUtf8(bytes) ? bytes.toString("utf8") : bytes;
    files[f] = { key, body: new Uint8Array(0) };
    const result = validateCsv(input, schema, work.datasetType, {
      collect: true,
      collectColumns: work.datasetType === "INTERACTIONS" ? INTERACTION_COLUMNS : undefined,
      minimumRecords: !several,
    });
    if (!result.ok || !result.data) {
      const reason = result.failureReason ?? "Input CSV is not valid";
      return { failureReason: several ? `s3://${bucket}/${key}: ${reason}` : reason };
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
    return { interactions: tables.length === 1 ? tables[0] : concatColumns(tables) };
  }
  const idColumn = ID_COLUMNS[work.datasetType] ?? "USER_ID";
  return { records: parts.map((part) => toRecords(part, idColumn)) };
}

/**
 * Runs an import job: resolve the data location, parse (through `parse`, which may run it
 * in the worker thread), then replace (FULL) or extend (INCREMENTAL) the dataset.
 */
export async function runImport(
  spec: ImportJobSpec,
  objects: ObjectStore,
  store: DatasetStore,
  parse: (work: ParseWork) => Promise<Parsed>,
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
