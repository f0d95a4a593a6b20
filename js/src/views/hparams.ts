// HParams: one panel comparing the runs that logged a session. A table (sortable by any column,
// filterable by regex) of hyperparameters, final metrics and status, and a parallel-coordinates
// plot coloured by a chosen metric. Clicking a row or a line highlights that run in every
// scalar card (click again to clear).
import { Memo } from "../chart/memo";
import type { HparamValue } from "../protocol";
import type { Store } from "../store";
import { onThemeChange } from "../theme";
import {
  canvasAvailable, compileFilter, fmtNum, h, isValidRegex, sizeCanvas, themeColors,
  type ViewContext,
} from "../ui";
import { VirtualList } from "../virtuallist";
import { applyOpenState, sectionShell } from "./section";

export interface MetricColumn {
  /** Column key: the tag, or `group/tag` when the metric names a group. */
  key: string;
  tag: string;
  group: string;
  label: string;
}

export interface HparamsRow {
  run: string;
  hparams: Record<string, HparamValue>;
  metrics: Record<string, number | null>;
  status: string;
}

export interface HparamsTable {
  hparams: string[];
  metrics: MetricColumn[];
  rows: HparamsRow[];
}

function lastValue(store: Store, run: string, tag: string): number | null | undefined {
  const s = store.get("scalars", run, tag);
  if (!s || s.n === 0) return undefined;
  return s.value[s.n - 1];
}

/**
 * The comparison table from the store (pure: reads only). A run with a `session_start` record
 * is a row; metrics are the experiments' metric tags, each the last value logged in the run, or
 * in `<run>/<group>` when the metric names a group (as `tbx_widget.load(...).hparams_table()`);
 * a session folded into its parent run (`folds`) falls back to the parent's last value.
 */
export function hparamsTable(store: Store, folds: ReadonlyMap<string, string> = new Map()): HparamsTable {
  const order: string[] = [];
  const metrics = new Map<string, MetricColumn>();
  for (const tag of store.tags("hparams")) {
    for (const series of store.byTag("hparams", tag).values()) {
      for (const r of series.entries) {
        if (r.record !== "experiment") continue;
        for (const hp of r.hparams) if (!order.includes(hp.name)) order.push(hp.name);
        for (const m of r.metrics) {
          const key = m.group ? `${m.group}/${m.tag}` : m.tag;
          if (!metrics.has(key)) metrics.set(key, { key, tag: m.tag, group: m.group, label: m.displayName || key });
        }
      }
    }
  }
  const rows: HparamsRow[] = [];
  const names = new Set<string>(order);
  const byTag = store.tags("hparams").map((tag) => store.byTag("hparams", tag));
  for (const run of store.runs) {
    let start: Record<string, HparamValue> | null = null;
    let status = "";
    for (const series of byTag) {
      for (const r of series.get(run.name)?.entries ?? []) {
        if (r.record === "session_start") start = r.hparams;
        else if (r.record === "session_end") status = r.status.replace(/^STATUS_/, "").toLowerCase();
      }
    }
    if (!start) continue;
    for (const k of Object.keys(start).sort()) if (!names.has(k)) names.add(k);
    const values: Record<string, number | null> = {};
    for (const m of metrics.values()) {
      const where = m.group ? (run.name === "." ? m.group : `${run.name}/${m.group}`) : run.name;
      let v = lastValue(store, where, m.tag);
      if (v === undefined && where !== run.name) v = lastValue(store, run.name, m.tag);
      // A folded session run (see runfold.ts) may have left a metric to the run that logged it.
      const parent = folds.get(run.name);
      if (v === undefined && parent !== undefined) v = lastValue(store, parent, m.tag);
      values[m.key] = v ?? null;
    }
    rows.push({ run: run.name, hparams: start, metrics: values, status });
  }
  return { hparams: [...names], metrics: [...metrics.values()], rows };
}

type Cell = HparamValue | undefined;

/** Text order with numbers in text by value ("run2" before "run10"); one collator for all. */
const NUMERIC_TEXT = new Intl.Collator(undefined, { numeric: true });
/** Plain text order (ties between rows: by run name). */
const TEXT = new Intl.Collator();

