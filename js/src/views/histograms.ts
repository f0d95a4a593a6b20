// Histograms: a card per tag, one canvas per visible run. Offset mode stacks the steps as
// ridgelines (oldest at the back/top); overlay mode draws them on one baseline, newest darkest.
import type { HistogramStep } from "../protocol";
import type { RunInfo } from "../store";
import {
  canvasAvailable, cardShell, fmtNum, h, niceTicks, sizeCanvas, swatch, themeColors, withAlpha,
  type CardView, type ViewContext,
} from "../ui";

const MAX_RIDGES = 60;
const PLOT_HEIGHT = 200;

/** Up to `max` steps evenly spread over the list, always keeping the newest. */
export function sampleSteps<T>(steps: readonly T[], max: number): T[] {
  if (steps.length <= max) return [...steps];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(steps[Math.round((i * (steps.length - 1)) / (max - 1))]);
  return out;
}

/** Bucket edges [left, right] clamped to the step's [min, max]. */
export function bucketEdges(hs: HistogramStep): { left: Float64Array; right: Float64Array } {
  const k = hs.limits.length;
  const left = new Float64Array(k);
  const right = new Float64Array(k);
  let prev = hs.min;
  for (let j = 0; j < k; j++) {
    left[j] = Math.min(Math.max(prev, hs.min), hs.max);
    right[j] = Math.min(Math.max(hs.limits[j], hs.min), hs.max);
    prev = hs.limits[j];
  }
  return { left, right };
}

/** Density outline of one step: points (x, density) at bucket edges. */
function outline(hs: HistogramStep): { xs: number[]; ys: number[] } {
  const { left, right } = bucketEdges(hs);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let j = 0; j < left.length; j++) {
    const c = hs.counts[j];
    if (!(c > 0)) continue;
    const w = right[j] - left[j];
    const d = w > 0 ? c / w : c;
    xs.push(left[j], right[j]);
    ys.push(d, d);
  }
  return { xs, ys };
}

function drawRun(canvas: HTMLCanvasElement, steps: HistogramStep[], run: RunInfo, mode: "offset" | "overlay", width: number, fg: string, muted: string): void {
  const ctx = sizeCanvas(canvas, width, PLOT_HEIGHT);
  if (!ctx) return;
  ctx.clearRect(0, 0, width, PLOT_HEIGHT);
  const shown = sampleSteps(steps, MAX_RIDGES);
  const lines = shown.map(outline);
  let xmin = Infinity;
  let xmax = -Infinity;
  let dmax = 0;
  for (const l of lines) {
    for (const x of l.xs) {
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
    }
    for (const y of l.ys) if (y > dmax) dmax = y;
  }
  if (!Number.isFinite(xmin) || dmax <= 0) {
    ctx.fillStyle = muted;
    ctx.fillText("empty histograms", 8, 16);
    return;
  }
  if (xmin === xmax) {
    xmin -= 0.5;
    xmax += 0.5;
  }
  const left = 8;
  const right = width - 56;
  const top = 8;
  const bottom = PLOT_HEIGHT - 22;
  const sx = (x: number) => left + ((x - xmin) / (xmax - xmin)) * (right - left);
  const n = lines.length;
  const ridge = mode === "offset" ? Math.max(12, (bottom - top) * 0.35) : bottom - top;
  const gap = mode === "offset" && n > 1 ? (bottom - top - ridge) / (n - 1) : 0;
  ctx.font = "10px sans-serif";
  for (let i = 0; i < n; i++) {
    const base = mode === "offset" ? top + ridge + i * gap : bottom;
    const age = n > 1 ? i / (n - 1) : 1; // 0 oldest, 1 newest
    const { xs, ys } = lines[i];
    if (xs.length === 0) continue;
    ctx.beginPath();
    ctx.moveTo(sx(xs[0]), base);
    for (let j = 0; j < xs.length; j++) ctx.lineTo(sx(xs[j]), base - (ys[j] / dmax) * ridge);
    ctx.lineTo(sx(xs[xs.length - 1]), base);
    if (mode === "offset") {
      ctx.fillStyle = withAlpha(run.color, 0.15 + 0.35 * age);
      ctx.fill();
    }
    ctx.strokeStyle = withAlpha(run.color, mode === "offset" ? 0.9 : 0.1 + 0.9 * age);
    ctx.lineWidth = 1;
    ctx.stroke();
    if (mode === "offset" && (i === 0 || i === n - 1 || n <= 8 || i % Math.ceil(n / 6) === 0)) {
      ctx.fillStyle = muted;
      ctx.fillText(`step ${fmtNum(shown[i].step)}`, right + 4, base);
    }
  }
  ctx.fillStyle = fg;
  ctx.strokeStyle = muted;
  for (const t of niceTicks(xmin, xmax, Math.max(2, Math.floor((right - left) / 80)))) {
    const x = sx(t);
    ctx.beginPath();
    ctx.moveTo(x, bottom);
    ctx.lineTo(x, bottom + 4);
    ctx.stroke();
    ctx.fillText(fmtNum(t), x - 10, bottom + 15);
  }
}

export function histogramCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("histograms", tag);
  let mode: "offset" | "overlay" = "offset";
  let lastSig = "";
  const select = h("select", { class: "tbx-select", title: "Histogram mode" },
    h("option", { value: "offset", text: "offset" }), h("option", { value: "overlay", text: "overlay" }));
  select.addEventListener("change", () => {
    mode = select.value === "overlay" ? "overlay" : "offset";
    update();
  });
  tools.append(select);

  function update(): void {
    const byRun = ctx.store.byTag("histograms", tag);
    const runs = ctx.ui.visibleRuns(ctx.store).filter((r) => (byRun.get(r.name)?.entries.length ?? 0) > 0);
    const width = Math.max(240, Math.floor(body.clientWidth) || 480);
    const sig = [runs.map((r) => `${r.name}:${byRun.get(r.name)?.version}`).join("|"), mode, width].join(";");
    if (sig === lastSig) return;
    lastSig = sig;
    body.textContent = "";
    if (runs.length === 0) {
      body.append(h("div", { class: "tbx-card-note", text: "No visible run has data for this tag." }));
      return;
    }
    const { fg, muted } = themeColors(el);
    for (const run of runs) {
      const steps = byRun.get(run.name)?.entries ?? [];
      const canvas = h("canvas", { class: "tbx-canvas", role: "img", "aria-label": `${tag} histograms of ${run.name}` });
      body.append(h("div", { class: "tbx-run-label" }, swatch(run.color), h("span", { text: `${run.name} · ${steps.length} steps` })), canvas);
      if (canvasAvailable()) drawRun(canvas, steps, run, mode, width, fg, muted);
    }
  }

  return { el, update, destroy() {} };
}
