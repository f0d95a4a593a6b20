// Toolbar, runs panel (with add_hparams sessions folded into their runs), key isolation.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { decodeBatch } from "../src/protocol";
import { computeFolds, parentRun } from "../src/runfold";
import { SAVE_DELAY_MS, parseSettings } from "../src/settings";
import { createToolbar, parseSmoothing } from "../src/toolbar";
import { Store } from "../src/store";
import { CARD_RESIZE_EVENT, UiState, cardShell } from "../src/ui";
import { hparamsTable, layoutHeaders, spreadTicks, truncate } from "../src/views/hparams";
import { fitSize } from "../src/views/images";
import { StepSlider } from "../src/views/stepslider";
import { confusionStats } from "../src/views/pr";
import { attach } from "../src/session";
import { BatchBuilder, FakeModel, stubObjectUrls } from "./helpers";
import { setControl } from "./controls";

const START = (lr: number) => [
  { record: "experiment", data: { hparams: [{ name: "lr", type: "DATA_TYPE_FLOAT64" }], metrics: [{ tag: "hparam/acc", group: "" }] } },
  { record: "session_start", data: { hparams: { lr }, group_name: "" } },
  { record: "session_end", data: { status: "STATUS_SUCCESS" } },
];

/** Two trainings `lr=0.1`, `lr=0.01`, each with one add_hparams child run (tensorboardX layout). */
function sweep(): BatchBuilder {
  return new BatchBuilder()
    .scalars("lr=0.1", "loss", [0, 1], [1, 0.5])
    .scalars("lr=0.01", "loss", [0, 1], [1, 0.8])
    .hparams("lr=0.1/1733000000.5", START(0.1))
    .scalars("lr=0.1/1733000000.5", "hparam/acc", [0], [0.9])
    .hparams("lr=0.01/1733000001.25", START(0.01))
    .scalars("lr=0.01/1733000001.25", "hparam/acc", [0], [0.7]);
}

function storeOf(b: BatchBuilder, runs: string[]): Store {
  const store = new Store();
  const { msg, buffers } = b.build(1, true, runs);
  store.apply(decodeBatch(msg, buffers));
  return store;
}

beforeEach(stubObjectUrls);
afterEach(() => {
  document.body.textContent = "";
});