/** Sort order: numbers before strings before missing; numbers by value, the rest as text. */
export function compareCells(a: Cell, b: Cell): number {
  const rank = (v: Cell) => (typeof v === "number" && !Number.isNaN(v) ? 0 : v === null || v === undefined ? 2 : 1);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 2) return 0;
  return NUMERIC_TEXT.compare(String(a), String(b));
}

function fmtCell(v: Cell): string {
  if (v === undefined || v === null) return "–";
  if (typeof v === "number") return fmtNum(v);
  return String(v);
}

/** Colour ramp for a value in [0, 1] (low blue → high red). */
function ramp(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const r = Math.round(40 + 200 * u);
  const g = Math.round(90 + 60 * (1 - Math.abs(u - 0.5) * 2));
  const b = Math.round(220 - 180 * u);
  return `rgb(${r},${g},${b})`;
}

interface Axis {
  label: string;
  get: (row: HparamsRow) => Cell;
  /** Position in [0, 1] (1 at the top), or null when missing. */
  pos: (v: Cell) => number | null;
  ticks: { at: number; text: string }[];
}

function makeAxis(label: string, get: (row: HparamsRow) => Cell, rows: HparamsRow[]): Axis {
  const values = rows.map(get);
  const numeric = values.every((v) => v === null || v === undefined || typeof v === "number");
  if (numeric) {
    const nums = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    const lo = nums.length ? Math.min(...nums) : 0;
    const hi = nums.length ? Math.max(...nums) : 1;
    // Positive values spanning two decades or more (learning rates, weight decays) go on a log scale.
    const log = lo > 0 && hi / lo >= 100;
    const f = log ? Math.log10 : (v: number) => v;
    const pos = (v: Cell) =>
      typeof v === "number" && Number.isFinite(v) && (!log || v > 0) ? (hi === lo ? 0.5 : (f(v) - f(lo)) / (f(hi) - f(lo))) : null;
    const ticks = hi === lo ? [{ at: 0.5, text: fmtNum(lo) }]
      : [...new Set(nums)].length <= 6 ? [...new Set(nums)].map((v) => ({ at: pos(v) ?? 0, text: fmtNum(v) }))
      : [{ at: 0, text: fmtNum(lo) }, { at: 1, text: fmtNum(hi) }];
    return { label: log ? `${label} (log)` : label, get, pos, ticks };
  }
  const cats = [...new Set(values.filter((v) => v !== null && v !== undefined).map((v) => String(v)))].sort(NUMERIC_TEXT.compare);
  const at = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
  const pos = (v: Cell) => {
    if (v === null || v === undefined) return null;
    const i = cats.indexOf(String(v));
    return i < 0 ? null : at(i);
  };
  return { label, get, pos, ticks: cats.map((c, i) => ({ at: at(i), text: c })) };
}

const PLOT_HEIGHT = 220;
const LABEL_FONT = "10px sans-serif";
/** Smallest vertical distance between two tick labels of one axis (px). */
const TICK_GAP = 12;

/**
 * Which tick labels to draw: walking from the bottom up, a label is kept when it is at least
 * `gap` px from the last kept one; the top-most label is always kept (dropping the one below it
 * if they collide), so each axis shows its range's ends.
 */
export function spreadTicks(ys: readonly number[], gap: number): boolean[] {
  const order = ys.map((y, i) => ({ y, i })).sort((a, b) => b.y - a.y);
  const keep = ys.map(() => false);
  let last = Infinity;
  const kept: { y: number; i: number }[] = [];
  for (const t of order) {
    if (last - t.y >= gap) {
      keep[t.i] = true;
      kept.push(t);
      last = t.y;
    }
  }
  const top = order[order.length - 1];
  if (top && !keep[top.i]) {
    const prev = kept[kept.length - 1];
    if (prev && prev.y - top.y < gap && kept.length > 1) keep[prev.i] = false;
    keep[top.i] = true;
  }
  return keep;
}

