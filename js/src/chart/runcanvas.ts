// The per-run canvas card shared by histograms and distributions: one plot per visible run with
// histogram data for the tag, labelled with the run's swatch and name, redrawn when the data, the
// width, the card's own options or the theme change.
import type { HistogramStep } from "../protocol";
import type { RunInfo } from "../store";
import { onThemeChange, readTheme, type ThemeColors } from "../theme";
import { cardShell, h, swatch, type CardView, type ViewContext } from "../ui";
import { Memo } from "./memo";

export interface RunCanvasSpec {
  /** `data-tbx-kind` of the card. */
  kind: string;
  /** One run's plot (a canvas, or a box holding one). */
  plot(run: RunInfo, steps: readonly HistogramStep[], width: number, theme: ThemeColors): HTMLElement;
  /** The run's heading text; the run's label by default. */
  heading?(label: string, steps: readonly HistogramStep[]): string;
  /** Card options that change the drawing (part of the redraw signature). */
  options?(): string;
}

/** A card of per-run canvases for a histogram tag; `tools` takes the card's own controls. */
export function runCanvasCard(tag: string, ctx: ViewContext, spec: RunCanvasSpec): CardView & { tools: HTMLElement; redraw(): void } {
  const { el, tools, body } = cardShell(spec.kind, tag);
  const memo = new Memo();

  function update(): void {
    const byRun = ctx.store.byTag("histograms", tag);
    const runs = ctx.ui.visibleRuns(ctx.store).filter((r) => (byRun.get(r.name)?.entries.length ?? 0) > 0);
    const width = Math.max(240, Math.floor(body.clientWidth) || 480);
    const labels = runs.map((r) => ctx.ui.runLabel(ctx.store, r.name));
    const sig = [runs.map((r, i) => `${r.name}:${r.color}:${labels[i]}:${byRun.get(r.name)?.version}`).join("|"), spec.options?.() ?? "", width].join(";");
    if (!memo.changed(sig)) return;
    body.textContent = "";
    if (runs.length === 0) {
      body.append(h("div", { class: "tbx-card-note", text: "No visible run has data for this tag." }));
      return;
    }
    const theme = readTheme(el);
    runs.forEach((run, i) => {
      const steps = byRun.get(run.name)?.entries ?? [];
      const heading = spec.heading ? spec.heading(labels[i], steps) : labels[i];
      body.append(h("div", { class: "tbx-run-label" }, swatch(run.color), h("span", { text: heading })), spec.plot(run, steps, width, theme));
    });
  }

  const redraw = () => {
    memo.invalidate();
    update();
  };
  const unsubscribe = onThemeChange(redraw);
  return { el, tools, update, redraw, destroy: unsubscribe };
}
