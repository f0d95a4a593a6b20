// A sweep's lines drawn in one pass on the chart's canvas (issue 19: zoom redraw <= 16 ms per
// chart at 1,000 lines). uPlot builds, clips and strokes a path per series, with its own
// bookkeeping per line; at a thousand lines that fixed cost is most of a redraw. A sweep's
// series are given no paths of their own (`paths: noPaths`) and `drawSweep`, run from uPlot's
// draw hook, strokes them all: one path and one stroke per style (colour and width; runs share
// a dozen palette colours), x positions computed once for the shared grid. Styles are drawn
// thinnest first (a highlighted line on top), raw series before smoothed ones as in uPlot.
// A first drawing of a thousand lines (with software rendering, path building and raster) can
// take hundreds of milliseconds: `SweepPainter` paints the same strokes, in the same order, a
// time slice at a time at coming frames (issue 19: frame gaps), and starts over at uPlot's next
// redraw (a zoom, new data, a resize), which clears the canvas.
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

/** Time (ms) one slice of painting may take before the rest waits for a coming frame. */
export const PAINT_SLICE_MS = 8;

/** Where painting has got to: style group `g`, its line `i`. */
interface PaintAt {
  g: number;
  i: number;
}

/** What a paint needs from the chart, fixed until uPlot's next redraw. */
interface PaintFrame {
  u: uPlot;
  groups: SweepLine[][];
  px: Float64Array;
  fy: (v: number) => number;
  left: number;
  top: number;
  width: number;
  height: number;
  total: number;
}

/** The chart's scales and lines ready to paint, or null when there is nothing to paint. */
function paintFrame(u: uPlot, lines: readonly SweepLine[]): PaintFrame | null {
  const fx = unit(u.scales.x);
  const fy = unit(u.scales.y);
  const xs = u.data[0] as ArrayLike<number>;
  if (!fx || !fy || !lines.length || !xs.length) return null;
  const { left, top, width, height } = u.bbox;
  const px = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) px[i] = Math.round(left + fx(xs[i]) * width);
  const styles = new Map<string, SweepLine[]>();
  for (const l of lines) {
    const key = `${l.width}\u0000${l.stroke}`;
    const group = styles.get(key);
    if (group) group.push(l);
    else styles.set(key, [l]);
  }
  const groups = [...styles.values()].sort((a, b) => a[0].width - b[0].width); // stable: first seen first
  return { u, groups, px, fy, left, top, width, height, total: lines.length };
}

/**
 * Paint from `at` on, one path per style (a style cut short by `stop` is stroked as far as it
 * got), until every line is painted or `stop()` says so (asked after each line; at least one
 * line is painted). Moves `at`; returns the strokes made.
 */
function paint(f: PaintFrame, at: PaintAt, stop: () => boolean): number {
  const { u, groups, px, fy, left, top, width, height } = f;
  const bottom = top + height;
  const ratio = uPlot.pxRatio || 1;
  const ctx = u.ctx;
  let strokes = 0;
  let halt = false;
  ctx.save(); // uPlot caches the context's style: it is left as it was
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineJoin = "round";
  ctx.lineCap = "butt";
  ctx.setLineDash([]);
  while (at.g < groups.length && !halt) {
    const group = groups[at.g];
    const lw = Math.round(group[0].width * ratio * 1000) / 1000;
    const off = (lw % 2) / 2; // odd widths on pixel centres, as uPlot aligns them
    const dots: number[] = [];
    ctx.beginPath();
    while (at.i < group.length) {
      const col = u.data[group[at.i++].index] as ArrayLike<number | null | undefined>;
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
      if (stop()) {
        halt = true;
        break;
      }
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
    if (at.i >= group.length) {
      at.g++;
      at.i = 0;
    }
  }
  ctx.restore();
  return strokes;
}

/**
 * Draw `lines` (series of `u`, x from `u.data[0]`) on `u`'s canvas within its plot box: one
 * path per style, lines joined across missing values (uPlot's `spanGaps`), a series with a
 * single point drawn as a dot. Returns the number of strokes made.
 */
export function drawSweep(u: uPlot, lines: readonly SweepLine[]): number {
  const f = paintFrame(u, lines);
  return f ? paint(f, { g: 0, i: 0 }, () => false) : 0;
}

/** Where the rest of a paint runs: a coming frame or task, one pending job per key (views/visibility.ts FrameSlices). */
export interface FrameScheduler {
  request(key: object, job: () => void): void;
  cancel(key: object): void;
}

const defaultClock = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/**
 * Paints a sweep chart's lines a slice at a time: `start` (from uPlot's draw hook, on the
 * canvas uPlot has just cleared) paints for up to `sliceMs`, and the rest is painted at coming
 * frames or tasks through `frames`, `sliceMs` at a time, the same strokes in the same order as
 * `drawSweep`. A new `start` (uPlot redrew) drops what was left and starts over.
 */
export class SweepPainter {
  private frame: PaintFrame | null = null;
  private readonly at: PaintAt = { g: 0, i: 0 };
  private readonly key = {};
  private painted = 0;
  private spent = 0;
  private wholeOnce = false;

  /** Called each time the whole picture is painted (a test hook's place). */
  onDone: (() => void) | null = null;

  constructor(
    private readonly lines: readonly SweepLine[],
    private readonly frames: FrameScheduler,
    private readonly sliceMs: number = PAINT_SLICE_MS,
    private readonly clock: () => number = defaultClock,
  ) {
    if (!(sliceMs >= 0) || !Number.isFinite(sliceMs)) throw new RangeError(`SweepPainter: sliceMs must be a finite number >= 0, got ${String(sliceMs)}`);
  }

  /** Start painting `u`'s freshly cleared canvas: a slice now, the rest at coming frames. */
  start(u: uPlot): void {
    this.frames.cancel(this.key);
    this.frame = paintFrame(u, this.lines);
    this.at.g = 0;
    this.at.i = 0;
    this.painted = 0;
    this.spent = 0;
    const whole = this.wholeOnce;
    this.wholeOnce = false;
    this.slice(whole);
  }

  /** Paint the next picture (the next `start`) at once, not in slices: a zoom of a drawn chart,
   * whose redraw is one short task. */
  wholeNext(): void {
    this.wholeOnce = true;
  }

  /** Paint no more (the chart is gone). */
  stop(): void {
    this.frames.cancel(this.key);
    this.frame = null;
  }

  /** Whether the whole picture is painted (or there is nothing to paint). */
  get done(): boolean {
    return this.frame === null;
  }

  /** Time (ms) spent painting the last picture (so far, if it is not done). */
  get cost(): number {
    return this.spent;
  }

  /** Lines painted of the picture being painted, and how many it has (a test hook). */
  get progress(): [number, number] {
    return [this.painted, this.frame ? this.frame.total : this.lines.length];
  }

  private slice(whole = false): void {
    const f = this.frame;
    if (!f) {
      this.onDone?.(); // nothing to paint (no scales yet, no points): the picture is what it is
      return;
    }
    const t0 = this.clock();
    const before = this.at;
    const count = { n: 0 };
    // the clock is read every few lines (tens of microseconds each)
    paint(f, before, () => ++count.n % 8 === 0 && !whole && this.clock() - t0 >= this.sliceMs);
    this.painted += count.n;
    this.spent += this.clock() - t0;
    if (this.at.g < f.groups.length) {
      this.frames.request(this.key, () => this.slice());
      return;
    }
    this.frame = null;
    this.painted = f.total;
    this.onDone?.();
  }
}
