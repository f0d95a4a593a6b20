// Scalars: a card per tag, every visible run overlaid in one uPlot chart, raw faint behind the
// smoothed line. Data are decimated to per-pixel min/max envelopes and recomputed only when the
// data, the smoothing, the x axis or the zoom change. Column helpers live in math/columns.ts.
import uPlot from "uplot";
import { allIntegers, chartAxes, paddedRange } from "../chart/axes";
import { Memo } from "../chart/memo";
import { ChartTooltip, tipOrderSelect } from "../chart/tooltip";
import { enablePan } from "../chart/pan";
import { joinColumns, outlierRange, pickAt, runColumns, withEnds, type RunColumns } from "../math/columns";
import { decimateIndices } from "../math/decimate";
import type { RunInfo, ScalarSeries } from "../store";
import { onThemeChange, readTheme } from "../theme";
import {
  canvasAvailable, cardShell, download, fmtDuration, fmtNum, fmtWall, h, safeFileName, swatch,
  toggleButton, button, withAlpha, type CardView, type ViewContext, type XAxis,
} from "../ui";

const CHART_HEIGHT = 220;

interface Cached {
  version: number;
  weight: number;
  xAxis: XAxis;
  cols: RunColumns;
}

/** uPlot `points.show`: mark points only when the shown range has fewer than two (no line). */
function lonePoint(u: uPlot, seriesIdx: number, i0: number, i1: number): boolean {
  const col = u.data[seriesIdx];
  let seen = 0;
  for (let i = i0; i <= i1 && seen < 2; i++) if (col[i] !== null && col[i] !== undefined) seen++;
  return seen < 2;
}

function xLabel(xAxis: XAxis): string {
  return xAxis === "step" ? "step" : xAxis === "relative" ? "relative time" : "wall time";
}

function fmtX(xAxis: XAxis, v: number): string {
  if (xAxis === "relative") return fmtDuration(v);
  if (xAxis === "wall") return fmtWall(v);
  return fmtNum(v);
}

