import { afterEach, describe, expect, it, vi } from "vitest";
import { INTEGER_INCRS, allIntegers, chartAxes, paddedRange, tickLabels, yAxisSize } from "../src/chart/axes";
import { thinLabels } from "../src/chart/labels";
import { Memo } from "../src/chart/memo";
import { outlierRange } from "../src/math/columns";
import { decodeBatch } from "../src/protocol";
import { Store } from "../src/store";
import { UiState } from "../src/ui";
import { chartLines } from "../src/views/customscalars";
import { distributionCard } from "../src/views/distributions";
import { BatchBuilder } from "./helpers";
import { niceTicks } from "../src/ui";
import { nearestDefined, nearestRun, renderTip, sortTipRows, type TipOrder, type TipRow } from "../src/chart/tooltip";
import type { HistogramStep } from "../src/protocol";
import { onThemeChange, readTheme } from "../src/theme";
import { binReadout, histogramCard, pickBin, ridgeLayout } from "../src/views/histograms";

function step(s: number, limits: number[], counts: number[], min: number, max: number): HistogramStep {
  return { step: s, wallTime: s, limits: Float64Array.from(limits), counts: Float64Array.from(counts), min, max, num: 0, sum: 0, sumSquares: 0 };
}

describe("thinLabels", () => {
  it("keeps labels at least `gap` apart, the forced ones first", () => {
    const pos = Array.from({ length: 60 }, (_, i) => 10 + i * 2); // 2 px apart
    const kept = thinLabels(pos, 12, [59, 0]);
    expect(kept).toContain(59);
    expect(kept).toContain(0);
    for (let i = 1; i < kept.length; i++) expect(pos[kept[i]] - pos[kept[i - 1]]).toBeGreaterThanOrEqual(12);
    expect(kept.length).toBeGreaterThanOrEqual(9);
    expect(thinLabels([0, 20, 40], 12)).toEqual([0, 1, 2]);
    expect(() => thinLabels([0], -1)).toThrow(/gap must be >= 0, got -1/);
  });
});

describe("histogram ridges", () => {
  const steps = [
    step(0, [0, 1, 2, 3], [0, 10, 30, 10], -1, 3),
    step(5, [0, 1, 2, 3], [0, 5, 5, 40], -1, 3),
  ];

  it("re-bins the steps over their shared range, sorted by step", () => {
    const L = ridgeLayout([steps[1], steps[0]], "offset", 400, 200, 4);
    expect(L.steps.map((s) => s.step)).toEqual([0, 5]);
    expect([L.lo, L.hi]).toEqual([-1, 3]);
    expect(Array.from(L.counts[0])).toEqual([0, 10, 30, 10]);
    expect(L.cmax).toBe(40);
    expect(L.base[1]).toBeGreaterThan(L.base[0]); // newer ridges lower (in front)
  });

  it("reads out the bin under the cursor", () => {
    const L = ridgeLayout(steps, "overlay", 400, 200, 4);
    const binWidth = (L.right - L.left) / 4;
    // Over bin 3 near the top: step 5's curve (count 40) is the closest.
    const top = L.base[1] - L.ridge;
    const p = pickBin(L, "overlay", L.left + 3.5 * binWidth, top + 2);
    expect(p).toEqual({ step: 1, bin: 3 });
    expect(binReadout(L, p!)).toBe("step 5 · [2, 3] · count 40");
    // Over bin 2 around step 0's height (30 of 40).
    const q = pickBin(L, "overlay", L.left + 2.5 * binWidth, L.base[0] - 0.75 * L.ridge);
    expect(q).toEqual({ step: 0, bin: 2 });
    expect(binReadout(L, q!)).toBe("step 0 · [1, 2) · count 30");
    expect(pickBin(L, "overlay", L.right + 5, 50)).toBeNull();
  });

  it("picks the front-most offset ridge holding the point", () => {
    const L = ridgeLayout(steps, "offset", 400, 200, 4);
    const binWidth = (L.right - L.left) / 4;
    expect(pickBin(L, "offset", L.left + 3.5 * binWidth, L.base[1] - 1)).toEqual({ step: 1, bin: 3 });
    expect(pickBin(L, "offset", L.left + 0.5 * binWidth, L.base[0] - 1)?.step).toBe(0);
  });
});

