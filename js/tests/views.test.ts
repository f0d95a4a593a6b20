import { afterEach, beforeEach, describe, expect, it } from "vitest";
import widget from "../src/index";
import { confusionAt, rocCurve, thresholdIndex } from "../src/math/roc";
import { decodeBatch } from "../src/protocol";
import { Store } from "../src/store";
import { currentLayout, chartLines, fullMatch } from "../src/views/customscalars";
import { compareCells, hparamsTable } from "../src/views/hparams";
import { BatchBuilder, FakeModel, stubObjectUrls } from "./helpers";

// Counts at thresholds 0, 0.5, 1 for 4 positives and 6 negatives.
const PR = { step: 3, tp: [4, 3, 0], fp: [6, 1, 0], tn: [0, 5, 6], fn: [0, 1, 4] };

function sweepBatch(): BatchBuilder {
  return new BatchBuilder()
    .hparams("lr_0.1", [
      { record: "experiment", data: { hparams: [{ name: "lr", type: "DATA_TYPE_FLOAT64" }, { name: "opt", type: "DATA_TYPE_STRING" }], metrics: [{ tag: "acc", group: "" }, { tag: "epoch_loss", group: "validation" }] } },
      { record: "session_start", data: { hparams: { lr: 0.1, opt: "sgd" }, group_name: "" } },
      { record: "session_end", data: { status: "STATUS_SUCCESS" } },
    ])
    .hparams("lr_0.01", [
      { record: "session_start", data: { hparams: { lr: 0.01, opt: "adam" }, group_name: "" } },
    ])
    .scalars("lr_0.1", "acc", [0, 1], [0.5, 0.9])
    .scalars("lr_0.01", "acc", [0, 1], [0.4, 0.7])
    .scalars("lr_0.1/validation", "epoch_loss", [0, 1], [0.8, 0.3]);
}

describe("decode of the other kinds", () => {
  it("decodes PR curves, audio, hparams and layouts, counting events as the kernel does", () => {
    const wav = new Uint8Array([82, 73, 70, 70]);
    const { msg, buffers } = sweepBatch()
      .prCurves("lr_0.1", "pr/cls", [PR, { ...PR, step: 4, tp: [4, 4], fp: [6, 2], tn: [0, 4], fn: [0, 0] }])
      .audio("lr_0.1", "voice", 2, wav)
      .layout(".", [{ title: "losses", closed: false, charts: [{ title: "both", kind: "multiline", tags: ["a.*"] }] }])
      .build(1, true, ["lr_0.1"]);
    const batch = decodeBatch(msg, buffers);
    // 3 + 1 hparams records, 6 scalar points, 2 PR steps, 1 clip, 1 layout.
    expect(batch.events).toBe(4 + 6 + 2 + 1 + 1);
    const pr = batch.items.find((i) => i.kind === "pr_curves");
    if (!pr || pr.kind !== "pr_curves") throw new Error("pr");
    expect(Array.from(pr.steps[0].tp)).toEqual(PR.tp);
    expect(Array.from(pr.steps[0].fn)).toEqual(PR.fn);
    expect(Array.from(pr.steps[1].fp)).toEqual([6, 2]);
    expect(pr.steps[0].precision[1]).toBeCloseTo(0.75);
    const au = batch.items.find((i) => i.kind === "audio");
    if (!au || au.kind !== "audio") throw new Error("audio");
    expect(au.entries[0]).toMatchObject({ step: 2, sampleRate: 8000, lengthFrames: 4000, mime: "audio/wav", label: "clip" });
    expect(Array.from(au.entries[0].data)).toEqual([82, 73, 70, 70]);
    const lay = batch.items.find((i) => i.kind === "custom_scalars");
    if (!lay || lay.kind !== "custom_scalars") throw new Error("layout");
    expect(lay.entries[0].categories[0].charts[0]).toEqual({ title: "both", kind: "multiline", tags: ["a.*"] });
  });
});

describe("ROC and confusion matrices", () => {
  it("computes rates, AUC and the matrix at a threshold from the counts", () => {
    const roc = rocCurve(PR.tp, PR.fp, PR.tn, PR.fn);
    expect(Array.from(roc.fpr)).toEqual([0, 0, 1 / 6, 1]);
    expect(Array.from(roc.tpr)).toEqual([0, 0, 0.75, 1]);
    // Trapezoids: (1/6)(0.75)/2 + (5/6)(1.75)/2
    expect(roc.auc).toBeCloseTo((1 / 6) * 0.375 + (5 / 6) * 0.875, 12);
    const m = confusionAt(PR.tp, PR.fp, PR.tn, PR.fn, thresholdIndex(0.5, 3));
    expect(m).toMatchObject({ threshold: 0.5, tp: 3, fp: 1, tn: 5, fn: 1, accuracy: 0.8, precision: 0.75, recall: 0.75 });
    expect(m.f1).toBeCloseTo(0.75);
  });

  it("a perfect classifier has AUC 1; one class only leaves it undefined", () => {
    expect(rocCurve([5, 5, 0], [5, 0, 0], [0, 5, 5], [0, 0, 5]).auc).toBe(1);
    expect(rocCurve([5, 2], [0, 0], [0, 0], [0, 3]).auc).toBeNaN();
  });
});

