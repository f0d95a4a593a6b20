// A step slider over the steps present in a card; it follows the newest step until the user
// picks another one (and follows again once moved back to the end). A picked step survives the
// data being resent (a resync arrives in parts). Inside a dashboard (an ancestor registered with
// linkSteps) the link button of any slider links every card's step (UiState.stepsLinked): moving
// a slider then selects that step for every card (UiState.selectedStep; its last step: every
// card's newest) and each shows the nearest step at or before it.
import type { Kind } from "../protocol";
import type { ListSeries, RunInfo } from "../store";
import { h, type UiState, type ViewContext } from "../ui";

const linkRoots = new WeakMap<Element, UiState>();

/** Link the step sliders inside `root` through `ui.selectedStep`. */
export function linkSteps(root: Element, ui: UiState): void {
  linkRoots.set(root, ui);
}

/** The UiState the sliders under `el` are linked through (the nearest registered ancestor). */
function linkedUi(el: Element): UiState | null {
  for (let e: Element | null = el; e; e = e.parentElement) {
    const ui = linkRoots.get(e);
    if (ui) return ui;
  }
  return null;
}

/** Select `step` across cards (null: every card's newest step); tells the listeners. */
export function selectStep(ui: UiState, step: number | null): void {
  if (ui.selectedStep === step) return;
  ui.selectedStep = step;
  ui.changed();
}

/** Link or unlink the cards' steps (unlinking clears the selected step); tells the listeners. */
export function setStepsLinked(ui: UiState, on: boolean, step: number | null = null): void {
  if (ui.stepsLinked === on && ui.selectedStep === step) return;
  ui.stepsLinked = on;
  ui.selectedStep = on ? step : null;
  ui.changed();
}

const LINKED_TITLE = "Steps linked across cards: moving this slider moves every card (click to unlink)";
const UNLINKED_TITLE = "Link the steps of every card: moving one slider moves all of them";

/** The nearest of sorted `steps` at or before `target` (the first step when all are after it). */
export function stepAtOrBefore(steps: readonly number[], target: number): number | null {
  if (steps.length === 0) return null;
  let v = steps[0];
  for (const s of steps) if (s <= target) v = s;
  return v;
}

type StepKind = Exclude<Kind, "scalars" | "histograms" | "hparams" | "custom_scalars">;

/** What a step-slider card shows: the series of `tag` by run, the visible runs with entries,
 * a signature that changes when any of those does, and (on demand) their steps. */
/** Keep a run picker listing `runs` (rebuilt only when they change; the picked run survives),
 * hidden when there is only one; return the picked run's name ("" when there are none). */
export function syncRunPicker(select: HTMLSelectElement, runs: readonly RunInfo[], ctx: ViewContext): string {
  const names = runs.map((r) => r.name);
  if ([...select.options].map((o) => o.value).join("\u0000") !== names.join("\u0000")) {
    const keep = select.value;
    select.textContent = "";
    for (const r of runs) select.append(h("option", { value: r.name, text: ctx.ui.runLabel(ctx.store, r.name), selected: r.name === keep }));
    select.hidden = runs.length <= 1;
  }
  return select.value || names[0] || "";
}

export function stepData<K extends StepKind>(ctx: ViewContext, kind: K, tag: string) {
  const byRun = ctx.store.byTag(kind, tag);
  const series = (run: string) => byRun.get(run) as ListSeries<{ step: number }> | undefined;
  const runs: RunInfo[] = ctx.ui.visibleRuns(ctx.store).filter((r) => (series(r.name)?.entries.length ?? 0) > 0);
  const sig = runs.map((r) => `${r.name}:${series(r.name)?.version}`).join("|");
  const steps = () => runs.flatMap((r) => (series(r.name)?.entries ?? []).map((e) => e.step));
  return { byRun, runs, sig, steps };
}

export class StepSlider {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly linkBtn: HTMLButtonElement;
  private steps: number[] = [];
  /** The step the user picked; null to follow the newest step. */
  private wanted: number | null = null;
  private shown: number | null = null;
  private shownLinked = false;

