// The uPlot path, with a do-nothing 2D context standing in for jsdom's missing canvas.
import { beforeAll, describe, expect, it } from "vitest";
import { attach } from "../src/session";
import { joinColumns, runColumns } from "../src/math/columns";
import { ScalarSeries } from "../src/store";
import { BatchBuilder, fakeCanvas } from "./helpers";
import { renderDashboard } from "./dashboard";
import { setControl } from "./controls";

beforeAll(fakeCanvas);

describe("scalar columns", () => {
  it("sorts by x when steps go backwards and smooths in logged order", () => {
    const s = new ScalarSeries();
    s.append(Float64Array.of(2, 0, 1), Float64Array.of(10, 11, 12), Float64Array.of(3, 1, 2));
    const c = runColumns({ name: "r", index: 0, color: "#000000" }, s, 0, "step");
    expect(Array.from(c.x)).toEqual([0, 1, 2]);
    expect(Array.from(c.raw)).toEqual([1, 2, 3]);
    const rel = runColumns({ name: "r", index: 0, color: "#000000" }, s, 0, "relative");
    expect(Array.from(rel.x)).toEqual([0, 1, 2]);
  });

  it("joins runs on a shared x with nulls, dropping non-positive values for log y", () => {
    const j = joinColumns(
      [
        { x: Float64Array.of(0, 2), ys: [Float64Array.of(1, -1)] },
        { x: Float64Array.of(1, 2), ys: [Float64Array.of(NaN, 4)] },
      ],
      true,
    );
    expect(Array.from(j.x)).toEqual([0, 1, 2]);
    expect(j.ys).toEqual([[1, null, null], [null, null, 4]]);
  });
});

describe("scalar cards with uPlot", () => {
  it("draws a chart with a compact legend per run and survives smoothing, x axis and log-y changes", () => {
    const { model, el, cleanup } = renderDashboard();
    const n = 50_000;
    const steps = Array.from({ length: n }, (_, i) => i);
    const { msg, buffers } = new BatchBuilder()
      .scalars("a", "loss", steps, steps.map((i) => Math.sin(i / 100)))
      .scalars("b", "loss", [0, 10, 20], [1, NaN, 3])
      .build(1, true, ["a", "b"]);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
    expect(card.querySelector(".uplot")).not.toBeNull();
    // No uPlot legend (each run twice); a compact legend, one entry per run, hidden until asked.
    expect(card.querySelector(".u-legend")).toBeNull();
    const legend = card.querySelector(".tbx-legend") as HTMLElement;
    expect([...legend.querySelectorAll(".tbx-legend-item")].map((e) => e.textContent)).toEqual(["a", "b"]);
    expect(legend.hidden).toBe(true);
    ([...card.querySelectorAll("button")].find((b) => b.textContent === "legend") as HTMLButtonElement).click();
    expect(legend.hidden).toBe(false);

    setControl(el, 'input[aria-label="smoothing value"]', "0.95");
    setControl(el, 'select[aria-label="x axis"]', "wall");
    const logY = [...card.querySelectorAll("button")].find((b) => b.textContent === "log y") as HTMLButtonElement;
    logY.click();
    const outliers = [...card.querySelectorAll("button")].find((b) => b.textContent === "outliers") as HTMLButtonElement;
    outliers.click();
    setControl(el, '.tbx-run input[type="checkbox"]', false);
    expect([...card.querySelectorAll(".tbx-legend-item")].map((e) => e.textContent)).toEqual(["b"]);
    expect(card.querySelectorAll(".uplot")).toHaveLength(1);
    cleanup();
    expect(card.querySelector(".uplot")).toBeNull();
  });
});

