// Histograms: a card per tag, one canvas per visible run. Each shown step is re-binned into
// equal-width bins over the range of all shown steps (math/rebin.ts, as TensorBoard does) and
// drawn as a ridge through the bin centres. Offset mode stacks the steps (oldest at the back,
// top); overlay mode draws them on one baseline, newest darkest. Hovering reads out a bin.
import { thinLabels } from "../chart/labels";
import { DEFAULT_BINS, rebin } from "../math/rebin";
import type { HistogramStep } from "../protocol";
import type { RunInfo } from "../store";
import { runCanvasCard } from "../chart/runcanvas";
import type { ThemeColors } from "../theme";
import { canvasAvailable, fmtNum, h, niceTicks, sizeCanvas, withAlpha, type CardView, type ViewContext } from "../ui";

const MAX_RIDGES = 60;
const PLOT_HEIGHT = 200;
const LABEL_GAP = 12; // px between step labels

export type HistogramMode = "offset" | "overlay";

/** Up to `max` steps evenly spread over the list, always keeping the newest. */
export function sampleSteps<T>(steps: readonly T[], max: number): T[] {
  if (steps.length <= max) return [...steps];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(steps[Math.round((i * (steps.length - 1)) / (max - 1))]);
  return out;
}

/** Where one run's ridges go on its canvas. */
export interface RidgeLayout {
  steps: HistogramStep[];
  lo: number;
  hi: number;
  counts: Float64Array[];
  cmax: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Ridge height and the baseline of each step (pixels). */
  ridge: number;
  base: number[];
}

/** Re-bin a run's shown steps and place them on a `width` × `height` canvas. */
export function ridgeLayout(all: readonly HistogramStep[], mode: HistogramMode, width: number, height = PLOT_HEIGHT, bins = DEFAULT_BINS): RidgeLayout {
  const steps = sampleSteps([...all].sort((a, b) => a.step - b.step), MAX_RIDGES);
  const { lo, hi, counts } = rebin(steps, bins);
  let cmax = 0;
  for (const c of counts) for (const v of c) if (v > cmax) cmax = v;
  const left = 8;
  const right = width - 64;
  const top = 8;
  const bottom = height - 22;
  const n = steps.length;
  const ridge = mode === "offset" ? Math.max(12, (bottom - top) * (n > 1 ? 0.35 : 1)) : bottom - top;
  const gap = mode === "offset" && n > 1 ? (bottom - top - ridge) / (n - 1) : 0;
  const base = steps.map((_, i) => (mode === "offset" ? top + ridge + i * gap : bottom));
  return { steps, lo, hi, counts, cmax, left, right, top, bottom, ridge, base };
}

function sx(L: RidgeLayout, x: number): number {
  return L.left + ((x - L.lo) / (L.hi - L.lo)) * (L.right - L.left);
}

/** Canvas y of bin `b` of step `i`. */
function sy(L: RidgeLayout, i: number, b: number): number {
  return L.base[i] - (L.cmax > 0 ? L.counts[i][b] / L.cmax : 0) * L.ridge;
}

/** The bin under canvas point (x, y): the bin by x, the step by the nearest ridge (offset: the
 * front-most ridge whose area holds the point; overlay: the curve closest in y). */
export function pickBin(L: RidgeLayout, mode: HistogramMode, x: number, y: number): { step: number; bin: number } | null {
  const n = L.steps.length;
  const bins = L.counts[0]?.length ?? 0;
  if (n === 0 || bins === 0 || x < L.left || x > L.right) return null;
  const bin = Math.min(bins - 1, Math.max(0, Math.floor(((x - L.left) / (L.right - L.left)) * bins)));
  let best = -1;
  if (mode === "offset") {
    for (let i = n - 1; i >= 0; i--) {
      if (y <= L.base[i] && y >= sy(L, i, bin) - 2) {
        best = i;
        break;
      }
    }
    if (best < 0) {
      let d = Infinity;
      for (let i = 0; i < n; i++) {
        const dd = Math.abs(L.base[i] - y);
        if (dd < d) [d, best] = [dd, i];
      }
    }
  } else {
    let d = Infinity;
    for (let i = 0; i < n; i++) {
      const dd = Math.abs(sy(L, i, bin) - y);
      if (dd <= d) [d, best] = [dd, i];
    }
  }
  return { step: best, bin };
}

/** y of each step's label: offset at its baseline, overlay at its peak. */
function labelY(L: RidgeLayout, mode: HistogramMode): number[] {
  return L.steps.map((_, i) => {
    if (mode === "offset") return L.base[i];
    let top = L.base[i];
    for (let b = 0; b < L.counts[i].length; b++) top = Math.min(top, sy(L, i, b));
    return top;
  });
}

