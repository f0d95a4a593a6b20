// The runs panel: a run filter, all/none buttons and one checkbox per run. Session runs written
// by `add_hparams` are folded into the run that logged them (one entry, one colour, see
// runfold.ts); the root run "." is named after the log directory. The list is virtualised: only
// the rows in view (and a margin either side) are in the DOM, two spacers standing for the rest,
// so a sweep of thousands of runs scrolls and filters without thousands of elements.
import type { RunInfo } from "./store";
import { Memo } from "./chart/memo";
import { h, isValidRegex, swatch, type ViewContext } from "./ui";
import { VirtualList } from "./virtuallist";

export { visibleWindow } from "./virtuallist";

export interface RunsPanel {
  readonly el: HTMLElement;
  /** Redraw the list from the store and the UiState. */
  sync(): void;
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
  // Two spacers stand for the rows out of view (padding would not do: the list's max-height
  // bounds its content box, so padding would make the list itself taller).
  const above = h("li", { class: "tbx-run-spacer", "aria-hidden": "true" });
  const below = h("li", { class: "tbx-run-spacer", "aria-hidden": "true" });
  for (const sp of [above, below]) Object.assign(sp.style, { listStyle: "none", margin: "0", padding: "0", height: "0px" });
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
  const rowOf = new WeakMap<HTMLElement, Row>();

  const makeRow = (run: RunInfo): HTMLElement => {
    const box = h("input", { type: "checkbox" });
    box.addEventListener("change", () => {
      if (box.checked) ui.hidden.delete(run.name);
      else ui.hidden.add(run.name);
      ui.changed();
    });
    const sw = swatch("");
    const name = h("span", { class: "tbx-run-name" });
    const label = h("label", {}, box, sw, name);
    const li = h("li", { class: "tbx-run" }, label);
    li.dataset.tbxRun = run.name;
    rowOf.set(li, { li, label, box, sw, name, color: "" });
    return li;
  };

  const fillRow = (li: HTMLElement, run: RunInfo): void => {
    const row = rowOf.get(li)!;
    const label = ui.runLabel(store, run.name);
    const folded = sessions.get(run.name) ?? [];
    const title = [run.name, ...folded.map((c) => `+ hparams session ${c}`)].join("\n");
    if (row.label.title !== title) row.label.title = title;
    if (row.name.textContent !== label) row.name.textContent = label;
    row.box.setAttribute("aria-label", `show run ${label}`);
    row.box.checked = !ui.hidden.has(run.name);
    const color = ui.runColor(store, run.name); // as the charts draw it (a selection's own colours)
    if (row.color !== color) row.sw.style.background = row.color = color; // (style reads normalise)
    if (folded.length) row.li.dataset.tbxFolded = folded.join("\n");
    else delete row.li.dataset.tbxFolded;
  };

  const pad = (top: number, bottom: number) => {
    above.style.height = `${top}px`;
    below.style.height = `${bottom}px`;
  };
  const rows = new VirtualList<RunInfo>({ scroller: list, parent: list, after: above, pad, key: (r) => r.name, make: makeRow, fill: fillRow });

  /** Put the rows in view into the DOM (or the note when there are none). */
  const render = (refill: boolean): void => {
    if (shown.length === 0) {
      rows.update([], false);
      note.textContent = store.runs.length ? "No runs match the filter." : "No runs yet.";
      list.replaceChildren(note);
      return;
    }
    if (above.parentNode !== list) list.replaceChildren(above, below);
    rows.update(shown, refill);
  };

  const memo = new Memo();
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
    for (const r of next) sig += `${r.name}:${ui.runColor(store, r.name)}|`;
    if (!memo.changed(sig)) return; // keep the scroll position and focus while data streams in
    shown = next;
    count.textContent = shown.length === entries.length ? String(entries.length) : `${shown.length} of ${entries.length}`;
    sessions = new Map();
    for (const [child, parent] of folds) sessions.set(parent, [...(sessions.get(parent) ?? []), child]);
    render(true);
  };
  sync();
  return { el, sync };
}
