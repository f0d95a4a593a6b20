// The scalar charts' floating tooltip, as TensorBoard has it: for each run the point nearest the
// cursor, sorted by value, by name or nearest first, with the run nearest the cursor emphasised.
import type uPlot from "uplot";
import { h, swatch } from "../ui";

export type TipOrder = "nearest" | "value" | "name";
export const TIP_ORDERS: readonly TipOrder[] = ["nearest", "value", "name"];

export interface TipRow {
  run: string;
  label: string;
  color: string;
  /** x of the point (step, seconds), its smoothed and raw values. */
  x: number;
  value: number;
  raw: number | null;
  step: number | null;
  /** Pixel distance from the cursor (for "nearest" and the emphasis). */
  dist: number;
}

/** Index of the defined value of `col` nearest to `idx` by x (left wins ties); -1 when none. */
export function nearestDefined(xs: ArrayLike<number>, col: ArrayLike<number | null | undefined>, idx: number): number {
  const ok = (i: number) => col[i] !== null && col[i] !== undefined && Number.isFinite(col[i] as number);
  if (idx >= 0 && idx < col.length && ok(idx)) return idx;
  let l = Math.min(idx, col.length) - 1;
  while (l >= 0 && !ok(l)) l--;
  let r = Math.max(idx, -1) + 1;
  while (r < col.length && !ok(r)) r++;
  if (l < 0) return r < col.length ? r : -1;
  if (r >= col.length) return l;
  const x = xs[Math.min(Math.max(idx, 0), xs.length - 1)];
  return x - xs[l] <= xs[r] - x ? l : r;
}

const collator = typeof Intl !== "undefined" ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }) : null;