describe("folding add_hparams session runs", () => {
  it("parentRun goes one directory up, the root for top-level runs", () => {
    expect(parentRun("a/b/1733.5")).toBe("a/b");
    expect(parentRun("1733.5")).toBe(".");
    expect(parentRun(".")).toBeNull();
  });

  it("folds each training's single session child into it, with the parent's colour", () => {
    const store = storeOf(sweep(), ["lr=0.1", "lr=0.01", "lr=0.1/1733000000.5", "lr=0.01/1733000001.25"]);
    expect([...computeFolds(store)]).toEqual([
      ["lr=0.1/1733000000.5", "lr=0.1"],
      ["lr=0.01/1733000001.25", "lr=0.01"],
    ]);
    const ui = new UiState();
    expect(ui.entries(store).map((r) => r.name)).toEqual(["lr=0.1", "lr=0.01"]);
    const child = ui.visibleRuns(store).find((r) => r.name === "lr=0.1/1733000000.5");
    expect(child?.color).toBe(store.run("lr=0.1")?.color);
    expect(store.run("lr=0.1/1733000000.5")?.color).toBe(store.run("lr=0.1")?.color); // no slot of its own
    expect(ui.runLabel(store, "lr=0.1/1733000000.5")).toBe("lr=0.1");
    // Hiding the entry hides the session too; the run filter matches the entry's name.
    ui.hidden.add("lr=0.1");
    expect(ui.visibleRuns(store).map((r) => r.name)).toEqual(["lr=0.01", "lr=0.01/1733000001.25"]);
    ui.hidden.clear();
    ui.runFilter = "^lr=0\\.01$";
    expect(ui.visibleRuns(store).map((r) => r.name)).toEqual(["lr=0.01", "lr=0.01/1733000001.25"]);
  });

  it("keeps sessions apart when one writer logged several, when the parent is no run, or the child has other data", () => {
    // One writer at the root, three add_hparams calls: three sessions, three entries.
    const many = new BatchBuilder().scalars(".", "loss", [0], [1]).hparams("a", START(0.1)).hparams("b", START(0.2)).hparams("c", START(0.3));
    expect(computeFolds(storeOf(many, [".", "a", "b", "c"])).size).toBe(0);
    // A single session under the root folds into it.
    const one = new BatchBuilder().scalars(".", "loss", [0], [1]).hparams("1733.5", START(0.1));
    expect([...computeFolds(storeOf(one, [".", "1733.5"]))]).toEqual([["1733.5", "."]]);
    // No parent run: the session stays on its own.
    const orphan = new BatchBuilder().hparams("x/1733.5", START(0.1));
    expect(computeFolds(storeOf(orphan, ["x/1733.5"])).size).toBe(0);
    // A child with images is a run of its own (Keras-like sub-runs never hold a session anyway).
    const rich = new BatchBuilder().scalars("r", "loss", [0], [1]).hparams("r/s", START(0.1)).images("r/s", "img", 0, new Uint8Array([1]));
    expect(computeFolds(storeOf(rich, ["r", "r/s"])).size).toBe(0);
    // The parent logged its own session: the child is another one.
    const both = new BatchBuilder().hparams("p", START(0.1)).hparams("p/s", START(0.2));
    expect(computeFolds(storeOf(both, ["p", "p/s"])).size).toBe(0);
  });

  it("labels a run by its entry, the root run after the log directory", () => {
    const store = storeOf(new BatchBuilder().scalars(".", "loss", [0], [1]).hparams("1733.5", START(0.1)), [".", "1733.5"]);
    const ui = new UiState();
    ui.logdir = "/tmp/runs/exp1/";
    expect(ui.runLabel(store, ".")).toBe("exp1");
    expect(ui.runLabel(store, "1733.5")).toBe("exp1");
    ui.logdir = "";
    expect(ui.runLabel(store, ".")).toBe("(root)");
  });
});

/** The fake model plus anywidget's save_changes (counted). */
class SavingModel extends FakeModel {
  saved = 0;
  save_changes(): void {
    this.saved++;
  }
}

function mount(batch: BatchBuilder, runs: string[], logdir = "runs/sweep") {
  const model = new SavingModel({ logdir, height: 500, tag_filter: "", run_filter: "", status: "ok", error: "", _sent_seq: 0 });
  widget.initialize({ model });
  const el = document.createElement("div");
  document.body.append(el);
  widget.render({ model, el });
  const { msg, buffers } = batch.build(1, true, runs);
  model.emit("msg:custom", msg, buffers);
  attach(model).store.flush();
  return { model, root: el.querySelector(".tbx-dashboard") as HTMLElement };
}

describe("runs panel", () => {
  it("lists one entry per training, the root run under the logdir's name, in a scrolling list", () => {
    const b = sweep().scalars(".", "loss", [0], [2]);
    const { root } = mount(b, [".", "lr=0.1", "lr=0.01", "lr=0.1/1733000000.5", "lr=0.01/1733000001.25"]);
    const names = [...root.querySelectorAll(".tbx-run-name")].map((s) => s.textContent);
    expect(names).toEqual(["sweep", "lr=0.1", "lr=0.01"]);
    const item = root.querySelector('.tbx-run[data-tbx-run="lr=0.1"]') as HTMLElement;
    expect(item.dataset.tbxFolded).toBe("lr=0.1/1733000000.5");
    expect(root.querySelector(".tbx-runs .tbx-count")?.textContent).toBe("3");
    // Unticking the entry hides the session's row in the HParams table too.
    setControl(item, "input", false);
    const rows = [...root.querySelectorAll('[data-tbx-kind="hparams"] tbody tr')].map((tr) => (tr as HTMLElement).dataset.tbxRun);
    expect(rows).toEqual(["lr=0.01/1733000001.25"]);
  });
});

