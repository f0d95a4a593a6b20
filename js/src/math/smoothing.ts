// TensorBoard's scalar smoothing: a debiased exponential moving average.
//   last = last * w + (1 - w) * y   (starting at 0, over finite points only)
//   shown = last / (1 - w^n)        (n = finite points so far)
// Non-finite points (NaN, ±Infinity) pass through unsmoothed and do not touch the average.
// A constant series is returned as is (as TensorBoard does, its issue #786): the average of a
// constant differs from it by rounding, which a tight y range around the constant would show.

export function smooth(values: ArrayLike<number>, weight: number, n = values.length, out?: Float64Array): Float64Array {
  const w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 0.999999);
  const res = out && out.length >= n ? out : new Float64Array(n);
  if (isConstant(values, n)) {
    for (let i = 0; i < n; i++) res[i] = values[i];
    return res;
  }
  let last = 0;
  let power = 1; // w ** (finite points so far)
  for (let i = 0; i < n; i++) {
    const y = values[i];
    if (y - y !== 0) {
      res[i] = y; // NaN and ±Infinity pass through
      continue;
    }
    last = last * w + (1 - w) * y;
    power *= w;
    res[i] = w === 0 ? y : last / (1 - power);
  }
  return res;
}

/** Whether the finite values among the first `n` are all equal (true for none). */
function isConstant(values: ArrayLike<number>, n: number): boolean {
  let first: number | null = null;
  for (let i = 0; i < n; i++) {
    const y = values[i];
    if (y - y !== 0) continue;
    if (first === null) first = y;
    else if (y !== first) return false;
  }
  return true;
}