/** `text` cut with an ellipsis to fit `max` px as `measure` measures it. */
export function truncate(text: string, max: number, measure: (t: string) => number): string {
  if (measure(text) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(text.slice(0, mid) + "…") <= max) lo = mid;
    else hi = mid - 1;
  }
  return lo > 0 ? text.slice(0, lo) + "…" : "…";
}

/**
 * Column headers of the parallel-coordinates plot: each centred on its axis where it fits, cut
 * with an ellipsis to its share of the space between its neighbours, never past the plot's edges
 * (the first and last are not clipped) nor into a neighbour's share. Returns each text's left x.
 */
export function layoutHeaders(labels: readonly string[], xs: readonly number[], width: number,
  measure: (t: string) => number): { text: string; x: number }[] {
  // Each header owns the span from half-way to its left neighbour to half-way to its right one.
  return labels.map((l, i) => {
    const lo = i > 0 ? (xs[i - 1] + xs[i]) / 2 + 3 : 2;
    const hi = i + 1 < xs.length ? (xs[i] + xs[i + 1]) / 2 - 3 : width - 2;
    const text = truncate(l, Math.max(0, hi - lo), measure);
    const w = measure(text);
    const x = Math.min(Math.max(lo, xs[i] - w / 2), hi - w);
    return { text, x };
  });
}

export class HparamsSection {
  readonly el: HTMLDetailsElement;
  shown = 0;
  total = 0;
  private readonly count: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly colorBy: HTMLSelectElement;
  private readonly tableBox: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private sortKey = "run";
  private sortDesc = false;
  private readonly memo = new Memo();
  /** The plot's part of the signature (the sort order does not change the plot). */
  private readonly plotMemo = new Memo();
  private table: HparamsTable = { hparams: [], metrics: [], rows: [] };
  /** What the table was built from (rebuilt when the store or the folds change). */
  private tableVersion = -1;
  private tableRuns = -1;
  private tableFolds: ReadonlyMap<string, string> | null = null;
  private tableJson = "";
  private rankCache = new Map<string, Map<string, number>>();
  /** Each row's text the filter searches. */
  private filterText = new WeakMap<HparamsRow, string>();
  private shownRows: HparamsRow[] = [];
  /** The table body (kept while its columns stay) and its rows in view. */
  private body: HTMLTableSectionElement | null = null;
  private bodyColumns = "";
  private rows: VirtualList<HparamsRow> | null = null;
  private axes: Axis[] = [];
  private width = 0;

  constructor(private readonly ctx: ViewContext) {
    this.filter = h("input", { type: "search", class: "tbx-input", placeholder: "filter sessions (regex)", "aria-label": "hparams filter" });
    this.colorBy = h("select", { class: "tbx-select", "aria-label": "colour by metric" });
    this.tableBox = h("div", { class: "tbx-hparams-table" });
    this.canvas = h("canvas", { class: "tbx-canvas", role: "img", "aria-label": "parallel coordinates" });
    const card = h("div", { class: "tbx-card" },
      h("div", { class: "tbx-card-head" },
        h("div", { class: "tbx-card-title", text: "sessions" }),
        h("div", { class: "tbx-card-tools" }, this.filter, h("label", { class: "tbx-field" }, h("span", { text: "colour by" }), this.colorBy))),
      h("div", { class: "tbx-card-body" }, this.tableBox, this.canvas,
        h("div", { class: "tbx-card-note", text: "Click a row or a line to highlight that run in the scalar charts." })));
    card.dataset.tbxKind = "hparams";
    card.dataset.tbxTag = "sessions";
    ({ el: this.el, count: this.count } = sectionShell("HParams", "hparams", card, () => this.update(), ctx.ui));
    this.filter.addEventListener("input", () => this.redraw());
    this.colorBy.addEventListener("change", () => this.redraw());
    this.canvas.addEventListener("click", (e) => this.pick(e));
    this.unsubscribeTheme = onThemeChange(() => this.redraw()); // the canvas takes the new theme's colours
  }

