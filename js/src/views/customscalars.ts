// Custom scalars: the layout written by `add_custom_scalars*` as categories of charts.
// Multiline charts overlay every scalar tag matching any of the chart's regular expressions
// (full match, as TensorBoard does) from every visible run; margin charts draw a value line with
// a band between its lower and upper tags.
import uPlot from "uplot";
import { allIntegers, chartAxes, paddedRange } from "../chart/axes";
import { Memo } from "../chart/memo";
import { ChartTooltip, tipOrderSelect, type TipSeries } from "../chart/tooltip";
import { joinColumns, pickAt, runColumns } from "../math/columns";
import { decimateIndices } from "../math/decimate";
import type { LayoutCategory, LayoutChart } from "../protocol";
import { colorOf, type RunInfo, type ScalarSeries, type Store } from "../store";
import { onThemeChange, readTheme } from "../theme";
import {
  canvasAvailable, cardShell, fmtDuration, fmtNum, fmtWall, h, withAlpha,
  type CardView, type ViewContext,
} from "../ui";
import { sectionShell } from "./section";

const CHART_HEIGHT = 220;

/**
 * The layout to draw, as TensorBoard builds it: each run's newest layout, merged across runs in
 * run order (categories with the same title pool their charts). Null when no run has one.
 */
export function currentLayout(store: Store): LayoutCategory[] | null {
  const merged: LayoutCategory[] = [];
  let any = false;
  for (const run of store.runs) {
    let newest: { wall: number; categories: LayoutCategory[] } | null = null;
    for (const tag of store.tags("custom_scalars")) {
      for (const e of store.get("custom_scalars", run.name, tag)?.entries ?? []) {
        if (!newest || e.wallTime >= newest.wall) newest = { wall: e.wallTime, categories: e.categories };
      }
    }
    if (!newest) continue;
    any = true;
    for (const cat of newest.categories) {
      const into = merged.find((c) => c.title === cat.title);
      if (into) into.charts = [...into.charts, ...cat.charts];
      else merged.push({ ...cat, charts: [...cat.charts] });
    }
  }
  return any ? merged : null;
}

/** A regex matching the whole tag, or null when the pattern is invalid. */
export function fullMatch(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return null;
  }
}

interface Line {
  label: string;
  run: RunInfo;
  tag: string;
  s: ScalarSeries;
  color: string;
  /** For margin charts: the band's edges. */
  lower?: ScalarSeries;
  upper?: ScalarSeries;
}

/** The lines a chart draws from the store, for the visible runs (`runLabel` names their runs). */
export function chartLines(chart: LayoutChart, store: Store, runs: RunInfo[], runLabel: (run: string) => string = (run) => run): Line[] {
  const lines: Line[] = [];
  if (chart.kind === "multiline") {
    const res = chart.tags.map(fullMatch).filter((r): r is RegExp => r !== null);
    const tags = store.tags("scalars").filter((t) => res.some((r) => r.test(t)));
    for (const tag of tags) {
      for (const run of runs) {
        const s = store.get("scalars", run.name, tag);
        if (s && s.n > 0) lines.push({ label: tag, run, tag, s, color: "" });
      }
    }
  } else {
    for (const m of chart.series) {
      for (const run of runs) {
        const s = store.get("scalars", run.name, m.value);
        if (!s || s.n === 0) continue;
        lines.push({
          label: m.value, run, tag: m.value, s, color: "",
          lower: store.get("scalars", run.name, m.lower), upper: store.get("scalars", run.name, m.upper),
        });
      }
    }
  }
  // One colour per line; with one tag per run the run's own colour. Labels name the run when
  // the lines come from more than one.
  const runCount = new Set(lines.map((l) => l.run.name)).size;
  const oneTagPerRun = runCount === lines.length;
  lines.forEach((l, i) => {
    l.color = oneTagPerRun ? l.run.color : colorOf(i);
    if (runCount > 1) l.label = `${l.label} · ${runLabel(l.run.name)}`;
  });
  return lines;
}

type Part = { x: Float64Array; ys: Float64Array[] };

function fmtX(xAxis: string, v: number): string {
  if (xAxis === "relative") return fmtDuration(v);
  if (xAxis === "wall") return fmtWall(v);
  return fmtNum(v);
}

