// Scalar charts of a sweep (issue 19, "Sweeps at scale"): the tooltip lists the runs nearest the
// cursor when there are many; few runs keep every row.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { attach } from "../src/session";
import { DATA_GAP, MANY_LINES, dataRedrawDelay, drawsRaw, lineWidth } from "../src/chart/sweep";
import { Memo } from "../src/chart/memo";
import { noPaths } from "../src/chart/sweepdraw";
import { joinColumns } from "../src/math/columns";
import { sweepBuckets } from "../src/math/sweepgrid";
import { DRAW_SLICE_MS } from "../src/chart/drawjob";
import { taskSlices } from "../src/views/visibility";
import { BatchBuilder, fakeCanvas } from "./helpers";
import { renderDashboard } from "./dashboard";
import { setControl } from "./controls";
import { TIP_ALL, TIP_TOP_K, renderTip, sortTipRows, topRows, type TipRow } from "../src/chart/tooltip";

const row = (run: string, value: number, dist: number): TipRow => ({ run, label: run, color: "#000", x: 1, value, raw: value, step: null, dist });

describe("tooltip of many runs", () => {
  it("keeps every row up to TIP_ALL runs", () => {
    const rows = Array.from({ length: TIP_ALL }, (_, i) => row(`r${i}`, i, TIP_ALL - i));
    const got = topRows(rows);
    expect(got.more).toBe(0);
    expect(got.rows.map((r) => r.run)).toEqual(rows.map((r) => r.run));
  });

  it("past TIP_ALL lists the k nearest the cursor and counts the rest", () => {
    // 1,000 runs, distance from the cursor scrambled: the nearest are r0..r9 by construction.
    const rows = Array.from({ length: 1000 }, (_, i) => row(`r${i}`, (i * 7919) % 1000, i + 0.5));
    const scrambled = [...rows].sort((a, b) => ((a.value * 31) % 1000) - ((b.value * 31) % 1000));
    const got = topRows(scrambled);
    expect(got.more).toBe(1000 - TIP_TOP_K);
    expect(got.rows.map((r) => r.run).sort()).toEqual(Array.from({ length: TIP_TOP_K }, (_, i) => `r${i}`).sort());
    expect(topRows(scrambled, 3, 3).rows.map((r) => r.run).sort()).toEqual(["r0", "r1", "r2"]);
    expect(() => topRows(rows, 0)).toThrow(/k must be an integer >= 1, got 0/);
    expect(() => topRows(rows, 10, 5)).toThrow(/all must be an integer >= k \(10\), got 5/);
  });

  it("renders the listed rows in the chosen order and an 'and N more' line", () => {
    const rows = Array.from({ length: 200 }, (_, i) => row(`r${i}`, 200 - i, i));
    const listed = topRows(rows);
    const tip = document.createElement("div");
    renderTip(tip, "step 1", sortTipRows(listed.rows, "value"), "r0", String, String, 1, listed.more);
    const runs = [...tip.querySelectorAll("tr[data-tbx-run]")].map((tr) => (tr as HTMLElement).dataset.tbxRun);
    expect(runs).toEqual(Array.from({ length: TIP_TOP_K }, (_, i) => `r${i}`));
    expect(tip.querySelector(".tbx-tip-more")?.textContent).toBe("and 190 more runs");
    expect(tip.querySelector(".tbx-tip-hover")?.getAttribute("data-tbx-run")).toBe("r0");
    const few = document.createElement("div");
    renderTip(few, "step 1", rows.slice(0, 3), "r0", String, String, 1);
    expect(few.querySelector(".tbx-tip-more")).toBeNull();
  });
});

beforeAll(fakeCanvas);

