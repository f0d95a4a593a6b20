// Columns of scalar series for uPlot: a run's x (by the chosen x axis), raw and smoothed y in x
// order; runs joined on one shared x; index helpers for decimated views.
import type { RunInfo, ScalarSeries } from "../store";
import type { XAxis } from "../ui";
import { carrySummary, lowerBound } from "./decimate";
import { quantile } from "./percentiles";
import { smooth, Smoother } from "./smoothing";

/** One run's columns in x order (x ascending), raw and smoothed y. */
export interface RunColumns {
  run: RunInfo;
  x: Float64Array;
  raw: Float64Array;
  smoothed: Float64Array;
  step: Float64Array;
  wall: Float64Array;
  n: number;
}

/** What `runColumns` kept of a series' previous columns, to extend them with what is appended. */
interface Kept {
  weight: number;
  xAxis: XAxis;
  /** The series' arrays and counts as last seen; a few of its points as a check. */
  step: Float64Array;
  wall: Float64Array;
  value: Float64Array;
  n: number;
  full: number;
  /** The series' `replaced` count then (Store: points replaced rather than appended to). */
  replaced: number;
  probes: number[];
  smoother: Smoother;
  /** Relative x (wall time minus its minimum t0) in a buffer grown by doubling. */
  rel: Float64Array;
  t0: number;
  cols: RunColumns;
}

/** Per series, what was kept for each of its last few settings (a series drawn by two cards, say
 * smoothed in one and not in the other, extends both). */
const kept = new WeakMap<ScalarSeries, Kept[]>();
const KEPT_SETTINGS = 4;

/** Points (re)computed by `runColumns` so far: in full, and extended (test hooks). */
export const columnStats = { full: 0, extended: 0 };

/** Indices checked to be unchanged before extending (a cheap guard against data rewritten in
 * place: the store replaces rather than rewrites, see `stablePrefix`). */
function probeIndices(n: number): number[] {
  return n === 0 ? [] : [0, n >> 1, n - 1];
}

function probesOf(s: ScalarSeries, n: number): number[] {
  const out: number[] = [];
  for (const i of probeIndices(n)) out.push(s.step[i], s.wallTime[i], s.value[i]);
  return out;
}

/**
 * How many leading points of `s` are those `k` was computed from: all of them when the series
 * only grew since (same arrays, its earlier points all full data, none rewritten), else 0.
 * The store appends into its arrays, and counts in `replaced` the times it replaced the points
 * instead (a whole answer may rewrite them in the same arrays); the probes (first, middle and
 * last point) are a second guard.
 */
function stablePrefix(k: Kept | undefined, s: ScalarSeries, weight: number, xAxis: XAxis): number {
  if (!k || k.weight !== weight || k.xAxis !== xAxis) return 0;
  if (s.step !== k.step || s.wallTime !== k.wall || s.value !== k.value) return 0;
  if (k.full !== k.n || s.n < k.n || s.full < k.n || s.replaced !== k.replaced) return 0;
  const now = probesOf(s, k.n);
  for (let i = 0; i < now.length; i++) if (!Object.is(now[i], k.probes[i])) return 0;
  return k.n;
}

/**
 * x, raw, smoothed of a series for an x axis, sorted by x (stable). Kept per series: when
 * points were only appended since the previous call, only they are computed (smoothing,
 * relative x, the order check, the decimation's block summaries); else all of them.
 */
export function runColumns(run: RunInfo, s: ScalarSeries, weight: number, xAxis: XAxis): RunColumns {
  const n = s.n;
  const list = kept.get(s) ?? [];
  const at = list.findIndex((k) => k.weight === weight && k.xAxis === xAxis);
  const prev = at >= 0 ? list[at] : undefined;
  let stable = stablePrefix(prev, s, weight, xAxis);
  const step = s.step.subarray(0, n);
  const wall = s.wallTime.subarray(0, n);
  const raw = s.value.subarray(0, n);
  let x: Float64Array;
  let rel = prev ? prev.rel : new Float64Array(0);
  let t0 = prev ? prev.t0 : Infinity;
  if (xAxis === "step") x = step;
  else if (xAxis === "wall") x = wall;
  else {
    let m = Infinity;
    for (let i = stable; i < n; i++) if (wall[i] < m) m = wall[i];
    if (stable === 0 || m < t0) {
      stable = 0; // a new minimum moves every relative x
      t0 = Infinity;
      for (let i = 0; i < n; i++) if (wall[i] < t0) t0 = wall[i];
    }
    if (stable === 0) rel = new Float64Array(0); // views handed out earlier keep their values
    if (n > rel.length) {
      const next = new Float64Array(Math.max(16, n, 2 * rel.length));
      next.set(rel.subarray(0, stable));
      rel = next;
    }
    for (let i = stable; i < n; i++) rel[i] = wall[i] - t0;
    x = rel.subarray(0, n);
  }
  let sorted = true;
  for (let i = Math.max(1, stable); i < n; i++) {
    if (!(x[i] >= x[i - 1])) {
      sorted = false;
      break;
    }
  }
  const smoother = prev && stable > 0 ? prev.smoother : new Smoother(weight);
  if (!sorted) {
    // Out of order (rare): sorted copies, computed in full each time.
    if (at >= 0) list.splice(at, 1);
    columnStats.full += n;
    const smoothed = smooth(raw, weight, n);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
    const take = (a: Float64Array) => Float64Array.from(order, (i) => a[i]);
    return { run, x: take(x), raw: take(raw), smoothed: take(smoothed), step: take(step), wall: take(wall), n };
  }
  const smoothed = smoother.update(raw, n, stable);
  if (stable > 0) columnStats.extended += n - stable;
  else columnStats.full += n;
  if (prev && stable > 0) {
    carrySummary(prev.cols.raw, raw, stable, n);
    // A series that stopped being constant had its earlier points smoothed anew.
    if (smoother.computed === n - stable) carrySummary(prev.cols.smoothed, smoothed, stable, n);
  }
  const cols: RunColumns = { run, x, raw, smoothed, step, wall, n };
  const k: Kept = {
    weight, xAxis, step: s.step, wall: s.wallTime, value: s.value, n, full: s.full,
    replaced: s.replaced, probes: probesOf(s, n), smoother, rel, t0, cols,
  };
  if (at >= 0) list.splice(at, 1);
  list.push(k);
  if (list.length > KEPT_SETTINGS) list.shift();
  kept.set(s, list);
  return cols;
}

