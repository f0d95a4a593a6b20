// Curves (add_curve): a card per tag, y against x at the slider's step for every visible run and
// series, in one uPlot chart with the scalar cards' axes, tooltip, drag zoom, shift + drag pan and
// double-click reset. "pin" keeps the shown step drawn (fainter) while the slider moves on;
// "overlay" adds evenly spaced earlier steps, fainter the older they are.
import uPlot from "uplot";
import { chartAxes, paddedRange } from "../chart/axes";
import { Memo } from "../chart/memo";
import { enablePan } from "../chart/pan";
import { ChartTooltip, tipOrderSelect, type TipSeries } from "../chart/tooltip";
import type { CurveEntry } from "../protocol";
import { PALETTE } from "../runstyle";
import type { RunInfo } from "../store";
import { onThemeChange, readTheme } from "../theme";
import { button, canvasAvailable, cardShell, fmtNum, h, swatch, toggleButton, withAlpha, type CardView, type ViewContext } from "../ui";
import { StepSlider, stepData } from "./stepslider";

const CHART_HEIGHT = 240;
/** The most steps an overlay draws (the chosen step and evenly spaced earlier ones). */
export const MAX_OVERLAY = 8;
const DASHES: readonly number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3]];

/** The entry logged last at `step`, or undefined. */
export function entryAt<T extends { step: number }>(entries: readonly T[], step: number | null): T | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].step === step) return entries[i];
  return undefined;
}

/** Steps to overlay: `current` and up to `max - 1` evenly spaced earlier steps, oldest first. */
export function overlaySteps(steps: readonly number[], current: number, max = MAX_OVERLAY): number[] {
  const before = [...new Set(steps)].filter((s) => s < current).sort((a, b) => a - b);
  const room = Math.max(0, max - 1);
  let picked = before;
  if (before.length > room) {
    picked = [];
    for (let i = 0; i < room; i++) picked.push(before[Math.round((i * (before.length - 1)) / Math.max(1, room - 1))]);
    if (room === 1) picked = [before[before.length - 1]];
  }
  return [...new Set(picked), current];
}

/** The steps drawn: the chosen one last, pinned ones and (with `overlay`) spaced earlier ones before it. */
export function shownSteps(steps: readonly number[], current: number | null, pinned: ReadonlySet<number>, overlay: boolean): number[] {
  if (current === null) return [];
  const extra = new Set<number>([...pinned].filter((s) => s !== current && steps.includes(s)));
  if (overlay) for (const s of overlaySteps(steps, current)) if (s !== current) extra.add(s);
  return [...[...extra].sort((a, b) => a - b), current];
}