describe("raw lines of a sweep", () => {
  it("few lines draw raw values for every line, many only for highlighted ones", () => {
    expect(drawsRaw(MANY_LINES, false)).toBe(true);
    expect(drawsRaw(MANY_LINES + 1, false)).toBe(false);
    expect(drawsRaw(1000, true)).toBe(true);
    expect(lineWidth(3, false)).toBe(2);
    expect(lineWidth(1000, false)).toBeLessThan(2);
    expect(lineWidth(1000, true)).toBe(3.5);
    expect(() => drawsRaw(-1, false)).toThrow(/lineCount must be an integer >= 0, got -1/);
  });

  async function chartOf(runs: number, steps = Array.from({ length: 50 }, (_, i) => i), shift = 0, period = 5): Promise<{ series: { label?: string; width?: number }[]; data: ArrayLike<number | null>[]; cursorPoints: unknown; legend: number[] }> {
    const { model, el, cleanup } = renderDashboard();
    const b = new BatchBuilder();
    const names = Array.from({ length: runs }, (_, r) => `run${r}`);
    for (const [r, name] of names.entries()) b.scalars(name, "loss", steps.map((i) => i + r * shift), steps.map((i) => Math.sin(i / period + r)));
    const { msg, buffers } = b.build(1, true, names);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
    // a sweep's chart is built and painted over a few frames: its test hooks come at the end
    for (let t = 0; t < 200 && !card.dataset.tbxSeries; t++) await new Promise((r) => setTimeout(r, 10));
    expect(Object.keys(JSON.parse(card.dataset.tbxSeries ?? "{}"))).toHaveLength(runs);
    const u = (card as unknown as { tbxChart: { series: { label?: string; width?: number }[]; data: ArrayLike<number | null>[]; cursor: { points?: { show?: unknown } } } }).tbxChart;
    const legendItems = () => card.querySelectorAll(".tbx-legend-item").length;
    const hiddenLegend = legendItems();
    ([...card.querySelectorAll("button")].find((b) => b.textContent === "legend") as HTMLButtonElement).click();
    const out = { series: [...u.series], data: [...u.data], cursorPoints: card.querySelectorAll(".u-cursor-pt").length, legend: [hiddenLegend, legendItems()] };
    cleanup();
    return out;
  }

  it("a chart of few runs draws raw and smoothed for each, a sweep the smoothed lines alone", async () => {
    const few = await chartOf(3);
    expect(few.series.filter((s) => s.label?.endsWith("(raw)"))).toHaveLength(3);
    expect(few.series).toHaveLength(1 + 2 * 3);
    const many = await chartOf(MANY_LINES + 10);
    expect(many.series.filter((s) => s.label?.endsWith("(raw)"))).toHaveLength(0);
    expect(many.series).toHaveLength(1 + MANY_LINES + 10);
    expect(many.data).toHaveLength(1 + MANY_LINES + 10);
    expect(many.series[1].width).toBeLessThan(2);
    // no cursor dot per line on a sweep (1,000 elements to make and move)
    expect(many.cursorPoints).toBe(0);
    expect(few.cursorPoints).toBeGreaterThan(0);
    // a sweep's lines are drawn in one pass (chart/sweepdraw.ts), not by uPlot per series
    const paths = (x: typeof few) => (x.series.slice(1) as { paths?: unknown }[]).map((s) => s.paths === noPaths);
    expect(paths(many).every(Boolean)).toBe(true);
    expect(paths(few).some(Boolean)).toBe(false);
    // a sweep's compact legend is built when shown; a few runs' is there hidden (a test hook)
    expect(many.legend).toEqual([0, MANY_LINES + 10]);
    expect(few.legend).toEqual([3, 3]);
  });

  it("runs logged at different steps draw on a grid of O(buckets) x values, not the union of their steps", async () => {
    const runs = MANY_LINES + 10;
    const steps = Array.from({ length: 2000 }, (_, i) => i);
    const u = await chartOf(runs, steps, 3, 150); // every run's steps shifted: the union has ~2,180 x values
    expect(u.data).toHaveLength(1 + runs);
    const nx = u.data[0].length;
    expect(nx).toBeLessThanOrEqual(2 * (sweepBuckets(runs, 480) + 2) + 2);
    expect(nx).toBeLessThan(1000);
    // each line keeps its extremes: its (smoothed) sine reaches about +-1 in every run
    for (let k = 1; k <= runs; k++) {
      const ys = Array.from(u.data[k]).filter((v): v is number => v !== null && Number.isFinite(v));
      expect(Math.max(...ys)).toBeGreaterThan(0.98);
      expect(Math.min(...ys)).toBeLessThan(-0.98);
    }
  });
});

