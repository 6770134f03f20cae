/**
 * The imported data of every dataset, and the events streamed into interactions datasets.
 * Bulk data (import jobs) and streamed data (PutEvents) are kept apart because a FULL
 * import replaces the bulk data but keeps what was streamed, as the service does.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { DatasetType } from "../../schemas/avro";
import { InteractionTable, concatColumns, type InteractionColumns } from "../ml/interactions";
import { arnFileName as fileName, readStored, writeStored } from "./persist";

type Value = string | number | boolean | null;

/** Items, users or actions: one record per id, columns as the schema names them. */
export interface RecordData {
  idColumn: string;
  ids: string[];
  index: Map<string, number>;
  columns: Record<string, Value[]>;
}

export interface DatasetData {
  datasetArn: string;
  datasetGroupArn: string;
  datasetType: DatasetType;
  /** Whether a bulk import has completed (INCREMENTAL needs one). */
  bulkImported: boolean;
  /** INTERACTIONS: bulk-imported interactions. */
  bulk?: InteractionTable;
  /** INTERACTIONS: events streamed with PutEvents, in arrival order. */
  streamed?: InteractionTable;
  /** Other types: the records by id. */
  records?: RecordData;
}

export class DatasetStore {
  private readonly datasets = new Map<string, DatasetData>();
  private readonly pendingEventWrites = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly dir?: string) {
    if (dir && existsSync(dir)) this.load(dir);
  }

  get(datasetArn: string): DatasetData | undefined {
    return this.datasets.get(datasetArn);
  }

  /** The dataset's entry, created empty on first use. */
  ensure(datasetArn: string, datasetGroupArn: string, datasetType: DatasetType): DatasetData {
    let d = this.datasets.get(datasetArn);
    if (!d) {
      d = { datasetArn, datasetGroupArn, datasetType, bulkImported: false };
      if (datasetType === "INTERACTIONS") {
        d.bulk = new InteractionTable();
        d.streamed = new InteractionTable();
      }
      this.datasets.set(datasetArn, d);
    }
    return d;
  }

  /** Everything training sees: bulk data, then streamed events. */
  interactions(datasetArn: string): InteractionColumns | undefined {
    const d = this.datasets.get(datasetArn);
    if (!d?.bulk || !d.streamed) return undefined;
    if (d.streamed.length === 0) return d.bulk.columns();
    return concatColumns([d.bulk.columns(), d.streamed.columns()]);
  }

  drop(datasetArn: string): void {
    this.datasets.delete(datasetArn);
    this.pendingEventWrites.delete(datasetArn);
    if (this.dir) {
      for (const suffix of [".bulk", ".events", ".records"]) {
        rmSync(join(this.dir, fileName(datasetArn) + suffix), { force: true });
      }
    }
  }

  /** Persists the dataset's bulk data or records now. */
  saveBulk(d: DatasetData): void {
    if (!this.dir) return;
    const meta = {
      datasetArn: d.datasetArn,
      datasetGroupArn: d.datasetGroupArn,
      datasetType: d.datasetType,
      bulkImported: d.bulkImported,
    };
    const base = join(this.dir, fileName(d.datasetArn));
    if (d.bulk) {
      writeStored(base + ".bulk", tableToStored(d.bulk, meta));
    } else if (d.records) {
      const r = d.records;
      writeStored(base + ".records", {
        header: { ...meta, idColumn: r.idColumn, ids: r.ids, columns: r.columns },
        arrays: {},
      });
    }
  }

  /** Persists streamed events soon (PutEvents arrive in bursts; one write per burst). */
  saveEventsSoon(d: DatasetData): void {
    if (!this.dir) return;
    this.pendingEventWrites.add(d.datasetArn);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), 200);
      this.flushTimer.unref();
    }
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.dir) return;
    for (const arn of this.pendingEventWrites) {
      const d = this.datasets.get(arn);
      if (d?.streamed) {
        writeStored(join(this.dir, fileName(arn) + ".events"), tableToStored(d.streamed, {}));
      }
    }
    this.pendingEventWrites.clear();
  }

  private load(dir: string): void {
    const files = readdirSync(dir).sort();
    for (const f of files.filter((f) => f.endsWith(".bulk") || f.endsWith(".records"))) {
      const { header, arrays } = readStored(join(dir, f));
      const d: DatasetData = {
        datasetArn: header.datasetArn as string,
        datasetGroupArn: header.datasetGroupArn as string,
        datasetType: header.datasetType as DatasetType,
        bulkImported: header.bulkImported as boolean,
      };
      if (f.endsWith(".bulk")) {
        d.bulk = InteractionTable.from(storedToColumns(header, arrays));
        const events = join(dir, f.replace(/\.bulk$/, ".events"));
        if (existsSync(events)) {
          const stored = readStored(events);
          d.streamed = InteractionTable.from(storedToColumns(stored.header, stored.arrays));
        } else {
          d.streamed = new InteractionTable();
        }
      } else {
        const ids = header.ids as string[];
        d.records = {
          idColumn: header.idColumn as string,
          ids,
          index: new Map(ids.map((id, i) => [id, i])),
          columns: header.columns as Record<string, Value[]>,
        };
      }
      this.datasets.set(d.datasetArn, d);
    }
  }
}

function tableToStored(table: InteractionTable, meta: Record<string, unknown>) {
  const c = table.columns();
  return {
    header: {
      ...meta,
      length: c.length,
      userIds: c.userIds,
      itemIds: c.itemIds,
      eventTypes: c.eventTypes,
    },
    arrays: { users: c.users, items: c.items, times: c.times, types: c.types, values: c.values },
  };
}

function storedToColumns(
  header: Record<string, unknown>,
  arrays: Record<string, Int32Array | Float64Array | Float32Array>,
): InteractionColumns {
  return {
    length: header.length as number,
    userIds: header.userIds as string[],
    itemIds: header.itemIds as string[],
    eventTypes: header.eventTypes as string[],
    users: arrays.users as Int32Array,
    items: arrays.items as Int32Array,
    times: arrays.times as Float64Array,
    types: arrays.types as Int32Array,
    values: arrays.values as Float32Array,
  };
}

/** Upserts records by id (INCREMENTAL) into `into`, or returns `from` (FULL). */
export function mergeRecords(into: RecordData | undefined, from: RecordData): RecordData {
  if (!into) return from;
  const columns = new Set([...Object.keys(into.columns), ...Object.keys(from.columns)]);
  for (const c of columns) {
    into.columns[c] ??= new Array(into.ids.length).fill(null);
  }
  for (let r = 0; r < from.ids.length; r++) {
    const id = from.ids[r];
    let at = into.index.get(id);
    if (at === undefined) {
      at = into.ids.length;
      into.ids.push(id);
      into.index.set(id, at);
    }
    for (const c of columns) into.columns[c][at] = from.columns[c]?.[r] ?? null;
  }
  return into;
}
