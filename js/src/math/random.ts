// A small seeded random number generator for the layouts that must give the same picture for
// the same data (PCA's start, UMAP's layout): xorshift32.

/** Numbers in [0, 1) from xorshift32 started at `seed` (0 counts as 1: xorshift never leaves 0). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
