// Past TensorBoard's front end (issue 14): pinned cards, the step selected across cards, JSON download,
// image brightness/contrast.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { attach } from "../src/session";
import { SAVE_DELAY_MS, applySettings, parseSettings, settingsOf } from "../src/settings";
import { UiState } from "../src/ui";
import { StepSlider, linkSteps, stepAtOrBefore } from "../src/views/stepslider";
import { scalarsCsv, scalarsJson } from "../src/views/scalarexport";
import { imageFilter } from "../src/views/images";
import { ScalarSeries } from "../src/store";
import { BatchBuilder, FakeModel, stubObjectUrls } from "./helpers";

class SavingModel extends FakeModel {
  saved = 0;
  save_changes(): void {
    this.saved++;
  }
}

function data(): BatchBuilder {
  return new BatchBuilder()
    .scalars("a", "loss", [0, 1, 2], [1, 0.5, 0.25])
    .scalars("a", "acc", [0, 1, 2], [0.1, 0.5, 0.9])
    .scalars("a", "train/lr", [0, 1, 2], [0.1, 0.1, 0.1])
    .text("a", "notes", 0, "hello");
}

function render(model: SavingModel): HTMLElement {
  const el = document.createElement("div");
  document.body.append(el);
  widget.render({ model, el });
  return el.querySelector(".tbx-dashboard") as HTMLElement;
}

/** A dashboard on run "a" showing `batch` (`data()` by default). */
function mount(batch: BatchBuilder = data()): { model: SavingModel; root: HTMLElement } {
  const model = new SavingModel({ logdir: "runs/x", height: 500, tag_filter: "", run_filter: "", status: "ok", error: "", _sent_seq: 0 });
  widget.initialize({ model });
  const root = render(model);
  const { msg, buffers } = batch.build(1, true, ["a"]);
  model.emit("msg:custom", msg, buffers);
  attach(model).store.flush();
  return { model, root };
}

const card = (root: HTMLElement, kind: string, tag: string) =>
  root.querySelector(`.tbx-card[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`) as HTMLElement;
const pinOf = (c: HTMLElement) => c.querySelector(".tbx-card-pin") as HTMLButtonElement;
const pinnedTags = (root: HTMLElement) =>
  [...root.querySelectorAll('[data-tbx-section="pinned"] .tbx-card')].map((c) => (c as HTMLElement).dataset.tbxTag);

beforeEach(stubObjectUrls);
afterEach(() => {
  document.body.textContent = "";
});

