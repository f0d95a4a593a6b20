// Sweep charts (hundreds of lines): every line decimated onto ONE shared x grid, so uPlot's
// aligned data needs no union of x values (the cost that made a 1,000-run zoom take ~90 ms).
// Per bucket of the grid a line keeps its minimum and its maximum (in the order they occur), at
// the bucket's 1/4 and 3/4 points: no spike is dropped, and a redraw costs O(buckets x lines)
// through per-column min/max summaries (MinMaxIndex), never O(points).
import { lowerBound } from "./decimate";

/** Points a sweep chart draws over all its lines, about (2 per bucket per y column). */
export const SWEEP_POINT_BUDGET = 100_000;
/** Fewest and most buckets of a sweep grid. */
export const MIN_BUCKETS = 16;

/** Buckets of a sweep grid for `columns` y columns on a plot `width` px wide: about
 * SWEEP_POINT_BUDGET points in all, at most one bucket per 2 px, at least MIN_BUCKETS. */
export function sweepBuckets(columns: number, width: number): number {
  if (!Number.isInteger(columns) || columns < 0) throw new RangeError(`sweepBuckets: columns must be an integer >= 0, got ${String(columns)}`);
  if (!(width > 0) || !Number.isFinite(width)) throw new RangeError(`sweepBuckets: width must be a positive number of pixels, got ${String(width)}`);
  const byBudget = Math.floor(SWEEP_POINT_BUDGET / (2 * Math.max(1, columns)));
  return Math.max(MIN_BUCKETS, Math.min(Math.floor(width / 2), byBudget));
}

const BLOCK = 32;

/** Per block of BLOCK points, the index of the finite minimum and maximum (-1: none), so the
 * extremes of any index range cost O(range / BLOCK + 2 * BLOCK). Built once per column. */
export class MinMaxIndex {
  private readonly minI: Int32Array;
  private readonly maxI: Int32Array;

  constructor(readonly y: ArrayLike<number>, readonly n: number) {
    const blocks = Math.ceil(n / BLOCK);
    this.minI = new Int32Array(blocks);
    this.maxI = new Int32Array(blocks);
    for (let k = 0; k < blocks; k++) {
      let mn = -1;
      let mx = -1;
      const e = Math.min(n, (k + 1) * BLOCK);
      for (let i = k * BLOCK; i < e; i++) {
        const v = y[i];
        if (v - v !== 0) continue; // NaN, ±Infinity: gaps
        if (mn < 0 || v < y[mn]) mn = i;
        if (mx < 0 || v > y[mx]) mx = i;
      }
      this.minI[k] = mn;
      this.maxI[k] = mx;
    }
  }

  /** Indices of the finite minimum and maximum in [s, e) into `out` ([-1, -1]: none). */
  query(s: number, e: number, out: Int32Array): void {
    const y = this.y;
    let mn = -1;
    let mx = -1;
    let vmn = Infinity;
    let vmx = -Infinity;
    const kFirst = Math.ceil(s / BLOCK);
    const kLast = Math.floor(e / BLOCK);
    const headEnd = kFirst >= kLast ? e : kFirst * BLOCK;
    for (let i = s; i < headEnd; i++) {
      const v = y[i];
      if (v - v !== 0) continue; // NaN, ±Infinity: gaps
      if (mn < 0 || v < vmn) { mn = i; vmn = v; }
      if (mx < 0 || v > vmx) { mx = i; vmx = v; }
    }
    if (kFirst < kLast) {
      for (let k = kFirst; k < kLast; k++) {
        const a = this.minI[k];
        if (a >= 0 && (mn < 0 || y[a] < vmn)) { mn = a; vmn = y[a]; }
        const b = this.maxI[k];
        if (b >= 0 && (mx < 0 || y[b] > vmx)) { mx = b; vmx = y[b]; }
      }
      for (let i = kLast * BLOCK; i < e; i++) {
        const v = y[i];
        if (v - v !== 0) continue;
        if (mn < 0 || v < vmn) { mn = i; vmn = v; }
        if (mx < 0 || v > vmx) { mx = i; vmx = v; }
      }
    }
    out[0] = mn;
    out[1] = mx;
  }
}

const indexes = new WeakMap<object, MinMaxIndex>();

/** The MinMaxIndex of a column, cached per array object and length. */
export function minMaxIndex(y: ArrayLike<number>, n: number): MinMaxIndex {
  let m = indexes.get(y as unknown as object);
  if (!m || m.n !== n) {
    m = new MinMaxIndex(y, n);
    indexes.set(y as unknown as object, m);
  }
  return m;
}