function drawRun(canvas: HTMLCanvasElement, L: RidgeLayout, run: RunInfo, mode: HistogramMode, width: number, theme: ThemeColors, hover: { step: number; bin: number } | null): void {
  const ctx = sizeCanvas(canvas, width, PLOT_HEIGHT);
  if (!ctx) return;
  ctx.clearRect(0, 0, width, PLOT_HEIGHT);
  ctx.font = "10px sans-serif";
  const n = L.steps.length;
  if (n === 0 || L.cmax <= 0) {
    ctx.fillStyle = theme.muted;
    ctx.fillText("empty histograms", 8, 16);
    return;
  }
  const bins = L.counts[0].length;
  const w = (L.hi - L.lo) / bins;
  const cx = (b: number) => sx(L, L.lo + (b + 0.5) * w);
  for (let i = 0; i < n; i++) {
    const age = n > 1 ? i / (n - 1) : 1; // 0 oldest, 1 newest
    const emphasised = hover !== null && hover.step === i;
    ctx.beginPath();
    ctx.moveTo(sx(L, L.lo), L.base[i]);
    ctx.lineTo(sx(L, L.lo), sy(L, i, 0));
    for (let b = 0; b < bins; b++) ctx.lineTo(cx(b), sy(L, i, b));
    ctx.lineTo(sx(L, L.hi), sy(L, i, bins - 1));
    ctx.lineTo(sx(L, L.hi), L.base[i]);
    if (mode === "offset") {
      ctx.closePath();
      ctx.fillStyle = withAlpha(run.color, 0.15 + 0.35 * age);
      ctx.fill();
      ctx.strokeStyle = emphasised ? theme.fg : withAlpha(run.color, 0.9);
    } else {
      ctx.strokeStyle = emphasised ? theme.fg : withAlpha(run.color, 0.1 + 0.9 * age);
    }
    ctx.lineWidth = emphasised ? 2 : 1;
    ctx.stroke();
  }
  // Step labels in the right margin, thinned so none overlap (the newest always shown).
  const ys = labelY(L, mode);
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  for (const i of thinLabels(ys, LABEL_GAP, [n - 1, 0])) {
    ctx.fillStyle = hover?.step === i ? theme.fg : theme.muted;
    ctx.fillText(`step ${fmtNum(L.steps[i].step)}`, L.right + 4, Math.max(L.top, Math.min(L.bottom, ys[i])));
  }
  // x axis.
  ctx.fillStyle = theme.fg;
  ctx.strokeStyle = theme.muted;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of niceTicks(L.lo, L.hi, Math.max(3, Math.floor((L.right - L.left) / 50)))) {
    const x = sx(L, t);
    ctx.beginPath();
    ctx.moveTo(x, L.bottom);
    ctx.lineTo(x, L.bottom + 4);
    ctx.stroke();
    ctx.fillText(fmtNum(t), x, L.bottom + 6);
  }
  if (hover) {
    const x0 = sx(L, L.lo + hover.bin * w);
    const x1 = sx(L, L.lo + (hover.bin + 1) * w);
    ctx.fillStyle = withAlpha("#808080", 0.18);
    ctx.fillRect(x0, L.top, x1 - x0, L.bottom - L.top);
  }
}

/** The hover readout of a bin: step, bin range and (re-binned) count. */
export function binReadout(L: RidgeLayout, pick: { step: number; bin: number }): string {
  const bins = L.counts[pick.step].length;
  const w = (L.hi - L.lo) / bins;
  const a = L.lo + pick.bin * w;
  const b = pick.bin === bins - 1 ? L.hi : a + w;
  return `step ${fmtNum(L.steps[pick.step].step)} · [${fmtNum(a)}, ${fmtNum(b)}${pick.bin === bins - 1 ? "]" : ")"} · count ${fmtNum(L.counts[pick.step][pick.bin])}`;
}

/** One run's canvas with its hover readout. */
function runPlot(tag: string, run: RunInfo, steps: readonly HistogramStep[], mode: HistogramMode, width: number, theme: ThemeColors): HTMLElement {
  const canvas = h("canvas", { class: "tbx-canvas", role: "img", "aria-label": `${tag} histograms of ${run.name}` });
  const tip = h("div", { class: "tbx-tip", hidden: true });
  const plot = h("div", { class: "tbx-plot" }, canvas, tip);
  const L = ridgeLayout(steps, mode, width);
  // Test hook: the newest step's re-binned counts and the range.
  canvas.dataset.tbxBins = JSON.stringify({ lo: L.lo, hi: L.hi, counts: Array.from(L.counts[L.counts.length - 1] ?? [], (v) => Math.round(v * 1000) / 1000) });
  if (!canvasAvailable()) return plot;
  drawRun(canvas, L, run, mode, width, theme, null);
  let last = "";
  canvas.addEventListener("mousemove", (e) => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const pick = pickBin(L, mode, x, y);
    const key = pick ? `${pick.step}:${pick.bin}` : "";
    if (key === last) return;
    last = key;
    drawRun(canvas, L, run, mode, width, theme, pick);
    if (!pick) {
      tip.hidden = true;
      return;
    }
    tip.textContent = binReadout(L, pick);
    tip.hidden = false;
    tip.style.left = `${Math.min(x + 12, Math.max(0, width - tip.offsetWidth - 4))}px`;
    tip.style.top = `${Math.max(0, y - 28)}px`;
  });
  canvas.addEventListener("mouseleave", () => {
    last = "";
    tip.hidden = true;
    drawRun(canvas, L, run, mode, width, theme, null);
  });
  return plot;
}

export function histogramCard(tag: string, ctx: ViewContext): CardView {
  let mode: HistogramMode = "offset";
  const card = runCanvasCard(tag, ctx, {
    kind: "histograms",
    heading: (label, steps) => `${label} · ${steps.length} steps`,
    options: () => mode,
    plot: (run, steps, width, theme) => runPlot(tag, run, steps, mode, width, theme),
  });
  const select = h("select", { class: "tbx-select", title: "Histogram mode" },
    h("option", { value: "offset", text: "offset" }), h("option", { value: "overlay", text: "overlay" }));
  select.addEventListener("change", () => {
    mode = select.value === "overlay" ? "overlay" : "offset";
    card.update();
  });
  card.tools.append(select);
  return card;
}