  private readonly unsubscribeTheme: () => void;

  private redraw(): void {
    this.memo.invalidate();
    this.plotMemo.invalidate();
    this.update();
  }

  update(): void {
    const { store, ui } = this.ctx;
    applyOpenState(this.el, "section:hparams", ui);
    const visible = new Set(ui.visibleRuns(store).map((r) => r.name));
    const folds = ui.folds(store);
    if (store.version !== this.tableVersion || store.runs.length !== this.tableRuns || folds !== this.tableFolds) {
      this.table = hparamsTable(store, folds);
      this.tableJson = JSON.stringify(this.table);
      [this.tableVersion, this.tableRuns, this.tableFolds] = [store.version, store.runs.length, folds];
    }
    this.total = this.table.rows.length;
    this.el.hidden = this.total === 0;
    if (this.total === 0 || !this.el.open) {
      this.count.textContent = String(this.total);
      return;
    }
    const re = compileFilter(this.filter.value);
    this.filter.classList.toggle("tbx-invalid", this.filter.value !== "" && !isValidRegex(this.filter.value));
    const rows = this.table.rows.filter((r) => {
      if (!visible.has(r.run)) return false;
      if (!re) return true;
      let text = this.filterText.get(r); // rows are rebuilt with the table, so this follows it
      if (text === undefined) {
        text = [r.run, ui.runLabel(store, r.run), r.status, ...Object.values(r.hparams).map(fmtCell), ...Object.values(r.metrics).map(fmtCell)].join(" ");
        this.filterText.set(r, text);
      }
      return re.test(text);
    });
    this.shown = rows.length;
    this.count.textContent = rows.length === this.total ? String(this.total) : `${rows.length} of ${this.total}`;
    this.width = Math.max(320, Math.floor(this.tableBox.clientWidth) || 640);
    // The table itself is in the signature: its metrics change as their scalar series grow.
    const plotSig = () => [this.tableJson, [...visible].join("|"), this.filter.value, this.colorBy.value, ui.highlight ?? "", this.width].join(";");
    const sig = `${plotSig()};${this.sortKey};${this.sortDesc}`;
    if (!this.memo.changed(sig)) return;
    this.shownRows = this.sorted(rows);
    this.renderColorBy();
    this.renderTable();
    const plot = plotSig(); // (after renderColorBy: it may pick another metric)
    if (this.plotMemo.changed(plot)) this.drawPlot();
  }

  private cellOf(row: HparamsRow, key: string): Cell {
    if (key === "run") return this.ctx.ui.runLabel(this.ctx.store, row.run);
    if (key === "status") return row.status;
    if (key.startsWith("h:")) return row.hparams[key.slice(2)];
    return row.metrics[key.slice(2)];
  }

  private sorted(rows: HparamsRow[]): HparamsRow[] {
    const sign = this.sortDesc ? -1 : 1;
    // Ordered as compareCells orders, with text compared through ranks: the collator sorts each
    // column's distinct texts once per table (it is the slow part of sorting 1,000 rows).
    const key = this.sortKey;
    const rank = this.ranks(`${key}\u0000${this.ctx.ui.logdir}`, NUMERIC_TEXT, () =>
      this.table.rows.map((r) => this.cellOf(r, key)).filter((v): v is string => typeof v === "string"));
    const runRank = this.ranks("\u0000run", TEXT, () => this.table.rows.map((r) => r.run));
    const keyed = rows.map((row) => {
      const cell = this.cellOf(row, key);
      const cls = typeof cell === "number" && !Number.isNaN(cell) ? 0 : cell === null || cell === undefined ? 2 : 1;
      const at = cls === 0 ? (cell as number) : cls === 1 ? rank.get(String(cell)) ?? 0 : 0;
      return { row, cls, at, tie: runRank.get(row.run) ?? 0 };
    });
    keyed.sort((a, b) => {
      const c = a.cls !== b.cls ? a.cls - b.cls : a.at - b.at;
      return c !== 0 ? sign * c : a.tie - b.tie;
    });
    return keyed.map((k) => k.row);
  }

