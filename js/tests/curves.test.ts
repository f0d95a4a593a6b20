// Curves and surfaces: wire decoding, the pure helpers of both cards, and the cards in jsdom.
import { describe, expect, it } from "vitest";
import { colormap, contourLevels, contourSegments, project, strideIndices, zRange } from "../src/math/surface";
import { decodeBatch, ProtocolError, type CurveEntry } from "../src/protocol";
import { Store } from "../src/store";
import { UiState } from "../src/ui";
import { curveCard, curveTable, entryAt, overlaySteps, shownSteps } from "../src/views/curves";
import { cellEdges, surfaceCard } from "../src/views/surfaces";
import { meshBounds, meshCard } from "../src/views/meshes";
import { BatchBuilder } from "./helpers";

function curves(b: BatchBuilder, run: string, tag: string, steps: { step: number; names: string[]; rows: number[][] }[]): BatchBuilder {
  b.items.push({
    kind: "curves", run, tag,
    items: steps.map((s) => ({ step: s.step, wall_time: 1000 + s.step, names: s.names, points: s.rows[0].length, data_buf: b.f64(s.rows.flat()) })),
  });
  return b;
}

function surfaces(b: BatchBuilder, run: string, tag: string, steps: { step: number; x: number[]; y: number[]; z: number[] }[]): BatchBuilder {
  b.items.push({
    kind: "surfaces", run, tag,
    items: steps.map((s) => ({ step: s.step, wall_time: null, nx: s.x.length, ny: s.y.length, data_buf: b.f64([...s.x, ...s.y, ...s.z]) })),
  });
  return b;
}

describe("decoding", () => {
  it("decodes curves and surfaces", () => {
    const b = new BatchBuilder();
    curves(b, "r", "fit", [{ step: 3, names: ["model", "data"], rows: [[0, 1, 2], [1, 2, 3], [NaN, 5, 6]] }]);
    surfaces(b, "r", "loss", [{ step: 4, x: [0, 1], y: [10, 20, 30], z: [1, 2, 3, 4, 5, 6] }]);
    const { msg, buffers } = b.build(1, true, ["r"]);
    const batch = decodeBatch(msg, buffers);
    expect(batch.events).toBe(2);
    const c = batch.items[0];
    if (c.kind !== "curves") throw new Error("kind");
    expect(c.entries[0].names).toEqual(["model", "data"]);
    expect([...c.entries[0].x]).toEqual([0, 1, 2]);
    expect([...c.entries[0].ys[1]]).toEqual([NaN, 5, 6]);
    const s = batch.items[1];
    if (s.kind !== "surfaces") throw new Error("kind");
    expect([s.entries[0].nx, s.entries[0].ny, [...s.entries[0].y], s.entries[0].z[5]]).toEqual([2, 3, [10, 20, 30], 6]);
    expect(s.entries[0].wallTime).toBeNaN();
  });

  it("rejects a buffer of the wrong size", () => {
    const b = new BatchBuilder();
    curves(b, "r", "fit", [{ step: 0, names: ["a", "b"], rows: [[0, 1], [1, 2]] }]); // 2 series named, 1 sent
    const { msg, buffers } = b.build(1, true, ["r"]);
    expect(() => decodeBatch(msg, buffers)).toThrow(ProtocolError);
  });
});

