/**
 * The best `k` of a set of candidates: higher score first, ties broken by the item id's sort
 * rank so answers are deterministic. A bounded heap keeps this O(n log k).
 */
export function topKOf(
  candidates: ArrayLike<number>,
  count: number,
  scores: ArrayLike<number>,
  rank: Int32Array,
  k: number,
): number[] {
  if (k <= 0) return [];
  // The best k so far, with the worst of them at the root.
  const heap: number[] = [];
  const worse = (a: number, b: number) =>
    scores[a] < scores[b] || (scores[a] === scores[b] && rank[a] > rank[b]);
  for (let c = 0; c < count; c++) {
    const j = candidates[c];
    if (heap.length < k) {
      heap.push(j);
      for (let i = heap.length - 1; i > 0;) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    } else if (worse(heap[0], j)) {
      heap[0] = j;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && worse(heap[l], heap[m])) m = l;
        if (r < heap.length && worse(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

/** The best `k` allowed items of a dense score array. */
export function topK(
  scores: Float64Array,
  rank: Int32Array,
  k: number,
  allowed: (item: number) => boolean,
): number[] {
  const candidates: number[] = [];
  for (let j = 0; j < scores.length; j++) if (allowed(j)) candidates.push(j);
  return topKOf(candidates, candidates.length, scores, rank, k);
}

/** Rank of each id in sorted order (the deterministic tie-breaker). */
export function sortRanks(ids: readonly string[]): Int32Array {
  const order = ids
    .map((_, i) => i)
    .sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const rank = new Int32Array(ids.length);
  order.forEach((item, r) => (rank[item] = r));
  return rank;
}