describe("hparams table", () => {
  it("rows hold each session's hparams and the last value of each metric, groups in sub-runs", () => {
    const store = new Store();
    const { msg, buffers } = sweepBatch().build(1, true, ["lr_0.1", "lr_0.01"]);
    store.apply(decodeBatch(msg, buffers));
    const t = hparamsTable(store);
    expect(t.hparams).toEqual(["lr", "opt"]);
    expect(t.metrics.map((m) => m.key)).toEqual(["acc", "validation/epoch_loss"]);
    expect(t.rows).toEqual([
      { run: "lr_0.1", hparams: { lr: 0.1, opt: "sgd" }, metrics: { acc: 0.9, "validation/epoch_loss": 0.3 }, status: "success" },
      { run: "lr_0.01", hparams: { lr: 0.01, opt: "adam" }, metrics: { acc: 0.7, "validation/epoch_loss": null }, status: "" },
    ]);
  });

  it("sorts numbers by value, then text, then missing values", () => {
    const cells = [null, "b", 10, 2, "a10", "a9", undefined];
    expect([...cells].sort(compareCells)).toEqual([2, 10, "a9", "a10", "b", null, undefined]);
  });
});

describe("highlight", () => {
  it("covers the session run, the run it was logged under and its group sub-runs", async () => {
    const { UiState } = await import("../src/ui");
    const ui = new UiState();
    ui.highlight = "exp1/1700000000.5";
    expect(["exp1", "exp1/1700000000.5", "exp1/1700000000.5/validation", "exp10", "exp2", "."].filter((r) => ui.isHighlighted(r)))
      .toEqual(["exp1", "exp1/1700000000.5", "exp1/1700000000.5/validation"]);
    ui.highlight = ".";
    expect([".", "a", "a/b"].filter((r) => ui.isHighlighted(r))).toEqual(["."]);
  });
});

describe("custom scalars", () => {
  it("multiline charts take tags matching a regex in full; margin charts pair value and bounds", () => {
    const store = new Store();
    const { msg, buffers } = new BatchBuilder()
      .scalars("r", "loss/train", [0], [1])
      .scalars("r", "loss/val", [0], [2])
      .scalars("r", "myloss/train", [0], [3])
      .scalars("r", "m", [0], [1])
      .scalars("r", "lo", [0], [0])
      .scalars("r", "hi", [0], [2])
      .layout("r", [{ title: "c", closed: false, charts: [
        { title: "losses", kind: "multiline", tags: ["loss/.*"] },
        { title: "band", kind: "margin", series: [{ value: "m", lower: "lo", upper: "hi" }] },
      ] }])
      .build(1, true, ["r"]);
    store.apply(decodeBatch(msg, buffers));
    const layout = currentLayout(store);
    expect(layout?.[0].charts.map((c) => c.title)).toEqual(["losses", "band"]);
    const runs = store.runs;
    expect(chartLines(layout![0].charts[0], store, runs).map((l) => l.tag)).toEqual(["loss/train", "loss/val"]);
    const band = chartLines(layout![0].charts[1], store, runs);
    expect(band).toHaveLength(1);
    expect(band[0].lower?.value[0]).toBe(0);
    expect(band[0].upper?.value[0]).toBe(2);
    expect(fullMatch("(")).toBeNull();
  });
});

