// Images: a card per tag; for the selected step a grid with a column per visible run, showing
// every image of that step side by side. Images are Blob object URLs, revoked when replaced.
// Each image takes its on-screen size before it has loaded (no layout jump when the step
// changes); small images are scaled up by whole factors and drawn pixelated. Clicking an image
// opens it enlarged in a dialog (with an actual-size toggle). The card's "adjust" controls set the
// brightness and contrast of its images (CSS filters; the enlarged view too).
import type { ImageEntry } from "../protocol";
import { Memo } from "../chart/memo";
import { cardShell, h, swatch, toggleButton, type CardView, type ViewContext } from "../ui";
import { StepSlider, stepData } from "./stepslider";

/** Edge of the box a thumbnail fits in (CSS pixels). */
export const THUMB = 160;

/**
 * On-screen size of a `width` x `height` image fitted into a `boxW` x `boxH` box: large images
 * shrink to fit, small ones grow by the largest whole factor that fits (so pixels stay square
 * blocks). Unknown sizes (0) give null.
 */
export function fitSize(width: number, height: number, boxW: number, boxH: number): { width: number; height: number; scale: number } | null {
  if (!(width > 0 && height > 0 && boxW > 0 && boxH > 0)) return null;
  const fit = Math.min(boxW / width, boxH / height);
  const scale = fit >= 1 ? Math.max(1, Math.floor(fit)) : fit;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}

function sizeImage(img: HTMLImageElement, e: ImageEntry, boxW: number, boxH: number): number {
  const s = fitSize(e.width, e.height, boxW, boxH);
  if (!s) return 1;
  img.width = s.width;
  img.height = s.height;
  img.classList.toggle("tbx-pixelated", s.scale > 1);
  return s.scale;
}

/** Brightness and contrast range of the adjust controls (percent; 100 leaves the image as is). */
export const ADJUST_MAX = 300;

