// A scalar chart's data as uPlot takes it (aligned columns on one x), built from the card's
// lines: each decimated to the chart's width (the whole range, or the zoom plus each line's ends
// so a double-click reset still spans the data), joined on a shared x. A sweep of plain run
// lines (more than MANY_LINES, no groups) is decimated onto one shared x grid instead
// (math/sweepgrid.ts): joining costs nothing and a zoom touches O(buckets x lines).
// The builder is a generator: with `pauses` it yields between lines, so the card's paced drawing
// (chart/drawjob.ts) can spread a sweep's build over several tasks.
import type uPlot from "uplot";
import type { ScalarLine } from "./scalarseries";
import { MANY_LINES } from "./sweep";
import type { Zoom } from "./zoom";
import { joinColumns, pickAt, withEnds, type RunColumns } from "../math/columns";
import { decimateIndices, lowerBound } from "../math/decimate";
import type { GroupBand } from "../math/groups";
import { sweepBuckets, SweepGridBuilder } from "../math/sweepgrid";

/** What the chart's data is built from. */
export interface ScalarDataInput {
  lines: readonly ScalarLine[];
  /** Per line, whether it carries its raw (unsmoothed) values (chart/sweep.ts drawsRaw). */
  raws: readonly boolean[];
  /** The member runs drawn faint under their groups (empty: none). */
  members: readonly RunColumns[];
  band: GroupBand;
  zoom: Zoom;
  /** The data's x extent over all lines. */
  full: readonly [number, number];
  /** The chart's width in CSS pixels: the decimation's buckets. */
  width: number;
  logY: boolean;
  /** Yield between lines (a sweep's build, in slices). */
  pauses: boolean;
  /** Whole-range decimation indices of a line's columns (the card keeps them while unchanged). */
  decimate?: (c: { x: Float64Array; n: number }, ys: Float64Array[], width: number) => Int32Array;
}

/** The chart's data, and for a sweep grid the y extent within the shown x range (else null: uPlot's own). */
export interface ScalarData {
  data: uPlot.AlignedData;
  ySpan: [number, number] | null;
}

/** A sweep grid column made ready to draw: with `positiveOnly` (log y) values <= 0 become NaN;
 * `span` widens to the finite values at indices [i0, i1). */
function scanColumn(col: Float64Array, positiveOnly: boolean, i0: number, i1: number, span: [number, number]): void {
  let lo = span[0];
  let hi = span[1];
  for (let k = 0; k < col.length; k++) {
    const v = col[k];
    if (positiveOnly && v <= 0) col[k] = NaN;
    else if (k >= i0 && k < i1 && v - v === 0) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  span[0] = lo;
  span[1] = hi;
}

/**
 * Build the chart's columns. Their order: x, all raw series first (drawn behind; the lines that
 * carry them), then all smoothed, then per group its band edges (unless `band` is "none") and
 * member count, then the faint member runs.
 */
export function* scalarData(o: ScalarDataInput): Generator<void, ScalarData, void> {
  const { lines, raws, band, zoom, width: w, logY, pauses } = o;
  const decimateAll = o.decimate ?? ((c, ys, width) => decimateIndices(c.x, ys, c.n, width));
  const gridded = lines.length > MANY_LINES && !lines.some((l) => l.group);
  let joined: { x: Float64Array; ys: ArrayLike<number | null>[] };
  let ySpan: [number, number] | null = null;
  if (gridded) {
    // One line at a time onto the grid. Its columns stay Float64Arrays, NaN where there is no
    // point (or none a log axis can show): a thousand columns of boxed numbers cost the page
    // long garbage collections. uPlot takes NaN for a value, not for a gap, so the y range is
    // ours too: the extremes within the plot's x range (ySpan).
    const ys = lines.map((l, i) => (raws[i] ? [l.cols.raw, l.cols.smoothed] : [l.cols.smoothed]));
    const columns = ys.reduce((a, y) => a + y.length, 0);
    const [lo, hi] = zoom ?? o.full;
    const grid = new SweepGridBuilder(lo, hi, sweepBuckets(columns, w), zoom ? [o.full[0], o.full[1]] : []);
    const gx = grid.x;
    const i0 = lowerBound(gx, gx.length, lo);
    const i1 = lowerBound(gx, gx.length, hi + (hi - lo) * 1e-12 + Number.MIN_VALUE);
    const span: [number, number] = [Infinity, -Infinity];
    joined = { x: gx, ys: [] };
    for (const [i, l] of lines.entries()) {
      for (const col of grid.add({ x: l.cols.x, n: l.cols.n, ys: ys[i] })) {
        scanColumn(col, logY, i0, i1, span);
        joined.ys.push(col);
      }
      if (pauses) yield;
    }
    if (span[0] <= span[1]) ySpan = span;
  } else {
    const decimated = (c: { x: Float64Array; n: number }, ys: Float64Array[], extra: Float64Array[] = []) => {
      const idx = zoom ? withEnds(decimateIndices(c.x, ys, c.n, w, zoom[0], zoom[1]), c.n) : decimateAll(c, ys, w);
      return { x: pickAt(c.x, idx), ys: [...ys, ...extra].map((y) => pickAt(y, idx)) };
    };
    const parts = lines.map((l, i) => {
      const g = l.group?.cols;
      if (!g) return decimated(l.cols, raws[i] ? [l.cols.raw, l.cols.smoothed] : [l.cols.smoothed]);
      const ys = band === "none" ? [g.raw, g.smoothed] : [g.raw, g.smoothed, g.lo, g.hi];
      return decimated(g, raws[i] ? ys : ys.slice(1), [g.count]);
    });
    for (const m of o.members) parts.push(decimated(m, [m.smoothed]));
    joined = joinColumns(parts, logY);
  }
  const rawCols: ArrayLike<number | null>[] = [];
  const smCols: ArrayLike<number | null>[] = [];
  const extraCols: ArrayLike<number | null>[] = [];
  let k = 0;
  for (const [i, l] of lines.entries()) {
    if (raws[i]) rawCols.push(joined.ys[k++]);
    smCols.push(joined.ys[k++]);
    if (l.group) {
      if (band !== "none") extraCols.push(joined.ys[k++], joined.ys[k++]);
      extraCols.push(joined.ys[k++]);
    }
  }
  const data = [joined.x, ...rawCols, ...smCols, ...extraCols, ...joined.ys.slice(k)] as unknown as uPlot.AlignedData;
  return { data, ySpan };
}
