// Scalars: a card per tag, every visible run overlaid in one uPlot chart, raw faint behind the
// smoothed line; with run grouping on (UiState.grouping), a group of runs is one line (mean or
// median) with a band (min–max or ±std), its members optionally faint underneath. The card holds
// the state (its lines, chart, zoom) and the wiring; the work lives beside it: per-run columns in
// math/columns.ts, the chart's data decimated to per-pixel min/max envelopes in
// chart/scalardata.ts, uPlot's series in chart/scalarseries.ts and axes in chart/axes.ts, the
// paced drawing in chart/drawjob.ts, the zoom in chart/zoom.ts, downloads in views/scalarexport.ts.
// Data are recomputed only when the data, the smoothing, the x axis or the zoom change.
// A sweep (more than 50 lines) draws raw values only for highlighted lines and redraws for new
// data at a pace set by its draw cost (chart/sweep.ts).
import uPlot from "uplot";
import { allIntegers, chartAxes, paddedRange } from "../chart/axes";
import { groupColumns, type GroupColumns } from "../chart/grouplines";
import { PacedDrawing } from "../chart/drawjob";
import { ChartTooltip, groupLabel, tipOrderSelect } from "../chart/tooltip";
import { enablePan } from "../chart/pan";
import { drawsRaw, MANY_LINES } from "../chart/sweep";
import { fmtX, scalarSeries, xLabel, type ScalarLine as Line } from "../chart/scalarseries";
import { scalarData } from "../chart/scalardata";
import { SweepPainter } from "../chart/sweepdraw";
import { sameZoom, shownRange, zoomOf, type Zoom } from "../chart/zoom";
import { outlierRange, runColumns, type RunColumns } from "../math/columns";
import { decimateIndices, lowerBound } from "../math/decimate";
import { groupRuns, type Grouping } from "../math/groups";
import { hparamsTable } from "./hparams";
import { scalarsCsv, scalarsJson } from "./scalarexport";
import { frameSlices, taskSlices, type ReleasableCard } from "./visibility";
import type { RunInfo, ScalarSeries } from "../store";
import { onThemeChange, readTheme } from "../theme";
import {
  canvasAvailable, cardShell, download, fmtNum, h, safeFileName, swatch,
  toggleButton, button, type ViewContext, type XAxis,
} from "../ui";

const CHART_HEIGHT = 220;

interface Cached {
  version: number;
  weight: number;
  xAxis: XAxis;
  cols: RunColumns;
}

/** `ys` at the point whose x is `x` (the first such), or null. */
function valueAt(xs: Float64Array, ys: Float64Array, n: number, x: number): number | null {
  const i = lowerBound(xs, n, x);
  return i < n && xs[i] === x && Number.isFinite(ys[i]) ? ys[i] : null;
}


