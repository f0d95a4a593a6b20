import { describe, expect, it } from "vitest";
import { decodeBatch, ProtocolError, readF64, viewF64, type WireBatch } from "../src/protocol";
import { Store } from "../src/store";
import { BatchBuilder } from "./helpers";

describe("decodeBatch", () => {
  it("decodes every kind from buffers at unaligned, non-zero byte offsets", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const { msg, buffers } = new BatchBuilder()
      .scalars("a", "loss", [0, 1, 2], [1.5, NaN, -Infinity])
      .histograms("a", "w", [
        { step: 0, limits: [1, 2], counts: [3, 4], min: 0, max: 2 },
        { step: 5, limits: [1, 2, 3], counts: [1, 0, 1], min: 0.5, max: 3 },
      ])
      .images("b", "img", 7, png)
      .text("b", "note", 7, "hello *md*")
      .build(3, false, ["a", "b"]);
    expect(buffers.every((b) => b.byteOffset % 8 !== 0)).toBe(true);

    const batch = decodeBatch(msg, buffers);
    expect(batch.seq).toBe(3);
    expect(batch.reset).toBe(false);
    expect(batch.runs).toEqual(["a", "b"]);
    expect(batch.events).toBe(3 + 2 + 1 + 1);

    const [s, hs, im, tx] = batch.items;
    if (s.kind !== "scalars" || hs.kind !== "histograms" || im.kind !== "images" || tx.kind !== "text") throw new Error("kinds");
    expect(Array.from(s.step)).toEqual([0, 1, 2]);
    expect(Array.from(s.wallTime)).toEqual([1000, 1001, 1002]);
    expect(s.value[0]).toBe(1.5);
    expect(Number.isNaN(s.value[1])).toBe(true);
    expect(s.value[2]).toBe(-Infinity);
    expect(s.value).toBeInstanceOf(Float64Array);

    expect(hs.steps).toHaveLength(2);
    expect(Array.from(hs.steps[0].limits)).toEqual([1, 2]);
    expect(Array.from(hs.steps[0].counts)).toEqual([3, 4]);
    expect(Array.from(hs.steps[1].limits)).toEqual([1, 2, 3]);
    expect(hs.steps[1]).toMatchObject({ step: 5, min: 0.5, max: 3, num: 2 });

    expect(im.entries[0]).toMatchObject({ step: 7, index: 0, mime: "image/png", width: 1, height: 1 });
    expect(Array.from(im.entries[0].data ?? [])).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(tx.entries[0]).toMatchObject({ step: 7, text: "hello *md*" });
  });

  it("reads a null wall time (a non-finite one, which JSON cannot carry) as NaN", () => {
    const b = new BatchBuilder().text("a", "note", 1, "x").images("a", "img", 2, new Uint8Array([0x89]));
    for (const item of b.items) if ("items" in item) for (const e of item.items) e.wall_time = null;
    const { msg, buffers } = b.build(1, false, ["a"]);
    const wire = JSON.parse(JSON.stringify(msg)); // the JSON part as the kernel sends it
    const [tx, im] = decodeBatch(wire, buffers).items;
    if (tx.kind !== "text" || im.kind !== "images") throw new Error("kinds");
    expect(Number.isNaN(tx.entries[0].wallTime)).toBe(true);
    expect(Number.isNaN(im.entries[0].wallTime)).toBe(true);
    expect(tx.entries[0].text).toBe("x");
  });

  it("copies data out of the buffers (later reuse of the backing memory is harmless)", () => {
    const { msg, buffers } = new BatchBuilder().scalars("a", "x", [1], [2]).build(1, true, ["a"]);
    const batch = decodeBatch(msg, buffers);
    new Uint8Array(buffers[2].buffer).fill(0);
    const s = batch.items[0];
    expect(s.kind === "scalars" && s.value[0]).toBe(2);
  });

  it("rejects another protocol version and inconsistent lengths", () => {
    const { msg, buffers } = new BatchBuilder().scalars("a", "x", [1, 2], [2, 3]).build(1, true, ["a"]);
    expect(() => decodeBatch({ ...msg, protocol: 2 }, buffers)).toThrow(ProtocolError);
    const bad = { ...msg, items: [{ ...msg.items[0], n: 3 }] } as typeof msg;
    expect(() => decodeBatch(bad, buffers)).toThrow(/expected 3/);
    expect(() => readF64(new Uint8Array(7))).toThrow(ProtocolError);
  });

  it("skips items of kinds it does not know yet", () => {
    const msg = { type: "batch" as const, protocol: 1, seq: 1, reset: true, runs: [], items: ["no_such_kind", "toString", "constructor", "__proto__"].map((kind) => ({ kind, run: "a", tag: "t" }) as never) };
    expect(decodeBatch(msg, []).items).toEqual([]);
  });
});

describe("scalar columns without a copy", () => {
  const f64 = (xs: number[]) => new DataView(new Float64Array(xs).buffer);
  const msg = (n: number): WireBatch => ({
    type: "batch", protocol: 1, seq: 1, reset: true, runs: ["a"],
    items: [{ kind: "scalars", run: "a", tag: "loss", n, step_buf: 0, wall_time_buf: 1, value_buf: 2 }],
  }) as unknown as WireBatch;

  it("a buffer of its own is the column itself; a part of a bigger one is copied", () => {
    const bufs = [f64([0, 1, 2]), f64([10, 11, 12]), f64([0.5, 0.25, 0.125])];
    const s = decodeBatch(msg(3), bufs).items[0];
    if (s.kind !== "scalars") throw new Error("kind");
    expect(s.value.buffer).toBe(bufs[2].buffer); // no copy
    expect(Array.from(s.value)).toEqual([0.5, 0.25, 0.125]);
    // the three columns at aligned offsets of one message buffer: copied (a series must not keep
    // the whole message alive)
    const one = new Float64Array([0, 1, 2, 10, 11, 12, 0.5, 0.25, 0.125]).buffer;
    const parts = [0, 1, 2].map((k) => new DataView(one, 24 * k, 24));
    const c = decodeBatch(msg(3), parts).items[0];
    if (c.kind !== "scalars") throw new Error("kind");
    expect(c.value.buffer).not.toBe(one);
    expect(Array.from(c.value)).toEqual([0.5, 0.25, 0.125]);
    // the count is checked either way
    expect(() => viewF64(new Uint8Array(new Float64Array(2).buffer), 3, "x")).toThrow(/x: 2 values, expected 3/);
    expect(() => viewF64(new Uint8Array(12), undefined, "x")).toThrow(/12 bytes is not a multiple of 8/);
  });

  it("the store never writes into a message's buffer: appended points go to columns of its own", () => {
    const bufs = [f64([0, 1]), f64([10, 11]), f64([0.5, 0.25])];
    const before = bufs.map((b) => Array.from(new Float64Array(b.buffer)));
    const store = new Store();
    store.apply(decodeBatch(msg(2), bufs));
    const more = { ...msg(2), seq: 2, reset: false };
    store.apply(decodeBatch(more, [f64([2, 3]), f64([12, 13]), f64([0.1, 0.2])]));
    const s = store.get("scalars", "a", "loss")!;
    expect(Array.from(s.value.subarray(0, s.n))).toEqual([0.5, 0.25, 0.1, 0.2]);
    expect(bufs.map((b) => Array.from(new Float64Array(b.buffer)))).toEqual(before);
  });
});
