/**
 * A columnar interactions table: one typed array per column, ids interned through
 * vocabularies. Imports and PutEvents append to it; training reads it without creating an
 * object per interaction.
 */
import { Vocabulary } from "./vocabulary";

/** The plain, transferable form of an interactions table (what training reads). */
export interface InteractionColumns {
  length: number;
  /** Index into `userIds`. */
  users: Int32Array;
  /** Index into `itemIds`. */
  items: Int32Array;
  /** Epoch seconds. */
  times: Float64Array;
  /** Index into `eventTypes`, or -1 when the row has no EVENT_TYPE. */
  types: Int32Array;
  /** EVENT_VALUE, or NaN when the row has none. */
  values: Float32Array;
  userIds: string[];
  itemIds: string[];
  eventTypes: string[];
}

/** Growable columns over shared vocabularies. */
export class InteractionTable {
  length = 0;
  users: Int32Array = new Int32Array(1024);
  items: Int32Array = new Int32Array(1024);
  times: Float64Array = new Float64Array(1024);
  types: Int32Array = new Int32Array(1024);
  values: Float32Array = new Float32Array(1024);

  constructor(
    readonly userVocab = new Vocabulary(),
    readonly itemVocab = new Vocabulary(),
    readonly typeVocab = new Vocabulary(),
  ) {}

  /** Makes room for `extra` more rows in one allocation. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.users.length) return;
    let capacity = Math.max(this.users.length, 1024);
    while (capacity < need) capacity *= 2;
    this.users = grow(this.users, new Int32Array(capacity));
    this.items = grow(this.items, new Int32Array(capacity));
    this.times = grow(this.times, new Float64Array(capacity));
    this.types = grow(this.types, new Int32Array(capacity));
    this.values = grow(this.values, new Float32Array(capacity));
  }

  append(
    userId: string,
    itemId: string,
    time: number,
    eventType?: string | null,
    value?: number | null,
  ): void {
    this.reserve(1);
    const row = this.length++;
    this.users[row] = this.userVocab.intern(userId);
    this.items[row] = this.itemVocab.intern(itemId);
    this.times[row] = time;
    this.types[row] =
      eventType === undefined || eventType === null ? -1 : this.typeVocab.intern(eventType);
    this.values[row] = value === undefined || value === null ? NaN : value;
  }

  /** Appends every row of `other` (its own vocabularies are re-interned into ours). */
  appendTable(other: InteractionColumns): void {
    this.reserve(other.length);
    const userMap = other.userIds.map((id) => this.userVocab.intern(id));
    const itemMap = other.itemIds.map((id) => this.itemVocab.intern(id));
    const typeMap = other.eventTypes.map((id) => this.typeVocab.intern(id));
    for (let r = 0; r < other.length; r++) {
      const row = this.length++;
      this.users[row] = userMap[other.users[r]];
      this.items[row] = itemMap[other.items[r]];
      this.times[row] = other.times[r];
      const t = other.types[r];
      this.types[row] = t < 0 ? -1 : typeMap[t];
      this.values[row] = other.values[r];
    }
  }

  /** A snapshot view (arrays trimmed to `length`; vocab arrays copied). */
  columns(): InteractionColumns {
    return {
      length: this.length,
      users: this.users.slice(0, this.length),
      items: this.items.slice(0, this.length),
      times: this.times.slice(0, this.length),
      types: this.types.slice(0, this.length),
      values: this.values.slice(0, this.length),
      userIds: this.userVocab.ids.slice(),
      itemIds: this.itemVocab.ids.slice(),
      eventTypes: this.typeVocab.ids.slice(),
    };
  }

  /**
   * A table over `columns`: its arrays are adopted, not copied (appending past them
   * reallocates, so the rows already there are never written), and its ids interned.
   */
  static from(columns: InteractionColumns): InteractionTable {
    const table = new InteractionTable(
      new Vocabulary(columns.userIds),
      new Vocabulary(columns.itemIds),
      new Vocabulary(columns.eventTypes),
    );
    const n = columns.length;
    table.users = columns.users.subarray(0, n);
    table.items = columns.items.subarray(0, n);
    table.times = columns.times.subarray(0, n);
    table.types = columns.types.subarray(0, n);
    table.values = columns.values.subarray(0, n);
    table.length = n;
    return table;
  }
}

/** `to` holding `from` at its start (`to` is the larger array). */
export function grow<T extends Int32Array | Float64Array | Float32Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/** Concatenates tables (e.g. bulk imports and streamed events) into one set of columns. */
export function concatColumns(parts: InteractionColumns[]): InteractionColumns {
  const table = new InteractionTable();
  for (const part of parts) table.appendTable(part);
  return table.columns();
}

export function emptyColumns(): InteractionColumns {
  return new InteractionTable().columns();
}
