// The dashboard toolbar: tag filter, smoothing (slider and number box), x axis and run grouping
// (groupcontrol.ts). It writes into the shared UiState and reflects it back (`sync`), so
// settings set elsewhere show here.
import { createGroupControl } from "./groupcontrol";
import { h, isValidRegex, type UiState, type XAxis } from "./ui";

export interface Toolbar {
  readonly el: HTMLElement;
  /** Show the UiState's current values (filter validity, smoothing, x axis). */
  sync(): void;
}

/** Largest smoothing weight the number box accepts (the slider stops at 0.99, as TensorBoard's). */
export const MAX_SMOOTHING = 0.999;
const SLIDER_MAX = 0.99;

/** A smoothing weight from user input, clamped to [0, MAX_SMOOTHING]; null when not a number. */
export function parseSmoothing(text: string): number | null {
  if (text.trim() === "") return null;
  const v = Number(text);
  if (!Number.isFinite(v)) return null;
  return Math.min(Math.max(v, 0), MAX_SMOOTHING);
}

/** The toolbar bound to `ui`: its controls write the UiState and `sync` shows it back. */
export function createToolbar(ui: UiState): Toolbar {
  const tagInput = h("input", { type: "search", class: "tbx-input", placeholder: "filter tags (regex)", "aria-label": "tag filter", value: ui.tagFilter });
  const smoothRange = h("input", { type: "range", min: 0, max: SLIDER_MAX, step: 0.01, value: ui.smoothing, "aria-label": "smoothing", class: "tbx-smooth-range" });
  const smoothNum = h("input", { type: "number", min: 0, max: MAX_SMOOTHING, step: 0.001, value: ui.smoothing, "aria-label": "smoothing value", class: "tbx-input tbx-smooth-num" });
  const xSelect = h("select", { class: "tbx-select", "aria-label": "x axis" },
    h("option", { value: "step", text: "step" }), h("option", { value: "relative", text: "relative time" }), h("option", { value: "wall", text: "wall time" }));
  xSelect.value = ui.xAxis;
  const group = createGroupControl(ui);
  const el = h("div", { class: "tbx-toolbar" },
    tagInput,
    h("label", { class: "tbx-field" }, h("span", { text: "smoothing" }), smoothRange, smoothNum),
    h("label", { class: "tbx-field" }, h("span", { text: "x axis" }), xSelect),
    group.el);

  tagInput.addEventListener("input", () => {
    ui.tagFilter = tagInput.value;
    ui.changed();
  });
  const setSmoothing = (text: string) => {
    const w = parseSmoothing(text);
    if (w === null) {
      smoothNum.value = String(ui.smoothing); // not a number: show the weight in use again
      return;
    }
    if (Number(smoothNum.value) !== w) smoothNum.value = String(w); // clamped: show what applies
    if (w === ui.smoothing) return;
    ui.smoothing = w;
    ui.changed();
  };
  smoothRange.addEventListener("input", () => setSmoothing(smoothRange.value));
  // The number box applies on Enter as well as on leaving it.
  smoothNum.addEventListener("change", () => setSmoothing(smoothNum.value));
  smoothNum.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      setSmoothing(smoothNum.value);
    }
  });
  xSelect.addEventListener("change", () => {
    ui.xAxis = xSelect.value as XAxis;
    ui.changed();
  });

  const sync = () => {
    tagInput.classList.toggle("tbx-invalid", ui.tagFilter !== "" && !isValidRegex(ui.tagFilter));
    if (tagInput.value !== ui.tagFilter) tagInput.value = ui.tagFilter;
    const rangeValue = String(Math.min(ui.smoothing, SLIDER_MAX));
    if (smoothRange.value !== rangeValue) smoothRange.value = rangeValue;
    if (Number(smoothNum.value) !== ui.smoothing && document.activeElement !== smoothNum) smoothNum.value = String(ui.smoothing);
    if (xSelect.value !== ui.xAxis) xSelect.value = ui.xAxis;
    group.sync();
  };
  sync();
  return { el, sync };
}
