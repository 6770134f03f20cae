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
  // The best k so far in a min-heap: the worst of them (lowest score, highest rank) at the
  // root. Comparisons are written out (no closure) because training calls this per item.
  const heap = new Int32Array(Math.min(k, count));
  let size = 0;
  for (let c = 0; c < count; c++) {
    const j = candidates[c];
    const sj = scores[j];
    if (size === k) {
      const root = heap[0];
      const sr = scores[root];
      // j must beat the root to enter.
      if (sj < sr || (sj === sr && rank[j] > rank[root])) continue;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        let m = l;
        const r = l + 1;
        if (r < size) {
          const sl = scores[heap[l]];
          const sr2 = scores[heap[r]];
          if (sr2 < sl || (sr2 === sl && rank[heap[r]] > rank[heap[l]])) m = r;
        }
        const sm = scores[heap[m]];
        if (sm < sj || (sm === sj && rank[heap[m]] > rank[j])) {
          heap[i] = heap[m];
          i = m;
        } else break;
      }
      heap[i] = j;
    } else {
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        const sp = scores[heap[p]];
        if (sj < sp || (sj === sp && rank[j] > rank[heap[p]])) {
          heap[i] = heap[p];
          i = p;
        } else break;
      }
      heap[i] = j;
    }
  }
  return Array.from(heap.subarray(0, size)).sort(
    (a, b) => scores[b] - scores[a] || rank[a] - rank[b],
  );
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