export function customChartCard(chart: LayoutChart, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("custom_scalars", chart.title);
  const box = h("div", { class: "tbx-chart" });
  const info = h("div", { class: "tbx-card-note" });
  const tip = h("div", { class: "tbx-tip tbx-chart-tip", hidden: true });
  body.append(h("div", { class: "tbx-plot" }, box, tip), info);
  const tooltip = new ChartTooltip(tip, (x) => `${ctx.ui.xAxis} ${fmtX(ctx.ui.xAxis, x)}`, fmtNum, (v) => fmtX(ctx.ui.xAxis, v));
  tools.append(tipOrderSelect(tooltip.order, (order) => {
    tooltip.order = order;
    tooltip.refresh();
  }));
  let plot: uPlot | null = null;
  let plotKey = "";
  const memo = new Memo();
  let partCache = new Map<string, { key: string; part: Part }>();
  const unsubscribeTheme = onThemeChange(() => {
    plotKey = ""; // axes take the new theme's colours: rebuild the chart
    memo.invalidate();
    update();
  });

  function linePart(l: Line, width: number): Part {
    const c = runColumns(l.run, l.s, chart.kind === "multiline" ? ctx.ui.smoothing : 0, ctx.ui.xAxis);
    const ys = [chart.kind === "multiline" ? c.smoothed : c.raw];
    if (chart.kind === "margin") ys.push(alignTo(c.step, l.lower), alignTo(c.step, l.upper));
    const idx = decimateIndices(c.x, ys, c.n, width);
    return { x: pickAt(c.x, idx), ys: ys.map((a) => pickAt(a, idx)) };
  }

  function destroyPlot(): void {
    plot?.destroy();
    plot = null;
    plotKey = "";
  }

  function update(): void {
    const { store, ui } = ctx;
    const runs = ui.visibleRuns(store);
    const lines = chartLines(chart, store, runs, (run) => ui.runLabel(store, run));
    const width = Math.max(240, Math.floor(box.clientWidth) || 480);
    const version = (s?: ScalarSeries) => (s ? s.version : -1);
    const settings = [ui.smoothing, ui.xAxis, width].join(";");
    const keys = lines.map((l) => [l.run.name, l.tag, l.s.version, version(l.lower), version(l.upper), settings].join(":"));
    const sig = keys.join("|");
    if (!memo.changed(sig)) return;
    // Test hook: [run, tag, points, last step, last value] per line, as received.
    el.dataset.tbxSeries = JSON.stringify(lines.map((l) => [l.run.name, l.tag, l.s.n, l.s.step[l.s.n - 1], l.s.value[l.s.n - 1]]));
    if (lines.length === 0) {
      destroyPlot();
      info.textContent = chart.kind === "multiline"
        ? `No visible run has a scalar tag matching ${chart.tags.map((t) => `/${t}/`).join(", ")}.`
        : `No visible run has the scalar tags ${chart.series.map((s) => s.value).join(", ")}.`;
      return;
    }
    info.textContent = `${lines.length} line${lines.length === 1 ? "" : "s"}`;
    if (!canvasAvailable()) return;

    // Columns per line: x and y (smoothed for multiline, raw value plus band for margin),
    // decimated to the chart's width; kept per line until its data or the settings change.
    const parts: Part[] = [];
    const live = new Map<string, { key: string; part: Part }>();
    lines.forEach((l, i) => {
      const id = `${l.run.name}\u0000${l.tag}`;
      const key = keys[i];
      let hit = partCache.get(id);
      if (!hit || hit.key !== key) hit = { key, part: linePart(l, width) };
      live.set(id, hit);
      parts.push(hit.part);
    });
    partCache = live;
    const joined = joinColumns(parts, false);
    const data = [joined.x, ...joined.ys] as unknown as uPlot.AlignedData;
    const integerX = ui.xAxis === "step" && allIntegers(joined.x);
    const key = [lines.map((l) => `${l.run.name}:${l.tag}:${l.color}`).join("|"), ui.xAxis, width, integerX].join(";");
    if (!plot || key !== plotKey) {
      destroyPlot();
      plotKey = key;
      plot = makePlot(lines, data, width, integerX);
      (el as unknown as { tbxChart: uPlot | null }).tbxChart = plot; // for tests
    } else plot.setData(data);
  }

  function makePlot(lines: Line[], data: uPlot.AlignedData, width: number, integerX: boolean): uPlot {
    box.textContent = "";
    const xAxis = ctx.ui.xAxis;
    const series: uPlot.Series[] = [{ label: xAxis, value: (_u, v) => (v === null ? "–" : fmtX(xAxis, v)) }];
    const bands: uPlot.Band[] = [];
    const tipSeries: TipSeries[] = [];
    for (const l of lines) {
      series.push({ label: l.label, stroke: l.color, width: 2, spanGaps: true, value: (_u, v) => fmtNum(v) });
      tipSeries.push({ key: `${l.run.name}\u0000${l.tag}`, label: l.label, color: l.color, index: series.length - 1 });
      if (chart.kind === "margin") {
        const at = series.length;
        const edge = { stroke: withAlpha(l.color, 0.4), width: 1, spanGaps: true, points: { show: false }, value: (_u: uPlot, v: number) => fmtNum(v) };
        series.push({ ...edge, label: `${l.label} lower` }, { ...edge, label: `${l.label} upper` });
        bands.push({ series: [at + 1, at], fill: withAlpha(l.color, 0.15) });
      }
    }
    const opts: uPlot.Options = {
      width, height: CHART_HEIGHT, series, bands,
      scales: { x: { time: xAxis === "wall" }, y: { range: (_u, min, max) => paddedRange(min, max) } },
      axes: chartAxes(readTheme(el), xAxis, integerX),
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { show: false },
      focus: { alpha: 0.35 },
      hooks: { setCursor: [(u) => tooltip.show(u)] },
    };
    tooltip.reset();
    tooltip.series = tipSeries;
    return new uPlot(opts, data, box);
  }

  return {
    el,
    update,
    destroy() {
      unsubscribeTheme();
      destroyPlot();
      partCache.clear();
    },
  };
}