  /** Rank of each text `values()` gives, in `collator`'s order (cached while no new text appears:
   *  the table is rebuilt as metrics stream in, its texts seldom change). */
  private ranks(cacheKey: string, collator: Intl.Collator, values: () => string[]): Map<string, number> {
    let r = this.rankCache.get(cacheKey);
    const texts = values();
    if (r && !texts.every((t) => r!.has(t))) r = undefined;
    if (!r) {
      const distinct = [...new Set(texts)].sort(collator.compare);
      r = new Map();
      let at = 0;
      distinct.forEach((v, i) => {
        if (i > 0 && collator.compare(distinct[i - 1], v) !== 0) at++; // texts the collator ties share a rank
        r!.set(v, at);
      });
      this.rankCache.set(cacheKey, r);
    }
    return r;
  }

  private renderColorBy(): void {
    const keys = this.table.metrics.map((m) => m.key);
    const current = this.colorBy.value;
    const have = [...this.colorBy.options].map((o) => o.value);
    if (have.join("|") !== ["", ...keys].join("|")) {
      this.colorBy.textContent = "";
      this.colorBy.append(h("option", { value: "", text: "run colour" }));
      for (const m of this.table.metrics) this.colorBy.append(h("option", { value: m.key, text: m.label }));
      this.colorBy.value = keys.includes(current) ? current : keys[0] ?? "";
    }
  }

  private renderTable(): void {
    const columns: { key: string; label: string }[] = [
      { key: "run", label: "run" },
      ...this.table.hparams.map((n) => ({ key: `h:${n}`, label: n })),
      ...this.table.metrics.map((m) => ({ key: `m:${m.key}`, label: m.label })),
      { key: "status", label: "status" },
    ];
    const head = h("tr", {});
    for (const c of columns) {
      const arrow = c.key === this.sortKey ? (this.sortDesc ? " ▼" : " ▲") : "";
      const th = h("th", { class: c.key.startsWith("m:") ? "tbx-metric" : "", title: `sort by ${c.label}`, text: c.label + arrow });
      th.dataset.tbxColumn = c.key;
      th.setAttribute("aria-sort", c.key === this.sortKey ? (this.sortDesc ? "descending" : "ascending") : "none");
      th.tabIndex = 0;
      onActivate(th, () => {
        if (this.sortKey === c.key) this.sortDesc = !this.sortDesc;
        else {
          this.sortKey = c.key;
          this.sortDesc = false;
        }
        this.update(); // the sort order is part of the signature; the plot stays as drawn
      });
      head.append(th);
    }
    // Only the rows in view of the scrolling box are in the DOM (1,000 sessions stay light); the
    // body and its rows are kept while the columns stay, rows refilled in place on a sort or filter.
    const columnsSig = columns.map((c) => c.key).join("\u0000");
    if (!this.body || this.bodyColumns !== columnsSig) this.body = this.makeBody(columns);
    this.bodyColumns = columnsSig;
    const table = this.body.parentElement as HTMLTableElement;
    table.tHead?.replaceWith(h("thead", {}, head));
    this.tableBox.querySelector(".tbx-card-note")?.remove();
    if (table.parentElement !== this.tableBox) this.tableBox.replaceChildren(table);
    this.rows?.update(this.shownRows, true);
    if (this.shownRows.length === 0) this.tableBox.append(h("div", { class: "tbx-card-note", text: "No session matches the filter." }));
  }

