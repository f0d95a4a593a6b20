// The frame the 3-D cards share (meshes, surfaces, embeddings): one run's entry at the chosen step,
// picked with a run picker and a step slider in the card's tools, drawn into the card's share of
// the WebGL scene, redrawn when the theme changes; the card redraws only when what it shows changed.
import { Memo } from "../chart/memo";
import { SceneCache } from "../gl/scene";
import type { EmbeddingEntry, MeshEntry, SurfaceEntry } from "../protocol";
import { onThemeChange } from "../theme";
import { cardShell, h, type CardView, type ViewContext } from "../ui";
import { entryAt } from "./curves";
import { StepSlider, stepData, syncRunPicker } from "./stepslider";

/** The entry type of each kind a scene card shows. */
interface SceneEntries {
  meshes: MeshEntry;
  surfaces: SurfaceEntry;
  embeddings: EmbeddingEntry;
}

export type SceneKind = keyof SceneEntries;

/** What `SceneFrame.pick` found: the run picked, its entry at the slider's step (undefined when it
 *  has none there), the card's width and the signature of the shown runs' data. */
export interface Picked<E> {
  run: string;
  entry: E | undefined;
  width: number;
  dataSig: string;
}

export class SceneFrame<K extends SceneKind> {
  readonly el: HTMLElement;
  readonly tools: HTMLElement;
  readonly body: HTMLElement;
  readonly runSelect: HTMLSelectElement;
  readonly slider: StepSlider;
  /** The card's geometry on the shared WebGL renderer. */
  readonly scene = new SceneCache();
  private readonly memo = new Memo();
  /** The data signature the slider's steps were last set for. */
  private stepsFor: string | null = null;
  private readonly unsubscribeTheme: () => void;

  /**
   * A card of `kind` for `tag`: the run picker and the step slider go first in its tools.
   * `redraw` is called when the run, the step or the theme changes (it should `invalidate()`
   * and update); `width` is the card's least width and the one used before it is laid out.
   */
  constructor(
    private readonly kind: K,
    private readonly tag: string,
    private readonly ctx: ViewContext,
    private readonly width: { min: number; initial: number },
    redraw: () => void,
  ) {
    ({ el: this.el, tools: this.tools, body: this.body } = cardShell(kind, tag));
    this.runSelect = h("select", { class: "tbx-select", title: "Run shown", "aria-label": "run" });
    this.slider = new StepSlider(redraw);
    this.tools.append(this.runSelect, this.slider.el);
    this.runSelect.addEventListener("change", redraw);
    this.unsubscribeTheme = onThemeChange(redraw);
  }

  /** Forget what was drawn: the next `pick` finds something to draw. */
  invalidate(): void {
    this.memo.invalidate();
    this.stepsFor = null;
  }

  /**
   * Bring the run picker and the slider up to date with the store and pick the entry to show;
   * null when neither it nor `view` (whatever else the picture depends on) changed since the
   * last pick.
   */
  pick(view: readonly unknown[]): Picked<SceneEntries[K]> | null {
    const { byRun, runs, sig: dataSig, steps } = stepData(this.ctx, this.kind, this.tag);
    if (dataSig !== this.stepsFor) this.slider.setSteps(steps());
    this.stepsFor = dataSig;
    const width = Math.max(this.width.min, Math.floor(this.body.clientWidth) || this.width.initial);
    const run = syncRunPicker(this.runSelect, runs, this.ctx);
    if (!this.memo.changed([dataSig, this.slider.value, run, width, ...view].join(";"))) return null;
    const series = byRun.get(run) as { entries: readonly SceneEntries[K][] } | undefined;
    return { run, entry: entryAt(series?.entries ?? [], this.slider.value), width, dataSig };
  }

  /** The card: `update` redraws what changed; destroying it stops following the theme, runs
   *  `release` (the card's own resources) and frees its scene. */
  card(update: () => void, release: () => void = () => {}): CardView {
    return {
      el: this.el,
      update,
      destroy: () => {
        this.unsubscribeTheme();
        release();
        this.scene.dispose();
      },
    };
  }
}