  constructor(private readonly onChange: () => void) {
    this.input = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, class: "tbx-step-range", "aria-label": "step" });
    this.label = h("span", { class: "tbx-step-label" });
    this.linkBtn = h("button", { type: "button", class: "tbx-btn tbx-step-link", "aria-pressed": "false", "aria-label": "link steps", title: UNLINKED_TITLE, text: "link" });
    this.linkBtn.hidden = true; // shown once inside a dashboard (render)
    this.el = h("div", { class: "tbx-step" }, this.input, this.label, this.linkBtn);
    this.input.addEventListener("input", () => {
      const i = Number(this.input.value);
      const ui = linkedUi(this.el);
      if (ui?.stepsLinked) {
        this.render();
        // every card redraws, this one too; its last step means every card's newest
        selectStep(ui, i >= this.steps.length - 1 ? null : this.steps[i] ?? null);
        this.onChange();
        return;
      }
      this.wanted = i >= this.steps.length - 1 ? null : this.steps[i] ?? null;
      this.render();
      this.onChange();
    });
    this.linkBtn.addEventListener("click", () => {
      const ui = linkedUi(this.el);
      if (!ui) return;
      // Linking starts from the step this card shows (its picked one, or every card's newest).
      setStepsLinked(ui, !ui.stepsLinked, ui.stepsLinked ? null : this.wanted === null ? null : this.compute());
      this.render();
      this.onChange();
    });
  }

  /** The step selected across cards that this slider follows; null when none or unlinked. */
  private selected(): number | null {
    const ui = linkedUi(this.el);
    return ui?.stepsLinked ? ui.selectedStep : null;
  }

  /** Set the available steps (any order, duplicates allowed). */
  setSteps(steps: Iterable<number>): void {
    this.steps = [...new Set(steps)].sort((a, b) => a - b);
    this.render();
  }

  /**
   * The step shown: the newest when following, else the one picked, or while that one is
   * missing (data being resent) the nearest step before it; null without steps.
   */
  get value(): number | null {
    const v = this.compute();
    // The selected step may have changed since the last render (another card moved it).
    const ui = linkedUi(this.el);
    if (v !== this.shown || (this.selected() !== null) !== this.shownLinked || (ui !== null && (this.linkBtn.hidden || this.linkBtn.getAttribute("aria-pressed") !== String(ui.stepsLinked)))) this.render();
    return v;
  }

  private compute(): number | null {
    const n = this.steps.length;
    if (n === 0) return null;
    const ui = linkedUi(this.el);
    if (ui?.stepsLinked) return ui.selectedStep === null ? this.steps[n - 1] : stepAtOrBefore(this.steps, ui.selectedStep);
    if (this.wanted === null) return this.steps[n - 1];
    return stepAtOrBefore(this.steps, this.wanted);
  }

  private render(): void {
    const selected = this.compute();
    const linked = this.selected();
    this.shown = selected;
    this.shownLinked = linked !== null;
    this.el.classList.toggle("tbx-step-following", linked !== null);
    this.label.title = linked === null ? "" : `Showing the nearest step at or before the selected step ${linked}`;
    const ui = linkedUi(this.el);
    this.linkBtn.hidden = ui === null;
    if (ui) {
      this.linkBtn.setAttribute("aria-pressed", String(ui.stepsLinked));
      this.linkBtn.title = ui.stepsLinked ? LINKED_TITLE : UNLINKED_TITLE;
    }
    const i = selected === null ? 0 : Math.max(0, this.steps.indexOf(selected));
    this.input.max = String(Math.max(0, this.steps.length - 1));
    this.input.value = String(i);
    this.input.disabled = this.steps.length <= 1;
    this.label.textContent = selected === null ? "no steps" : stepLabel(selected, i, this.steps.length);
    // As wide as the widest label these steps can give, so the slider never shifts sideways.
    const widest = this.steps.reduce((a, s) => (String(s).length > String(a).length ? s : a), 0);
    this.label.style.minWidth = `${stepLabel(widest, this.steps.length - 1, this.steps.length).length}ch`;
  }
}

/** "step 40 (3/10)": the step and its position among the card's steps. */
export function stepLabel(step: number, i: number, n: number): string {
  return `step ${step} (${i + 1}/${n})`;
}
