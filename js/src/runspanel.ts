// The runs panel: a run filter, all/none buttons and one checkbox per run. Session runs written
// by `add_hparams` are folded into the run that logged them (one entry, one colour, see
// runfold.ts); the root run "." is named after the log directory. Long lists scroll inside.
import { h, isValidRegex, swatch, type ViewContext } from "./ui";

export interface RunsPanel {
  readonly el: HTMLElement;
  /** Redraw the list from the store and the UiState. */
  sync(): void;
}

/** The runs panel over `ctx`'s store; toggling a run or filtering writes `ctx.ui`. */
export function createRunsPanel(ctx: ViewContext): RunsPanel {
  const { store, ui } = ctx;
  const runInput = h("input", { type: "search", class: "tbx-input", placeholder: "filter runs (regex)", "aria-label": "run filter", value: ui.runFilter });
  const list = h("ul", { class: "tbx-run-list" });
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

  let lastSig = "";
  const sync = () => {
    if (runInput.value !== ui.runFilter) runInput.value = ui.runFilter;
    runInput.classList.toggle("tbx-invalid", ui.runFilter !== "" && !isValidRegex(ui.runFilter));
    const entries = ui.entries(store);
    const folds = ui.folds(store);
    const shown = entries.filter((r) => ui.entryMatches(r.name));
    const sig = [ui.logdir, ui.runFilter, [...ui.hidden].join("\u0000"),
      shown.map((r) => `${r.name}:${r.color}`).join("|"), [...folds].join("|"), store.runs.length].join(";");
    if (sig === lastSig) return; // keep the scroll position and focus while data streams in
    lastSig = sig;
    count.textContent = shown.length === entries.length ? String(entries.length) : `${shown.length} of ${entries.length}`;
    const sessions = new Map<string, string[]>();
    for (const [child, parent] of folds) sessions.set(parent, [...(sessions.get(parent) ?? []), child]);
    list.textContent = "";
    for (const run of shown) {
      const label = ui.runLabel(store, run.name);
      const folded = sessions.get(run.name) ?? [];
      const title = [run.name, ...folded.map((c) => `+ hparams session ${c}`)].join("\n");
      const box = h("input", { type: "checkbox", checked: !ui.hidden.has(run.name), "aria-label": `show run ${label}` });
      box.addEventListener("change", () => {
        if (box.checked) ui.hidden.delete(run.name);
        else ui.hidden.add(run.name);
        ui.changed();
      });
      const item = h("li", { class: "tbx-run" },
        h("label", { title }, box, swatch(run.color), h("span", { class: "tbx-run-name", text: label })));
      item.dataset.tbxRun = run.name;
      if (folded.length) item.dataset.tbxFolded = folded.join("\n");
      list.append(item);
    }
    if (list.childElementCount === 0) {
      list.append(h("li", { class: "tbx-card-note", text: store.runs.length ? "No runs match the filter." : "No runs yet." }));
    }
  };
  sync();
  return { el, sync };
}
