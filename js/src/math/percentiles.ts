// Percentiles of a bucketed histogram, by linear interpolation inside buckets.
// Bucket j spans [left_j, limits[j]] with left_0 = min and left_j = limits[j-1]; edges are
// clamped to [min, max] (TensorBoard's outer buckets reach ±DBL_MAX).

/** The distribution bands TensorBoard draws (in percent). */
export const DISTRIBUTION_PERCENTS = [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100] as const;

export function percentiles(
  limits: ArrayLike<number>,
  counts: ArrayLike<number>,
  min: number,
  max: number,
  percents: readonly number[] = DISTRIBUTION_PERCENTS,
): number[] {
  let total = 0;
  for (let j = 0; j < counts.length; j++) total += Math.max(0, counts[j]);
  return percents.map((p) => {
    if (total <= 0) return NaN;
    if (p <= 0) return min;
    if (p >= 100) return max;
    const target = (p / 100) * total;
    let cum = 0;
    let left = min;
    for (let j = 0; j < counts.length; j++) {
      const c = Math.max(0, counts[j]);
      const right = Math.min(Math.max(limits[j], min), max);
      const l = Math.min(Math.max(left, min), max);
      if (c > 0 && cum + c >= target) {
        const frac = (target - cum) / c;
        return l + frac * (right - l);
      }
      cum += c;
      left = limits[j];
    }
    return max;
  });
}

/** Value at percentile `p` (0-100) of plain numbers (NaN skipped); used for "ignore outliers". */
export function quantile(values: ArrayLike<number>, p: number): number {
  const v: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) v.push(values[i]);
  if (v.length === 0) return NaN;
  v.sort((a, b) => a - b);
  const pos = (p / 100) * (v.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < v.length ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}