describe("rendered cards", () => {
  beforeEach(stubObjectUrls);
  afterEach(() => {
    document.body.textContent = "";
  });

  it("shows PR cards with AUC and confusion matrices, audio players, the hparams table and custom charts", async () => {
    const model = new FakeModel({ logdir: "runs", height: 500, tag_filter: "", run_filter: "", status: "ok", error: "", _sent_seq: 0 });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.initialize({ model });
    const dispose = widget.render({ model, el });
    const { msg, buffers } = sweepBatch()
      .prCurves("lr_0.1", "pr/cls", [PR])
      .audio("lr_0.1", "voice", 2, new Uint8Array([1, 2]))
      .layout("lr_0.1", [{ title: "cat", closed: false, charts: [{ title: "acc chart", kind: "multiline", tags: ["acc"] }] }])
      .build(1, true, ["lr_0.1", "lr_0.01"]);
    model.emit("msg:custom", msg, buffers);
    await new Promise((r) => setTimeout(r, 40));
    const root = el.querySelector(".tbx-dashboard") as HTMLElement;
    expect(Number(root.dataset.tbxEvents)).toBe(4 + 6 + 1 + 1 + 1);

    const pr = root.querySelector('[data-tbx-kind="pr_curves"][data-tbx-tag="pr/cls"]') as HTMLElement;
    const curves = JSON.parse(pr.dataset.tbxCurves ?? "{}");
    expect(curves["lr_0.1"][0]).toBe(3);
    expect(curves["lr_0.1"][2]).toBeCloseTo((1 / 6) * 0.375 + (5 / 6) * 0.875);
    expect(curves["lr_0.1"][3]).toEqual([3, 1, 5, 1]);
    expect(pr.querySelector(".tbx-confusion")?.textContent).toContain("actual +");
    // The threshold slider moves the confusion matrix: at 0 everything is predicted positive.
    const th = pr.querySelector('input[aria-label="threshold"]') as HTMLInputElement;
    th.value = "0";
    th.dispatchEvent(new Event("input"));
    expect(JSON.parse(pr.dataset.tbxCurves ?? "{}")["lr_0.1"][3]).toEqual([4, 6, 0, 0]);
    expect([...pr.querySelectorAll(".tbx-confusion td")].map((td) => td.textContent)).toEqual(["4", "0", "6", "0"]);
    // Hovering the point of threshold 0.5 (recall 0.75, precision 0.75) shows its counts.
    const canvas = pr.querySelector("canvas") as HTMLCanvasElement;
    const px = 48 + 0.75 * (480 - 10 - 48);
    const py = 240 - 30 - 0.75 * (240 - 30 - 8);
    canvas.dispatchEvent(new MouseEvent("mousemove", { clientX: px + 2, clientY: py - 1 }));
    const tip = pr.querySelector(".tbx-tip") as HTMLElement;
    expect(tip.hidden).toBe(false);
    expect(tip.textContent).toContain("threshold 0.5");
    expect(tip.textContent).toContain("TP 3 · FP 1 · TN 5 · FN 1");
    // The ROC toggle keeps the same records (AUC unchanged).
    (pr.querySelector('button[title^="Show the ROC"]') as HTMLButtonElement).click();
    expect(JSON.parse(pr.dataset.tbxCurves ?? "{}")["lr_0.1"][2]).toBeCloseTo((1 / 6) * 0.375 + (5 / 6) * 0.875);

    const audio = root.querySelector('[data-tbx-kind="audio"][data-tbx-tag="voice"] audio') as HTMLAudioElement;
    expect(audio.getAttribute("src")).toMatch(/^blob:/);

    const rows = [...root.querySelectorAll('[data-tbx-kind="hparams"] tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent?.trim()));
    // Sorted by run name at first.
    expect(rows).toEqual([
      ["lr_0.01", "0.01", "adam", "0.7", "–", ""],
      ["lr_0.1", "0.1", "sgd", "0.9", "0.3", "success"],
    ]);
    // The filter box keeps the sessions whose run or cells match.
    const filter = root.querySelector('input[aria-label="hparams filter"]') as HTMLInputElement;
    filter.value = "adam";
    filter.dispatchEvent(new Event("input"));
    expect([...root.querySelectorAll('[data-tbx-kind="hparams"] tbody tr')].map((tr) => (tr as HTMLElement).dataset.tbxRun)).toEqual(["lr_0.01"]);
    filter.value = "";
    filter.dispatchEvent(new Event("input"));
    // Two clicks on the lr header sort it descending; clicking a row highlights it in the scalar card.
    (root.querySelector('[data-tbx-column="h:lr"]') as HTMLElement).click();
    (root.querySelector('[data-tbx-column="h:lr"]') as HTMLElement).click();
    await new Promise((r) => setTimeout(r, 20));
    const first = root.querySelector('[data-tbx-kind="hparams"] tbody tr') as HTMLElement;
    expect(first.dataset.tbxRun).toBe("lr_0.1");
    first.click();
    await new Promise((r) => setTimeout(r, 20));
    const accCard = root.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="acc"]') as HTMLElement;
    expect(JSON.parse(accCard.dataset.tbxHighlight ?? "")).toEqual(["lr_0.1"]);

    const custom = root.querySelector('[data-tbx-kind="custom_scalars"][data-tbx-tag="acc chart"]') as HTMLElement;
    expect(JSON.parse(custom.dataset.tbxSeries ?? "[]")).toEqual([["lr_0.1", "acc", 2, 1, 0.9], ["lr_0.01", "acc", 2, 1, 0.7]]);
    dispose();
    cleanup();
  });
});