describe("pinned cards", () => {
  it("settings keep the pins in order and leave them out when there are none", () => {
    expect(parseSettings({ pinned: ["scalars/loss", "text/notes", "scalars/loss"] }).pinned).toEqual(["scalars/loss", "text/notes"]);
    expect(parseSettings({ pinned: [1] }).pinned).toBeUndefined();
    const ui = new UiState();
    expect("pinned" in settingsOf(ui)).toBe(false);
    applySettings(ui, { pinned: ["text/notes", "scalars/acc"] });
    expect(settingsOf(ui).pinned).toEqual(["text/notes", "scalars/acc"]);
    applySettings(ui, {});
    expect(ui.pinned).toEqual([]);
  });

  it("a pinned card moves to a Pinned section on top, in pin order, and back when unpinned", () => {
    vi.useFakeTimers();
    try {
      const { model, root } = mount();
      const board = root.querySelector('[data-tbx-section="pinned"]') as HTMLDetailsElement;
      expect(board.hidden).toBe(true);
      // The board comes before every other section.
      expect((root.querySelector(".tbx-main > .tbx-section") as HTMLElement).dataset.tbxSection).toBe("pinned");
      expect(pinOf(card(root, "scalars", "loss")).hidden).toBe(false);
      pinOf(card(root, "text", "notes")).click();
      pinOf(card(root, "scalars", "acc")).click();
      expect(board.hidden).toBe(false);
      expect(pinnedTags(root)).toEqual(["notes", "acc"]);
      expect(pinOf(card(root, "scalars", "acc")).getAttribute("aria-pressed")).toBe("true");
      expect(card(root, "scalars", "acc").closest('[data-tbx-section="scalars"]')).toBeNull();
      // The scalars section still counts the pinned card among its shown tags.
      expect((root.querySelector('[data-tbx-section="scalars"] .tbx-count') as HTMLElement).textContent).toBe("3");
      // Pinned cards stay whatever the tag filter says.
      const tags = root.querySelector('input[aria-label="tag filter"]') as HTMLInputElement;
      tags.value = "^loss$";
      tags.dispatchEvent(new Event("input"));
      expect(pinnedTags(root)).toEqual(["notes", "acc"]);
      expect(card(root, "scalars", "train/lr")).toBeNull();
      tags.value = "";
      tags.dispatchEvent(new Event("input"));

      vi.advanceTimersByTime(SAVE_DELAY_MS + 1);
      expect(model.get("view_settings").pinned).toEqual(["text/notes", "scalars/acc"]);

      // A re-rendered view keeps them (same order); unpinning there puts the card back in its group.
      const root2 = render(model);
      expect(pinnedTags(root2)).toEqual(["notes", "acc"]);
      pinOf(card(root2, "text", "notes")).click();
      expect(pinnedTags(root2)).toEqual(["acc"]);
      expect(card(root2, "text", "notes").closest('[data-tbx-section="text"]')).not.toBeNull();
      expect(pinOf(card(root2, "text", "notes")).getAttribute("aria-pressed")).toBe("false");
      vi.advanceTimersByTime(SAVE_DELAY_MS + 1);
      expect(model.get("view_settings").pinned).toEqual(["scalars/acc"]);
      // ...and the first view follows.
      expect(pinnedTags(root)).toEqual(["acc"]);
      pinOf(card(root, "scalars", "acc")).click();
      expect(board.hidden).toBe(true);
      expect(card(root, "scalars", "acc").closest('[data-tbx-section="scalars"]')).not.toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});

function textData(): BatchBuilder {
  const b = new BatchBuilder();
  for (const s of [0, 10, 20]) b.text("a", "notes", s, `notes at ${s}`);
  for (const s of [0, 15]) b.text("a", "other", s, `other at ${s}`);
  return b.scalars("a", "loss", [0, 10, 20], [3, 2, 1]);
}

const mountText = (): HTMLElement => mount(textData()).root;

const shownText = (root: HTMLElement, tag: string) =>
  (card(root, "text", tag).querySelector(".tbx-text-entry") as HTMLElement).textContent?.match(/(notes|other) at \d+/)?.[0];
const moveSlider = (root: HTMLElement, tag: string, index: number) => {
  const input = card(root, "text", tag).querySelector(".tbx-step-range") as HTMLInputElement;
  input.value = String(index);
  input.dispatchEvent(new Event("input"));
};

describe("step selected across cards", () => {
  it("stepAtOrBefore picks the nearest step at or before, the first when all are after", () => {
    expect(stepAtOrBefore([0, 10, 20], 15)).toBe(10);
    expect(stepAtOrBefore([0, 10, 20], 20)).toBe(20);
    expect(stepAtOrBefore([5, 10], 1)).toBe(5);
    expect(stepAtOrBefore([], 3)).toBeNull();
  });

  it("a slider outside a dashboard keeps its own step", () => {
    const s = new StepSlider(() => undefined);
    s.setSteps([0, 10, 20]);
    const input = s.el.querySelector("input") as HTMLInputElement;
    input.value = "1";
    input.dispatchEvent(new Event("input"));
    expect(s.value).toBe(10);
  });

  it("a linked slider follows the selected step, refreshes its label, and its link button links all", () => {
    const ui = new UiState();
    const root = document.createElement("div");
    linkSteps(root, ui);
    const s = new StepSlider(() => undefined);
    root.append(s.el);
    s.setSteps([0, 10, 20]);
    const link = s.el.querySelector(".tbx-step-link") as HTMLButtonElement;
    expect(link.hidden).toBe(false);
    ui.selectedStep = 12;
    expect(s.value).toBe(20); // not linked: its own (newest) step
    link.click();
    expect([ui.stepsLinked, ui.selectedStep]).toEqual([true, null]); // it showed its newest
    ui.selectedStep = 12;
    expect(s.value).toBe(10);
    expect(s.el.textContent).toContain("step 10 (2/3)");
    expect(s.el.classList.contains("tbx-step-following")).toBe(true);
    expect(link.getAttribute("aria-pressed")).toBe("true");
    link.click();
    expect([ui.stepsLinked, ui.selectedStep, s.value]).toEqual([false, null, 20]);
    expect(s.el.classList.contains("tbx-step-following")).toBe(false);
  });

  it("linked: moving one card's slider moves the others to the nearest step at or before", () => {
    const root = mountText();
    const bar = root.querySelector(".tbx-stepbar") as HTMLElement;
    expect(bar.hidden).toBe(true);
    // Not linked: each card its own step.
    moveSlider(root, "notes", 1);
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 10", "other at 15"]);
    // Linking starts from the step of the card whose button was pressed.
    (card(root, "text", "notes").querySelector(".tbx-step-link") as HTMLButtonElement).click();
    expect(bar.hidden).toBe(false);
    expect(bar.dataset.tbxStep).toBe("10");
    expect(bar.textContent).toContain("step 10 selected");
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 10", "other at 0"]);
    expect((card(root, "text", "other").querySelector(".tbx-step-link") as HTMLButtonElement).getAttribute("aria-pressed")).toBe("true");
    moveSlider(root, "other", 0); // step 0 everywhere
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 0", "other at 0"]);
    moveSlider(root, "notes", 1);
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 10", "other at 0"]);
    // A slider's last step: every card's newest (and new steps are followed).
    moveSlider(root, "other", 1);
    expect(bar.dataset.tbxStep).toBe("");
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 20", "other at 15"]);
    moveSlider(root, "notes", 0);
    (bar.querySelector(".tbx-stepbar-newest") as HTMLButtonElement).click();
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 20", "other at 15"]);
    // Unlinked from the bar: each card back to its own step (notes: 10, picked before linking).
    moveSlider(root, "notes", 0);
    (bar.querySelector(".tbx-stepbar-unlink") as HTMLButtonElement).click();
    expect(bar.hidden).toBe(true);
    moveSlider(root, "other", 0);
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 10", "other at 0"]);
  });

  it("linked, a click (not a drag) on a scalar chart selects the data step under the cursor", () => {
    const root = mountText();
    const loss = card(root, "scalars", "loss");
    // jsdom draws no chart: stand in for uPlot's cursor on the chart's overlay.
    (loss as unknown as { tbxChart: unknown }).tbxChart = { cursor: { idx: 1 }, data: [[0, 10, 20]] };
    const over = document.createElement("div");
    over.className = "u-over";
    loss.querySelector(".tbx-card-body")?.append(over);
    const click = (dx: number) => {
      over.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, clientX: 50, clientY: 50 }));
      over.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: 50 + dx, clientY: 50 }));
    };
    click(1); // not linked: nothing
    expect((root.querySelector(".tbx-stepbar") as HTMLElement).hidden).toBe(true);
    (card(root, "text", "notes").querySelector(".tbx-step-link") as HTMLButtonElement).click();
    click(30); // a drag (zoom): no
    expect((root.querySelector(".tbx-stepbar") as HTMLElement).dataset.tbxStep).toBe("");
    over.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, clientX: 50, clientY: 50 }));
    over.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: 51, clientY: 50 }));
    expect((root.querySelector(".tbx-stepbar") as HTMLElement).dataset.tbxStep).toBe("10");
    expect([shownText(root, "notes"), shownText(root, "other")]).toEqual(["notes at 10", "other at 0"]);
  });
});