describe("toolbar", () => {
  it("parses smoothing input, clamping to [0, 0.999]", () => {
    expect(parseSmoothing("0.95")).toBe(0.95);
    expect(parseSmoothing("5")).toBe(0.999);
    expect(parseSmoothing("-1")).toBe(0);
    expect(parseSmoothing("")).toBeNull();
    expect(parseSmoothing("abc")).toBeNull();
  });

  it("applies the smoothing number on Enter, and moves the slider with it", () => {
    const ui = new UiState();
    let changes = 0;
    ui.subscribe(() => changes++);
    const bar = createToolbar(ui);
    document.body.append(bar.el);
    const num = bar.el.querySelector('input[aria-label="smoothing value"]') as HTMLInputElement;
    const range = bar.el.querySelector('input[aria-label="smoothing"]') as HTMLInputElement;
    num.focus();
    num.value = "0.9";
    num.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(ui.smoothing).toBe(0.9);
    expect(changes).toBe(1);
    bar.sync();
    expect(range.value).toBe("0.9");
    num.value = "7";
    num.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(ui.smoothing).toBe(0.999);
    expect(num.value).toBe("0.999");
  });

  it("keeps key presses inside the dashboard from the notebook, but not Shift+Enter or Ctrl chords", () => {
    const { root } = mount(sweep(), ["lr=0.1", "lr=0.01"]);
    const seen: string[] = [];
    const onDoc = (e: KeyboardEvent) => seen.push(`${e.shiftKey ? "S-" : ""}${e.ctrlKey ? "C-" : ""}${e.key}`);
    document.addEventListener("keydown", onDoc);
    const range = root.querySelector('input[aria-label="smoothing"]') as HTMLInputElement;
    for (const init of [{ key: "ArrowRight" }, { key: "a" }, { key: "Enter", shiftKey: true }, { key: "s", ctrlKey: true }]) {
      range.dispatchEvent(new KeyboardEvent("keydown", { ...init, bubbles: true }));
    }
    document.removeEventListener("keydown", onDoc);
    expect(seen).toEqual(["S-Enter", "C-s"]);
    // Notebook 7's Lumino listens in the capture phase, before the widget: it finds the root
    // marked with data-lm-suppress-shortcuts for plain keys, unmarked for notebook chords.
    const marks: string[] = [];
    const onCapture = (e: KeyboardEvent) => marks.push(`${e.key}:${(e.target as Element).closest("[data-lm-suppress-shortcuts]") !== null}`);
    document.addEventListener("keydown", onCapture, true);
    range.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    range.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true }));
    document.removeEventListener("keydown", onCapture, true);
    expect(marks).toEqual(["ArrowLeft:true", "Enter:false"]);
  });
});

describe("image cards", () => {
  it("fits images into the thumbnail box: whole-number growth for small ones, shrink for large ones", () => {
    expect(fitSize(28, 28, 160, 160)).toEqual({ width: 140, height: 140, scale: 5 });
    expect(fitSize(640, 320, 160, 160)).toEqual({ width: 160, height: 80, scale: 0.25 });
    expect(fitSize(160, 100, 160, 160)).toEqual({ width: 160, height: 100, scale: 1 });
    expect(fitSize(0, 10, 160, 160)).toBeNull();
  });

  it("sizes each image before it loads, keeps the slider label width, and enlarges an image on click", () => {
    const b = new BatchBuilder();
    for (const step of [0, 5, 10, 100]) b.images("train", "samples", step, new Uint8Array([step]));
    const { root } = mount(b, ["train"]);
    const card = root.querySelector('[data-tbx-kind="images"]') as HTMLElement;
    const img = card.querySelector("img.tbx-image") as HTMLImageElement;
    // The 1x1 test image grows to the box by a whole factor, drawn pixelated.
    expect([img.width, img.height]).toEqual([160, 160]);
    expect(img.classList.contains("tbx-pixelated")).toBe(true);
    const label = card.querySelector(".tbx-step-label") as HTMLElement;
    expect(label.textContent).toBe("step 100 (4/4)");
    const width = label.style.minWidth;
    expect(width).toBe(`${"step 100 (4/4)".length}ch`);
    setControl(card, ".tbx-step-range", "0", "input");
    expect(label.textContent).toBe("step 0 (1/4)");
    expect(label.style.minWidth).toBe(width);
    (card.querySelector("img.tbx-image") as HTMLImageElement).click();
    const dialog = card.querySelector("dialog.tbx-image-dialog") as HTMLDialogElement;
    expect(dialog).not.toBeNull();
    expect(dialog.open).toBe(true);
    expect(dialog.textContent).toContain("step 0");
    const large = dialog.querySelector("img.tbx-image-large") as HTMLImageElement;
    expect(large.width).toBeGreaterThan(160);
    (dialog.querySelector('button[aria-pressed]') as HTMLButtonElement).click();
    expect([large.width, large.height]).toEqual([1, 1]);
    expect(dialog.textContent).toContain("actual size");
    (dialog.querySelector('button[title^="Close"]') as HTMLButtonElement).click();
    expect(card.querySelector("dialog")).toBeNull();
  });
});

