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
  const summaries = ys.map((y) => blockSummary(y, n));
  const out: number[] = [a];
  const picks: number[] = [];
  // Interior points (a, b) fall into buckets by x; a bucket's points are a contiguous range
  // found by binary search, and its extremes come from the block summaries.
  let start = a + 1;
  for (let j = 0; j <= nb && start < b; j++) {
    const edge = j === nb ? Infinity : x0 + ((j + 1) * span) / nb;
    let stop = j === nb ? b : Math.min(b, lowerBound(x, n, edge));
    if (j === 0 && stop <= start) continue;
    if (stop <= start) continue;
    picks.length = 0;
    for (const sm of summaries) sm.query(start, stop, picks);
    picks.sort((p, q) => p - q);
    let prev = out[out.length - 1];
    for (const p of picks) {
      if (p > prev) {
        out.push(p);
        prev = p;
      }
    }
    start = stop;
    if (stop === b) break;
  }
  if (b > out[out.length - 1]) out.push(b);
  return Int32Array.from(out);
}

const BLOCK = 32;

/** Per block of 32 points: where the minimum, the maximum and the first non-finite value are,
 * so the extremes of any index range cost O(range / 32 + 64). Extendable: `extend` recomputes
 * only the blocks from the first point that changed (arrays grown by doubling). */
class BlockSummary {
  minI = new Int32Array(0);
  maxI = new Int32Array(0);
  nfI = new Int32Array(0);
  n = 0;
  constructor(public y: ArrayLike<number>, n: number) {
    this.extend(y, n, 0);
  }

  /** Summarise `y[0, n)` whose first `stable` points are those summarised before. */
  extend(y: ArrayLike<number>, n: number, stable: number): void {
    this.y = y;
    const blocks = Math.ceil(n / BLOCK);
    const from = Math.floor(Math.min(stable, this.n, n) / BLOCK);
    if (blocks > this.minI.length) {
      const cap = Math.max(blocks, 2 * this.minI.length);
      const keep = (a: Int32Array) => {
        const b = new Int32Array(cap);
        b.set(a.subarray(0, from));
        return b;
      };
      this.minI = keep(this.minI);
      this.maxI = keep(this.maxI);
      this.nfI = keep(this.nfI);
    }
    const minI = this.minI;
    const maxI = this.maxI;
    const nfI = this.nfI;
    for (let k = from; k < blocks; k++) {
      const e = Math.min(n, (k + 1) * BLOCK);
      let mn = -1;
      let mx = -1;
      let nf = -1;
      let vmn = Infinity;
      let vmx = -Infinity;
      for (let i = k * BLOCK; i < e; i++) {
        const v = y[i];
        if (v < vmn) {
          vmn = v;
          mn = i;
        }
        if (v > vmx) {
          vmx = v;
          mx = i;
        }
        if (nf < 0 && !(v - v === 0)) nf = i; // NaN or ±Infinity
      }
      // ±Infinity compare as extremes above; keep only finite extremes (non-finite are gaps).
      minI[k] = mn >= 0 && Number.isFinite(y[mn]) ? mn : this.scanFinite(k * BLOCK, e, true);
      maxI[k] = mx >= 0 && Number.isFinite(y[mx]) ? mx : this.scanFinite(k * BLOCK, e, false);
      nfI[k] = nf;
    }
    summaryStats.computed += Math.max(0, n - from * BLOCK);
    this.n = n;
  }

  private scanFinite(s: number, e: number, wantMin: boolean): number {
    let best = -1;
    for (let i = s; i < e; i++) {
      const v = this.y[i];
      if (!Number.isFinite(v)) continue;
      if (best < 0 || (wantMin ? v < this.y[best] : v > this.y[best])) best = i;
    }
    return best;
  }

  /** Push the indices of the minimum, maximum and first non-finite value in [s, e). */
  query(s: number, e: number, out: number[]): void {
    const y = this.y;
    let mn = -1;
    let mx = -1;
    let nf = -1;
    let vmn = Infinity;
    let vmx = -Infinity;
    const kFirst = Math.ceil(s / BLOCK);
    const kLast = Math.floor(e / BLOCK); // blocks [kFirst, kLast) lie wholly inside
    const headEnd = kFirst >= kLast ? e : kFirst * BLOCK;
    for (let i = s; i < headEnd; i++) {
      const v = y[i];
      if (v - v !== 0) {
        if (nf < 0) nf = i;
      } else {
        if (v < vmn) { vmn = v; mn = i; }
        if (v > vmx) { vmx = v; mx = i; }
      }
    }
    if (kFirst < kLast) {
      const minI = this.minI;
      const maxI = this.maxI;
      const nfI = this.nfI;
      for (let k = kFirst; k < kLast; k++) {
        const a = minI[k];
        if (a >= 0 && y[a] < vmn) { vmn = y[a]; mn = a; }
        const b = maxI[k];
        if (b >= 0 && y[b] > vmx) { vmx = y[b]; mx = b; }
        if (nf < 0 && nfI[k] >= 0) nf = nfI[k];
      }
      for (let i = kLast * BLOCK; i < e; i++) {
        const v = y[i];
        if (v - v !== 0) {
          if (nf < 0) nf = i;
        } else {
          if (v < vmn) { vmn = v; mn = i; }
          if (v > vmx) { vmx = v; mx = i; }
        }
      }
    }
    if (mn >= 0) out.push(mn);
    if (mx >= 0 && mx !== mn) out.push(mx);
    if (nf >= 0) out.push(nf);
  }
}

const summaries = new WeakMap<object, BlockSummary>();

/** Points scanned into block summaries so far (a test hook: an append scans only its tail). */
export const summaryStats = { computed: 0 };

/** The block summary of a column (cached per array object and length). */
function blockSummary(y: ArrayLike<number>, n: number): BlockSummary {
  const key = y as unknown as object;
  let sm = summaries.get(key);
  if (!sm) {
    sm = new BlockSummary(y, n);
    summaries.set(key, sm);
  } else if (sm.n !== n) {
    sm.extend(y, n, 0);
  }
  return sm;
}

/**
 * Hand the block summary of column `from` to column `to`, whose first `stable` points equal
 * those of `from` (a view of the same data grown by an append): the next decimation of `to`
 * summarises only the points past them. `from` loses its summary.
 */
export function carrySummary(from: ArrayLike<number>, to: ArrayLike<number>, stable: number, n: number = to.length): void {
  const sm = summaries.get(from as unknown as object);
  if (!sm || from === to) return;
  summaries.delete(from as unknown as object);
  sm.extend(to, n, stable);
  summaries.set(to as unknown as object, sm);
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