describe("JSON download on scalar cards", () => {
  it("scalarsJson: per run step, wall_time, value and TensorBoard's smoothing; non-finite as null", () => {
    const s = new ScalarSeries();
    s.append(new Float64Array([0, 1, 2, 3]), new Float64Array([10, 11, 12, 13]), new Float64Array([1, 0, NaN, 2]));
    const out = scalarsJson("loss", 0.5, [{ run: "a", label: "a", s }]);
    expect(out.tag).toBe("loss");
    expect(out.smoothing).toBe(0.5);
    const r = out.runs[0];
    expect([r.run, r.step, r.wall_time, r.value]).toEqual(["a", [0, 1, 2, 3], [10, 11, 12, 13], [1, 0, null, 2]]);
    // debiased EMA: 1, (0.5*0.5+0)/(0.75)=1/3, NaN passes through, then (0.25*0.5+0.5*2)/(0.875)
    expect(r.smoothed[0]).toBeCloseTo(1);
    expect(r.smoothed[1]).toBeCloseTo(1 / 3);
    expect(r.smoothed[2]).toBeNull();
    expect(r.smoothed[3]).toBeCloseTo((0.125 + 1) / 0.875);
  });

  it("scalarsCsv: one line per point in logged order, a run name with a comma or quote quoted", () => {
    const s = new ScalarSeries();
    s.append(new Float64Array([0, 5]), new Float64Array([10, 11]), new Float64Array([1.5, NaN]));
    expect(scalarsCsv([{ run: "a", s }, { run: 'lr=0.1,"b"', s }])).toBe(
      'run,step,wall_time,value\na,0,10,1.5\na,5,11,NaN\n"lr=0.1,""b""",0,10,1.5\n"lr=0.1,""b""",5,11,NaN\n');
  });

  it("the JSON button downloads the visible runs under the tag's name", async () => {
    const root = mountText();
    let saved: { name: string; blob: Blob } | null = null;
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      const calls = (URL.createObjectURL as unknown as { mock: { calls: unknown[][] } }).mock.calls;
      saved = { name: this.download, blob: calls[calls.length - 1][0] as Blob };
    });
    try {
      const json = [...card(root, "scalars", "loss").querySelectorAll("button")].find((b) => b.textContent === "JSON") as HTMLButtonElement;
      json.click();
      expect(saved).not.toBeNull();
      const got = saved as unknown as { name: string; blob: Blob };
      expect(got.name).toBe("loss.json");
      expect(got.blob.type).toBe("application/json");
      const data = JSON.parse(await got.blob.text());
      expect(data.runs.map((r: { run: string }) => r.run)).toEqual(["a"]);
      expect(data.runs[0].step).toEqual([0, 10, 20]);
      expect(data.runs[0].value).toEqual([3, 2, 1]);
      expect(data.smoothing).toBe(0.6);
      expect(data.runs[0].smoothed).toHaveLength(3);
    } finally {
      click.mockRestore();
    }
  });
});