describe("live growth", () => {
  it("widens the x range as points arrive while the view is not zoomed", async () => {
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const { model, el, cleanup } = renderDashboard();
    const session = attach(model);
    let seq = 0;
    const send = (steps: number[], reset: boolean) => {
      const { msg, buffers } = new BatchBuilder().scalars(".", "loss", steps, steps.map((s) => 1 / (s + 1))).build(++seq, reset, ["."]);
      model.emit("msg:custom", msg, buffers);
      session.store.flush();
    };
    send([0], true);
    await tick();
    send([1], false);
    await tick();
    send(Array.from({ length: 58 }, (_, i) => i + 2), false);
    await tick();
    const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement & { __tbxChart?: unknown };
    expect(JSON.parse(card.dataset.tbxSeries ?? "{}")["."][0]).toBe(60);
    const u = (card as unknown as { tbxChart?: { scales: { x: { min: number; max: number } } } }).tbxChart;
    expect(u?.scales.x.min).toBeLessThanOrEqual(0);
    expect(u?.scales.x.max).toBeGreaterThanOrEqual(59);
    cleanup();
  });
});

describe("pan", () => {
  it("shift + drag moves the x range by the dragged fraction of the width", async () => {
    const { model, el, cleanup } = renderDashboard();
    const steps = Array.from({ length: 1000 }, (_, i) => i);
    const { msg, buffers } = new BatchBuilder().scalars("a", "loss", steps, steps.map((i) => i)).build(1, true, ["a"]);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    await new Promise((r) => setTimeout(r, 0));
    const card = el.querySelector('[data-tbx-kind="scalars"]') as HTMLElement;
    const u = (card as unknown as { tbxChart: { over: HTMLElement; scales: { x: { min: number; max: number } }; setScale: (k: string, r: object) => void } }).tbxChart;
    u.setScale("x", { min: 100, max: 200 });
    await new Promise((r) => setTimeout(r, 20));
    attach(model).store.flush();
    await new Promise((r) => setTimeout(r, 20));
    u.over.getBoundingClientRect = () => ({ width: 100, height: 100, left: 0, top: 0, right: 100, bottom: 100, x: 0, y: 0, toJSON() {} });
    u.over.dispatchEvent(new MouseEvent("mousedown", { shiftKey: true, button: 0, clientX: 50, bubbles: true }));
    window.dispatchEvent(new MouseEvent("mousemove", { clientX: 40 }));
    window.dispatchEvent(new MouseEvent("mouseup", {}));
    await new Promise((r) => setTimeout(r, 20));
    expect(u.scales.x.min).toBeCloseTo(110);
    expect(u.scales.x.max).toBeCloseTo(210);
    cleanup();
  });
});

describe("zoom", () => {
  it("a zoomed chart holds only the zoomed range (plus the ends) and double-click restores all the data", async () => {
    const { model, el, cleanup } = renderDashboard();
    const steps = Array.from({ length: 100_000 }, (_, i) => i);
    const { msg, buffers } = new BatchBuilder().scalars("a", "loss", steps, steps.map((i) => Math.sin(i / 100))).build(1, true, ["a"]);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    await new Promise((r) => setTimeout(r, 20));
    const card = el.querySelector('[data-tbx-kind="scalars"]') as HTMLElement;
    type Chart = { over: HTMLElement; data: ArrayLike<number>[]; scales: { x: { min: number; max: number } }; setScale: (k: string, r: object) => void };
    const u = (card as unknown as { tbxChart: Chart }).tbxChart;
    const x = () => Array.from(u.data[0]);
    expect(x()[0]).toBe(0);
    expect(x()[x().length - 1]).toBe(99_999);
    u.setScale("x", { min: 1000, max: 1100 });
    await new Promise((r) => setTimeout(r, 40));
    // Every point of the zoomed range (101 < the chart's budget), its neighbours, and the ends.
    expect(x()).toEqual([0, ...Array.from({ length: 103 }, (_, i) => 999 + i), 99_999]);
    u.over.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 40));
    expect([u.scales.x.min, u.scales.x.max]).toEqual([0, 99_999]);
    expect(x().length).toBeGreaterThan(200);
    expect(x().filter((v) => v > 0 && v < 99_999).some((v) => v < 999 || v > 1101)).toBe(true);
    cleanup();
  });
});
