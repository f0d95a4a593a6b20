// Decimation for drawing: per pixel-column bucket keep the points holding the minimum and the
// maximum of each y column (so no spike is ever dropped), plus the first and last point.
// Returns sorted indices into the input.

/**
 * @param x       x values (ascending)
 * @param ys      one or more y columns sharing x; extremes of every column are kept
 * @param n       number of valid points
 * @param buckets number of buckets (pixel columns)
 * @param lo, hi  x range to bucket; points outside are skipped except the nearest one on each
 *                side (so lines run to the plot edge). Defaults: the whole range.
 */
export function decimateIndices(
  x: ArrayLike<number>,
  ys: readonly ArrayLike<number>[],
  n: number,
  buckets: number,
  lo = -Infinity,
  hi = Infinity,
): Int32Array {
  if (n <= 0) return new Int32Array(0);
  // Visible slice [a, b] (x ascending), widened by one point on each side.
  let a = lowerBound(x, n, lo);
  let b = upperBound(x, n, hi) - 1;
  if (a > 0) a--;
  if (b < n - 1) b++;
  if (b < a) return new Int32Array(0);
  const count = b - a + 1;
  const nb = Math.max(1, Math.floor(buckets));
  if (count <= 2 * nb * Math.max(1, ys.length)) {
    const all = new Int32Array(count);
    for (let i = 0; i < count; i++) all[i] = a + i;
    return all;
  }
  const x0 = Number.isFinite(lo) ? lo : x[a];
  const x1 = Number.isFinite(hi) ? hi : x[b];
  const span = x1 - x0 || 1;
  const out: number[] = [a];
  const k = ys.length;
  const minI = new Int32Array(k);
  const maxI = new Int32Array(k);
  const nfI = new Int32Array(k); // first non-finite point of the bucket (drawn as a gap)
  let current = NaN;
  let started = false;
  const flush = () => {
    if (!started) return;
    const picks: number[] = [];
    for (let c = 0; c < k; c++) {
      if (minI[c] >= 0) picks.push(minI[c]);
      if (maxI[c] >= 0) picks.push(maxI[c]);
      if (nfI[c] >= 0) picks.push(nfI[c]);
    }
    picks.sort((p, q) => p - q);
    let prev = out[out.length - 1];
    for (const p of picks) {
      if (p > prev) {
        out.push(p);
        prev = p;
      }
    }
  };
  for (let i = a + 1; i < b; i++) {
    let bucket = Math.floor(((x[i] - x0) / span) * nb);
    if (bucket < 0) bucket = -1;
    if (bucket >= nb) bucket = nb;
    if (bucket !== current) {
      flush();
      current = bucket;
      started = true;
      minI.fill(-1);
      maxI.fill(-1);
      nfI.fill(-1);
    }
    for (let c = 0; c < k; c++) {
      const y = ys[c][i];
      if (!Number.isFinite(y)) {
        if (nfI[c] < 0) nfI[c] = i;
        continue;
      }
      if (minI[c] < 0 || y < ys[c][minI[c]]) minI[c] = i;
      if (maxI[c] < 0 || y > ys[c][maxI[c]]) maxI[c] = i;
    }
  }
  flush();
  if (b > out[out.length - 1]) out.push(b);
  return Int32Array.from(out);
}

/** First index with x[i] >= v. */
export function lowerBound(x: ArrayLike<number>, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with x[i] > v. */
export function upperBound(x: ArrayLike<number>, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