  /** An empty table (body) for `columns`, its rows virtualised over the scrolling box. */
  private makeBody(columns: readonly { key: string }[]): HTMLTableSectionElement {
    const { store, ui } = this.ctx;
    const body = h("tbody", {});
    const table = h("table", { class: "tbx-table" }, h("thead", {}), body);
    // The rows out of view are stood for by the table's margins (a table body takes no padding).
    const pad = (above: number, below: number) => {
      table.style.marginTop = `${above}px`;
      table.style.marginBottom = `${below}px`;
    };
    // Rows are clones of one template, each cell ending in a text node that `fill` rewrites.
    const template = h("tr", { title: "click to highlight in the scalar charts", tabindex: 0 },
      ...columns.map((c) => (c.key === "run" ? h("td", {}, h("span", { class: "tbx-swatch" }), " ", "") : h("td", {}, ""))));
    const colors = new WeakMap<HTMLElement, string>();
    const fill = (el: HTMLElement, row: HparamsRow): void => {
      const tr = el as HTMLTableRowElement;
      tr.dataset.tbxRun = row.run;
      tr.classList.toggle("tbx-highlight", ui.highlight === row.run);
      columns.forEach((c, i) => {
        const td = tr.cells[i];
        if (c.key === "run") {
          const color = ui.runColor(store, row.run);
          if (colors.get(tr) !== color) {
            (td.firstChild as HTMLElement).style.backgroundColor = color;
            colors.set(tr, color);
          }
          const title = ui.entryOf(store, row.run) !== row.run ? `session run ${row.run}` : "";
          if (td.title !== title) td.title = title;
        }
        const text = fmtCell(this.cellOf(row, c.key));
        const node = td.lastChild as Text;
        if (node.data !== text) node.data = text;
      });
    };
    this.rows?.destroy();
    this.rows = new VirtualList<HparamsRow>({
      scroller: this.tableBox, parent: body, pad, key: (_r, i) => i, recycle: true,
      make: () => template.cloneNode(true) as HTMLElement, fill,
    });
    onActivate(body, (e) => {
      const tr = e.target instanceof Element ? e.target.closest<HTMLElement>("tr[data-tbx-run]") : null;
      if (tr && tr.dataset.tbxRun !== undefined) this.toggleHighlight(tr.dataset.tbxRun);
    });
    return body;
  }

  private toggleHighlight(run: string): void {
    const { ui } = this.ctx;
    ui.highlight = ui.highlight === run ? null : run;
    ui.changed();
  }

  private drawPlot(): void {
    const rows = this.shownRows;
    this.axes = [
      ...this.table.hparams.map((n) => makeAxis(n, (r) => r.hparams[n], rows)),
      ...this.table.metrics.map((m) => makeAxis(m.label, (r) => r.metrics[m.key], rows)),
    ];
    const width = this.width;
    const g = canvasAvailable() ? sizeCanvas(this.canvas, width, PLOT_HEIGHT) : null;
    if (!g) return;
    const { fg, grid, muted } = themeColors(this.el);
    const bg = getComputedStyle(this.el).getPropertyValue("--tbx-bg").trim() || "#fff";
    g.clearRect(0, 0, width, PLOT_HEIGHT);
    if (this.axes.length === 0) return;
    const { x, y, spacing } = this.geometry();
    g.font = LABEL_FONT;
    // Axes first, then the lines, then every label on top with a halo in the background colour.
    g.strokeStyle = grid;
    g.lineWidth = 1;
    this.axes.forEach((_a, i) => {
      g.beginPath();
      g.moveTo(x(i), y(0));
      g.lineTo(x(i), y(1));
      g.stroke();
    });
    // Lines, the highlighted one last and thickest.
    const colorKey = this.colorBy.value;
    const metric = this.table.metrics.find((m) => m.key === colorKey);
    const vals = metric ? rows.map((r) => r.metrics[metric.key]).filter((v): v is number => typeof v === "number" && Number.isFinite(v)) : [];
    const lo = vals.length ? Math.min(...vals) : 0;
    const hi = vals.length ? Math.max(...vals) : 1;
    const highlight = this.ctx.ui.highlight;
    const ordered = [...rows].sort((a, b) => Number(a.run === highlight) - Number(b.run === highlight));
    for (const row of ordered) {
      let color = this.ctx.ui.runColor(this.ctx.store, row.run);
      if (metric) {
        const v = row.metrics[metric.key];
        color = typeof v === "number" && Number.isFinite(v) ? ramp(hi === lo ? 0.5 : (v - lo) / (hi - lo)) : "#999";
      }
      const on = highlight === row.run;
      g.strokeStyle = color;
      g.globalAlpha = highlight && !on ? 0.25 : 1;
      g.lineWidth = on ? 4 : 1.5;
      g.beginPath();
      let drawing = false;
      this.axes.forEach((a, i) => {
        const p = a.pos(a.get(row));
        if (p === null) {
          drawing = false;
          return;
        }
        if (drawing) g.lineTo(x(i), y(p));
        else g.moveTo(x(i), y(p));
        drawing = true;
      });
      g.stroke();
      g.globalAlpha = 1;
    }
    const measure = (t: string) => g.measureText(t).width;
    const label = (text: string, px: number, py: number, color: string) => {
      g.lineJoin = "round";
      g.lineWidth = 3;
      g.strokeStyle = bg;
      g.strokeText(text, px, py);
      g.fillStyle = color;
      g.fillText(text, px, py);
    };
    g.textAlign = "left";
    for (const head of layoutHeaders(this.axes.map((a) => a.label), this.axes.map((_a, i) => x(i)), width, measure)) {
      label(head.text, head.x, 12, fg);
    }
    // Tick labels right of their axis, thinned where they would overlap, cut to the gap to the next.
    this.axes.forEach((a, i) => {
      const room = Math.max(24, (i + 1 < this.axes.length ? spacing : width - x(i)) - 10);
      const ticks = a.ticks.map((t) => ({ ...t, py: y(t.at) }));
      const keep = spreadTicks(ticks.map((t) => t.py), TICK_GAP);
      ticks.forEach((t, k) => {
        if (keep[k]) label(truncate(t.text, room, measure), x(i) + 3, t.py + 3, muted);
      });
    });
    if (metric && vals.length) {
      g.textAlign = "right";
      label(`${metric.label}: ${fmtNum(lo)} (blue) … ${fmtNum(hi)} (red)`, width - 4, PLOT_HEIGHT - 4, muted);
      g.textAlign = "left";
    }
  }

