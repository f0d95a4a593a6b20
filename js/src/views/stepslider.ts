// A step slider over the steps present in a card; it follows the newest step until the user
// picks another one (and follows again once moved back to the end). A picked step survives the
// data being resent (a resync arrives in parts).
import type { Kind } from "../protocol";
import type { ListSeries, RunInfo } from "../store";
import { h, type ViewContext } from "../ui";

type StepKind = Exclude<Kind, "scalars" | "histograms" | "hparams" | "custom_scalars">;

/** What a step-slider card shows: the series of `tag` by run, the visible runs with entries,
 * a signature that changes when any of those does, and (on demand) their steps. */
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
  private steps: number[] = [];
  /** The step the user picked; null to follow the newest step. */
  private wanted: number | null = null;

  constructor(private readonly onChange: () => void) {
    this.input = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, class: "tbx-step-range", "aria-label": "step" });
    this.label = h("span", { class: "tbx-step-label" });
    this.el = h("div", { class: "tbx-step" }, this.input, this.label);
    this.input.addEventListener("input", () => {
      const i = Number(this.input.value);
      this.wanted = i >= this.steps.length - 1 ? null : this.steps[i] ?? null;
      this.render();
      this.onChange();
    });
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
    const n = this.steps.length;
    if (n === 0) return null;
    if (this.wanted === null) return this.steps[n - 1];
    let v = this.steps[0];
    for (const s of this.steps) if (s <= this.wanted) v = s;
    return v;
  }

  private render(): void {
    const selected = this.value;
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
