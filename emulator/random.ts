/**
 * mulberry32: a tiny seeded PRNG, small, fast and good enough for fault draws and sample
 * data. The same seed always gives the same sequence, which is what makes the committed
 * data/interactions.csv reproducible and a fault-injection test repeatable.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