describe("theme", () => {
  afterEach(() => {
    document.body.removeAttribute("data-jp-theme-light");
    document.body.style.removeProperty("--jp-ui-font-color1");
  });

  it("reads the host's colours from CSS variables", () => {
    const el = document.createElement("div");
    document.body.append(el);
    el.style.setProperty("--jp-ui-font-color1", "rgb(1, 2, 3)");
    expect(readTheme(el).fg).toBe("rgb(1, 2, 3)");
    el.style.setProperty("--tbx-fg", "rgb(9, 9, 9)");
    expect(readTheme(el).fg).toBe("rgb(9, 9, 9)");
    const vs = document.createElement("div");
    vs.style.setProperty("--vscode-editor-foreground", "#abcdef");
    document.body.append(vs);
    expect(readTheme(vs).fg).toBe("#abcdef");
    el.remove();
    vs.remove();
  });

  it("notifies subscribers when JupyterLab switches the theme, until unsubscribed", async () => {
    const fn = vi.fn();
    const off = onThemeChange(fn);
    document.body.setAttribute("data-jp-theme-light", "false");
    await new Promise((r) => setTimeout(r, 0));
    expect(fn).toHaveBeenCalledTimes(1);
    document.body.setAttribute("data-jp-theme-light", "true");
    await new Promise((r) => setTimeout(r, 0));
    expect(fn).toHaveBeenCalledTimes(2);
    off();
    document.body.setAttribute("data-jp-theme-light", "false");
    await new Promise((r) => setTimeout(r, 0));
    expect(fn).toHaveBeenCalledTimes(2);
    expect(() => onThemeChange(null as unknown as () => void)).toThrow(/fn must be a function, got object/);
  });
});

describe("chart axes", () => {
  it("gives a constant series a small range around its value", () => {
    const [lo, hi] = paddedRange(0.001, 0.001);
    expect(lo).toBeCloseTo(0.0009, 12);
    expect(hi).toBeCloseTo(0.0011, 12);
    // A smoothed constant differs by rounding only: still a constant.
    const [a, b] = paddedRange(0.001, 0.001 * (1 + 4e-16));
    expect(a).toBeCloseTo(0.0009, 12);
    expect(b).toBeCloseTo(0.0011, 12);
    expect(paddedRange(0, 0)).toEqual([-1, 1]);
    expect(paddedRange(-5, -5)).toEqual([-5.5, -4.5]);
    expect(paddedRange(0, 10)).toEqual([-0.5, 10.5]);
    expect(paddedRange(null, null)).toEqual([0, 1]);
  });

  it("leaves filtered log ticks blank and formats the rest readably", () => {
    expect(tickLabels([1, null, null, 0.7, null, 0.5])).toEqual(["1", "", "", "0.7", "", "0.5"]);
    expect(tickLabels([1e-4, 1e-5, 1e7])).toEqual(["1e-4", "1e-5", "1e+7"]);
  });

  it("sizes the y axis to its longest label", () => {
    expect(yAxisSize(["0.00105", "0.001"])).toBeGreaterThan(yAxisSize(["1", "2"]));
    expect(yAxisSize(["0.00105"])).toBeGreaterThanOrEqual(7 * 7);
    expect(yAxisSize(null)).toBe(50);
  });

  it("uses whole-number ticks for integer-only x", () => {
    expect(niceTicks(0, 2, 10, true)).toEqual([0, 1, 2]);
    expect(niceTicks(0, 2, 10)).toContain(0.2);
    expect(allIntegers(Float64Array.from([0, 1, 2]))).toBe(true);
    expect(allIntegers(Float64Array.from([0, 0.5]))).toBe(false);
    expect(INTEGER_INCRS.every((v) => Number.isInteger(v))).toBe(true);
    expect(INTEGER_INCRS.slice(0, 4)).toEqual([1, 2, 5, 10]);
    const theme = { fg: "#000", muted: "#555", grid: "#ccc", bg: "#fff", border: "#ddd" };
    expect(chartAxes(theme, "step", true)[0].incrs).toBe(INTEGER_INCRS);
    expect(chartAxes(theme, "step", false)[0].incrs).toBeUndefined();
    expect(chartAxes(theme, "step", true)[1].stroke).toBe("#000");
  });
});

