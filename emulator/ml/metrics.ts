/**
 * Offline metrics as GetSolutionMetrics reports them, computed for real on a time-based
 * holdout: each user's most recent interactions (the latest tenth, at least one, for users
 * with two or more) are held out, a model of the same recipe and configuration is trained
 * on the rest, and its top 25 for each evaluated user is scored against what they held out.
 */
import { SOLUTION_METRICS } from "../../rules/personalize";
import type { InteractionColumns } from "./interactions";
import {
  best,
  popularityScores,
  relatedScores,
  trainedHistory,
  userScores,
  type Model,
  type TrainingConfig,
} from "./model";
import { rowMask, rowsByUser, trainModel } from "./train";

/** Users evaluated at most (evenly spaced over all candidates, so the choice is deterministic). */
export const MAX_EVALUATED_USERS = 1000;
const CUTOFF = 25;

export function computeMetrics(
  data: InteractionColumns,
  config: TrainingConfig,
): Record<string, number> {
  const mask = rowMask(data, config);
  const { offsets, rows } = rowsByUser(data);
  const trainMask = new Uint8Array(data.length).fill(1);
  // Each user's counted rows, newest last; the latest tenth (at least one) is held out.
  const countedRows = (u: number): number[] => {
    const counted: number[] = [];
    for (let p = offsets[u]; p < offsets[u + 1]; p++) if (mask[rows[p]]) counted.push(rows[p]);
    return counted;
  };
  const heldRows = (counted: number[]) =>
    counted.slice(counted.length - Math.max(1, Math.floor(counted.length / 10)));
  const users: number[] = [];
  for (let u = 0; u < data.userIds.length; u++) {
    const counted = countedRows(u);
    if (counted.length < 2) continue;
    for (const r of heldRows(counted)) trainMask[r] = 0;
    users.push(u);
  }
  const model = trainModel(subset(data, trainMask), config);

  const step = Math.max(1, users.length / MAX_EVALUATED_USERS);
  const evaluated: number[] = [];
  for (let i = 0; i < users.length && evaluated.length < MAX_EVALUATED_USERS; i += step) {
    evaluated.push(users[Math.floor(i)]);
  }
  const heldOut = new Map<number, Set<number>>();
  for (const u of evaluated) {
    heldOut.set(u, new Set(heldRows(countedRows(u)).map((r) => data.items[r])));
  }
  const sums: Record<string, number> = Object.fromEntries(SOLUTION_METRICS.map((m) => [m, 0]));
  const recommended = new Set<number>();
  const popular =
    config.family === "popularity" || config.family === "trending"
      ? best(model, popularityScores(model), CUTOFF).map((s) => s.item)
      : undefined;
  for (const u of evaluated) {
    const list = popular ?? recommendFor(model, u);
    list.forEach((item) => recommended.add(item));
    const relevant = heldOut.get(u)!;
    let firstHit = 0;
    let dcg5 = 0;
    let dcg10 = 0;
    let dcg25 = 0;
    let hits5 = 0;
    let hits10 = 0;
    let hits25 = 0;
    list.forEach((item, i) => {
      if (!relevant.has(item)) return;
      if (!firstHit) firstHit = i + 1;
      const gain = 1 / Math.log2(i + 2);
      if (i < 5) {
        dcg5 += gain;
        hits5++;
      }
      if (i < 10) {
        dcg10 += gain;
        hits10++;
      }
      dcg25 += gain;
      hits25++;
    });
    sums.mean_reciprocal_rank_at_25 += firstHit ? 1 / firstHit : 0;
    sums.normalized_discounted_cumulative_gain_at_5 += dcg5 / idealDcg(relevant.size, 5);
    sums.normalized_discounted_cumulative_gain_at_10 += dcg10 / idealDcg(relevant.size, 10);
    sums.normalized_discounted_cumulative_gain_at_25 += dcg25 / idealDcg(relevant.size, 25);
    sums.precision_at_5 += hits5 / 5;
    sums.precision_at_10 += hits10 / 10;
    sums.precision_at_25 += hits25 / 25;
  }
  let catalogue = 0;
  for (const p of model.popularity) if (p > 0) catalogue++;
  const metrics: Record<string, number> = {};
  for (const name of SOLUTION_METRICS) {
    const value =
      name === "coverage"
        ? catalogue
          ? recommended.size / catalogue
          : 0
        : evaluated.length
          ? sums[name] / evaluated.length
          : 0;
    metrics[name] = Math.round(value * 10000) / 10000;
  }
  return metrics;
}

function recommendFor(model: Model, user: number): number[] {
  const history = trainedHistory(model, user);
  if (model.config.family === "related") {
    // SIMS is asked about the user's latest item, as a "customers also viewed" widget would be.
    const last = [...history].reverse().find((e) => model.popularity[e.item] > 0);
    return best(model, relatedScores(model, last ? last.item : -1), CUTOFF, (j) =>
      last ? j === last.item : false,
    ).map((s) => s.item);
  }
  return best(model, userScores(model, history), CUTOFF).map((s) => s.item);
}

function idealDcg(relevant: number, k: number): number {
  let ideal = 0;
  for (let i = 0; i < Math.min(relevant, k); i++) ideal += 1 / Math.log2(i + 2);
  return ideal;
}

/** The rows where `keep` is set, over the same vocabularies. */
export function subset(data: InteractionColumns, keep: Uint8Array): InteractionColumns {
  let n = 0;
  for (let r = 0; r < data.length; r++) n += keep[r];
  const out: InteractionColumns = {
    length: n,
    users: new Int32Array(n),
    items: new Int32Array(n),
    times: new Float64Array(n),
    types: new Int32Array(n),
    values: new Float32Array(n),
    userIds: data.userIds,
    itemIds: data.itemIds,
    eventTypes: data.eventTypes,
  };
  let w = 0;
  for (let r = 0; r < data.length; r++) {
    if (!keep[r]) continue;
    out.users[w] = data.users[r];
    out.items[w] = data.items[r];
    out.times[w] = data.times[r];
    out.types[w] = data.types[r];
    out.values[w] = data.values[r];
    w++;
  }
  return out;
}
