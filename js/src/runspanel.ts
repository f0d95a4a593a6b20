// The runs panel: a run filter, all/none buttons and one checkbox per run. Session runs written
// by `add_hparams` are folded into the run that logged them (one entry, one colour, see
// runfold.ts); the root run "." is named after the log directory. The list is virtualised: only
// the rows in view (and a margin either side) are in the DOM, between two spacers that stand for
// the rest, so a sweep of thousands of runs scrolls and filters without thousands of elements.
import type { RunInfo } from "./store";
import { h, isValidRegex, swatch, type ViewContext } from "./ui";

export interface RunsPanel {
  readonly el: HTMLElement;
  /** Redraw the list from the store and the UiState. */
  sync(): void;
}

/** Row height (px) assumed until a row has been measured (jsdom never lays out). */
const DEFAULT_ROW_PX = 20;
/** Rows kept in the DOM above and below the visible ones. */
const OVERSCAN = 15;
/** Rows rendered while the list has no height yet (hidden or not laid out). */
const UNMEASURED_ROWS = 40;

/**
 * The rows `[first, last)` a list of `count` rows of `rowPx` each should render when scrolled to
 * `scrollTop` in a viewport `viewPx` high, with `overscan` extra rows either side.
 */
export function visibleWindow(count: number, scrollTop: number, viewPx: number, rowPx: number, overscan = OVERSCAN): [number, number] {
  if (!(rowPx > 0)) throw new RangeError(`rowPx must be a positive number, got ${rowPx}`);
  const inView = viewPx > 0 ? Math.ceil(viewPx / rowPx) + 1 : UNMEASURED_ROWS;
  const top = Math.max(0, Math.floor(Math.max(0, scrollTop) / rowPx));
  const first = Math.max(0, Math.min(top, count - inView) - overscan);
  const last = Math.min(count, top + inView + overscan);
  return [first, Math.max(first, last)];
}

interface Row {
  li: HTMLLIElement;
  label: HTMLLabelElement;
  box: HTMLInputElement;
  sw: HTMLElement;
  name: HTMLElement;
  color: string;
}

