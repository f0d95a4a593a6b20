// Full data on request (docs/protocol.md): the store asks for the series of the cards in view
// once, takes their full data (`whole`), grows an overview with live data, and lets series out
// of view go back to their overviews beyond its budget, least recently shown first.
import { describe, expect, it } from "vitest";
import { decodeBatch } from "../src/protocol";
import { minmaxIndices } from "../src/overview";
import { linesOf } from "../src/residency";
import { Store } from "../src/store";
import { BatchBuilder } from "./helpers";

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

function apply(store: Store, b: BatchBuilder, seq: number, reset = false, runs: string[] = []) {
  const { msg, buffers } = b.build(seq, reset, runs);
  store.apply(decodeBatch(msg, buffers));
}

/** Overviews marked on_request for runs x tags (3 points each, steps 0..999). */
function overviews(runs: string[], tags: string[]): BatchBuilder {
  const b = new BatchBuilder();
  for (const tag of tags) for (const run of runs) {
    b.scalars(run, tag, [0, 500, 999], [1, 5, 2]);
    Object.assign(b.items[b.items.length - 1], { overview: true, on_request: true });
  }
  return b;
}

function whole(run: string, tag: string, n = 1000): BatchBuilder {
  const b = new BatchBuilder().scalars(run, tag, range(n), range(n).map((i) => Math.sin(i)));
  Object.assign(b.items[0], { whole: true });
  return b;
}