describe("curve helpers", () => {
  it("picks overlay steps: the chosen one and evenly spaced earlier ones", () => {
    expect(overlaySteps([0, 1, 2], 2)).toEqual([0, 1, 2]);
    const many = Array.from({ length: 100 }, (_, i) => i);
    const picked = overlaySteps(many, 50, 4);
    expect(picked).toEqual([0, 25, 49, 50]);
    expect(overlaySteps(many, 0)).toEqual([0]);
  });

  it("draws pinned steps before the chosen one, with or without the overlay", () => {
    const steps = [0, 10, 20, 30];
    expect(shownSteps(steps, 30, new Set([10, 99]), false)).toEqual([10, 30]); // 99: not a step of this card
    expect(shownSteps(steps, 10, new Set([10]), false)).toEqual([10]);
    expect(shownSteps(steps, 20, new Set([30]), true)).toEqual([0, 10, 30, 20]);
    expect(shownSteps(steps, null, new Set([10]), true)).toEqual([]);
  });

  it("sorts a curve by x and turns NaN into gaps", () => {
    const e: CurveEntry = { step: 0, wallTime: 0, names: ["y"], x: new Float64Array([2, 0, 1]), ys: [new Float64Array([20, NaN, 10])] };
    expect(curveTable(e)).toEqual([[0, 1, 2], [null, 10, 20]]);
    expect(entryAt([{ step: 1, v: "a" }, { step: 1, v: "b" }], 1)?.v).toBe("b");
  });
});