export function scalarCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("scalars", tag);
  const chartBox = h("div", { class: "tbx-chart" });
  const tip = h("div", { class: "tbx-tip tbx-chart-tip", hidden: true });
  const legend = h("div", { class: "tbx-legend tbx-legend-compact", hidden: true });
  const info = h("div", { class: "tbx-card-note" });
  body.append(h("div", { class: "tbx-plot" }, chartBox, tip), legend, info);
  const tooltip = new ChartTooltip(tip, (x) => `${xLabel(ctx.ui.xAxis)} ${fmtX(ctx.ui.xAxis, x)}`, fmtNum, (v) => fmtX(ctx.ui.xAxis, v));

  let logY = false;
  let outliers = false;
  let chart: uPlot | null = null;
  let chartKey = "";
  const memo = new Memo();
  let zoom: [number, number] | null = null;
  let full: [number, number] = [0, 1];
  let yBounds: [number, number] | null = null;
  let width = 0;
  let frame = 0;
  let destroyed = false;
  const cache = new Map<string, Cached>();

  const redraw = () => {
    memo.invalidate();
    update();
  };
  tools.append(
    toggleButton("log y", "Logarithmic y axis", false, (on) => {
      logY = on;
      redraw();
    }),
    toggleButton("outliers", "Ignore outliers in the y range (5th to 95th percentile)", false, (on) => {
      outliers = on;
      redraw();
    }),
    tipOrderSelect(tooltip.order, (order) => {
      tooltip.order = order;
      tooltip.refresh();
    }),
    toggleButton("legend", "Show a compact legend of the runs", false, (on) => {
      legend.hidden = !on;
    }),
    button("CSV", "Download the visible runs as CSV", () => downloadCsv()),
    button("PNG", "Download the chart as PNG", () => downloadPng()),
  );

  const resize =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          const w = Math.floor(chartBox.clientWidth);
          if (w > 0 && w !== width) {
            width = w;
            if (chart) chart.setSize({ width: w, height: CHART_HEIGHT });
            memo.invalidate();
            schedule();
          }
        })
      : null;
  resize?.observe(chartBox);
  const unsubscribeTheme = onThemeChange(() => {
    chartKey = ""; // axes take the new theme's colours: rebuild the chart
    memo.invalidate();
    schedule();
  });

  function schedule(): void {
    if (frame) return;
    const run = () => {
      frame = 0;
      if (!destroyed) update();
    };
    frame = typeof requestAnimationFrame === "function" ? requestAnimationFrame(run) : (setTimeout(run, 16) as unknown as number);
  }

  function columnsFor(run: RunInfo, s: ScalarSeries): RunColumns {
    const w = ctx.ui.smoothing;
    const xAxis = ctx.ui.xAxis;
    const c = cache.get(run.name);
    if (c && c.version === s.version && c.weight === w && c.xAxis === xAxis) return c.cols;
    const cols = runColumns(run, s, w, xAxis);
    cache.set(run.name, { version: s.version, weight: w, xAxis, cols });
    return cols;
  }

  function visible(): { run: RunInfo; s: ScalarSeries }[] {
    const byRun = ctx.store.byTag("scalars", tag);
    const out: { run: RunInfo; s: ScalarSeries }[] = [];
    for (const run of ctx.ui.visibleRuns(ctx.store)) {
      const s = byRun.get(run.name);
      if (s && s.n > 0) out.push({ run, s });
    }
    return out;
  }

  // The whole-range decimation of a run's columns at a width, kept while they do not change.
  const fullCache = new WeakMap<RunColumns, { w: number; idx: Int32Array }>();
  function fullDecimation(c: RunColumns, w: number): Int32Array {
    const hit = fullCache.get(c);
    if (hit && hit.w === w) return hit.idx;
    const idx = decimateIndices(c.x, [c.raw, c.smoothed], c.n, w);
    fullCache.set(c, { w, idx });
    return idx;
  }

  function update(): void {
    const runs = visible();
    const w = width || Math.floor(chartBox.clientWidth) || 480;
    const sig = [
      runs.map((r) => `${r.run.name}:${r.s.version}`).join("|"),
      ctx.ui.smoothing, ctx.ui.xAxis, logY, outliers, zoom ? zoom.join(",") : "", w, ctx.ui.highlight ?? "", ctx.ui.logdir,
    ].join(";");
    if (!memo.changed(sig)) return;
    for (const name of [...cache.keys()]) if (!runs.some((r) => r.run.name === name)) cache.delete(name);

    if (runs.length === 0) {
      destroyChart();
      info.textContent = "No visible run has data for this tag.";
      return;
    }
    const cols = runs.map((r) => columnsFor(r.run, r.s));
    let points = 0;
    let fmin = Infinity;
    let fmax = -Infinity;
    for (const c of cols) {
      points += c.n;
      if (c.n) {
        fmin = Math.min(fmin, c.x[0]);
        fmax = Math.max(fmax, c.x[c.n - 1]);
      }
    }
    full = [fmin, fmax];
    info.textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}, ${points.toLocaleString()} points`;
    // Test hook (docs/protocol.md): per run, [points, last step, last value] as received.
    el.dataset.tbxSeries = JSON.stringify(
      Object.fromEntries(runs.map((r) => [r.run.name, [r.s.n, r.s.step[r.s.n - 1], r.s.value[r.s.n - 1]]])),
    );

    // Test hook: the highlighted runs drawn here (JSON list).
    const highlight = runs.filter((r) => ctx.ui.isHighlighted(r.run.name)).map((r) => r.run.name);
    el.dataset.tbxHighlight = JSON.stringify(highlight);

    if (!canvasAvailable()) {
      destroyChart();
      chartBox.textContent = "(chart needs a canvas)";
      return;
    }

    // Decimate at chart resolution: the whole range, or when zoomed the zoomed range plus each
    // run's first and last point (so uPlot's double-click reset still spans all the data, and
    // our setScale hook then drops the zoom and decimates the whole range again).
    const parts = cols.map((c) => {
      const idx = zoom ? withEnds(decimateIndices(c.x, [c.raw, c.smoothed], c.n, w, zoom[0], zoom[1]), c.n) : fullDecimation(c, w);
      return { x: pickAt(c.x, idx), ys: [pickAt(c.raw, idx), pickAt(c.smoothed, idx)] };
    });
    const joined = joinColumns(parts, logY);
    // Column order: all raw series first (drawn behind), then all smoothed.
    const rawCols = joined.ys.filter((_, i) => i % 2 === 0);
    const smCols = joined.ys.filter((_, i) => i % 2 === 1);
    const data = [joined.x, ...rawCols, ...smCols] as unknown as uPlot.AlignedData;

    yBounds = outliers ? outlierRange(cols, zoom) : null;

    const integerX = ctx.ui.xAxis === "step" && cols.every((c) => allIntegers(c.x, c.n));
    const labels = runs.map((r) => ctx.ui.runLabel(ctx.store, r.run.name));
    const key = [runs.map((r) => `${r.run.name}:${r.run.color}`).join("|"), labels.join("|"), ctx.ui.xAxis, logY, highlight.join("|"), integerX].join(";");
    if (!chart || key !== chartKey) {
      destroyChart();
      chartKey = key;
      const shown = runs.map((r) => r.run);
      renderLegend(shown, labels);
      chart = makeChart(shown, labels, data, w, highlight, integerX);
      (el as unknown as { tbxChart: uPlot | null }).tbxChart = chart; // for tests
    } else {
      chart.setData(data, false);
    }
    // The x range is ours to set: the zoom, or all the data (uPlot's own guess sticks to the
    // first points it saw while a live series grows).
    const [x0, x1] = zoom ?? (full[0] === full[1] ? [full[0] - 0.5, full[1] + 0.5] : full);
    chart.setScale("x", { min: x0, max: x1 });
  }

  function renderLegend(runs: RunInfo[], labels: string[]): void {
    legend.textContent = "";
    runs.forEach((run, i) => legend.append(h("span", { class: "tbx-legend-item", title: labels[i] }, swatch(run.color), h("span", { text: labels[i] }))));
  }

  function makeChart(runs: RunInfo[], labels: string[], data: uPlot.AlignedData, w: number, highlight: string[], integerX: boolean): uPlot {
    chartBox.textContent = "";
    tooltip.reset();
    const k = runs.length;
    tooltip.series = runs.map((run, i) => ({ key: run.name, label: labels[i], color: run.color, index: 1 + k + i, rawIndex: 1 + i }));
    const theme = readTheme(el);
    const xAxis = ctx.ui.xAxis;
    const series: uPlot.Series[] = [{ label: xLabel(xAxis), value: (_u, v) => (v === null ? "–" : fmtX(xAxis, v)) }];
    // With a highlighted run, the others fade and it draws thicker.
    const faded = (run: RunInfo) => highlight.length > 0 && !highlight.includes(run.name);
    runs.forEach((run, i) => {
      series.push({
        label: `${labels[i]} (raw)`, stroke: withAlpha(run.color, faded(run) ? 0.06 : 0.25), width: 1, spanGaps: true,
        points: { show: false }, value: (_u, v) => fmtNum(v),
      });
    });
    runs.forEach((run, i) => {
      series.push({
        label: labels[i], stroke: faded(run) ? withAlpha(run.color, 0.3) : run.color,
        width: highlight.includes(run.name) ? 3.5 : 2, spanGaps: true,
        points: { show: lonePoint }, // a series of one point still shows; lines carry no dots
        value: (_u, v) => fmtNum(v),
      });
    });
    const yRange: uPlot.Range.Function = (_u, min, max) => (outliers && yBounds ? yBounds : paddedRange(min, max));
    const opts: uPlot.Options = {
      width: w,
      height: CHART_HEIGHT,
      series,
      scales: {
        x: { time: xAxis === "wall" },
        y: logY ? { distr: 3 as uPlot.Scale.Distr } : { range: yRange },
      },
      axes: chartAxes(theme, xAxis, integerX),
      cursor: { drag: { x: true, y: false, setScale: true } },
      focus: { alpha: 0.35 },
      legend: { show: false },
      hooks: {
        setCursor: [(u) => tooltip.show(u)],
        setScale: [
          (u, scaleKey) => {
            if (scaleKey !== "x") return;
            const min = u.scales.x.min;
            const max = u.scales.x.max;
            if (min === undefined || max === undefined || min === null || max === null) return;
            const lo = full[0] === full[1] ? full[0] - 0.5 : full[0];
            const hi = full[0] === full[1] ? full[1] + 0.5 : full[1];
            const eps = (hi - lo) * 1e-9;
            const next: [number, number] | null = min <= lo + eps && max >= hi - eps ? null : [min, max];
            const same = next === null ? zoom === null : zoom !== null && zoom[0] === next[0] && zoom[1] === next[1];
            if (!same) {
              zoom = next;
              schedule();
            }
          },
        ],
      },
    };
    const u = new uPlot(opts, data, chartBox);
    enablePan(u, () => full);
    return u;
  }

  function destroyChart(): void {
    if (chart) {
      chart.destroy();
      chart = null;
      chartKey = "";
    }
  }

  function downloadCsv(): void {
    const rows = ["run,step,wall_time,value"];
    for (const { run, s } of visible()) {
      const name = /[",\n]/.test(run.name) ? `"${run.name.replace(/"/g, '""')}"` : run.name;
      for (let i = 0; i < s.n; i++) rows.push(`${name},${s.step[i]},${s.wallTime[i]},${s.value[i]}`);
    }
    download(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }), `${safeFileName(tag)}.csv`);
  }

  function downloadPng(): void {
    const canvas = chart?.ctx.canvas;
    if (!canvas || typeof canvas.toBlob !== "function") return;
    canvas.toBlob((blob) => {
      if (blob) download(blob, `${safeFileName(tag)}.png`);
    }, "image/png");
  }

  return {
    el,
    update,
    destroy() {
      destroyed = true;
      resize?.disconnect();
      unsubscribeTheme();
      destroyChart();
      cache.clear();
    },
  };
}
