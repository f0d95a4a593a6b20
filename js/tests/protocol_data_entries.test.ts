// Items whose entries each carry one float64 data buffer (curves, surfaces, meshes, embeddings) are
// decoded by one function: each entry gets its step, wall time and note, and a bad entry is a
// ProtocolError naming the item.
import { describe, expect, it } from "vitest";
import { decodeBatch, ProtocolError, type WireItem } from "../src/protocol";
import { BatchBuilder } from "./helpers";

function decodeOne(entry: (b: BatchBuilder) => WireItem) {
  const b = new BatchBuilder();
  b.items.push(entry(b));
  const { msg, buffers } = b.build(1, true, ["r"]);
  return decodeBatch(msg, buffers).items[0];
}

const curves = (points: number, data: number[]) => (b: BatchBuilder): WireItem => ({
  kind: "curves", run: "r", tag: "c",
  items: [{ step: 3, wall_time: 12.5, names: ["a"], points, data_buf: b.f64(data), note: "first" }, { step: 4, wall_time: null, names: [], points: 1, data_buf: b.f64([9]) }],
});

describe("entries with a data buffer", () => {
  it("keep step, wall time (NaN when absent) and note for every kind", () => {
    const c = decodeOne(curves(2, [0, 1, 10, 11]));
    if (c.kind !== "curves") throw new Error(c.kind);
    expect(c.entries.map((e) => [e.step, e.wallTime, e.note])).toEqual([[3, 12.5, "first"], [4, NaN, undefined]]);
    expect("note" in c.entries[1]).toBe(false);
    expect([...c.entries[0].x]).toEqual([0, 1]);
    expect([...c.entries[0].ys[0]]).toEqual([10, 11]);

    const s = decodeOne((b) => ({ kind: "surfaces", run: "r", tag: "s", items: [{ step: 5, wall_time: 2, nx: 1, ny: 1, data_buf: b.f64([0, 1, 7]), note: "grid" }] }));
    if (s.kind !== "surfaces") throw new Error(s.kind);
    expect(s.entries[0]).toMatchObject({ step: 5, wallTime: 2, nx: 1, ny: 1, note: "grid" });
    expect([...s.entries[0].z]).toEqual([7]);

    const m = decodeOne((b) => ({ kind: "meshes", run: "r", tag: "m", items: [{ step: 6, wall_time: 3, vertices: 1, faces: 0, colors: false, data_buf: b.f64([1, 2, 3]), note: "cloud" }] }));
    if (m.kind !== "meshes") throw new Error(m.kind);
    expect(m.entries[0]).toMatchObject({ step: 6, wallTime: 3, colors: null, note: "cloud" });
    expect([...m.entries[0].vertices]).toEqual([1, 2, 3]);

    const e = decodeOne((b) => ({
      kind: "embeddings", run: "r", tag: "e",
      items: [{ step: 7, wall_time: 4, points: 2, dims: 1, stride: 1, header: [], metadata: [], data_buf: b.f64([5, 6]), note: "thinned" }],
    }));
    if (e.kind !== "embeddings") throw new Error(e.kind);
    expect(e.entries[0]).toMatchObject({ step: 7, wallTime: 4, points: 2, dims: 1, note: "thinned" });
    expect([...e.entries[0].data]).toEqual([5, 6]);
  });

  it("reject a buffer of the wrong size or a bad count, naming the item", () => {
    expect(() => decodeOne(curves(2, [0, 1, 10]))).toThrow(new ProtocolError("curves r/c data: 3 values, expected 4"));
    expect(() => decodeOne(curves(-1, []))).toThrow(new ProtocolError("curves r/c: bad point count -1"));
    expect(() => decodeOne((b) => ({ kind: "surfaces", run: "r", tag: "s", items: [{ step: 1, wall_time: 1, nx: 0, ny: 1, data_buf: b.f64([]) }] })))
      .toThrow(new ProtocolError("surfaces r/s: bad grid 0 x 1"));
    expect(() => decodeOne(() => ({ kind: "meshes", run: "r", tag: "m", items: [{ step: 1, wall_time: 1, vertices: 1, faces: 0, colors: false, data_buf: 5 }] })))
      .toThrow(new ProtocolError("meshes r/m: buffer index 5 out of range (0 buffers)"));
    expect(() => decodeOne((b) => ({
      kind: "embeddings", run: "r", tag: "e",
      items: [{ step: 1, wall_time: 1, points: 2, dims: 1, stride: 1, header: ["h"], metadata: [["x"]], data_buf: b.f64([1, 2]) }],
    }))).toThrow(new ProtocolError("embeddings r/e: 1 metadata rows for 2 points"));
  });
});