describe("surface helpers", () => {
  it("maps colours from dark violet to yellow", () => {
    expect(colormap(0)).toEqual([68, 1, 84]);
    expect(colormap(1)).toEqual([253, 231, 37]);
    expect(colormap(2)).toEqual(colormap(1));
    expect(zRange([NaN, 3, -1, Infinity])).toEqual([-1, 3]);
    expect(zRange([NaN])).toBeNull();
    expect(contourLevels(0, 9, 2)).toEqual([3, 6]);
  });

  it("traces a contour with marching squares", () => {
    // z = j on a 3 x 3 grid: the level 0.5 is the vertical line j = 0.5 through both rows of cells.
    const z = [0, 1, 2, 0, 1, 2, 0, 1, 2];
    const s = contourSegments(z, 3, 3, 0.5);
    expect(s).toEqual([0.5, 0, 0.5, 1, 0.5, 1, 0.5, 2]);
    expect(contourSegments([0, NaN, 0, 1], 2, 2, 0.5)).toEqual([]); // a NaN corner: skipped
  });

  it("projects: rotating changes the picture, depth orders near and far", () => {
    const a = project({ yaw: 0, pitch: 0.5 }, 1, 0, 0);
    const b = project({ yaw: 1, pitch: 0.5 }, 1, 0, 0);
    expect(a[0]).not.toBeCloseTo(b[0]);
    const near = project({ yaw: 0, pitch: 0 }, 0, -1, 0)[2];
    const far = project({ yaw: 0, pitch: 0 }, 0, 1, 0)[2];
    expect(near).toBeGreaterThan(far);
    expect(strideIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(strideIndices(101, 3)).toEqual([0, 50, 100]);
    expect(cellEdges([0, 1, 3])).toEqual([-0.5, 0.5, 2, 4]);
  });
});

describe("cards", () => {
  function ctxWith(b: BatchBuilder) {
    const store = new Store();
    const { msg, buffers } = b.build(1, true, ["r"]);
    store.apply(decodeBatch(msg, buffers));
    return { store, ui: new UiState() };
  }

  it("the curve card follows the newest step and reports what it shows", () => {
    const b = new BatchBuilder();
    curves(b, "r", "fit", [
      { step: 0, names: ["y"], rows: [[0, 1], [0, 0]] },
      { step: 5, names: ["a", "b"], rows: [[0, 1, 2], [1, 2, 3], [3, 2, 1]] },
    ]);
    const card = curveCard("fit", ctxWith(b));
    document.body.append(card.el);
    card.update();
    expect(JSON.parse(card.el.dataset.tbxCurves ?? "{}")).toEqual({ r: [5, 2, 3] });
    const range = card.el.querySelector("input[type=range]") as HTMLInputElement;
    range.value = "0";
    range.dispatchEvent(new Event("input"));
    expect(JSON.parse(card.el.dataset.tbxCurves ?? "{}")).toEqual({ r: [0, 1, 2] });
    const pin = [...card.el.querySelectorAll("button")].find((b) => b.textContent === "pin") as HTMLButtonElement;
    pin.click();
    expect(card.el.dataset.tbxPinned).toBe("0");
    expect(pin.textContent).toBe("unpin");
    range.value = "1";
    range.dispatchEvent(new Event("input"));
    expect(pin.textContent).toBe("pin");
    expect(card.el.dataset.tbxPinned).toBe("0");
    card.destroy();
    card.el.remove();
  });

  it("the surface card shows the chosen step's grid", () => {
    const b = new BatchBuilder();
    surfaces(b, "r", "loss", [
      { step: 1, x: [0, 1], y: [0, 1], z: [0, 1, 2, 3] },
      { step: 2, x: [0, 1, 2], y: [0, 1], z: [0, 1, 2, 3, 4, 50] },
    ]);
    const card = surfaceCard("loss", ctxWith(b));
    document.body.append(card.el);
    card.update();
    expect(JSON.parse(card.el.dataset.tbxSurface ?? "{}")).toEqual({ run: "r", step: 2, nx: 3, ny: 2, zmin: 0, zmax: 50 });
    const range = card.el.querySelector("input[type=range]") as HTMLInputElement;
    range.value = "0";
    range.dispatchEvent(new Event("input"));
    expect(JSON.parse(card.el.dataset.tbxSurface ?? "{}")).toMatchObject({ step: 1, nx: 2, zmax: 3 });
    card.destroy();
    card.el.remove();
  });
});

describe("meshes", () => {
  function meshes(b: BatchBuilder, run: string, tag: string, steps: { step: number; v: number[]; c?: number[]; f: number[] }[]): BatchBuilder {
    b.items.push({
      kind: "meshes", run, tag,
      items: steps.map((s) => ({ step: s.step, wall_time: 1, vertices: s.v.length / 3, faces: s.f.length / 3, colors: Boolean(s.c), data_buf: b.f64([...s.v, ...(s.c ?? []), ...s.f]) })),
    });
    return b;
  }

  it("decodes a mesh and rejects a face index outside the vertices", () => {
    const tri = [0, 0, 0, 1, 0, 0, 0, 1, 0];
    const ok = meshes(new BatchBuilder(), "r", "m", [{ step: 1, v: tri, f: [0, 1, 2] }, { step: 2, v: tri, c: [255, 0, 0, 0, 255, 0, 0, 0, 255], f: [] }]).build(1, true, ["r"]);
    const item = decodeBatch(ok.msg, ok.buffers).items[0];
    if (item.kind !== "meshes") throw new Error("kind");
    expect(item.entries[0].colors).toBeNull();
    expect([...item.entries[0].faces]).toEqual([0, 1, 2]);
    expect(item.entries[1].colors?.[4]).toBe(255);
    const bad = meshes(new BatchBuilder(), "r", "m", [{ step: 1, v: tri, f: [0, 1, 3] }]).build(1, true, ["r"]);
    expect(() => decodeBatch(bad.msg, bad.buffers)).toThrow(ProtocolError);
  });

  it("fits the bounding box and the card follows the slider", () => {
    expect(meshBounds([0, 0, 0, 2, 4, 6])).toEqual({ center: [1, 2, 3], radius: 3 });
    const b = meshes(new BatchBuilder(), "r", "m", [
      { step: 0, v: [0, 0, 0, 1, 0, 0, 0, 1, 0], f: [0, 1, 2] },
      { step: 3, v: [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], f: [] },
    ]);
    const store = new Store();
    const { msg, buffers } = b.build(1, true, ["r"]);
    store.apply(decodeBatch(msg, buffers));
    const card = meshCard("m", { store, ui: new UiState() });
    card.update();
    expect(JSON.parse(card.el.dataset.tbxMesh ?? "{}")).toEqual({ run: "r", step: 3, vertices: 4, faces: 0 });
    const range = card.el.querySelector("input[type=range]") as HTMLInputElement;
    range.value = "0";
    range.dispatchEvent(new Event("input"));
    expect(JSON.parse(card.el.dataset.tbxMesh ?? "{}")).toEqual({ run: "r", step: 0, vertices: 3, faces: 1 });
    card.destroy();
  });
});