describe("PR card statistics", () => {
  it("reports undefined ratios as a dash with the reason, not NaN", () => {
    const stats = confusionStats({ tp: 0, fp: 0, tn: 6, fn: 4 });
    expect(stats.map((s) => [s.name, s.value])).toEqual([["accuracy", 0.6], ["precision", null], ["recall", 0], ["F1", 0]]);
    expect(stats[1].reason).toBe("no predicted positives at this threshold");
    expect(confusionStats({ tp: 0, fp: 0, tn: 6, fn: 0 })[3]).toMatchObject({ value: null, reason: "no actual or predicted positives" });
    expect(confusionStats({ tp: 3, fp: 1, tn: 5, fn: 1 }).map((s) => s.value)).toEqual([0.8, 0.75, 0.75, 0.75]);
  });

  it("shows the dash and the reason in the card at a threshold where nothing is predicted positive", () => {
    const b = new BatchBuilder().prCurves(".", "pr", [{ step: 0, tp: [4, 0], fp: [6, 0], tn: [0, 6], fn: [0, 4] }]);
    const { root } = mount(b, ["."]);
    setControl(root, 'input[aria-label="threshold"]', "1", "input");
    const note = root.querySelector(".tbx-pr-stats") as HTMLElement;
    expect(note.textContent).not.toContain("NaN");
    expect(note.textContent).toContain("precision – (no predicted positives at this threshold)");
    expect(root.querySelector(".tbx-matrix .tbx-run-label")?.textContent).toBe("sweep");
  });
});

describe("HParams panel", () => {
  const measure = (t: string) => 6 * t.length;

  it("thins tick labels closer than the gap, keeping both ends of the axis", () => {
    // y grows downwards: 200 is the bottom tick, 20 the top.
    expect(spreadTicks([200, 195, 150, 25, 20], 12)).toEqual([true, false, true, false, true]);
    expect(spreadTicks([100], 12)).toEqual([true]);
    const keep = spreadTicks([20, 26, 200, 140, 134], 12);
    expect(keep).toEqual([true, false, true, true, false]);
  });

  it("lays out column headers without overlaps and inside the plot, the last one included", () => {
    const labels = ["learning_rate", "optimizer", "hparam/accuracy_on_the_validation_set"];
    const xs = [12, 200, 388];
    const heads = layoutHeaders(labels, xs, 400, measure);
    for (let i = 0; i < heads.length; i++) {
      expect(heads[i].x).toBeGreaterThanOrEqual(2);
      expect(heads[i].x + measure(heads[i].text)).toBeLessThanOrEqual(398);
      if (i > 0) expect(heads[i].x).toBeGreaterThan(heads[i - 1].x + measure(heads[i - 1].text));
    }
    expect(heads[1].text).toBe("optimizer");
    expect(heads[2].text.endsWith("…")).toBe(true);
    expect(truncate("abcdef", 24, measure)).toBe("abc…");
    expect(truncate("abc", 24, measure)).toBe("abc");
  });

  it("folded sessions show as their training run, in its colour, with its metrics when the session has none", () => {
    const b = sweep().scalars("lr=0.1", "hparam/acc", [3], [0.95]);
    // The second session logged no metric of its own: its training run's last value is used.
    const store = storeOf(b, ["lr=0.1", "lr=0.01", "lr=0.1/1733000000.5", "lr=0.01/1733000001.25"]);
    const ui = new UiState();
    const t = hparamsTable(store, ui.folds(store));
    expect(t.rows.map((r) => [r.run, r.metrics["hparam/acc"]])).toEqual([
      ["lr=0.1/1733000000.5", 0.9],
      ["lr=0.01/1733000001.25", 0.7],
    ]);
    const { root } = mount(sweep(), ["lr=0.1", "lr=0.01", "lr=0.1/1733000000.5", "lr=0.01/1733000001.25"]);
    const cells = [...root.querySelectorAll('[data-tbx-kind="hparams"] tbody tr')].map((tr) => (tr.children[0] as HTMLElement).textContent?.trim());
    expect(cells).toEqual(["lr=0.01", "lr=0.1"]);
    const sw = root.querySelector('[data-tbx-kind="hparams"] tbody tr[data-tbx-run="lr=0.1/1733000000.5"] .tbx-swatch') as HTMLElement;
    const entry = root.querySelector('.tbx-run[data-tbx-run="lr=0.1"] .tbx-swatch') as HTMLElement;
    expect(sw.style.backgroundColor).toBe(entry.style.backgroundColor);
  });

  it("uses the training run's metric when the session logged none", () => {
    const b = new BatchBuilder().scalars("r", "hparam/acc", [5], [0.8]).hparams("r/1733.5", START(0.1));
    const store = storeOf(b, ["r", "r/1733.5"]);
    const t = hparamsTable(store, new UiState().folds(store));
    expect(t.rows.map((r) => r.metrics["hparam/acc"])).toEqual([0.8]);
    expect(hparamsTable(store).rows.map((r) => r.metrics["hparam/acc"])).toEqual([null]);
  });
});

