/**
 * Training: from a dataset group's interaction columns to a `Model`, by recipe family.
 *
 * - popularity: events per item; trending-now weighs each event by its age (half-life a
 *   tenth of the data's time span, at least an hour), so what is rising now ranks first.
 * - related (SIMS, Similar-Items): co-occurrence of items within users' histories,
 *   normalised by cosine (co / sqrt(n_i * n_j)) and damped for weak evidence
 *   (co / (co + 1)), so popular items do not dominate; the best NEIGHBORS per item kept.
 * - user and ranking: the same item-to-item neighbours, scored at query time against the
 *   user's own recent history (see model.ts), blended with popularity.
 */
import { grow, type InteractionColumns } from "./interactions";
import type { Model, TrainingConfig } from "./model";
import { sortRanks, topKOf } from "./topk";

/** Neighbours kept per item. */
export const NEIGHBORS = 50;
/** Most recent distinct items per user that take part in co-occurrence (bounds the cost of heavy users). */
export const COOCCURRENCE_WINDOW = 200;

export interface TrainingStats {
  /** Interactions left after eventType / eventValueThreshold filtering. */
  records: number;
  /** Users with at least two such interactions. */
  usersWithAtLeastTwo: number;
}

/** Which rows count for training under the configuration. */
export function rowMask(data: InteractionColumns, config: TrainingConfig): Uint8Array {
  const mask = new Uint8Array(data.length);
  const typeIndex = config.eventType === undefined ? -2 : data.eventTypes.indexOf(config.eventType);
  const threshold = config.eventValueThreshold;
  for (let r = 0; r < data.length; r++) {
    if (typeIndex !== -2 && data.types[r] !== typeIndex) continue;
    if (threshold !== undefined && !(data.values[r] >= threshold)) continue;
    mask[r] = 1;
  }
  return mask;
}

export function trainingStats(data: InteractionColumns, config: TrainingConfig): TrainingStats {
  const mask = rowMask(data, config);
  const perUser = new Int32Array(data.userIds.length);
  let records = 0;
  let usersWithAtLeastTwo = 0;
  for (let r = 0; r < data.length; r++) {
    if (!mask[r]) continue;
    records++;
    if (++perUser[data.users[r]] === 2) usersWithAtLeastTwo++;
  }
  return { records, usersWithAtLeastTwo };
}

/** Row indexes grouped by user (CSR over users), each user's rows oldest first. */
export function rowsByUser(data: InteractionColumns): { offsets: Int32Array; rows: Int32Array } {
  const nUsers = data.userIds.length;
  const offsets = new Int32Array(nUsers + 1);
  for (let r = 0; r < data.length; r++) offsets[data.users[r] + 1]++;
  for (let u = 0; u < nUsers; u++) offsets[u + 1] += offsets[u];
  const fill = offsets.slice(0, nUsers);
  const rows = new Int32Array(data.length);
  for (let r = 0; r < data.length; r++) rows[fill[data.users[r]]++] = r;
  const times = data.times;
  for (let u = 0; u < nUsers; u++) {
    const a = offsets[u];
    const b = offsets[u + 1];
    if (b - a < 2) continue;
    let sorted = true;
    for (let p = a + 1; p < b; p++) if (times[rows[p]] < times[rows[p - 1]]) sorted = false;
    if (!sorted) rows.subarray(a, b).sort((x, y) => times[x] - times[y] || x - y);
  }
  return { offsets, rows };
}

/**
 * Trains a model. `base` (trainingMode UPDATE) keeps the base version's item-to-item
 * neighbours and refreshes popularity and histories from the current data, as the
 * service's UPDATE brings in new interactions without a full retraining.
 */
export function trainModel(data: InteractionColumns, config: TrainingConfig, base?: Model): Model {
  const nItems = data.itemIds.length;
  const mask = rowMask(data, config);
  const { offsets, rows } = rowsByUser(data);

  const popularity = new Float64Array(nItems);
  if (config.family === "trending") {
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < data.length; r++) {
      if (!mask[r]) continue;
      if (data.times[r] < min) min = data.times[r];
      if (data.times[r] > max) max = data.times[r];
    }
    const halfLife = Math.max(3600, (max - min) / 10);
    for (let r = 0; r < data.length; r++) {
      if (mask[r]) popularity[data.items[r]] += Math.pow(0.5, (max - data.times[r]) / halfLife);
    }
  } else {
    for (let r = 0; r < data.length; r++) if (mask[r]) popularity[data.items[r]] += 1;
  }

  let neighbors: Pick<Model, "neighborOffsets" | "neighborItems" | "neighborScores">;
  if (config.family === "popularity" || config.family === "trending") {
    neighbors = {
      neighborOffsets: new Int32Array(nItems + 1),
      neighborItems: new Int32Array(0),
      neighborScores: new Float32Array(0),
    };
  } else if (base) {
    neighbors = remapNeighbors(base, data.itemIds);
  } else {
    neighbors = cooccurrence(data, mask, offsets, rows);
  }

  const historyItems = new Int32Array(data.length);
  const historyTimes = new Float64Array(data.length);
  const historyTypes = new Int32Array(data.length);
  const historyValues = new Float32Array(data.length);
  for (let p = 0; p < data.length; p++) {
    const r = rows[p];
    historyItems[p] = data.items[r];
    historyTimes[p] = data.times[r];
    historyTypes[p] = data.types[r];
    historyValues[p] = data.values[r];
  }
  return {
    config,
    itemIds: data.itemIds,
    itemRank: sortRanks(data.itemIds),
    popularity,
    ...neighbors,
    userIds: data.userIds,
    eventTypes: data.eventTypes,
    historyOffsets: offsets,
    historyItems,
    historyTimes,
    historyTypes,
    historyValues,
  };
}

