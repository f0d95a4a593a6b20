import { describe, expect, it } from "vitest";
import { decodeBatch, ProtocolError, readF64 } from "../src/protocol";
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