export function scalarCard(tag: string, ctx: ViewContext): ReleasableCard {
  const { el, tools, body } = cardShell("scalars", tag);
  const chartBox = h("div", { class: "tbx-chart" });
  // The chart's height before it is drawn: a card drawn only when it comes into view must not
  // grow then and push the cards below it away (scrolled to, it would move out of view again).
  chartBox.style.minHeight = `${CHART_HEIGHT}px`;
  const tip = h("div", { class: "tbx-tip tbx-chart-tip", hidden: true });
  const legend = h("div", { class: "tbx-legend tbx-legend-compact", hidden: true });
  const info = h("div", { class: "tbx-card-note" });
  body.append(h("div", { class: "tbx-plot" }, chartBox, tip), legend, info);
  const tooltip = new ChartTooltip(tip, (x) => `${xLabel(ctx.ui.xAxis)} ${fmtX(ctx.ui.xAxis, x)}`, fmtNum, (v) => fmtX(ctx.ui.xAxis, v));

  let logY = false;
  let outliers = false;
  let chart: uPlot | null = null;
  let painter: SweepPainter | null = null;
  let chartKey = "";
  let zoom: Zoom = null;
  let full: [number, number] = [0, 1];
  let yBounds: [number, number] | null = null;
  // A sweep's y extremes within the shown x range (its columns hold NaN, which uPlot's own
  // range would take for a value).
  let sweepY: [number, number] | null = null;
  let width = 0;
  let frame = 0;
  let asked = false; // update() called since the card was made or released
  let destroyed = false;
  const cache = new Map<string, Cached>();
  const groupCache = new Map<string, { sig: string; cols: GroupColumns }>();

  const redraw = () => {
    drawing.invalidate();
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
      if (on && legendLines) renderLegend(legendLines);
    }),
    button("CSV", "Download the visible runs as CSV", () => downloadCsv()),
    button("JSON", "Download the visible runs as JSON (step, wall time, value and the smoothed value as drawn)", () => downloadJson()),
    button("PNG", "Download the chart as PNG", () => downloadPng()),
  );

  const resize =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          const w = Math.floor(chartBox.clientWidth);
          if (w > 0 && w !== width) {
            width = w;
            if (chart) chart.setSize({ width: w, height: CHART_HEIGHT });
            drawing.invalidate();
            // a card not asked to draw (one laid out off screen, or released) waits for
            // LazyUpdates: drawn here, it would hold data no one sees (issue 19)
            if (asked) schedule();
          }
        })
      : null;
  resize?.observe(chartBox);
  const unsubscribeTheme = onThemeChange(() => {
    chartKey = ""; // axes take the new theme's colours: rebuild the chart
    drawing.invalidate();
    if (asked) schedule(); // a card not drawn (or let go) out of view is built anew when it comes back
  });

  // Redraws at a coming frame, shared with the page's other cards (views/visibility.ts): all
  // the cards learning their width at once draw a few per frame, not all in one.
  const frameKey = {};
  function schedule(): void {
    if (frame) return;
    frame = 1;
    frameSlices.request(frameKey, () => {
      frame = 0;
      if (!destroyed) update();
    });
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

  // Whether a run's x values are all integers, kept per columns object (they never change).
  const integerCache = new WeakMap<RunColumns, boolean>();
  function integerSteps(c: RunColumns): boolean {
    let v = integerCache.get(c);
    if (v === undefined) integerCache.set(c, (v = allIntegers(c.x, c.n)));
    return v;
  }

  // The whole-range decimation of a run's columns at a width, kept while they do not change.
  const fullCache = new WeakMap<object, { w: number; ys: number; idx: Int32Array }>();
  function fullDecimation(c: { x: Float64Array; n: number }, ys: Float64Array[], w: number): Int32Array {
    const hit = fullCache.get(c);
    if (hit && hit.w === w && hit.ys === ys.length) return hit.idx;
    const idx = decimateIndices(c.x, ys, c.n, w);
    fullCache.set(c, { w, ys: ys.length, idx });
    return idx;
  }

  /** Each run's hparams: its own session's, else those of the session folded into it (add_hparams). */
  function runHparams(): Record<string, Record<string, unknown>> {
    const folds = ctx.ui.folds(ctx.store);
    const out: Record<string, Record<string, unknown>> = {};
    const rows = hparamsTable(ctx.store, folds).rows;
    for (const row of rows) out[row.run] = row.hparams;
    for (const row of rows) {
      const parent = folds.get(row.run);
      if (parent !== undefined && !(parent in out)) out[parent] = row.hparams;
    }
    return out;
  }

  /** The chart's lines: each run, or with grouping on each group of 2+ runs as one line. */
  function linesOf(runs: { run: RunInfo; s: ScalarSeries }[], cols: RunColumns[], g: Grouping): Line[] {
    const runLine = (i: number): Line => ({
      key: runs[i].run.name, label: ctx.ui.runLabel(ctx.store, runs[i].run.name), color: runs[i].run.color,
      cols: cols[i], highlighted: ctx.ui.isHighlighted(runs[i].run.name),
    });
    if (g.by === "off") {
      groupCache.clear();
      return runs.map((_, i) => runLine(i));
    }
    const index = new Map(runs.map((r, i) => [r.run.name, i]));
    const lines: Line[] = [];
    const used = new Set<string>();
    for (const [key, names] of groupRuns(runs.map((r) => r.run.name), g, g.by === "hparam" ? runHparams() : undefined)) {
      const idx = names.map((n) => index.get(n) as number);
      if (idx.length === 1) {
        lines.push(runLine(idx[0]));
        continue;
      }
      const stat = g.stat ?? "mean";
      const band = g.band ?? "minmax";
      const sig = [idx.map((i) => `${runs[i].run.name}:${runs[i].s.version}`).join("|"), ctx.ui.smoothing, ctx.ui.xAxis, stat, band].join(";");
      let hit = groupCache.get(key);
      if (!hit || hit.sig !== sig) {
        hit = { sig, cols: groupColumns(idx.map((i) => cols[i]), stat, band, ctx.ui.xAxis === "step") };
        groupCache.set(key, hit);
      }
      used.add(key);
      lines.push({
        key: `group:${key}`, label: key, color: runs[idx[0]].run.color, cols: hit.cols,
        highlighted: idx.some((i) => ctx.ui.isHighlighted(runs[i].run.name)),
        group: { cols: hit.cols, members: idx.map((i) => cols[i]) },
      });
    }
    for (const key of [...groupCache.keys()]) if (!used.has(key)) groupCache.delete(key);
    return lines;
  }

  // The drawing, paced (chart/drawjob.ts): in slices, new data alone after the drawing under
  // way, a sweep's new data at a pace set by its draw cost.
  const drawing = new PacedDrawing({
    slices: taskSlices,
    onWaitOver: () => {
      if (!destroyed && el.isConnected) update();
    },
    onNewerData: () => schedule(),
    // a zoom of a drawn chart: its redraw (under way, in uPlot's commit) paints in one go too
    onDone: (whole) => {
      if (whole) painter?.wholeNext();
    },
  });
  // The test hooks of the data last drawn, set once its lines are all painted (a sweep's are
  // painted over several frames: chart/sweepdraw.ts SweepPainter).
  let hooks: (() => void) | null = null;
  function applyHooks(): void {
    hooks?.();
    hooks = null;
  }

  /** Redraw if anything shown changed; `whole`: the drawing is done at once, not in slices
   * (a sweep's zoom, inside uPlot's own redraw). */
  function update(whole = false): void {
    if (destroyed) return;
    asked = true;
    const runs = visible();
    const w = width || Math.floor(chartBox.clientWidth) || 480;
    const rest = [
      ctx.ui.smoothing, ctx.ui.xAxis, logY, outliers, zoom ? zoom.join(",") : "", w, ctx.ui.highlight ?? "", ctx.ui.logdir,
      JSON.stringify(ctx.ui.grouping), ctx.ui.grouping.by === "hparam" ? ctx.store.version : "",
    ].join(";");
    const data = runs.map((r) => `${r.run.name}:${r.s.version}`).join("|");
    const pace = { chart: chart !== null, lines: runs.length, extraCost: painter?.cost ?? 0 };
    drawing.request({ data, rest }, () => draw(runs, w, data), pace, whole);
  }

  let seriesHooked = ""; // the runs and versions in the tbxSeries hook (a zoom leaves it as it is)
  function* draw(runs: { run: RunInfo; s: ScalarSeries }[], w: number, dataSig: string): Generator<void, void, void> {
    const zm = zoom; // the zoom this drawing is for (a new zoom starts a new drawing)
    const shown = new Set(runs.map((r) => r.run.name));
    for (const name of [...cache.keys()]) if (!shown.has(name)) cache.delete(name);

    if (runs.length === 0) {
      hooks = null;
      destroyChart();
      info.textContent = "No visible run has data for this tag.";
      return;
    }
    // Only a sweep's drawing pauses (between runs, lines): fewer lines draw in one go, as before.
    const pauses = runs.length > MANY_LINES;
    const cols: RunColumns[] = [];
    for (const r of runs) {
      cols.push(columnsFor(r.run, r.s));
      if (pauses) yield;
    }
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
    const grouping = ctx.ui.grouping;
    const lines = linesOf(runs, cols, grouping);
    const groups = lines.filter((l) => l.group);
    const inGroups = groups.length ? ` in ${lines.length} line${lines.length === 1 ? "" : "s"} (${groups.length} group${groups.length === 1 ? "" : "s"})` : "";
    // Runs still drawn (partly) from their overview (docs/protocol.md, Overviews); a test hook too.
    const fromOverview = runs.reduce((a, r) => a + (r.s.overview ? 1 : 0), 0);
    const loading = fromOverview ? `; ${fromOverview.toLocaleString()} as an overview, full data loading` : "";
    const highlight = runs.filter((r) => ctx.ui.isHighlighted(r.run.name)).map((r) => r.run.name);
    const drawnHooks = () => {
      el.dataset.tbxOverview = String(fromOverview);
      info.textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}${inGroups}, ${points.toLocaleString()} points${loading}`;
      // Test hook: each group drawn as one line, with its member runs.
      el.dataset.tbxGroups = JSON.stringify(Object.fromEntries(groups.map((l) => [l.label, l.group!.members.map((c) => c.run.name)])));
      // Test hook (docs/protocol.md): per run, [points, last step, last value] as received.
      if (seriesHooked !== dataSig || !el.dataset.tbxSeries) {
        el.dataset.tbxSeries = JSON.stringify(
          Object.fromEntries(runs.map((r) => [r.run.name, [r.s.n, r.s.step[r.s.n - 1], r.s.value[r.s.n - 1]]])),
        );
        seriesHooked = dataSig;
      }
      // Test hook: the highlighted runs drawn here (JSON list).
      el.dataset.tbxHighlight = JSON.stringify(highlight);
    };

    if (!canvasAvailable()) {
      destroyChart();
      full = [fmin, fmax];
      hooks = drawnHooks;
      applyHooks();
      chartBox.textContent = "(chart needs a canvas)";
      return;
    }

    // Decimated at chart resolution, joined on one x (chart/scalardata.ts).
    const band = grouping.band ?? "minmax";
    const showMembers = grouping.members === true;
    // A sweep (many lines) draws raw values only for highlighted lines (chart/sweep.ts).
    const raws = lines.map((l) => drawsRaw(lines.length, l.highlighted));
    const memberCols = showMembers ? groups.flatMap((l) => l.group!.members.map((cols) => ({ cols, color: l.color }))) : [];
    const { data, ySpan } = yield* scalarData({
      lines, raws, members: memberCols.map((m) => m.cols), band, zoom: zm, full: [fmin, fmax], width: w, logY, pauses,
      decimate: fullDecimation,
    });
    for (const c of cols) {
      integerSteps(c);
      if (pauses) yield;
    }

    yBounds = outliers ? outlierRange(cols, zm) : null;
    // The chart's (re)build and its first paint start a slice of their own.
    if (pauses) yield;

    const integerX = ctx.ui.xAxis === "step" && cols.every((c) => integerSteps(c));
    const key = [lines.map((l) => `${l.key}:${l.color}:${l.label}:${l.group?.members.length ?? 0}`).join("|"), ctx.ui.xAxis, logY, highlight.join("|"), integerX,
      band, memberCols.map((m) => m.cols.run.name).join("|")].join(";");
    full = [fmin, fmax];
    sweepY = ySpan;
    hooks = drawnHooks; // once this data is painted (a picture still being painted is the old data's)
    drawnLines = lines; // same keys in the same order as the chart's (its key says so)
    if (!chart || key !== chartKey) {
      destroyChart();
      chartKey = key;
      renderLegend(lines);
      chart = makeChart(lines, raws, data, w, integerX, band !== "none", memberCols);
      (el as unknown as { tbxChart: uPlot | null }).tbxChart = chart; // for tests
    } else {
      chart.setData(data, false);
    }
    // The x range is ours to set: the zoom, or all the data (uPlot's own guess sticks to the
    // first points it saw while a live series grows).
    const [x0, x1] = shownRange(full, zm);
    chart.setScale("x", { min: x0, max: x1 });
    if (!painter) applyHooks(); // else once painted (its onDone)
  }

  // The lines the chart shows now (its tooltip reads their raw values).
  let drawnLines: Line[] = [];
  // A sweep's compact legend is built when shown (1,000 entries: a good part of a first draw).
  // What waits is each line's label and colour (not its columns: they would stay alive with it).
  let legendLines: { label: string; color: string }[] | null = null;
  function renderLegend(lines: readonly { label: string; color: string; group?: { members: unknown[] } }[]): void {
    legend.textContent = "";
    const entries = lines.map((l) => ({ label: l.group ? groupLabel(l.label, l.group.members.length) : l.label, color: l.color }));
    if (legend.hidden && lines.length > MANY_LINES) {
      legendLines = entries;
      return;
    }
    legendLines = null;
    for (const { label, color } of entries) {
      legend.append(h("span", { class: "tbx-legend-item", title: label }, swatch(color), h("span", { text: label })));
    }
  }

  function makeChart(lines: Line[], raws: boolean[], data: uPlot.AlignedData, w: number, integerX: boolean, withBand: boolean,
    memberCols: { cols: RunColumns; color: string }[]): uPlot {
    chartBox.textContent = "";
    tooltip.reset();
    // No closure here may name `lines` or `memberCols`: the chart's callbacks would keep the
    // columns of this build alive for the chart's life (new data comes through setData).
    const lineCount = lines.length;
    const theme = readTheme(el);
    const xAxis = ctx.ui.xAxis;
    // rawAt reads the lines last drawn (`drawnLines`: new data is drawn with setData into this
    // chart; the build's own lines would keep stale columns alive and answer from them).
    const { series, bands, tipSeries, sweepLines, selfDrawn } = scalarSeries(lines, raws, {
      xAxis, logY, withBand,
      members: memberCols.map(({ cols, color }) => ({ label: ctx.ui.runLabel(ctx.store, cols.run.name), color })),
      rawAt: (i, x) => {
        const c = drawnLines[i]?.cols;
        return c ? valueAt(c.x, c.raw, c.n, x) : null;
      },
    });
    // A sweep of plain run lines is drawn in one pass by chart/sweepdraw.ts from uPlot's draw
    // hook; its series keep their data (tooltip, ranges) but no paths.
    painter = selfDrawn ? new SweepPainter(sweepLines, taskSlices) : null;
    if (painter) painter.onDone = applyHooks;
    const paintSweep = painter;
    tooltip.series = tipSeries;
    const yRange: uPlot.Range.Function = (_u, min, max) => (outliers && yBounds ? yBounds : sweepY ? paddedRange(sweepY[0], sweepY[1]) : paddedRange(min, max));
    const opts: uPlot.Options = {
      width: w,
      height: CHART_HEIGHT,
      series,
      bands,
      scales: {
        x: { time: xAxis === "wall" },
        y: logY ? { distr: 3 as uPlot.Scale.Distr } : { range: yRange },
        count: { auto: false, range: [0, 1] },
      },
      axes: chartAxes(theme, xAxis, integerX),
      // A sweep has no cursor dot per line (1,000 of them are 1,000 elements to make and move;
      // the tooltip lists the lines nearest the cursor).
      cursor: { drag: { x: true, y: false, setScale: true }, ...(lines.length > MANY_LINES ? { points: { show: false } } : {}) },
      focus: { alpha: 0.35 },
      legend: { show: false },
      hooks: {
        // painted a slice at a time (chart/sweepdraw.ts): a first picture of a thousand lines
        // spreads over a few frames; a redraw (zoom, data, size) starts it over
        ...(paintSweep ? { draw: [(u: uPlot) => paintSweep.start(u)] } : {}),
        setCursor: [(u) => tooltip.show(u)],
        setScale: [
          (u, scaleKey) => {
            if (scaleKey !== "x") return;
            const min = u.scales.x.min;
            const max = u.scales.x.max;
            if (min === undefined || max === undefined || min === null || max === null) return;
            const next = zoomOf(full, min, max);
            if (!sameZoom(zoom, next)) {
              zoom = next;
              // A sweep redraws for the zoom at once, inside uPlot's commit: its new data is
              // painted in this very paint (the old data, 1,000 lines of it, is never drawn at
              // the new scale first). Fewer lines wait for the next frame, as before.
              // A zoom's grid costs O(buckets x lines): it is built at once, not in slices.
              if (lineCount > MANY_LINES && chart === u) update(true);
              else schedule();
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
    painter?.stop();
    painter = null;
    if (chart) {
      chart.destroy();
      chart = null;
      chartKey = "";
    }
  }

  function downloadCsv(): void {
    const text = scalarsCsv(visible().map(({ run, s }) => ({ run: run.name, s })));
    download(new Blob([text], { type: "text/csv" }), `${safeFileName(tag)}.csv`);
  }

  function downloadJson(): void {
    const runs = visible().map(({ run, s }) => ({ run: run.name, label: ctx.ui.runLabel(ctx.store, run.name), s }));
    const text = JSON.stringify(scalarsJson(tag, ctx.ui.smoothing, runs), null, 1);
    download(new Blob([text + "\n"], { type: "application/json" }), `${safeFileName(tag)}.json`);
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
    release() {
      // Out of view (views/visibility.ts): the per-run columns, their smoothed copies and the
      // chart's data go; the card is drawn again when it comes back (issue 19: the heap follows
      // what is drawn). A drawing under way, or one waiting (a delayed or next-frame redraw),
      // is called off: it would draw while out of view, around `LazyUpdates`.
      if (destroyed) return false;
      const pending = drawing.stop() || frame !== 0;
      frameSlices.cancel(frameKey);
      frame = 0;
      asked = false;
      cache.clear();
      groupCache.clear();
      drawnLines = [];
      drawing.invalidate();
      // uPlot's data too (a sweep's grid: a column per line): the chart is drawn again when
      // it comes back into view
      if (chart && chart.data.length) chart.setData(chart.data.map(() => []) as unknown as uPlot.AlignedData, false);
      else if (!pending) return false;
      // the test hooks say what is drawn: nothing now, until it comes back into view
      delete el.dataset.tbxSeries;
      delete el.dataset.tbxOverview;
      return true;
    },
    destroy() {
      destroyed = true;
      frameSlices.cancel(frameKey);
      drawing.stop();
      resize?.disconnect();
      unsubscribeTheme();
      destroyChart();
      cache.clear();
    },
  };
}