describe("full data on request", () => {
  it("asks once for the series of the cards in view, and takes their full data", () => {
    const store = new Store();
    apply(store, overviews(["a", "b"], ["loss", "acc"]), 1, true, ["a", "b"]);
    expect(store.show(["loss"])).toEqual([["a", "loss"], ["b", "loss"]]);
    expect(store.show(["loss"])).toEqual([]); // asked already
    apply(store, whole("a", "loss"), 2);
    const s = store.get("scalars", "a", "loss")!;
    expect(s.held).toBe(true);
    expect(Array.from(s.value.subarray(0, s.n))).toEqual(range(1000).map((i) => Math.sin(i)));
    expect(store.events).toBe(1000);
    // a second whole answer starts the series over instead of appending
    apply(store, whole("a", "loss", 10), 3);
    expect(s.n).toBe(10);
    expect(store.show(["acc"])).toEqual([["a", "acc"], ["b", "acc"]]);
  });

  it("without on_request (the kernel sends everything) nothing is asked for or evicted", () => {
    const store = new Store();
    store.fullBudget = 0;
    const b = new BatchBuilder().scalars("a", "loss", [0, 999], [1, 2]);
    Object.assign(b.items[0], { overview: true });
    apply(store, b, 1, true, ["a"]);
    expect(store.show(["loss"])).toEqual([]);
    apply(store, new BatchBuilder().scalars("a", "loss", range(1000), range(1000)), 2);
    store.show([]);
    expect(store.get("scalars", "a", "loss")!.held).toBe(true);
  });

  it("live data past an overview not asked for grows the overview; a whole answer then replaces it", () => {
    const store = new Store();
    apply(store, overviews(["a"], ["loss"]), 1, true, ["a"]);
    apply(store, new BatchBuilder().scalars("a", "loss", [1000, 1001], [7, 8]), 2);
    const s = store.get("scalars", "a", "loss")!;
    expect(Array.from(s.step.subarray(0, s.n))).toEqual([0, 500, 999, 1000, 1001]);
    expect(s.overview).toBe(true);
    expect(s.full).toBe(0);
    apply(store, whole("a", "loss", 1002), 3);
    expect(s.n).toBe(1002);
    expect(s.held).toBe(true);
  });

  it("series out of view go back to their overviews beyond the budget, least recently shown first", () => {
    const store = new Store();
    store.fullBudget = 2500;
    const tags = ["t0", "t1", "t2", "t3"];
    apply(store, overviews(["a"], tags), 1, true, ["a"]);
    let seq = 2;
    for (const t of tags) {
      expect(store.show([t])).toEqual([["a", t]]);
      apply(store, whole("a", t), seq++);
    }
    // t3 is in view; t0 (shown first) and t1 went back to their overviews: 2,000 points held
    const held = tags.map((t) => store.get("scalars", "a", t)!.held);
    expect(held).toEqual([false, false, true, true]);
    expect(store.heldPoints()).toBe(2000);
    const t0 = store.get("scalars", "a", "t0")!;
    expect(t0.overview).toBe(true);
    expect(t0.n).toBeLessThanOrEqual(202);
    // the extremes and the ends of the full data survive in the overview
    const v = Array.from(t0.value.subarray(0, t0.n));
    expect(Math.max(...v)).toBe(Math.max(...range(1000).map((i) => Math.sin(i))));
    expect(t0.step[0]).toBe(0);
    expect(t0.step[t0.n - 1]).toBe(999);
    // shown again: asked for again
    expect(store.show(["t0"])).toEqual([["a", "t0"]]);
    // in view is never evicted, even past the budget
    store.fullBudget = 0;
    store.show(["t2", "t3"]);
    expect(store.get("scalars", "a", "t2")!.held && store.get("scalars", "a", "t3")!.held).toBe(true);
  });

  it("an overview's arrays are the series' columns (no copy) and are never written through", () => {
    const store = new Store();
    apply(store, overviews(["a"], ["loss"]), 1, true, ["a"]);
    const s = store.get("scalars", "a", "loss")!;
    expect(s.step.length).toBe(3); // the decoded overview itself, not a grown copy
    const ovStep = s.step;
    apply(store, new BatchBuilder().scalars("a", "loss", [0, 1], [9, 9]), 2); // partial full data
    expect(Array.from(ovStep)).toEqual([0, 500, 999]);
    expect(Array.from(s.step.subarray(0, s.n))).toEqual([0, 1, 500, 999]);
    apply(store, whole("a", "loss", 5), 3); // starts over: the overview stays drawn beyond step 4
    expect(Array.from(ovStep)).toEqual([0, 500, 999]);
    expect(Array.from(s.step.subarray(0, s.n))).toEqual([0, 1, 2, 3, 4, 500, 999]);
  });

  it("single series (a custom-scalar chart's lines) are asked for too", () => {
    const store = new Store();
    apply(store, overviews(["a", "b"], ["loss", "acc"]), 1, true, ["a", "b"]);
    expect(store.show([], linesOf('[["b","acc",3,999,2],["a","nope",1,1,1]]'))).toEqual([["b", "acc"]]);
    expect(linesOf("not json")).toEqual([]);
    expect(linesOf(undefined)).toEqual([]);
  });

  it("each view tells its own cards in view: another view's cards are not evicted", () => {
    const store = new Store();
    store.fullBudget = 0;
    apply(store, overviews(["a"], ["t0", "t1"]), 1, true, ["a"]);
    store.show(["t0"], [], 1);
    store.show(["t1"], [], 2);
    apply(store, whole("a", "t0"), 2);
    apply(store, whole("a", "t1"), 3);
    store.show(["t1"], [], 2);
    expect([store.get("scalars", "a", "t0")!.held, store.get("scalars", "a", "t1")!.held]).toEqual([true, true]);
    store.forgetViewer(1); // view 1 is gone: t0 is in no view
    const before = store.scalarBytes();
    store.show(["t1"], [], 2);
    expect([store.get("scalars", "a", "t0")!.held, store.get("scalars", "a", "t1")!.held]).toEqual([false, true]);
    expect(store.scalarBytes()).toBeLessThan(before); // t0's columns went, only its overview stays
    expect(store.scalarBytes()).toBeGreaterThan(0);
  });

  it("the answers for a run's tags share one step column, as full data sent unasked does", () => {
    const store = new Store();
    apply(store, overviews(["a"], ["t0", "t1"]), 1, true, ["a"]);
    store.show(["t0", "t1"]);
    apply(store, whole("a", "t0"), 2);
    apply(store, whole("a", "t1"), 3);
    expect(store.get("scalars", "a", "t1")!.step).toBe(store.get("scalars", "a", "t0")!.step);
  });

  it("a reset forgets what was asked for", () => {
    const store = new Store();
    apply(store, overviews(["a"], ["loss"]), 1, true, ["a"]);
    expect(store.show(["loss"])).toHaveLength(1);
    apply(store, overviews(["a"], ["loss"]), 2, true, ["a"]);
    expect(store.show(["loss"])).toEqual([["a", "loss"]]);
  });

  it("minmaxIndices keeps each bucket's finite extremes and the ends", () => {
    const v = Float64Array.from(range(10_001), (i) => Math.sin(i / 7));
    v[1234] = 99;
    v[7777] = -99;
    v[50] = NaN;
    const idx = minmaxIndices(v, 50);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(10_000);
    expect(idx.length).toBeLessThanOrEqual(102);
    expect(idx).toContain(1234);
    expect(idx).toContain(7777);
    expect(idx).not.toContain(50);
    expect(minmaxIndices(v.subarray(0, 30), 50)).toEqual(range(30));
    expect(() => minmaxIndices(v, 0)).toThrow(/buckets must be an integer >= 1, got 0/);
  });
});