/** Whether every part has the same x values (a sweep's runs logged at the same steps). */
function sameX(parts: readonly { x: Float64Array }[]): boolean {
  const x0 = parts[0].x;
  for (let p = 1; p < parts.length; p++) {
    const x = parts[p].x;
    if (x === x0) continue;
    if (x.length !== x0.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== x0[i]) return false;
  }
  return true;
}

/** Merge runs on a shared ascending x (uPlot's aligned data); missing values are null. */
export function joinColumns(
  parts: { x: Float64Array; ys: Float64Array[] }[],
  positiveOnly: boolean,
): { x: Float64Array; ys: (number | null)[][] } {
  const strict = (x: Float64Array) => x.every((v, i) => i === 0 || v > x[i - 1]);
  if (parts.length > 0 && sameX(parts) && strict(parts[0].x)) {
    // Runs on the same x (a sweep): no union to sort, each column copied once.
    const m = parts[0].x.length;
    const ys: (number | null)[][] = [];
    for (const p of parts) {
      for (const y of p.ys) {
        const col: (number | null)[] = new Array(m);
        for (let i = 0; i < m; i++) {
          const v = y[i];
          col[i] = Number.isFinite(v) && (!positiveOnly || v > 0) ? v : null;
        }
        ys.push(col);
      }
    }
    return { x: parts[0].x.slice(), ys };
  }
  let total = 0;
  for (const p of parts) total += p.x.length;
  const all = new Float64Array(total);
  let k = 0;
  for (const p of parts) {
    all.set(p.x, k);
    k += p.x.length;
  }
  all.sort();
  let m = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[m - 1]) all[m++] = all[i];
  const x = all.slice(0, m);
  const ys: (number | null)[][] = [];
  for (const p of parts) {
    for (const y of p.ys) {
      const col: (number | null)[] = new Array(m).fill(null);
      let j = 0;
      for (let i = 0; i < p.x.length; i++) {
        while (x[j] < p.x[i]) j++;
        const v = y[i];
        col[j] = Number.isFinite(v) && (!positiveOnly || v > 0) ? v : null;
      }
      ys.push(col);
    }
  }
  return { x, ys };
}

/** Sorted indices with 0 and n - 1 added when missing. */
export function withEnds(idx: Int32Array, n: number): Int32Array {
  if (n === 0) return idx;
  const head = idx.length === 0 || idx[0] !== 0;
  const tail = n > 1 && (idx.length === 0 || idx[idx.length - 1] !== n - 1);
  if (!head && !tail) return idx;
  const out = new Int32Array(idx.length + Number(head) + Number(tail));
  out.set(idx, Number(head));
  if (head) out[0] = 0;
  if (tail) out[out.length - 1] = n - 1;
  return out;
}

/** `a` at the given indices. */
export function pickAt(a: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]];
  return out;
}

/**
 * The y range ignoring outliers: the 5th to 95th percentile of the raw values (those inside
 * `zoom` when zoomed; at most ~20,000 sampled per run) plus 5%; null when there are none.
 */
export function outlierRange(cols: readonly RunColumns[], zoom: [number, number] | null): [number, number] | null {
  const vals: number[] = [];
  for (const c of cols) {
    const a = zoom ? lowerBound(c.x, c.n, zoom[0]) : 0;
    const b = zoom ? lowerBound(c.x, c.n, zoom[1] + 1e-12) : c.n;
    const stride = Math.max(1, Math.floor((b - a) / 20000));
    for (let i = a; i < b; i += stride) vals.push(c.raw[i]);
  }
  const lo = quantile(vals, 5);
  const hi = quantile(vals, 95);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return null;
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}
