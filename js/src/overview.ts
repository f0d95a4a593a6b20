// Overviews in the browser: the points of a series that keep, per bucket of consecutive points,
// its finite minimum and maximum, plus the first and last point (as the kernel's
// tbx_widget.live.overview). A series whose full data the kernel holds goes back to one when it
// has not been shown for a while (store.ts, `ScalarSeries.evict`).

/** Buckets per series: at most 2 * 100 + 2 points (the kernel's OVERVIEW_BUCKETS). */
export const OVERVIEW_BUCKETS = 100;

/** Sorted indices into `value`: per bucket the finite minimum and maximum, and the first and
 * last point; every index when there are few points. */
export function minmaxIndices(value: Float64Array, buckets: number): number[] {
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be an integer >= 1, got ${buckets}`);
  const n = value.length;
  if (n <= 2 * buckets + 2) return Array.from({ length: n }, (_, i) => i);
  const k = Math.ceil(n / buckets);
  const picks = new Set<number>([0, n - 1]);
  for (let b = 0; b < n; b += k) {
    let lo = -1;
    let hi = -1;
    const end = Math.min(n, b + k);
    for (let i = b; i < end; i++) {
      const v = value[i];
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < value[lo]) lo = i;
      if (hi < 0 || v > value[hi]) hi = i;
    }
    if (lo >= 0) picks.add(lo);
    if (hi >= 0) picks.add(hi);
  }
  return [...picks].sort((a, b) => a - b);
}