/** Rows in the chosen order: value (largest first), name (natural order) or nearest first. */
export function sortTipRows(rows: readonly TipRow[], order: TipOrder): TipRow[] {
  const out = [...rows];
  const byName = (a: TipRow, b: TipRow) => (collator ? collator.compare(a.label, b.label) : a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
  if (order === "value") out.sort((a, b) => b.value - a.value || byName(a, b));
  else if (order === "name") out.sort(byName);
  else if (order === "nearest") out.sort((a, b) => a.dist - b.dist || byName(a, b));
  else throw new RangeError(`sortTipRows: order must be one of ${TIP_ORDERS.join(", ")}, got ${String(order)}`);
  return out;
}

/** The run nearest the cursor (emphasised); null for no rows. */
export function nearestRun(rows: readonly TipRow[]): string | null {
  let best: TipRow | null = null;
  for (const r of rows) if (!best || r.dist < best.dist) best = r;
  return best?.run ?? null;
}

/** Up to this many rows the tooltip lists every line; past it, the `TIP_TOP_K` nearest the cursor. */
export const TIP_ALL = 15;
export const TIP_TOP_K = 10;

/**
 * The rows a tooltip lists: all of them up to `all`, else the `k` nearest the cursor (the hovered
 * line among them) and how many more were left out (a sweep of 1,000 runs shows 10 and "990 more").
 */
export function topRows(rows: readonly TipRow[], k: number = TIP_TOP_K, all: number = TIP_ALL): { rows: TipRow[]; more: number } {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topRows: k must be an integer >= 1, got ${String(k)}`);
  if (!Number.isInteger(all) || all < k) throw new RangeError(`topRows: all must be an integer >= k (${k}), got ${String(all)}`);
  if (rows.length <= all) return { rows: [...rows], more: 0 };
  const nearest = [...rows].sort((a, b) => a.dist - b.dist).slice(0, k);
  const keep = new Set(nearest);
  return { rows: rows.filter((r) => keep.has(r)), more: rows.length - k };
}

/**
 * Fill the tooltip element: a header line and one row per run (`data-tbx-run` on each): colour,
 * label, smoothed value, raw value, and where its point is when that is not at the cursor's `x`;
 * with `more` > 0 a last line "and N more" (runs left out, see `topRows`).
 */
export function renderTip(tip: HTMLElement, header: string, rows: readonly TipRow[], hovered: string | null, fmtValue: (v: number) => string, fmtX: (v: number) => string, x: number, more = 0): void {
  tip.textContent = "";
  const showX = rows.some((r) => r.x !== x);
  tip.append(h("div", { class: "tbx-tip-head", text: header }));
  const table = h("table", { class: "tbx-tip-rows" });
  const anyRaw = rows.some((r) => r.raw !== null);
  table.append(h("tr", { class: "tbx-tip-cols" }, h("td"), h("td", { text: "run" }), h("td", { class: "tbx-tip-num", text: anyRaw ? "smoothed" : "value" }),
    h("td", { class: "tbx-tip-num", text: anyRaw ? "raw" : "" }), showX ? h("td") : null));
  for (const r of rows) {
    const tr = h("tr", { class: r.run === hovered ? "tbx-tip-row tbx-tip-hover" : "tbx-tip-row" },
      h("td", {}, swatch(r.color)),
      h("td", { class: "tbx-tip-name", text: r.label, title: r.label }),
      h("td", { class: "tbx-tip-num", text: fmtValue(r.value), title: "smoothed" }),
      h("td", { class: "tbx-tip-num tbx-tip-raw", text: r.raw === null ? "" : fmtValue(r.raw), title: "raw" }),
      showX ? h("td", { class: "tbx-tip-num tbx-tip-raw", text: r.x === x ? "" : `@ ${fmtX(r.x)}`, title: "where this run's nearest point is" }) : null);
    tr.dataset.tbxRun = r.run;
    table.append(tr);
  }
  tip.append(table);
  if (more > 0) tip.append(h("div", { class: "tbx-tip-head tbx-tip-more", text: `and ${more.toLocaleString()} more run${more === 1 ? "" : "s"}` }));
}

/** A line the tooltip reads: its uPlot series index (and its raw companion's, if any). */
export interface TipSeries {
  key: string;
  label: string;
  color: string;
  index: number;
  rawIndex?: number;
  /** Without a raw series (a sweep draws raw values only for highlighted runs): the raw value at x. */
  rawAt?: (x: number) => number | null;
  /** A run group's line: the series holding its member count at each point (shown with the label). */
  countIndex?: number;
}

/** A group's tooltip label: its name and how many member runs have a value at the point. */
export function groupLabel(label: string, count: number): string {
  return `${label} (${count} run${count === 1 ? "" : "s"})`;
}

/** The tooltip order picker for a card's tools. */
export function tipOrderSelect(initial: TipOrder, onChange: (order: TipOrder) => void): HTMLSelectElement {
  const sel = h("select", { class: "tbx-select tbx-tip-order", title: "Order of the runs in the tooltip: nearest the cursor first, by value (largest first) or by name" },
    ...TIP_ORDERS.map((o) => h("option", { value: o, text: o === "nearest" ? "nearest" : `by ${o}`, selected: o === initial })));
  sel.addEventListener("change", () => onChange(TIP_ORDERS.includes(sel.value as TipOrder) ? (sel.value as TipOrder) : "nearest"));
  return sel;
}

/**
 * A floating tooltip over one uPlot chart (call `show` from its setCursor hook): each line's point
 * nearest the cursor, sorted by `order`, the nearest line emphasised in the tooltip and focused in
 * the chart (the others fade; uPlot's `focus.alpha` sets how much).
 */
export class ChartTooltip {
  order: TipOrder = "nearest";
  series: TipSeries[] = [];
  private focused = -1;
  private chart: uPlot | null = null;

  constructor(
    readonly tip: HTMLElement,
    private readonly header: (x: number) => string,
    private readonly fmtValue: (v: number) => string,
    private readonly fmtX: (v: number) => string,
  ) {}

  /** A new chart: forget the focus and hide. */
  reset(): void {
    this.focused = -1;
    this.chart = null;
    this.tip.hidden = true;
  }

  /** Redraw at the last cursor position (after the order changed). */
  refresh(): void {
    if (this.chart) this.show(this.chart);
  }

  show(u: uPlot): void {
    this.chart = u;
    const { idx, left, top } = u.cursor;
    const xs = u.data[0] as unknown as ArrayLike<number>;
    if (idx === null || idx === undefined || left === undefined || top === undefined || left < 0 || xs.length === 0) {
      this.hide(u);
      return;
    }
    const rows: TipRow[] = [];
    const index = new Map<string, number>();
    for (const s of this.series) {
      const col = u.data[s.index] as ArrayLike<number | null> | undefined;
      if (!col) continue;
      const j = nearestDefined(xs, col, idx);
      if (j < 0) continue;
      const v = col[j] as number;
      const r = s.rawIndex !== undefined ? (u.data[s.rawIndex] as ArrayLike<number | null>)[j] : s.rawAt ? s.rawAt(xs[j]) : null;
      const raw = r === null || r === undefined || !Number.isFinite(r) ? null : r; // a sweep's columns hold NaN for none
      const dist = Math.hypot(u.valToPos(v, "y") - top, u.valToPos(xs[j], "x") - left);
      const count = s.countIndex === undefined ? null : (u.data[s.countIndex] as ArrayLike<number | null>)[j];
      const label = count === null || count === undefined ? s.label : groupLabel(s.label, count);
      rows.push({ run: s.key, label, color: s.color, x: xs[j], value: v, raw, step: null, dist });
      index.set(s.key, s.index);
    }
    if (rows.length === 0) {
      this.hide(u);
      return;
    }
    const hovered = nearestRun(rows);
    const x0 = xs[idx];
    const listed = topRows(rows);
    renderTip(this.tip, this.header(x0), sortTipRows(listed.rows, this.order), hovered, this.fmtValue, this.fmtX, x0, listed.more);
    this.tip.dataset.tbxOrder = this.order;
    this.tip.hidden = false;
    this.focus(u, hovered === null ? -1 : index.get(hovered) ?? -1);
    this.place(u, left, top);
  }

  private hide(u: uPlot): void {
    this.tip.hidden = true;
    this.focus(u, -1);
  }

  private focus(u: uPlot, i: number): void {
    if (i === this.focused) return;
    this.focused = i;
    u.setSeries(i < 0 ? null : i, { focus: true });
  }

  /** Beside the cursor, flipped to its left near the right edge, kept inside the plot box. */
  private place(u: uPlot, left: number, top: number): void {
    const tip = this.tip;
    const over = u.over.getBoundingClientRect();
    const box = (tip.parentElement ?? u.root).getBoundingClientRect();
    const cx = over.left - box.left + left;
    const cy = over.top - box.top + top;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    const tx = cx + 16 + tw > box.width ? cx - 16 - tw : cx + 16;
    tip.style.left = `${Math.max(0, tx)}px`;
    tip.style.top = `${Math.max(0, Math.min(cy - th / 2, box.height - th))}px`;
  }
}