describe("joining a sweep's runs", () => {
  it("runs on the same x join without a union: values kept, non-finite (and non-positive for log y) null", () => {
    const x = Float64Array.from({ length: 100 }, (_, i) => i * 10);
    const parts = Array.from({ length: 30 }, (_, r) => ({
      x: r % 2 ? x : x.slice(), // the same array or equal copies
      ys: [Float64Array.from(x, (v, i) => (i === r ? NaN : Math.sin(v + r))), Float64Array.from(x, (v) => v - 500)],
    }));
    for (const positiveOnly of [false, true]) {
      const j = joinColumns(parts, positiveOnly);
      expect(Array.from(j.x)).toEqual(Array.from(x));
      expect(j.x).not.toBe(x);
      expect(j.ys).toHaveLength(60);
      parts.forEach((p, r) => p.ys.forEach((y, c) => {
        expect(j.ys[2 * r + c]).toEqual(Array.from(y, (v) => (Number.isFinite(v) && (!positiveOnly || v > 0) ? v : null)));
      }));
    }
    // One run with another x: the union, as before.
    const mixed = joinColumns([parts[0], { x: Float64Array.of(5, 15), ys: [Float64Array.of(1, 2)] }], false);
    expect(mixed.x.length).toBe(102);
    expect(mixed.ys[2].filter((v) => v !== null)).toEqual([1, 2]);
    // A repeated x inside a run is not the fast path (the later value wins, as before).
    const dup = joinColumns([{ x: Float64Array.of(1, 1, 2), ys: [Float64Array.of(3, 4, 5)] }], false);
    expect(Array.from(dup.x)).toEqual([1, 2]);
    expect(dup.ys[0]).toEqual([4, 5]);
  });
});

describe("redraws while a sweep streams in", () => {
  it("a sweep's new data waits DATA_GAP times the last draw's cost after it ended", () => {
    const many = MANY_LINES + 1;
    expect(dataRedrawDelay(many, 1000, 1000, 100)).toBe(DATA_GAP * 100);
    expect(dataRedrawDelay(many, 1000 + DATA_GAP * 100, 1000, 100)).toBe(0);
    expect(dataRedrawDelay(many, 1050, 1000, 100)).toBe(DATA_GAP * 100 - 50);
    expect(dataRedrawDelay(many, 5, 0, 0)).toBe(0);
    expect(dataRedrawDelay(MANY_LINES, 1000, 1000, 100)).toBe(0); // few lines: at once, as before
    expect(() => dataRedrawDelay(many, NaN, 0, 0)).toThrow(/now must be a finite number, got NaN/);
  });

  it("Memo.same peeks without remembering", () => {
    const m = new Memo();
    expect(m.same("a")).toBe(false);
    expect(m.changed("a")).toBe(true);
    expect(m.same("a")).toBe(true);
    expect(m.same("b")).toBe(false);
    expect(m.changed("a")).toBe(false);
  });
});

describe("a sweep's card while batches stream in", () => {
  it("draws the last batch's points in the end (a deferred redraw is never lost)", async () => {
    const { model, el, cleanup } = renderDashboard();
    const session = attach(model);
    const runs = Array.from({ length: MANY_LINES + 5 }, (_, r) => `run${r}`);
    const send = (seq: number, steps: number[]) => {
      const b = new BatchBuilder();
      for (const name of runs) b.scalars(name, "loss", steps, steps.map((i) => i / 10));
      const { msg, buffers } = b.build(seq, seq === 1, runs);
      model.emit("msg:custom", msg, buffers);
      session.store.flush();
    };
    const card = () => el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
    const counts = () => Object.values(JSON.parse(card().dataset.tbxSeries ?? "{}") as Record<string, number[]>).map((v) => v[0]);
    send(1, [0, 1, 2]);
    await new Promise((r) => setTimeout(r, 40));
    expect(counts()).toEqual(runs.map(() => 3));
    for (let k = 0; k < 5; k++) send(2 + k, [3 + k]);
    for (let t = 0; t < 100 && counts()[0] !== 8; t++) await new Promise((r) => setTimeout(r, 20));
    expect(counts()).toEqual(runs.map(() => 8));
    cleanup();
  });
});

describe("a sweep card's first drawing", () => {
  it("is built a slice at a time over several frames and ends with every run drawn", async () => {
    // performance.now advances 1 ms a read: a slice (DRAW_SLICE_MS) ends after a few dozen runs
    expect(DRAW_SLICE_MS).toBeLessThanOrEqual(16);
    let t = 0;
    const clock = vi.spyOn(performance, "now").mockImplementation(() => (t += 1));
    const requests = vi.spyOn(taskSlices, "request");
    try {
      const { model, el, cleanup } = renderDashboard();
      const b = new BatchBuilder();
      const names = Array.from({ length: 300 }, (_, r) => `run${r}`);
      const steps = Array.from({ length: 100 }, (_, i) => i);
      for (const [r, name] of names.entries()) b.scalars(name, "loss", steps, steps.map((i) => Math.sin(i / 7 + r)));
      const { msg, buffers } = b.build(1, true, names);
      model.emit("msg:custom", msg, buffers);
      attach(model).store.flush();
      const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
      for (let k = 0; k < 500 && !card.dataset.tbxSeries; k++) await new Promise((r) => setTimeout(r, 5));
      // 300 runs' columns, grid lines and checks at 1 ms a clock read: many frames, not one task
      expect(requests.mock.calls.length).toBeGreaterThanOrEqual(10); // drawn in one task: 4 (painting alone)
      const series = JSON.parse(card.dataset.tbxSeries ?? "{}") as Record<string, number[]>;
      expect(Object.keys(series)).toHaveLength(300);
      expect(Object.values(series).every((v) => v[0] === 100)).toBe(true);
      const u = (card as unknown as { tbxChart: { data: ArrayLike<number>[] } }).tbxChart;
      expect(u.data).toHaveLength(301);
      // every line has its values on the grid
      expect(u.data.slice(1).every((col) => Array.from(col).some((v) => Number.isFinite(v)))).toBe(true);
      cleanup();
    } finally {
      clock.mockRestore();
      requests.mockRestore();
    }
  });
});