/** The CSS filter for `brightness` and `contrast` in percent ("none" for 100/100). */
export function imageFilter(brightness: number, contrast: number): string {
  for (const [name, v] of [["brightness", brightness], ["contrast", contrast]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name}: expected a percentage >= 0, got ${v}`);
  }
  if (brightness === 100 && contrast === 100) return "none";
  return `brightness(${brightness / 100}) contrast(${contrast / 100})`;
}

/**
 * The adjust controls of an image card: a toggle button (for the card's tools) and a panel with
 * brightness and contrast sliders and a reset; they set `--tbx-image-filter` on `card`.
 */
function adjustControls(card: HTMLElement): { button: HTMLButtonElement; panel: HTMLElement } {
  const values = { brightness: 100, contrast: 100 };
  const outputs: Record<string, HTMLElement> = {};
  const inputs: Record<string, HTMLInputElement> = {};
  const apply = () => {
    const filter = imageFilter(values.brightness, values.contrast);
    card.style.setProperty("--tbx-image-filter", filter);
    card.dataset.tbxFilter = filter;
    for (const k of ["brightness", "contrast"] as const) {
      inputs[k].value = String(values[k]);
      outputs[k].textContent = `${values[k]}%`;
    }
  };
  const row = (name: "brightness" | "contrast") => {
    const input = h("input", { type: "range", min: 0, max: ADJUST_MAX, step: 5, value: 100, "aria-label": name });
    input.addEventListener("input", () => {
      values[name] = Number(input.value);
      apply();
    });
    inputs[name] = input;
    outputs[name] = h("span", { class: "tbx-image-adjust-value" });
    return h("label", { class: "tbx-image-adjust-row" }, h("span", { text: name }), input, outputs[name]);
  };
  const reset = h("button", { type: "button", class: "tbx-btn", text: "reset", title: "Back to 100% brightness and contrast" });
  reset.addEventListener("click", () => {
    values.brightness = 100;
    values.contrast = 100;
    apply();
  });
  const panel = h("div", { class: "tbx-image-adjust", hidden: true }, row("brightness"), row("contrast"), reset);
  const button = toggleButton("adjust", "Brightness and contrast of this card's images", false, (on) => {
    panel.hidden = !on;
  });
  apply();
  return { button, panel };
}

/** The enlarged view: a modal dialog (the browser's top layer, above any notebook scrolling). */
function openViewer(host: HTMLElement, url: string, e: ImageEntry, caption: string): HTMLDialogElement {
  const img = h("img", { class: "tbx-image-large", src: url, alt: caption });
  const fit = () => {
    const vw = typeof innerWidth === "number" && innerWidth > 0 ? innerWidth : 1024;
    const vh = typeof innerHeight === "number" && innerHeight > 0 ? innerHeight : 768;
    return sizeImage(img, e, Math.floor(vw * 0.85), Math.floor(vh * 0.75));
  };
  const note = h("span", { class: "tbx-card-note" });
  const describe = (scale: number) => {
    note.textContent = `${caption} · ${e.width}×${e.height}${Math.abs(scale - 1) > 1e-9 ? ` shown ×${Number(scale.toPrecision(3))}` : " actual size"}`;
  };
  describe(fit());
  const actual = toggleButton("actual size", "Show the image pixel for pixel", false, (on) => {
    if (on) {
      img.width = e.width || img.naturalWidth;
      img.height = e.height || img.naturalHeight;
      img.classList.remove("tbx-pixelated");
      describe(1);
    } else describe(fit());
  });
  const close = h("button", { type: "button", class: "tbx-btn", text: "close", title: "Close (Esc)" });
  const dialog = h("dialog", { class: "tbx-image-dialog", "aria-label": caption },
    h("div", { class: "tbx-image-dialog-bar" }, note, actual, close),
    h("div", { class: "tbx-image-dialog-body" }, img));
  const done = () => {
    if (dialog.open && typeof dialog.close === "function") dialog.close();
    dialog.remove();
  };
  close.addEventListener("click", done);
  img.addEventListener("click", done);
  dialog.addEventListener("close", () => dialog.remove());
  // Escape closes it here, before the notebook's own Escape shortcut can claim the key.
  dialog.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      ev.preventDefault();
      ev.stopPropagation();
      done();
    }
  });
  // A click on the backdrop (the dialog element itself, outside its content) closes it.
  dialog.addEventListener("click", (ev) => {
    if (ev.target === dialog) done();
  });
  host.append(dialog);
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
  return dialog;
}

export function imageCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("images", tag);
  const slider = new StepSlider(() => {
    memo.invalidate();
    update();
  });
  const adjust = adjustControls(el);
  tools.append(slider.el, adjust.button);
  const grid = h("div", { class: "tbx-image-grid" });
  body.append(adjust.panel, grid);
  const memo = new Memo(); // what is shown: the data and the step
  const stepsMemo = new Memo(); // the data the slider's steps come from
  let shownCount = 0; // grids built, so a decode that finishes late knows it was replaced
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
    if (stepsMemo.changed(sigData)) slider.setSteps(steps());
    const step = slider.value;
    const sig = `${sigData};${step}`;
    if (!memo.changed(sig)) return;
    const mine = ++shownCount;
    // Hold the grid's height while the new images decode (no collapse, no scroll jump).
    const held = grid.offsetHeight;
    if (held > 0) grid.style.minHeight = `${held}px`;
    grid.textContent = "";
    const next = new Map<ImageEntry, string>();
    const pending: Promise<unknown>[] = [];
    if (runs.length === 0) {
      grid.append(h("div", { class: "tbx-card-note", text: "No visible run has images for this tag." }));
    }
    for (const run of runs) {
      const label = ctx.ui.runLabel(ctx.store, run.name);
      const entries = (byRun.get(run.name)?.entries ?? []).filter((e) => e.step === step);
      // The newest copy of each index wins (a step may be logged again after a restart).
      const byIndex = new Map<number, ImageEntry>();
      for (const e of entries) byIndex.set(e.index, e);
      const cell = h("div", { class: "tbx-image-cell" }, h("div", { class: "tbx-run-label" }, swatch(run.color), h("span", { text: label })));
      const row = h("div", { class: "tbx-image-row" });
      if (byIndex.size === 0) row.append(h("div", { class: "tbx-card-note", text: "no image at this step" }));
      for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
        const e = byIndex.get(index) as ImageEntry;
        const url = urlOf(e, next);
        if (url) {
          const caption = `${label} · step ${e.step}${byIndex.size > 1 ? ` · #${e.index}` : ""}`;
          const img = h("img", { class: "tbx-image", src: url, alt: `${tag}/${e.step}`, title: `${caption} · ${e.width}×${e.height} (click to enlarge)` });
          sizeImage(img, e, THUMB, THUMB);
          img.addEventListener("click", () => openViewer(el, url, e, `${tag} · ${caption}`));
          if (typeof img.decode === "function") pending.push(img.decode().catch(() => undefined));
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
    void Promise.all(pending).then(() => {
      if (shownCount === mine) grid.style.minHeight = "";
    });
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