describe("scalar tooltip", () => {
  const row = (run: string, value: number, dist: number): TipRow => ({ run, label: run, color: "#000", x: 1, value, raw: value, step: null, dist });
  const rows = [row("b", 0.5, 3), row("a10", 0.9, 30), row("a2", 0.1, 10)];

  it("sorts by value, name (natural order) or nearest first", () => {
    expect(sortTipRows(rows, "value").map((r) => r.run)).toEqual(["a10", "b", "a2"]);
    expect(sortTipRows(rows, "name").map((r) => r.run)).toEqual(["a2", "a10", "b"]);
    expect(sortTipRows(rows, "nearest").map((r) => r.run)).toEqual(["b", "a2", "a10"]);
    expect(nearestRun(rows)).toBe("b");
    expect(() => sortTipRows(rows, "size" as TipOrder)).toThrow(/order must be one of nearest, value, name, got size/);
  });

  it("finds each run's nearest defined point", () => {
    const xs = [0, 1, 2, 3, 10];
    expect(nearestDefined(xs, [null, 5, null, null, 7], 2)).toBe(1);
    expect(nearestDefined(xs, [null, null, null, 4, 7], 0)).toBe(3);
    expect(nearestDefined(xs, [null, null, null, 4, 7], 4)).toBe(4);
    expect(nearestDefined(xs, [1, null, null, null, 7], 3)).toBe(0); // x 3: 0 is nearer than 10
    expect(nearestDefined([0, 1, 2, 3, 4], [1, null, null, null, 7], 3)).toBe(4); // 4 is nearer than 0
    expect(nearestDefined(xs, [null, null, null, null, null], 2)).toBe(-1);
  });

  it("renders rows in order with the hovered run marked", () => {
    const tip = document.createElement("div");
    renderTip(tip, "step 1", sortTipRows(rows, "name"), "b", String, String, 1);
    expect([...tip.querySelectorAll("tr[data-tbx-run]")].map((tr) => (tr as HTMLElement).dataset.tbxRun)).toEqual(["a2", "a10", "b"]);
    expect(tip.querySelector(".tbx-tip-cols")?.textContent).toBe("runsmoothedraw");
    expect(tip.querySelector(".tbx-tip-hover")?.getAttribute("data-tbx-run")).toBe("b");
  });
});

describe("memo and per-run canvas cards", () => {
  it("Memo reports changed signatures only", () => {
    const m = new Memo();
    expect(m.changed("a")).toBe(true);
    expect(m.changed("a")).toBe(false);
    expect(m.changed("b")).toBe(true);
    m.invalidate();
    expect(m.changed("b")).toBe(true);
  });

  it("histogram and distribution cards redraw when the theme changes and stop after destroy", async () => {
    const store = new Store();
    const { msg, buffers } = new BatchBuilder()
      .histograms(".", "w", [{ step: 0, limits: [0, 1, 2], counts: [1, 3, 1], min: -1, max: 2 }])
      .build(1, true, ["."]);
    store.apply(decodeBatch(msg, buffers));
    const ui = new UiState();
    ui.logdir = "/tmp/exp7";
    for (const make of [histogramCard, distributionCard]) {
      const card = make("w", { store, ui });
      document.body.append(card.el);
      card.update();
      expect(card.el.querySelector(".tbx-run-label")?.textContent).toMatch(/^exp7/); // the root run named after the logdir
      const first = card.el.querySelector("canvas");
      card.update();
      expect(card.el.querySelector("canvas")).toBe(first); // nothing changed: not redrawn
      document.body.setAttribute("data-jp-theme-light", document.body.getAttribute("data-jp-theme-light") === "false" ? "true" : "false");
      await new Promise((r) => setTimeout(r, 0));
      const second = card.el.querySelector("canvas");
      expect(second).not.toBe(first);
      card.destroy();
      document.body.setAttribute("data-jp-theme-light", "true");
      await new Promise((r) => setTimeout(r, 0));
      expect(card.el.querySelector("canvas")).toBe(second);
      card.el.remove();
    }
  });
});

describe("outlierRange", () => {
  it("spans the 5th to 95th percentile of the raw values, within the zoom", () => {
    const n = 101;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const raw = Float64Array.from({ length: n }, (_, i) => (i === 50 ? 1e9 : i));
    const col = { run: { name: "a", index: 0, color: "#000" }, x, raw, smoothed: raw, step: x, wall: x, n };
    const [lo, hi] = outlierRange([col], null)!;
    expect(hi).toBeLessThan(200); // the spike at 1e9 is ignored
    expect(lo).toBeGreaterThan(-10);
    const [zlo, zhi] = outlierRange([col], [0, 20])!;
    expect(zhi).toBeLessThan(25);
    expect(zlo).toBeGreaterThan(-2);
    expect(outlierRange([], null)).toBeNull();
  });
});

describe("custom-scalar line labels", () => {
  it("name the root run after the logdir when lines come from several runs", () => {
    const store = new Store();
    const { msg, buffers } = new BatchBuilder().scalars(".", "loss", [0], [1]).scalars("b", "loss", [0], [2]).build(1, true, [".", "b"]);
    store.apply(decodeBatch(msg, buffers));
    const ui = new UiState();
    ui.logdir = "runs/exp7";
    const chart = { title: "t", kind: "multiline" as const, tags: ["loss"] };
    const lines = chartLines(chart, store, ui.visibleRuns(store), (run) => ui.runLabel(store, run));
    expect(lines.map((l) => l.label)).toEqual(["loss · exp7", "loss · b"]);
  });
});