/** The values of `other` at the given steps (the last one logged at each step; NaN if none). */
function alignTo(steps: Float64Array, other: ScalarSeries | undefined): Float64Array {
  const out = new Float64Array(steps.length).fill(NaN);
  if (!other) return out;
  const at = new Map<number, number>();
  for (let i = 0; i < other.n; i++) at.set(other.step[i], other.value[i]);
  for (let i = 0; i < steps.length; i++) {
    const v = at.get(steps[i]);
    if (v !== undefined) out[i] = v;
  }
  return out;
}

/** The custom-scalars section: one collapsible group per layout category, a card per chart. */
export class CustomScalarsSection {
  readonly el: HTMLDetailsElement;
  shown = 0;
  total = 0;
  private readonly count: HTMLElement;
  private readonly content: HTMLElement;
  private layoutSig = "";
  private cards: CardView[] = [];
  private groups: HTMLDetailsElement[] = [];

  constructor(private readonly ctx: ViewContext) {
    this.content = h("div", { class: "tbx-section-body" });
    ({ el: this.el, count: this.count } = sectionShell("Custom scalars", "custom_scalars", this.content, () => this.update()));
  }

  update(): void {
    const layout = currentLayout(this.ctx.store) ?? [];
    const sig = JSON.stringify(layout);
    if (sig !== this.layoutSig) {
      this.layoutSig = sig;
      this.rebuild(layout);
    }
    this.total = this.cards.length;
    this.shown = this.total;
    this.count.textContent = String(this.total);
    this.el.hidden = this.total === 0;
    if (!this.el.open) return;
    let i = 0;
    for (const [c, cat] of layout.entries()) {
      const open = this.groups[c]?.open ?? false;
      for (let k = 0; k < cat.charts.length; k++, i++) if (open) this.cards[i].update();
    }
  }

  private rebuild(layout: LayoutCategory[]): void {
    for (const c of this.cards) c.destroy();
    this.cards = [];
    this.groups = [];
    this.content.textContent = "";
    for (const cat of layout) {
      const grid = h("div", { class: "tbx-grid" });
      const group = h("details", { class: "tbx-group", open: !cat.closed },
        h("summary", { class: "tbx-group-title" }, h("span", { text: cat.title || "(untitled)" }), h("span", { class: "tbx-count", text: String(cat.charts.length) })),
        grid);
      group.addEventListener("toggle", () => this.update());
      for (const chart of cat.charts) {
        const card = customChartCard(chart, this.ctx);
        this.cards.push(card);
        grid.append(card.el);
      }
      this.groups.push(group);
      this.content.append(group);
    }
  }

  destroy(): void {
    for (const c of this.cards) c.destroy();
    this.el.remove();
  }
}
