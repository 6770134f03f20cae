/**
 * Dataset import jobs: read `dataSource.dataLocation` from the emulator's S3, check every
 * file with the shared validator (schemas/validator.ts), then replace (FULL) or extend
 * (INCREMENTAL) the dataset's bulk data.
 *
 * Failure wording: an unknown bucket fails as the service does when it cannot read the
 * bucket ("Insufficient privileges for accessing data in Amazon S3"), with the bucket named;
 * an unknown object or an empty folder is named explicitly ("Data location ... does not exist").
 */
import { parseSchema, SchemaError } from "../../schemas/avro";
import { MIN_IMPORT_INTERACTIONS, validateCsv, type ColumnarData } from "../../schemas/validator";
import type { ImportJobSpec, ObjectStore, Outcome } from "../dataplane";
import { InteractionTable, type InteractionColumns } from "../ml/interactions";
import { mergeRecords, type DatasetStore, type RecordData } from "./datasets";

const ID_COLUMNS: Record<string, string> = {
  ITEMS: "ITEM_ID",
  USERS: "USER_ID",
  ACTIONS: "ACTION_ID",
};

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

/** Checks every file with the shared validator and converts the rows (pure; no store). */
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
  const several = work.files.length > 1;
  const bucket = parseS3Location(work.dataLocation)?.bucket ?? "";
  for (const file of work.files) {
    const body = Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength);
    const result = validateCsv(body, schema, work.datasetType, {
      collect: true,
      minimumRecords: !several,
    });
    if (!result.ok || !result.data) {
      const reason = result.failureReason ?? "Input CSV is not valid";
      return { failureReason: several ? `s3://${bucket}/${file.key}: ${reason}` : reason };
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
    const table = new InteractionTable();
    table.reserve(records);
    for (const part of parts) appendInteractions(table, part);
    return { interactions: table.columns() };
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

function appendInteractions(table: InteractionTable, data: ColumnarData): void {
  const users = data.columns.USER_ID;
  const items = data.columns.ITEM_ID;
  const times = data.columns.TIMESTAMP;
  const types = data.columns.EVENT_TYPE;
  const values = data.columns.EVENT_VALUE;
  for (let r = 0; r < data.rows; r++) {
    table.append(
      String(users[r]),
      String(items[r]),
      Number(times[r]),
      types ? (types[r] === null ? null : String(types[r])) : undefined,
      values ? (values[r] === null ? null : Number(values[r])) : undefined,
    );
  }
}

function toRecords(data: ColumnarData, idColumn: string): RecordData {
  const ids = (data.columns[idColumn] ?? []).map((v) => String(v));
  const columns: RecordData["columns"] = {};
  for (const name of data.header) if (name !== idColumn) columns[name] = data.columns[name];
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