/** One line's columns: ascending x and its y columns (n valid points). */
export interface GridPart {
  x: ArrayLike<number>;
  ys: readonly ArrayLike<number>[];
  n: number;
}

/**
 * One shared grid of `buckets` buckets over [lo, hi] (one extra bucket each side, so lines run
 * to the plot's edges), filled a line at a time (`add`), so a caller can spread a thousand
 * lines over several tasks (issue 19: frame gaps). `x` has two values per bucket (its 1/4 and
 * 3/4 points), then `ends` (x values added with no data, e.g. the whole data range, so a reset
 * of the zoom spans it) merged in order.
 */
export class SweepGridBuilder {
  /** The grid's x values (ascending). */
  readonly x: Float64Array;
  private readonly off: number;
  private readonly nb: number;
  private readonly x0: number;
  private readonly bw: number;
  private readonly picked = new Int32Array(2);
  private readonly edges: Int32Array;

  constructor(private readonly lo: number, private readonly hi: number, buckets: number, ends: readonly number[] = []) {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi >= lo)) throw new RangeError(`sweepGrid: lo..hi must be a finite range, got ${lo}..${hi}`);
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`sweepGrid: buckets must be an integer >= 1, got ${String(buckets)}`);
    const span = hi - lo || 1;
    const bw = span / buckets;
    const nb = buckets + 2; // plus one bucket beyond each edge
    const x0 = lo - bw;
    const before = ends.filter((e) => e < x0).sort((a, b) => a - b);
    const after = ends.filter((e) => e > x0 + nb * bw).sort((a, b) => a - b);
    const x = new Float64Array(before.length + 2 * nb + after.length);
    before.forEach((e, i) => (x[i] = e));
    const off = before.length;
    for (let j = 0; j < nb; j++) {
      x[off + 2 * j] = x0 + (j + 0.25) * bw;
      x[off + 2 * j + 1] = x0 + (j + 0.75) * bw;
    }
    after.forEach((e, i) => (x[off + 2 * nb + i] = e));
    this.x = x;
    this.off = off;
    this.nb = nb;
    this.x0 = x0;
    this.bw = bw;
    this.edges = new Int32Array(nb + 1);
  }

  /** One line's y columns on the grid: each bucket's minimum and maximum in the order they
   * occur, NaN where the line has no finite point. */
  add(p: GridPart): Float64Array[] {
    const { x0, bw, nb, off, edges, picked } = this;
    const m = this.x.length;
    // Bucket edges: a walk over x (ascending) when the range holds few points per bucket,
    // else a binary search per edge: O(log n + min(points in range, buckets x log n)) a line.
    // The range's own edges are lo and hi exactly, and its last bucket holds a point at hi (the
    // range is inclusive: a last step at hi is drawn inside the plot and counts for its y range).
    let i = lowerBound(p.x, p.n, x0);
    const walk = lowerBound(p.x, p.n, x0 + nb * bw) - i <= 8 * nb;
    for (let j = 0; j <= nb; j++) {
      const exact = this.hi > this.lo && (j === 1 || j === nb - 1);
      const edge = exact ? (j === 1 ? this.lo : this.hi) : x0 + j * bw;
      if (walk) while (i < p.n && p.x[i] < edge) i++;
      else i = lowerBound(p.x, p.n, edge);
      if (exact && j === nb - 1) while (i < p.n && p.x[i] === edge) i++;
      edges[j] = i;
    }
    const out: Float64Array[] = [];
    for (const y of p.ys) {
      const col = new Float64Array(m).fill(NaN);
      const mm = minMaxIndex(y, p.n);
      for (let j = 0; j < nb; j++) {
        const s = edges[j];
        const e = edges[j + 1];
        if (e <= s) continue;
        mm.query(s, e, picked);
        const [a, b] = picked[0] <= picked[1] ? [picked[0], picked[1]] : [picked[1], picked[0]];
        if (a < 0) continue;
        col[off + 2 * j] = y[a];
        col[off + 2 * j + 1] = y[b];
      }
      out.push(col);
    }
    return out;
  }
}

/**
 * Decimate every part onto one shared grid of `buckets` buckets over [lo, hi] (SweepGridBuilder,
 * all lines at once): the grid's x and every part's y columns in order.
 */
export function sweepGrid(parts: readonly GridPart[], lo: number, hi: number, buckets: number, ends: readonly number[] = []): { x: Float64Array; ys: Float64Array[] } {
  const g = new SweepGridBuilder(lo, hi, buckets, ends);
  const ys: Float64Array[] = [];
  for (const p of parts) ys.push(...g.add(p));
  return { x: g.x, ys };
}
