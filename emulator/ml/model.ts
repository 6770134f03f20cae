/**
 * A trained model and the queries the runtime asks of it. Everything is typed arrays over
 * interned item and user indexes; strings appear only at the edges.
 */
import type { Family } from "./families";
import { topK } from "./topk";

export interface TrainingConfig {
  family: Family;
  recipeId: string;
  /** Train only on this event type (the solution's `eventType`). */
  eventType?: string;
  /** Train only on events whose EVENT_VALUE is at least this. */
  eventValueThreshold?: number;
}

export interface Model {
  config: TrainingConfig;
  /** The catalogue: every item id seen in the dataset group's interactions. */
  itemIds: string[];
  /** Sort rank of each item id, the deterministic tie-breaker. */
  itemRank: Int32Array;
  /** Training events per item (decayed by age for trending-now); 0 = never trained on. */
  popularity: Float64Array;
  /** Per item, its most similar items (CSR: offsets into items/scores), best first. */
  neighborOffsets: Int32Array;
  neighborItems: Int32Array;
  neighborScores: Float32Array;
  /** Every user's full history at training time, oldest first (CSR), all event types. */
  userIds: string[];
  eventTypes: string[];
  historyOffsets: Int32Array;
  historyItems: Int32Array;
  historyTimes: Float64Array;
  historyTypes: Int32Array;
  historyValues: Float32Array;
}

/** One event of a user's history, with the model's item index. */
export interface HistoryEvent {
  item: number;
  time: number;
  eventType?: string;
  value?: number;
}

export interface Scored {
  item: number;
  score: number;
}

/** How many of a user's most recent distinct items drive their recommendations. */
export const HISTORY_WINDOW = 50;
/** Every this many positions back in a history, an item's weight halves. */
export const RECENCY_HALF_LIFE = 10;
/** Weight of normalised popularity next to history similarity (breaks ties, fills gaps). */
export const POPULARITY_BLEND = 0.02;

/** Whether an event counts for training and scoring under the solution's configuration. */
export function eventCounts(
  config: TrainingConfig,
  eventType: string | undefined,
  value: number | undefined,
): boolean {
  if (config.eventType !== undefined && eventType !== config.eventType) return false;
  if (config.eventValueThreshold !== undefined) {
    if (value === undefined || Number.isNaN(value) || value < config.eventValueThreshold)
      return false;
  }
  return true;
}

/** The user's history at training time (the caller adds events streamed since). */
export function trainedHistory(model: Model, userIndex: number): HistoryEvent[] {
  if (userIndex < 0) return [];
  const out: HistoryEvent[] = [];
  for (let p = model.historyOffsets[userIndex]; p < model.historyOffsets[userIndex + 1]; p++) {
    const t = model.historyTypes[p];
    const v = model.historyValues[p];
    out.push({
      item: model.historyItems[p],
      time: model.historyTimes[p],
      eventType: t < 0 ? undefined : model.eventTypes[t],
      value: Number.isNaN(v) ? undefined : v,
    });
  }
  return out;
}

/** The popularity of each item, scaled so the most popular is 1. */
function normalisedPopularity(model: Model): Float64Array {
  let max = 0;
  for (const p of model.popularity) if (p > max) max = p;
  const out = new Float64Array(model.popularity.length);
  if (max > 0) for (let j = 0; j < out.length; j++) out[j] = model.popularity[j] / max;
  return out;
}

const popularityCache = new WeakMap<Model, Float64Array>();
function popularityOf(model: Model): Float64Array {
  let p = popularityCache.get(model);
  if (!p) {
    p = normalisedPopularity(model);
    popularityCache.set(model, p);
  }
  return p;
}

/**
 * Dense scores for a user: similarity of each item to the user's recent items (recent
 * ones weigh more), plus a little popularity. A user with no usable history gets
 * popularity alone.
 */
export function userScores(model: Model, history: readonly HistoryEvent[]): Float64Array {
  const n = model.itemIds.length;
  const pop = popularityOf(model);
  const scores = new Float64Array(n);
  const seen = new Set<number>();
  let weightSum = 0;
  for (let h = history.length - 1; h >= 0 && seen.size < HISTORY_WINDOW; h--) {
    const e = history[h];
    if (e.item < 0 || e.item >= n || seen.has(e.item)) continue;
    if (!eventCounts(model.config, e.eventType, e.value)) continue;
    const w = Math.pow(0.5, seen.size / RECENCY_HALF_LIFE);
    seen.add(e.item);
    weightSum += w;
    for (let p = model.neighborOffsets[e.item]; p < model.neighborOffsets[e.item + 1]; p++) {
      scores[model.neighborItems[p]] += w * model.neighborScores[p];
    }
  }
  const scale = weightSum > 0 ? 1 / weightSum : 0;
  for (let j = 0; j < n; j++) scores[j] = scores[j] * scale + POPULARITY_BLEND * pop[j];
  return scores;
}

/** Dense scores for items related to `item` (its neighbours, then popularity). */
export function relatedScores(model: Model, item: number): Float64Array {
  const n = model.itemIds.length;
  const pop = popularityOf(model);
  const scores = new Float64Array(n);
  if (item >= 0 && item < n) {
    for (let p = model.neighborOffsets[item]; p < model.neighborOffsets[item + 1]; p++) {
      scores[model.neighborItems[p]] += model.neighborScores[p];
    }
  }
  for (let j = 0; j < n; j++) scores[j] += POPULARITY_BLEND * pop[j];
  return scores;
}

export function popularityScores(model: Model): Float64Array {
  return popularityOf(model).slice();
}

/**
 * The best `k` items from dense scores, with scores scaled to sum to 1 over every
 * candidate (the service's scores are such a distribution for user personalization).
 * Items never trained on and items `excluded` are not candidates.
 */
export function best(
  model: Model,
  scores: Float64Array,
  k: number,
  excluded?: (item: number) => boolean,
): Scored[] {
  let total = 0;
  for (let j = 0; j < scores.length; j++) if (model.popularity[j] > 0) total += scores[j];
  const allowed = (j: number) => model.popularity[j] > 0 && !(excluded && excluded(j));
  const items = topK(scores, model.itemRank, k, allowed);
  return items.map((item) => ({ item, score: total > 0 ? scores[item] / total : 0 }));
}

/** Re-orders `items` (model indexes, -1 for unknown) best first; unknown ones keep their order at the end. */
export function rank(
  model: Model,
  scores: Float64Array,
  items: readonly number[],
): { position: number; score: number }[] {
  const known: number[] = [];
  const unknown: number[] = [];
  items.forEach((item, position) =>
    (item >= 0 && model.popularity[item] > 0 ? known : unknown).push(position),
  );
  let total = 0;
  for (const p of known) total += scores[items[p]];
  known.sort((a, b) => {
    const d = scores[items[b]] - scores[items[a]];
    return d !== 0 ? d : model.itemRank[items[a]] - model.itemRank[items[b]];
  });
  return [
    ...known.map((position) => ({
      position,
      score: total > 0 ? scores[items[position]] / total : 0,
    })),
    ...unknown.map((position) => ({ position, score: 0 })),
  ];
}
