// Distributions: a card per histogram tag, one canvas per visible run with bands between the
// percentiles min/6.68/15.87/30.85/50/69.15/84.13/93.32/max over steps (median as a line).
import { DISTRIBUTION_PERCENTS, percentiles } from "../math/percentiles";
import type { HistogramStep } from "../protocol";
import type { RunInfo } from "../store";
import { runCanvasCard } from "../chart/runcanvas";
import { canvasAvailable, fmtNum, h, niceTicks, sizeCanvas, withAlpha, type CardView, type ViewContext } from "../ui";

const PLOT_HEIGHT = 180;

/** Percentile rows per step (DISTRIBUTION_PERCENTS order), steps sorted by step. */
export function distribution(steps: readonly HistogramStep[]): { step: number[]; bands: number[][] } {
  const sorted = [...steps].sort((a, b) => a.step - b.step);
  return {
    step: sorted.map((s) => s.step),
    bands: sorted.map((s) => percentiles(s.limits, s.counts, s.min, s.max)),
  };
}

function drawRun(canvas: HTMLCanvasElement, steps: readonly HistogramStep[], run: RunInfo, width: number, fg: string, muted: string): void {
  const ctx = sizeCanvas(canvas, width, PLOT_HEIGHT);
  if (!ctx) return;
  ctx.clearRect(0, 0, width, PLOT_HEIGHT);
  const d = distribution(steps);
  const n = d.step.length;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const row of d.bands) {
    for (const v of row) {
      if (!Number.isFinite(v)) continue;
      if (v < ymin) ymin = v;
      if (v > ymax) ymax = v;
    }
  }
  if (n === 0 || !Number.isFinite(ymin)) return;
  if (ymin === ymax) {
    ymin -= 0.5;
    ymax += 0.5;
  }
  const x0 = d.step[0];
  const x1 = n > 1 ? d.step[n - 1] : x0 + 1;
  const left = 56;
  const right = width - 10;
  const top = 8;
  const bottom = PLOT_HEIGHT - 22;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
  const sy = (y: number) => bottom - ((y - ymin) / (ymax - ymin)) * (bottom - top);
  ctx.font = "10px sans-serif";
  // Axes: y ticks and grid, x ticks.
  ctx.strokeStyle = withAlpha("#808080", 0.2);
  ctx.fillStyle = fg;
  for (const t of niceTicks(ymin, ymax, 4)) {
    const y = sy(t);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    ctx.fillText(fmtNum(t), 4, y + 3);
  }
  for (const t of niceTicks(x0, x1, Math.max(2, Math.floor((right - left) / 90)), d.step.every(Number.isInteger))) {
    ctx.fillText(fmtNum(t), sx(t) - 10, bottom + 15);
  }
  const k = DISTRIBUTION_PERCENTS.length; // 9: pairs (0,8), (1,7), (2,6), (3,5), median 4
  for (let b = 0; b < (k - 1) / 2; b++) {
    const lo = b;
    const hi = k - 1 - b;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const x = sx(d.step[i]);
      const y = sy(d.bands[i][hi]);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    for (let i = n - 1; i >= 0; i--) ctx.lineTo(sx(d.step[i]), sy(d.bands[i][lo]));
    ctx.closePath();
    ctx.fillStyle = withAlpha(run.color, 0.12 + 0.1 * b);
    ctx.fill();
  }
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const x = sx(d.step[i]);
    const y = sy(d.bands[i][(k - 1) / 2]);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.strokeStyle = run.color;
  ctx.lineWidth = 1.5;
  ctx.stroke();
  if (n === 1) {
    ctx.fillStyle = muted;
    ctx.fillText(`one step (${fmtNum(d.step[0])})`, left + 4, top + 10);
  }
}

export function distributionCard(tag: string, ctx: ViewContext): CardView {
  return runCanvasCard(tag, ctx, {
    kind: "distributions",
    plot: (run, steps, width, theme) => {
      const canvas = h("canvas", { class: "tbx-canvas", role: "img", "aria-label": `${tag} distribution of ${run.name}` });
      if (canvasAvailable()) drawRun(canvas, steps, run, width, theme.fg, theme.muted);
      return canvas;
    },
  });
}
