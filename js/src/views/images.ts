// Images: a card per tag; for the selected step a grid with a column per visible run, showing
// every image of that step side by side. Images are Blob object URLs, revoked when replaced.
import type { ImageEntry } from "../protocol";
import { cardShell, h, swatch, type CardView, type ViewContext } from "../ui";
import { StepSlider, stepData } from "./stepslider";

export function imageCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("images", tag);
  const slider = new StepSlider(() => {
    lastSig = "";
    update();
  });
  tools.append(slider.el);
  const grid = h("div", { class: "tbx-image-grid" });
  body.append(grid);
  let lastSig = "";
  let urls = new Map<ImageEntry, string>();

  function urlOf(entry: ImageEntry, next: Map<ImageEntry, string>): string | null {
    if (!entry.data || typeof URL.createObjectURL !== "function") return null;
    let url = urls.get(entry);
    if (!url) url = URL.createObjectURL(new Blob([entry.data as Uint8Array<ArrayBuffer>], { type: entry.mime }));
    next.set(entry, url);
    return url;
  }

  function update(): void {
    const { byRun, runs, sig: sigData, steps } = stepData(ctx, "images", tag);
    if (sigData !== lastSig.split(";")[0]) slider.setSteps(steps());
    const step = slider.value;
    const sig = `${sigData};${step}`;
    if (sig === lastSig) return;
    lastSig = sig;
    grid.textContent = "";
    const next = new Map<ImageEntry, string>();
    if (runs.length === 0) {
      grid.append(h("div", { class: "tbx-card-note", text: "No visible run has images for this tag." }));
    }
    for (const run of runs) {
      const entries = (byRun.get(run.name)?.entries ?? []).filter((e) => e.step === step);
      // The newest copy of each index wins (a step may be logged again after a restart).
      const byIndex = new Map<number, ImageEntry>();
      for (const e of entries) byIndex.set(e.index, e);
      const cell = h("div", { class: "tbx-image-cell" }, h("div", { class: "tbx-run-label" }, swatch(run.color), h("span", { text: run.name })));
      const row = h("div", { class: "tbx-image-row" });
      if (byIndex.size === 0) row.append(h("div", { class: "tbx-card-note", text: "no image at this step" }));
      for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
        const e = byIndex.get(index) as ImageEntry;
        const url = urlOf(e, next);
        if (url) {
          const img = h("img", { class: "tbx-image", src: url, alt: `${tag}/${e.step}`, title: `${run.name} · step ${e.step} · ${e.width}×${e.height} (click to enlarge)` });
          img.addEventListener("click", () => img.classList.toggle("tbx-image-full"));
          row.append(img);
        } else {
          row.append(h("div", { class: "tbx-card-note", text: e.note ?? `image (${e.width}×${e.height}) not available` }));
        }
      }
      cell.append(row);
      grid.append(cell);
    }
    for (const [entry, url] of urls) if (next.get(entry) !== url) URL.revokeObjectURL(url);
    urls = next;
  }

  return {
    el,
    update,
    destroy() {
      for (const url of urls.values()) URL.revokeObjectURL(url);
      urls.clear();
    },
  };
}
