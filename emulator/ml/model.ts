/**
 * A trained model and the queries the runtime asks of it. Everything is typed arrays over
 * interned item and user indexes; strings appear only at the edges.
 */
import type { Family } from "./families";

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

/**
 * The same model as an object literal with a fixed shape. Models that crossed a worker
 * boundary or were read from disk are dictionary-mode objects, slow on the hot path.
 */
export function withFastShape(m: Model): Model {
  return {
    config: m.config,
    itemIds: m.itemIds,
    itemRank: m.itemRank,
    popularity: m.popularity,
    neighborOffsets: m.neighborOffsets,
    neighborItems: m.neighborItems,
    neighborScores: m.neighborScores,
    userIds: m.userIds,
    eventTypes: m.eventTypes,
    historyOffsets: m.historyOffsets,
    historyItems: m.historyItems,
    historyTimes: m.historyTimes,
    historyTypes: m.historyTypes,
    historyValues: m.historyValues,
  };
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
/** The weight of the i-th most recent distinct item of a history. */
const RECENCY_WEIGHTS = Float64Array.from({ length: HISTORY_WINDOW }, (_, i) =>
  Math.pow(0.5, i / RECENCY_HALF_LIFE),
);
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

/** Per model, derived once: normalised popularity and the trained items by popularity. */
interface Derived {
  /** Popularity scaled so the most popular item is 1. */
  popNorm: Float64Array;
  /** Sum of popNorm over the catalogue. */
  popNormSum: number;
  /** Trained items, most popular first (ties by item id). */
  popOrder: Int32Array;
  /** A shared all-zero similarity array for popularity-only answers (never written). */
  zeros: Float64Array;
  /** Final scores of the candidates of one synchronous `best` call, in candidate order. */
  scratch: Float64Array;
  /** The similarity array of the latest Scores (reused: allocating it per request costs more than scoring). */
  sim: Float64Array;
  /** Backing store of the latest Scores' touched list, and of `best`'s candidates. */
  touchedBuffer: Int32Array;
  touchedCount: number;
  candidates: Int32Array;
  /** Per item, the `userScores` call that last saw it in a history (a Set without allocation). */
  seenStamp: Int32Array;
  stamp: number;
  /** `best`'s bounded heap (items and their scores side by side) and its answer, grown on demand. */
  heapItems: Int32Array;
  heapScores: Float64Array;
  topItems: Int32Array;
  topScores: Float64Array;
  /** popNorm for trained items, -1 for items never trained on: one read answers both. */
  popOrNone: Float64Array;
}

const derivedCache = new WeakMap<Model, Derived>();
function derived(model: Model): Derived {
  let d = derivedCache.get(model);
  if (!d) {
    const n = model.itemIds.length;
    let max = 0;
    for (const p of model.popularity) if (p > max) max = p;
    const popNorm = new Float64Array(n);
    let popNormSum = 0;
    const trained: number[] = [];
    const popOrNone = new Float64Array(n).fill(-1);
    for (let j = 0; j < n; j++) {
      if (model.popularity[j] <= 0) continue;
      popNorm[j] = model.popularity[j] / max;
      popNormSum += popNorm[j];
      popOrNone[j] = popNorm[j];
      trained.push(j);
    }
    trained.sort((a, b) => popNorm[b] - popNorm[a] || model.itemRank[a] - model.itemRank[b]);
    d = {
      popNorm,
      popNormSum,
      popOrder: Int32Array.from(trained),
      zeros: new Float64Array(n),
      scratch: new Float64Array(n),
      sim: new Float64Array(n),
      touchedBuffer: new Int32Array(n),
      touchedCount: 0,
      candidates: new Int32Array(n),
      seenStamp: new Int32Array(n),
      stamp: 0,
      heapItems: new Int32Array(0),
      heapScores: new Float64Array(0),
      topItems: new Int32Array(0),
      topScores: new Float64Array(0),
      popOrNone,
    };
    derivedCache.set(model, d);
  }
  return d;
}

/**
 * Scores over the catalogue, kept sparse: a similarity part on the `touched` items plus
 * `blend` times normalised popularity on every item. Answers never scan the whole
 * catalogue: untouched items can only be ordered by popularity. A Scores is valid until the
 * next userScores / relatedScores call on the same model (its array is reused).
 */
export interface Scores {
  /** Similarity times `divisor`: dividing on read spares a pass over every touched item. */
  sim: Float64Array;
  divisor: number;
  touched: Int32Array;
  blend: number;
}

/** The model's similarity array, cleared of the previous Scores' entries. */
function freshSim(model: Model): Float64Array {
  const d = derived(model);
  for (let t = 0; t < d.touchedCount; t++) d.sim[d.touchedBuffer[t]] = 0;
  d.touchedCount = 0;
  return d.sim;
}

/**
 * A user's scores: similarity of each item to the user's recent items (recent ones weigh
 * more), plus a little popularity. A user with no usable history gets popularity alone.
 */
export function userScores(model: Model, history: readonly HistoryEvent[]): Scores {
  // An unknown user's history is all "recent": the one scoring loop serves both.
  return userScoresOf(model, -1, history);
}

/**
 * The same scores as `userScores(model, [...trainedHistory(model, userIndex), ...recent])`,
 * read straight from the model's history arrays: serving a request allocates no event objects.
 * `recent` are the events streamed since training, oldest first.
 */
export function userScoresOf(
  model: Model,
  userIndex: number,
  recent: readonly HistoryEvent[],
): Scores {
  const n = model.itemIds.length;
  const sim = freshSim(model);
  const d = derived(model);
  const buffer = d.touchedBuffer;
  let count = 0;
  const seenStamp = d.seenStamp;
  const stamp = ++d.stamp;
  let seen = 0;
  let weightSum = 0;
  // Locals, not property reads, in the loop: a model that crossed a worker boundary is a
  // dictionary-mode object whose property reads are slow.
  const offsets = model.neighborOffsets;
  const items = model.neighborItems;
  const weights = model.neighborScores;
  const config = model.config;
  // Most solutions train on every event: skip the per-event check for them.
  const everyEvent = config.eventType === undefined && config.eventValueThreshold === undefined;
  // Newest first: the streamed events, then the trained history.
  const trainedStart = userIndex < 0 ? 0 : model.historyOffsets[userIndex];
  const trainedEnd = userIndex < 0 ? 0 : model.historyOffsets[userIndex + 1];
  const historyItems = model.historyItems;
  for (
    let h = recent.length + (trainedEnd - trainedStart) - 1;
    h >= 0 && seen < HISTORY_WINDOW;
    h--
  ) {
    let item: number;
    if (h >= trainedEnd - trainedStart) {
      const e = recent[h - (trainedEnd - trainedStart)];
      item = e.item;
      if (item < 0 || item >= n || seenStamp[item] === stamp) continue;
      if (!everyEvent && !eventCounts(config, e.eventType, e.value)) continue;
    } else {
      const p = trainedStart + h;
      item = historyItems[p];
      if (item < 0 || item >= n || seenStamp[item] === stamp) continue;
      if (!everyEvent) {
        const t = model.historyTypes[p];
        const v = model.historyValues[p];
        const type = t < 0 ? undefined : model.eventTypes[t];
        if (!eventCounts(config, type, Number.isNaN(v) ? undefined : v)) continue;
      }
    }
    const w = RECENCY_WEIGHTS[seen++];
    seenStamp[item] = stamp;
    weightSum += w;
    for (let p = offsets[item], end = offsets[item + 1]; p < end; p++) {
      const j = items[p];
      const before = sim[j];
      if (before === 0) buffer[count++] = j;
      sim[j] = before + w * weights[p];
    }
  }
  d.touchedCount = count;
  return {
    sim,
    divisor: weightSum > 0 ? weightSum : 1,
    touched: buffer.subarray(0, count),
    blend: POPULARITY_BLEND,
  };
}

/** Scores of items related to `item`: its neighbours, then popularity. */
export function relatedScores(model: Model, item: number): Scores {
  const n = model.itemIds.length;
  const sim = freshSim(model);
  const d = derived(model);
  let count = 0;
  if (item >= 0 && item < n) {
    for (let p = model.neighborOffsets[item]; p < model.neighborOffsets[item + 1]; p++) {
      d.touchedBuffer[count++] = model.neighborItems[p];
      sim[model.neighborItems[p]] = model.neighborScores[p];
    }
  }
  d.touchedCount = count;
  return { sim, divisor: 1, touched: d.touchedBuffer.subarray(0, count), blend: POPULARITY_BLEND };
}

export function popularityScores(model: Model): Scores {
  return { sim: derived(model).zeros, divisor: 1, touched: new Int32Array(0), blend: 1 };
}

/** One item's final score. */
export function scoreOf(model: Model, scores: Scores, item: number): number {
  return scores.sim[item] / scores.divisor + scores.blend * derived(model).popNorm[item];
}

/**
 * The best `k` items, with scores scaled to sum to 1 over every candidate (the service's
 * scores are such a distribution for user personalization). Items never trained on and
 * items `excluded` are not candidates.
 */
export function best(
  model: Model,
  scores: Scores,
  k: number,
  excluded?: (item: number) => boolean,
): Scored[] {
  const d = derived(model);
  const candidates = d.candidates;
  const candidateScores = d.scratch;
  const sim = scores.sim;
  const divisor = scores.divisor;
  const blend = scores.blend;
  const popOrNone = d.popOrNone;
  const touched = scores.touched;
  let count = 0;
  let total = blend * d.popNormSum;
  // Candidates and their final scores side by side, in order: the selection below reads them
  // sequentially instead of looking each score up by item.
  for (let t = 0; t < touched.length; t++) {
    const j = touched[t];
    const pn = popOrNone[j];
    if (pn < 0) continue;
    const similarity = sim[j] / divisor;
    total += similarity;
    if (excluded && excluded(j)) continue;
    candidates[count] = j;
    candidateScores[count++] = similarity + blend * pn;
  }
  // Untouched items score by popularity alone, so the k most popular allowed ones are enough.
  const popOrder = d.popOrder;
  let untouched = 0;
  for (let p = 0; p < popOrder.length && untouched < k; p++) {
    const j = popOrder[p];
    if (sim[j] !== 0 || (excluded && excluded(j))) continue;
    candidates[count] = j;
    candidateScores[count++] = sim[j] / divisor + blend * popOrNone[j];
    untouched++;
  }
  const top = selectTop(d, candidates, candidateScores, count, model.itemRank, k);
  const out: Scored[] = new Array(top);
  for (let i = 0; i < top; i++) {
    out[i] = { item: d.topItems[i], score: total > 0 ? d.topScores[i] / total : 0 };
  }
  return out;
}

/**
 * The best `k` of `candidates` (`scores[c]` is candidate c's) into `d.topItems` and
 * `d.topScores`, [0, returned), best first: higher score, then
 * lower rank. A bounded min-heap over parallel score/item arrays (no indirection, no
 * allocation, no comparator closure), emptied worst-first from the back.
 */
function selectTop(
  d: Derived,
  candidates: Int32Array,
  scores: Float64Array,
  count: number,
  rank: Int32Array,
  k: number,
): number {
  const cap = Math.min(k, count);
  if (cap <= 0) return 0;
  if (d.heapItems.length < cap) {
    d.heapItems = new Int32Array(cap);
    d.heapScores = new Float64Array(cap);
    d.topItems = new Int32Array(cap);
    d.topScores = new Float64Array(cap);
  }
  const hi = d.heapItems;
  const hs = d.heapScores;
  let size = 0;
  for (let c = 0; c < count; c++) {
    const j = candidates[c];
    const sj = scores[c];
    const rj = rank[j];
    let i: number;
    if (size === cap) {
      // j must beat the root (the worst kept: lowest score, then highest rank) to enter.
      const sr = hs[0];
      if (sj < sr || (sj === sr && rj > rank[hi[0]])) continue;
      i = siftDown(hi, hs, rank, size, 0, sj, rj);
    } else {
      i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        const sp = hs[p];
        if (sj < sp || (sj === sp && rj > rank[hi[p]])) {
          hi[i] = hi[p];
          hs[i] = sp;
          i = p;
        } else break;
      }
    }
    hi[i] = j;
    hs[i] = sj;
  }
  // Pop the worst into the back of the answer until the heap is empty.
  const top = d.topItems;
  const topScores = d.topScores;
  for (let out = size - 1; out >= 0; out--) {
    top[out] = hi[0];
    topScores[out] = hs[0];
    const last = hi[out];
    const sl = hs[out];
    if (out > 0) {
      const i = siftDown(hi, hs, rank, out, 0, sl, rank[last]);
      hi[i] = last;
      hs[i] = sl;
    }
  }
  return size;
}