  private geometry(): { x: (i: number) => number; y: (p: number) => number; spacing: number } {
    const n = this.axes.length;
    const left = 12;
    // Room right of the last axis for its tick labels.
    const right = this.width - Math.min(90, Math.max(40, this.width / (n + 1) - 10));
    const top = 26;
    const bottom = PLOT_HEIGHT - 18;
    return {
      x: (i: number) => (n === 1 ? (left + right) / 2 : left + (i * (right - left)) / (n - 1)),
      y: (p: number) => bottom - p * (bottom - top),
      spacing: n === 1 ? right - left : (right - left) / (n - 1),
    };
  }

  /** Click on the plot: highlight the run whose line passes nearest (within 8 px). */
  private pick(e: MouseEvent): void {
    if (this.axes.length === 0) return;
    const box = this.canvas.getBoundingClientRect();
    const px = e.clientX - box.left;
    const py = e.clientY - box.top;
    const { x, y } = this.geometry();
    let best: { run: string; d: number } | null = null;
    for (const row of this.shownRows) {
      const pts = this.axes.map((a, i) => {
        const p = a.pos(a.get(row));
        return p === null ? null : [x(i), y(p)];
      });
      for (let i = 0; i + 1 < pts.length; i++) {
        const a = pts[i];
        const b = pts[i + 1];
        if (!a || !b) continue;
        const d = segmentDistance(px, py, a[0], a[1], b[0], b[1]);
        if (!best || d < best.d) best = { run: row.run, d };
      }
      if (pts.length === 1 && pts[0]) {
        const d = Math.hypot(px - pts[0][0], py - pts[0][1]);
        if (!best || d < best.d) best = { run: row.run, d };
      }
    }
    if (best && best.d <= 8) this.toggleHighlight(best.run);
  }

  destroy(): void {
    this.unsubscribeTheme();
    this.rows?.destroy();
    this.el.remove();
  }
}

/** Click, Enter or Space runs `fn` (rows and headers are focusable). */
function onActivate(el: HTMLElement, fn: (e: Event) => void): void {
  el.addEventListener("click", fn);
  el.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      fn(e);
    }
  });
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len > 0 ? Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
