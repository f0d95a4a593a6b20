// The scalar charts' floating tooltip, as TensorBoard has it: for each run the point nearest the
// cursor, sorted by value, by name or nearest first, with the run nearest the cursor emphasised.
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

/**
 * Fill the tooltip element: a header line and one row per run (`data-tbx-run` on each): colour,
 * label, smoothed value, raw value, and where its point is when that is not at the cursor's `x`.
 */
export function renderTip(tip: HTMLElement, header: string, rows: readonly TipRow[], hovered: string | null, fmtValue: (v: number) => string, fmtX: (v: number) => string, x: number): void {
  tip.textContent = "";
  const showX = rows.some((r) => r.x !== x);
  tip.append(h("div", { class: "tbx-tip-head", text: header }));
  const table = h("table", { class: "tbx-tip-rows" });
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
}