/** The runs panel over `ctx`'s store; toggling a run or filtering writes `ctx.ui`. */
export function createRunsPanel(ctx: ViewContext): RunsPanel {
  const { store, ui } = ctx;
  const runInput = h("input", { type: "search", class: "tbx-input", placeholder: "filter runs (regex)", "aria-label": "run filter", value: ui.runFilter });
  const list = h("ul", { class: "tbx-run-list" });
  const above = h("li", { class: "tbx-run-spacer", "aria-hidden": "true" });
  const below = h("li", { class: "tbx-run-spacer", "aria-hidden": "true" });
  for (const s of [above, below]) Object.assign(s.style, { listStyle: "none", margin: "0", padding: "0", height: "0px" });
  const note = h("li", { class: "tbx-card-note" });
  const allBtn = h("button", { type: "button", class: "tbx-btn", text: "all" });
  const noneBtn = h("button", { type: "button", class: "tbx-btn", text: "none" });
  const count = h("span", { class: "tbx-count" });
  const el = h("div", { class: "tbx-runs" },
    h("div", { class: "tbx-panel-title" }, h("span", { text: "Runs" }, count), allBtn, noneBtn), runInput, list);

  runInput.addEventListener("input", () => {
    ui.runFilter = runInput.value;
    ui.changed();
  });
  allBtn.addEventListener("click", () => {
    ui.hidden.clear();
    ui.changed();
  });
  noneBtn.addEventListener("click", () => {
    for (const r of ui.entries(store)) if (ui.entryMatches(r.name)) ui.hidden.add(r.name);
    ui.changed();
  });

  let shown: RunInfo[] = [];
  let sessions = new Map<string, string[]>();
  let rowPx = 0;
  const rows = new Map<string, Row>(); // rendered rows by run name

  const makeRow = (run: string): Row => {
    const box = h("input", { type: "checkbox" });
    box.addEventListener("change", () => {
      if (box.checked) ui.hidden.delete(run);
      else ui.hidden.add(run);
      ui.changed();
    });
    const sw = swatch("");
    const name = h("span", { class: "tbx-run-name" });
    const label = h("label", {}, box, sw, name);
    const li = h("li", { class: "tbx-run" }, label);
    li.dataset.tbxRun = run;
    return { li, label, box, sw, name, color: "" };
  };

  const fillRow = (row: Row, run: RunInfo): void => {
    const label = ui.runLabel(store, run.name);
    const folded = sessions.get(run.name) ?? [];
    const title = [run.name, ...folded.map((c) => `+ hparams session ${c}`)].join("\n");
    if (row.label.title !== title) row.label.title = title;
    if (row.name.textContent !== label) row.name.textContent = label;
    row.box.setAttribute("aria-label", `show run ${label}`);
    row.box.checked = !ui.hidden.has(run.name);
    if (row.color !== run.color) row.sw.style.background = row.color = run.color; // (style reads normalise)
    if (folded.length) row.li.dataset.tbxFolded = folded.join("\n");
    else delete row.li.dataset.tbxFolded;
  };

  /** Put the rows in view into the DOM (rows that stay are neither moved nor rebuilt). */
  const render = (refill: boolean): void => {
    if (shown.length === 0) {
      for (const r of rows.values()) r.li.remove();
      rows.clear();
      note.textContent = store.runs.length ? "No runs match the filter." : "No runs yet.";
      list.replaceChildren(note);
      return;
    }
    if (note.isConnected || above.parentNode !== list) list.replaceChildren(above, below);
    const px = rowPx || DEFAULT_ROW_PX;
    const [first, last] = visibleWindow(shown.length, list.scrollTop, list.clientHeight, px);
    above.style.height = `${first * px}px`;
    below.style.height = `${(shown.length - last) * px}px`;
    const want = new Set<string>();
    for (let i = first; i < last; i++) want.add(shown[i].name);
    for (const [name, r] of rows) {
      if (!want.has(name)) {
        r.li.remove();
        rows.delete(name);
      }
    }
    let cursor: ChildNode | null = above.nextSibling;
    for (let i = first; i < last; i++) {
      const run = shown[i];
      let row = rows.get(run.name);
      const fresh = row === undefined;
      if (!row) {
        row = makeRow(run.name);
        rows.set(run.name, row);
      }
      if (fresh || refill) fillRow(row, run);
      if (cursor === row.li) cursor = cursor.nextSibling;
      else list.insertBefore(row.li, cursor);
    }
    if (!rowPx) {
      const first = rows.values().next().value;
      const measured = first ? first.li.getBoundingClientRect().height : 0;
      if (measured > 0) {
        rowPx = measured;
        render(false); // again with the real row height
      }
    }
  };

  let scrollQueued = false;
  list.addEventListener("scroll", () => {
    if (scrollQueued) return;
    scrollQueued = true;
    const run = () => {
      scrollQueued = false;
      render(false);
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(run);
    else setTimeout(run, 0);
  });

  let lastSig = "";
  const sync = () => {
    if (runInput.value !== ui.runFilter) runInput.value = ui.runFilter;
    runInput.classList.toggle("tbx-invalid", ui.runFilter !== "" && !isValidRegex(ui.runFilter));
    const entries = ui.entries(store);
    const folds = ui.folds(store);
    const re = ui.runRegex();
    const next = re ? entries.filter((r) => re.test(r.name)) : entries;
    let sig = `${ui.logdir};${ui.runFilter};${store.runs.length};${folds.size};${ui.hidden.size};`;
    for (const name of ui.hidden) sig += `${name}\u0000`;
    for (const [c, p] of folds) sig += `${c}>${p}|`;
    sig += ";";
    for (const r of next) sig += `${r.name}:${r.color}|`;
    if (sig === lastSig) return; // keep the scroll position and focus while data streams in
    lastSig = sig;
    shown = next;
    count.textContent = shown.length === entries.length ? String(entries.length) : `${shown.length} of ${entries.length}`;
    sessions = new Map();
    for (const [child, parent] of folds) sessions.set(parent, [...(sessions.get(parent) ?? []), child]);
    render(true);
  };
  sync();
  return { el, sync };
}