/** Where an entry (score s, rank r) placed at `i` of a heap of `size` settles; moves the rest. */
function siftDown(
  hi: Int32Array,
  hs: Float64Array,
  rank: Int32Array,
  size: number,
  i: number,
  s: number,
  r: number,
): number {
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return i;
    let m = l;
    let sm = hs[l];
    const right = l + 1;
    if (right < size) {
      const sr = hs[right];
      if (sr < sm || (sr === sm && rank[hi[right]] > rank[hi[l]])) {
        m = right;
        sm = sr;
      }
    }
    if (sm < s || (sm === s && rank[hi[m]] > r)) {
      hi[i] = hi[m];
      hs[i] = sm;
      i = m;
    } else return i;
  }
}

/** Re-orders `items` (model indexes, -1 for unknown) best first; unknown ones keep their order at the end. */
export function rank(
  model: Model,
  scores: Scores,
  items: readonly number[],
): { position: number; score: number }[] {
  const known: number[] = [];
  const unknown: number[] = [];
  items.forEach((item, position) =>
    (item >= 0 && model.popularity[item] > 0 ? known : unknown).push(position),
  );
  const final = known.map((p) => scoreOf(model, scores, items[p]));
  const byPosition = new Map(known.map((p, i) => [p, final[i]]));
  let total = 0;
  for (const f of final) total += f;
  known.sort((a, b) => {
    const diff = byPosition.get(b)! - byPosition.get(a)!;
    return diff !== 0 ? diff : model.itemRank[items[a]] - model.itemRank[items[b]];
  });
  return [
    ...known.map((position) => ({
      position,
      score: total > 0 ? byPosition.get(position)! / total : 0,
    })),
    ...unknown.map((position) => ({ position, score: 0 })),
  ];
}