function cooccurrence(
  data: InteractionColumns,
  mask: Uint8Array,
  offsets: Int32Array,
  rows: Int32Array,
): Pick<Model, "neighborOffsets" | "neighborItems" | "neighborScores"> {
  const nItems = data.itemIds.length;
  const nUsers = data.userIds.length;
  // Each user's most recent distinct items (CSR), newest first.
  const stamp = new Int32Array(nItems).fill(-1);
  const basketOffsets = new Int32Array(nUsers + 1);
  const basketItems = new Int32Array(data.length);
  let filled = 0;
  for (let u = 0; u < nUsers; u++) {
    let taken = 0;
    for (let p = offsets[u + 1] - 1; p >= offsets[u] && taken < COOCCURRENCE_WINDOW; p--) {
      const r = rows[p];
      if (!mask[r]) continue;
      const item = data.items[r];
      if (stamp[item] === u) continue;
      stamp[item] = u;
      basketItems[filled++] = item;
      taken++;
    }
    basketOffsets[u + 1] = filled;
  }
  const baskets = basketItems.subarray(0, filled);
  // Users per item (CSR) and each item's user count.
  const userCount = new Int32Array(nItems);
  for (const item of baskets) userCount[item]++;
  const itemOffsets = new Int32Array(nItems + 1);
  for (let i = 0; i < nItems; i++) itemOffsets[i + 1] = itemOffsets[i] + userCount[i];
  const fill = itemOffsets.slice(0, nItems);
  const itemUsers = new Int32Array(baskets.length);
  for (let u = 0; u < nUsers; u++) {
    for (let p = basketOffsets[u]; p < basketOffsets[u + 1]; p++) itemUsers[fill[baskets[p]]++] = u;
  }

  const rank = sortRanks(data.itemIds);
  const counts = new Int32Array(nItems);
  const inverseRoot = new Float64Array(nItems);
  for (let j = 0; j < nItems; j++)
    inverseRoot[j] = userCount[j] > 0 ? 1 / Math.sqrt(userCount[j]) : 0;
  const touched = new Int32Array(nItems);
  const neighborOffsets = new Int32Array(nItems + 1);
  let outItems = new Int32Array(1024);
  let outScores = new Float32Array(1024);
  let outLength = 0;
  const sims = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    let nTouched = 0;
    for (let p = itemOffsets[i]; p < itemOffsets[i + 1]; p++) {
      const u = itemUsers[p];
      for (let q = basketOffsets[u]; q < basketOffsets[u + 1]; q++) {
        const j = baskets[q];
        if (j === i) continue;
        if (counts[j] === 0) touched[nTouched++] = j;
        counts[j] += 1;
      }
    }
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t];
      const co = counts[j];
      sims[j] = ((co * co) / (co + 1)) * inverseRoot[i] * inverseRoot[j];
      counts[j] = 0;
    }
    const top = topKOf(touched, nTouched, sims, rank, NEIGHBORS);
    if (outLength + top.length > outItems.length) {
      const bigger = Math.max(outItems.length * 2, outLength + top.length);
      outItems = grow(outItems, new Int32Array(bigger));
      outScores = grow(outScores, new Float32Array(bigger));
    }
    for (const j of top) {
      outItems[outLength] = j;
      outScores[outLength++] = sims[j];
    }
    neighborOffsets[i + 1] = outLength;
  }
  return {
    neighborOffsets,
    neighborItems: outItems.slice(0, outLength),
    neighborScores: outScores.slice(0, outLength),
  };
}

/** The base model's neighbour lists, re-indexed to a (possibly larger) catalogue. */
function remapNeighbors(
  base: Model,
  itemIds: readonly string[],
): Pick<Model, "neighborOffsets" | "neighborItems" | "neighborScores"> {
  const index = new Map<string, number>();
  itemIds.forEach((id, i) => index.set(id, i));
  const neighborOffsets = new Int32Array(itemIds.length + 1);
  const outItems: number[] = [];
  const outScores: number[] = [];
  const baseIndex = new Map<string, number>();
  base.itemIds.forEach((id, i) => baseIndex.set(id, i));
  for (let i = 0; i < itemIds.length; i++) {
    const b = baseIndex.get(itemIds[i]);
    if (b !== undefined) {
      for (let p = base.neighborOffsets[b]; p < base.neighborOffsets[b + 1]; p++) {
        const j = index.get(base.itemIds[base.neighborItems[p]]);
        if (j === undefined) continue;
        outItems.push(j);
        outScores.push(base.neighborScores[p]);
      }
    }
    neighborOffsets[i + 1] = outItems.length;
  }
  return {
    neighborOffsets,
    neighborItems: Int32Array.from(outItems),
    neighborScores: Float32Array.from(outScores),
  };
}