describe("a zoom while a sweep is being drawn", () => {
  it("starts the drawing over at the zoom: the drawing under way is dropped, never shown", async () => {
    let t = 0;
    const clock = vi.spyOn(performance, "now").mockImplementation(() => (t += 1));
    try {
      const { model, el, cleanup } = renderDashboard();
      const session = attach(model);
      const names = Array.from({ length: 300 }, (_, r) => `run${r}`);
      const send = (seq: number, steps: number[]) => {
        const b = new BatchBuilder();
        for (const [r, name] of names.entries()) b.scalars(name, "loss", steps, steps.map((i) => Math.sin(i / 7 + r)));
        const { msg, buffers } = b.build(seq, seq === 1, names);
        model.emit("msg:custom", msg, buffers);
        session.store.flush();
      };
      const cardEl = () => el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement | null;
      const points = () => Object.values(JSON.parse(cardEl()?.dataset.tbxSeries ?? "{}") as Record<string, number[]>).map((v) => v[0]);
      const until = async (ok: () => boolean) => {
        for (let k = 0; k < 600 && !ok(); k++) await new Promise((r) => setTimeout(r, 5));
      };
      send(1, Array.from({ length: 50 }, (_, i) => i));
      await until(() => points().length === 300);
      expect(points().every((n) => n === 50)).toBe(true);
      type Chart = { data: ArrayLike<number>[]; scales: { x: { min: number; max: number } }; setScale: (k: string, r: object) => void };
      const card = cardEl() as HTMLElement;
      const u = (card as unknown as { tbxChart: Chart }).tbxChart;
      // a new smoothing: the chart's drawing starts (a slice now, the rest in coming tasks) ...
      const before = Array.from(u.data[1]);
      setControl(el, 'input[aria-label="smoothing value"]', "0.9");
      expect(Array.from(u.data[1])).toEqual(before); // not drawn yet
      // ... and a zoom comes in the middle of it: the drawing starts over for the zoom (the
      // unzoomed drawing of the new data is dropped, never shown)
      const shown: number[] = [];
      const setData = (u as unknown as { setData: (d: ArrayLike<number>[], r?: boolean) => void }).setData.bind(u);
      (u as unknown as { setData: (d: ArrayLike<number>[], r?: boolean) => void }).setData = (d, r) => {
        shown.push(Array.from(d[0]).filter((x) => x > 0 && x < 99).length ? Math.min(...Array.from(d[0]).filter((x) => x > 0 && x < 99)) : NaN);
        setData(d, r);
      };
      u.setScale("x", { min: 30, max: 40 });
      await until(() => (card as unknown as { tbxChart: Chart }).tbxChart.scales.x.min === 30 && shown.length > 0);
      await new Promise((r) => setTimeout(r, 50));
      const v = (card as unknown as { tbxChart: Chart }).tbxChart;
      expect(v).toBe(u);
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.every((lo) => lo > 25)).toBe(true); // every picture since the zoom is of the zoomed range
      expect(shown).toHaveLength(1); // one picture since the zoom: the zoomed one
      expect(points().every((n) => n === 50)).toBe(true);
      expect([v.scales.x.min, v.scales.x.max]).toEqual([30, 40]);
      // the grid is the zoomed range (plus a bucket each side and the data's ends), every line on it
      const xs = Array.from(v.data[0]);
      const inside = xs.filter((x) => x >= 30 && x <= 40);
      expect(inside.length).toBeGreaterThan(10);
      expect(xs.filter((x) => x < 25 || x > 45)).toEqual([0, 49]);
      for (const col of v.data.slice(1)) expect(Array.from(col).some((y, i) => xs[i] >= 30 && xs[i] <= 40 && Number.isFinite(y))).toBe(true);
      cleanup();
    } finally {
      clock.mockRestore();
    }
  });
});