const PNG_1x1 = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));

describe("image brightness and contrast", () => {
  it("imageFilter: none at 100/100, CSS brightness and contrast otherwise, rejects bad values", () => {
    expect(imageFilter(100, 100)).toBe("none");
    expect(imageFilter(150, 80)).toBe("brightness(1.5) contrast(0.8)");
    expect(imageFilter(0, 100)).toBe("brightness(0) contrast(1)");
    expect(() => imageFilter(-5, 100)).toThrow(/brightness.*-5/);
    expect(() => imageFilter(100, NaN)).toThrow(/contrast/);
  });

  it("the card's adjust controls set the filter of that card's images only, and reset", () => {
    const model = new SavingModel({ logdir: "runs/x", height: 500, tag_filter: "", run_filter: "", status: "ok", error: "", _sent_seq: 0 });
    widget.initialize({ model });
    const root = render(model);
    const b = new BatchBuilder().images("a", "one", 0, PNG_1x1).images("a", "two", 0, PNG_1x1);
    const { msg, buffers } = b.build(1, true, ["a"]);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    const one = card(root, "images", "one");
    const two = card(root, "images", "two");
    const panel = one.querySelector(".tbx-image-adjust") as HTMLElement;
    expect(panel.hidden).toBe(true);
    const toggle = [...one.querySelectorAll("button")].find((x) => x.textContent === "adjust") as HTMLButtonElement;
    toggle.click();
    expect(panel.hidden).toBe(false);
    const bright = panel.querySelector('input[aria-label="brightness"]') as HTMLInputElement;
    const contrast = panel.querySelector('input[aria-label="contrast"]') as HTMLInputElement;
    bright.value = "150";
    bright.dispatchEvent(new Event("input"));
    contrast.value = "60";
    contrast.dispatchEvent(new Event("input"));
    expect(one.style.getPropertyValue("--tbx-image-filter")).toBe("brightness(1.5) contrast(0.6)");
    expect(panel.textContent).toContain("150%");
    expect(two.style.getPropertyValue("--tbx-image-filter")).toBe("none");
    // The filter survives the images being rebuilt for another step (it is on the card).
    expect(one.querySelector("img.tbx-image")).not.toBeNull();
    (panel.querySelector("button") as HTMLButtonElement).click();
    expect(one.style.getPropertyValue("--tbx-image-filter")).toBe("none");
    expect([bright.value, contrast.value]).toEqual(["100", "100"]);
    toggle.click();
    expect(panel.hidden).toBe(true);
  });
});