describe("settings kept in the widget state", () => {
  it("parses only valid fields", () => {
    expect(parseSettings({ smoothing: 0.9, x_axis: "wall", tag_filter: "loss", run_filter: "lr", hidden_runs: ["a"], collapsed: ["section:text"] }))
      .toEqual({ smoothing: 0.9, x_axis: "wall", tag_filter: "loss", run_filter: "lr", hidden_runs: ["a"], collapsed: ["section:text"] });
    expect(parseSettings({ smoothing: 2, x_axis: "epoch", tag_filter: 3, hidden_runs: [1] })).toEqual({});
    expect(parseSettings(null)).toEqual({});
    expect(parseSettings([1])).toEqual({});
  });

  it("a re-rendered view starts from the settings the last one stored", async () => {
    vi.useFakeTimers();
    try {
      const { model, root } = mount(sweep(), ["lr=0.1", "lr=0.01"]);
      const num = root.querySelector('input[aria-label="smoothing value"]') as HTMLInputElement;
      num.value = "0.85";
      num.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      setControl(root, 'select[aria-label="x axis"]', "relative");
      setControl(root, '.tbx-run[data-tbx-run="lr=0.01"] input', false);
      expect(model.get("view_settings")).toBeUndefined(); // gathered, not sent yet
      vi.advanceTimersByTime(SAVE_DELAY_MS + 1);
      expect(model.get("view_settings")).toEqual({ smoothing: 0.85, x_axis: "relative", tag_filter: "", run_filter: "", hidden_runs: ["lr=0.01"], collapsed: [] });
      expect(model.saved).toBe(1);

      const el2 = document.createElement("div");
      document.body.append(el2);
      widget.render({ model, el: el2 });
      const root2 = el2.querySelector(".tbx-dashboard") as HTMLElement;
      expect((root2.querySelector('input[aria-label="smoothing"]') as HTMLInputElement).value).toBe("0.85");
      expect((root2.querySelector('select[aria-label="x axis"]') as HTMLSelectElement).value).toBe("relative");
      expect((root2.querySelector('.tbx-run[data-tbx-run="lr=0.01"] input') as HTMLInputElement).checked).toBe(false);
      // A change in one view shows in the other.
      setControl(root2, 'input[aria-label="tag filter"]', "loss", "input");
      vi.advanceTimersByTime(SAVE_DELAY_MS + 1);
      expect((root.querySelector('input[aria-label="tag filter"]') as HTMLInputElement).value).toBe("loss");
      // Collapsing a section (the user's click on its summary) is kept and shared too.
      const hp = root2.querySelector('[data-tbx-section="hparams"]') as HTMLDetailsElement;
      hp.open = false;
      hp.dispatchEvent(new Event("toggle"));
      vi.advanceTimersByTime(SAVE_DELAY_MS + 1);
      expect(model.get("view_settings").collapsed).toEqual(["section:hparams"]);
      expect((root.querySelector('[data-tbx-section="hparams"]') as HTMLDetailsElement).open).toBe(false);
      const el3 = document.createElement("div");
      document.body.append(el3);
      widget.render({ model, el: el3 });
      expect((el3.querySelector('[data-tbx-section="hparams"]') as HTMLDetailsElement).open).toBe(false);
      expect((el3.querySelector('[data-tbx-section="scalars"]') as HTMLDetailsElement).open).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("step slider", () => {
  it("follows the newest step until a step is picked; a picked step survives the data being resent", () => {
    let changes = 0;
    const s = new StepSlider(() => changes++);
    s.setSteps([0, 10, 20]);
    expect(s.value).toBe(20);
    s.setSteps([0, 10, 20, 30]);
    expect(s.value).toBe(30); // following
    setControl(s.el, "input", "1", "input");
    expect([s.value, changes]).toEqual([10, 1]);
    s.setSteps([0, 10, 20, 30, 40]);
    expect(s.value).toBe(10); // stays where picked
    s.setSteps([0]); // a resync arrives in parts: the nearest step before the pick meanwhile
    expect(s.value).toBe(0);
    s.setSteps([0, 10, 20, 30, 40]);
    expect(s.value).toBe(10);
    setControl(s.el, "input", "4", "input"); // back at the end: follows again
    s.setSteps([0, 10, 20, 30, 40, 50]);
    expect(s.value).toBe(50);
    s.setSteps([]);
    expect(s.value).toBeNull();
  });
});

describe("card full-width toggle", () => {
  it("spans the card over the grid and tells its section to redraw it", () => {
    const { el } = cardShell("pr_curves", "pr");
    document.body.append(el);
    let events = 0;
    document.body.addEventListener(CARD_RESIZE_EVENT, () => events++);
    const btn = el.querySelector('button[aria-label="full width"]') as HTMLButtonElement;
    btn.click();
    expect(el.classList.contains("tbx-card-wide")).toBe(true);
    expect(btn.getAttribute("aria-pressed")).toBe("true");
    btn.click();
    expect(el.classList.contains("tbx-card-wide")).toBe(false);
    expect(events).toBe(2);
  });
});

describe("sections across a resync", () => {
  it("a card whose tag leaves the store and comes back (a reset in parts) keeps its state", () => {
    const b = new BatchBuilder().prCurves(".", "pr", [PR_STEP(0), PR_STEP(1)]);
    const { model, root } = mount(b, ["."]);
    const card = root.querySelector('[data-tbx-kind="pr_curves"]') as HTMLElement;
    setControl(card, 'input[aria-label="step"]', "0", "input");
    (card.querySelector('button[aria-label="full width"]') as HTMLButtonElement).click();
    // The kernel resends everything: first a reset batch without the PR data, then the rest.
    const store = attach(model).store;
    let m = new BatchBuilder().scalars(".", "loss", [0], [1]).build(2, true, ["."]);
    model.emit("msg:custom", m.msg, m.buffers);
    store.flush();
    expect(root.querySelector('[data-tbx-kind="pr_curves"]')).toBeNull();
    m = new BatchBuilder().prCurves(".", "pr", [PR_STEP(0), PR_STEP(1)]).build(3, false, ["."]);
    model.emit("msg:custom", m.msg, m.buffers);
    store.flush();
    const again = root.querySelector('[data-tbx-kind="pr_curves"]') as HTMLElement;
    expect(again).toBe(card);
    expect(again.classList.contains("tbx-card-wide")).toBe(true);
    expect(again.querySelector(".tbx-step-label")?.textContent).toBe("step 0 (1/2)");
  });
});

function PR_STEP(step: number) {
  return { step, tp: [4, 0], fp: [6, 0], tn: [0, 6], fn: [0, 4] };
}
