// A sweep's lines drawn in one pass on the chart's canvas (issue 19: zoom redraw <= 16 ms per
// chart at 1,000 lines). uPlot builds, clips and strokes a path per series, with its own
// bookkeeping per line; at a thousand lines that fixed cost is most of a redraw. A sweep's
// series are given no paths of their own (`paths: noPaths`) and `drawSweep`, run from uPlot's
// draw hook, strokes them all: one path and one stroke per style (colour and width; runs share
// a dozen palette colours), x positions computed once for the shared grid. Styles are drawn
// thinnest first (a highlighted line on top), raw series before smoothed ones as in uPlot.
import uPlot from "uplot";

/** One series of the chart to draw: its index in `u.data`, stroke colour and CSS width. */
export interface SweepLine {
  index: number;
  stroke: string;
  width: number;
}

/** uPlot `paths` for a series drawn by `drawSweep`: uPlot draws nothing of its own for it. */
export const noPaths: uPlot.Series.PathBuilder = () => null;

/** A scale's value -> position in [0, 1] (linear, or log10 for a log scale); NaN if it has none. */
function unit(scale: uPlot.Scale): ((v: number) => number) | null {
  const { min, max } = scale;
  if (min === undefined || max === undefined || min === null || max === null) return null;
  if (scale.distr === 3) {
    if (!(min > 0 && max > 0)) return null;
    const lo = Math.log10(min);
    const span = Math.log10(max) - lo;
    return (v) => (v > 0 ? (Math.log10(v) - lo) / (span || 1) : NaN);
  }
  const span = max - min;
  return (v) => (v - min) / (span || 1);
}

/**
 * Draw `lines` (series of `u`, x from `u.data[0]`) on `u`'s canvas within its plot box: one
 * path per style, lines joined across missing values (uPlot's `spanGaps`), a series with a
 * single point drawn as a dot. Returns the number of strokes made.
 */
export function drawSweep(u: uPlot, lines: readonly SweepLine[]): number {
  const fx = unit(u.scales.x);
  const fy = unit(u.scales.y);
  const xs = u.data[0] as ArrayLike<number>;
  if (!fx || !fy || !lines.length || !xs.length) return 0;
  const { left, top, width, height } = u.bbox;
  const px = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) px[i] = Math.round(left + fx(xs[i]) * width);
  const bottom = top + height;
  const styles = new Map<string, SweepLine[]>();
  for (const l of lines) {
    const key = `${l.width}\u0000${l.stroke}`;
    const group = styles.get(key);
    if (group) group.push(l);
    else styles.set(key, [l]);
  }
  const order = [...styles.values()].sort((a, b) => a[0].width - b[0].width); // stable: first seen first
  const ratio = uPlot.pxRatio || 1;
  const ctx = u.ctx;
  let strokes = 0;
  ctx.save(); // uPlot caches the context's style: it is left as it was
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineJoin = "round";
  ctx.lineCap = "butt";
  ctx.setLineDash([]);
  for (const group of order) {
    const lw = Math.round(group[0].width * ratio * 1000) / 1000;
    const off = (lw % 2) / 2; // odd widths on pixel centres, as uPlot aligns them
    const dots: number[] = [];
    ctx.beginPath();
    for (const l of group) {
      const col = u.data[l.index] as ArrayLike<number | null | undefined>;
      let n = 0;
      let lx = 0;
      let ly = 0;
      for (let i = 0; i < col.length; i++) {
        const v = col[i];
        if (v === null || v === undefined) continue;
        const y = fy(v);
        if (!Number.isFinite(y) || !Number.isFinite(px[i])) continue;
        lx = px[i] + off;
        ly = Math.round(bottom - y * height) + off;
        if (n++ === 0) ctx.moveTo(lx, ly);
        else ctx.lineTo(lx, ly);
      }
      if (n === 1) dots.push(lx, ly);
    }
    ctx.strokeStyle = group[0].stroke;
    ctx.lineWidth = lw;
    ctx.stroke();
    strokes++;
    if (dots.length) {
      ctx.fillStyle = group[0].stroke;
      const r = Math.max(2, 2 * lw);
      for (let i = 0; i < dots.length; i += 2) ctx.fillRect(dots[i] - r, dots[i + 1] - r, 2 * r, 2 * r);
    }
  }
  ctx.restore();
  return strokes;
}