/** A curve as a uPlot table sorted by x: [x, y0, y1, ...], NaN as null (a gap). */
export function curveTable(e: CurveEntry): (number | null)[][] {
  const n = e.x.length;
  const order = Array.from({ length: n }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (e.x[i] < e.x[i - 1]) sorted = false;
  if (!sorted) order.sort((a, b) => e.x[a] - e.x[b]);
  const col = (a: ArrayLike<number>) => order.map((i) => (Number.isFinite(a[i]) ? a[i] : null));
  return [order.map((i) => e.x[i]), ...e.ys.map(col)];
}

interface Line {
  key: string;
  label: string;
  color: string;
  dash: number[];
  width: number;
}

export function curveCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("curves", tag);
  const chartBox = h("div", { class: "tbx-chart" });
  const tip = h("div", { class: "tbx-tip tbx-chart-tip", hidden: true });
  const legend = h("div", { class: "tbx-legend tbx-legend-compact" });
  const info = h("div", { class: "tbx-card-note" });
  body.append(h("div", { class: "tbx-plot" }, chartBox, tip), legend, info);
  const tooltip = new ChartTooltip(tip, (x) => `x ${fmtNum(x)}`, fmtNum, fmtNum);

  let overlay = false;
  const pinned = new Set<number>();
  let chart: uPlot | null = null;
  const memo = new Memo(); // what is drawn: data, step, overlay, pins, width, colours
  const stepsMemo = new Memo(); // the data the slider's steps come from
  let width = 0;
  let full: [number, number] = [0, 1];
  let zoom: [number, number] | null = null;
  let destroyed = false;
  const slider = new StepSlider(() => redraw());
  const pinBtn = button("pin", "Keep this step drawn (fainter) while the slider moves on; click again to unpin", () => {
    const v = slider.value;
    if (v === null) return;
    if (pinned.has(v)) pinned.delete(v);
    else pinned.add(v);
    redraw();
  });
  tools.append(
    slider.el,
    pinBtn,
    toggleButton("overlay", `Overlay up to ${MAX_OVERLAY - 1} earlier steps (fainter the older)`, false, (on) => {
      overlay = on;
      redraw();
    }),
    tipOrderSelect(tooltip.order, (order) => {
      tooltip.order = order;
      tooltip.refresh();
    }),
  );

  function redraw(): void {
    memo.invalidate();
    update();
  }
  const unsubscribeTheme = onThemeChange(redraw);
  const resize = typeof ResizeObserver === "function"
    ? new ResizeObserver(() => {
        const w = Math.floor(chartBox.clientWidth);
        if (w > 0 && w !== width && !destroyed) redraw();
      })
    : null;
  resize?.observe(chartBox);

  function update(): void {
    const { byRun, runs, sig: dataSig, steps } = stepData(ctx, "curves", tag);
    if (stepsMemo.changed(dataSig)) slider.setSteps(steps());
    width = Math.max(240, Math.floor(chartBox.clientWidth) || 480);
    const current = slider.value;
    const sig = [dataSig, current, overlay, [...pinned].join(","), width, runs.map((r) => r.color).join(",")].join(";");
    if (!memo.changed(sig)) return;

    const shown = shownSteps(steps(), current, pinned, overlay);
    pinBtn.textContent = current !== null && pinned.has(current) ? "unpin" : "pin";
    pinBtn.setAttribute("aria-pressed", String(current !== null && pinned.has(current)));
    el.dataset.tbxPinned = [...pinned].sort((a, b) => a - b).join(",");
    const tables: (number | null)[][][] = [];
    const lines: Line[] = [];
    const seriesCount = new Set<string>();
    const hook: Record<string, [number, number, number]> = {};
    const notes: string[] = [];
    const single = runs.length === 1;
    for (const run of runs) {
      const entries = byRun.get(run.name)?.entries ?? [];
      const label = ctx.ui.runLabel(ctx.store, run.name);
      shown.forEach((step, si) => {
        const e = entryAt(entries, step);
        if (!e || e.x.length === 0) return;
        const age = shown.length - 1 - si; // 0: the chosen step
        const alpha = age === 0 ? 1 : 0.25 + 0.5 * (si / Math.max(1, shown.length - 1));
        tables.push(curveTable(e));
        e.names.forEach((name, k) => {
          seriesCount.add(name);
          const base = single ? PALETTE[k % PALETTE.length] : run.color;
          lines.push({
            key: `${run.name}\u0000${step}\u0000${name}`,
            label: `${single && e.names.length > 1 ? name : `${label}${e.names.length > 1 ? ` · ${name}` : ""}`}${age ? ` @ ${step}` : ""}`,
            color: withAlpha(base, alpha),
            dash: single ? [] : DASHES[k % DASHES.length],
            width: age ? 1.25 : 2,
          });
        });
        if (age === 0) {
          hook[run.name] = [e.step, e.names.length, e.x.length];
          if (e.note) notes.push(`${label}: ${e.note}`);
        }
      });
    }
    el.dataset.tbxCurves = JSON.stringify(hook);
    renderLegend(runs, lines, single);
    info.textContent = notes.join(" · ");
    if (chart) {
      chart.destroy();
      chart = null;
    }
    chartBox.textContent = "";
    if (lines.length === 0) {
      chartBox.append(h("div", { class: "tbx-card-note", text: "No visible run has a curve at this step." }));
      return;
    }
    if (!canvasAvailable()) return;
    const data = uPlot.join(tables as unknown as uPlot.AlignedData[]) as uPlot.AlignedData;
    const xs = data[0] as ArrayLike<number>;
    const fx: [number, number] = xs.length ? [xs[0], xs[xs.length - 1]] : [0, 1];
    if (fx[0] !== full[0] || fx[1] !== full[1]) zoom = null; // other data: forget the zoom
    full = fx;
    chart = makeChart(lines, data);
    el.dataset.tbxDrawn = String(Number(el.dataset.tbxDrawn ?? 0) + 1);
  }

  function renderLegend(runs: RunInfo[], lines: Line[], single: boolean): void {
    legend.textContent = "";
    if (single) {
      for (const l of lines) if (!l.label.includes(" @ ")) legend.append(h("span", { class: "tbx-legend-item", title: l.label }, swatch(l.color), h("span", { text: l.label })));
      return;
    }
    for (const r of runs) {
      const label = ctx.ui.runLabel(ctx.store, r.name);
      legend.append(h("span", { class: "tbx-legend-item", title: label }, swatch(r.color), h("span", { text: label })));
    }
  }

  function makeChart(lines: Line[], data: uPlot.AlignedData): uPlot {
    tooltip.reset();
    const theme = readTheme(el);
    const series: uPlot.Series[] = [{ label: "x", value: (_u, v) => (v === null ? "–" : fmtNum(v)) }];
    for (const l of lines) {
      series.push({ label: l.label, stroke: l.color, width: l.width, dash: l.dash, spanGaps: false, points: { show: false }, value: (_u, v) => fmtNum(v) });
    }
    tooltip.series = lines.map((l, i): TipSeries => ({ key: l.key, label: l.label, color: l.color, index: 1 + i }));
    const opts: uPlot.Options = {
      width,
      height: CHART_HEIGHT,
      series,
      scales: { x: { time: false }, y: { range: (_u, min, max) => paddedRange(min, max) } },
      axes: chartAxes(theme, "step", false),
      cursor: { drag: { x: true, y: false, setScale: true } },
      focus: { alpha: 0.35 },
      legend: { show: false },
      hooks: {
        setCursor: [(u) => tooltip.show(u)],
        setScale: [
          (u, key) => {
            if (key !== "x") return;
            const { min, max } = u.scales.x;
            if (min === undefined || max === undefined || min === null || max === null) return;
            const eps = (full[1] - full[0]) * 1e-9;
            zoom = min <= full[0] + eps && max >= full[1] - eps ? null : [min, max];
          },
        ],
      },
    };
    const u = new uPlot(opts, data, chartBox);
    enablePan(u, () => full);
    if (zoom) {
      const [a, b] = zoom;
      u.setScale("x", { min: a, max: b });
    }
    return u;
  }

  return {
    el,
    update,
    destroy() {
      destroyed = true;
      unsubscribeTheme();
      resize?.disconnect();
      chart?.destroy();
      chart = null;
    },
  };
}
