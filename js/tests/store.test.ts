import { describe, expect, it } from "vitest";
import { decodeBatch } from "../src/protocol";
import { attach, handleMessage } from "../src/session";
import { colorFor } from "../src/runstyle";
import { colorOf, PALETTE, Store } from "../src/store";
import { BatchBuilder, FakeModel } from "./helpers";

function batch(b: BatchBuilder, seq: number, reset: boolean, runs: string[]) {
  const { msg, buffers } = b.build(seq, reset, runs);
  return decodeBatch(msg, buffers);
}

describe("Store", () => {
  it("appends and resets series; counts events", () => {
    const store = new Store();
    store.apply(batch(new BatchBuilder().scalars("a", "loss", [0, 1], [1, 2]).text("a", "t", 0, "x"), 1, true, ["a"]));
    expect(store.events).toBe(3);
    store.apply(batch(new BatchBuilder().scalars("a", "loss", [2, 3, 4], [3, 4, 5]), 2, false, ["a"]));
    const s = store.get("scalars", "a", "loss");
    expect(s?.n).toBe(5);
    expect(Array.from(s?.value.subarray(0, s.n) ?? [])).toEqual([1, 2, 3, 4, 5]);
    expect(store.events).toBe(6);

    store.apply(batch(new BatchBuilder().scalars("a", "loss", [10], [9]), 3, false, ["a"]));
    expect(store.get("scalars", "a", "loss")?.n).toBe(6);
    expect(store.events).toBe(7);

    store.apply(batch(new BatchBuilder().histograms("b", "w", [{ step: 1, limits: [1], counts: [1], min: 0, max: 1 }]), 4, false, ["a", "b"]));
    expect(store.tags("histograms")).toEqual(["w"]);
    expect(store.events).toBe(8);

    store.apply(batch(new BatchBuilder().scalars("b", "acc", [0], [1]), 5, true, ["b"]));
    expect(store.tags("scalars")).toEqual(["acc"]);
    expect(store.tags("text")).toEqual([]);
    expect(store.tags("histograms")).toEqual([]);
    expect(store.runs.map((r) => r.name)).toEqual(["b"]);
    expect(store.events).toBe(1);
  });

  it("gives runs colours from their names, kept while runs appear and across resets", () => {
    const store = new Store();
    store.apply(batch(new BatchBuilder(), 1, true, ["x", "y", "z"]));
    const before = Object.fromEntries(store.runs.map((r) => [r.name, r.color]));
    expect(before.x).toBe(colorFor("x"));
    expect(new Set(Object.values(before)).size).toBe(3);
    // New runs sorted before the old ones, then a full resend (reset) with more runs.
    store.apply(batch(new BatchBuilder(), 2, false, ["a", "b", "x", "y", "z", "w"]));
    store.apply(batch(new BatchBuilder(), 3, true, ["0", "a", "b", "w", "x", "y", "z"]));
    for (const name of ["x", "y", "z"]) expect(store.run(name)?.color).toBe(before[name]);
    expect(new Set(store.runs.map((r) => r.color)).size).toBe(7);
    expect(colorOf(PALETTE.length)).toBe(PALETTE[0]);
  });

  it("appends the runs a batch names to those it has; a reset batch names them all", () => {
    const store = new Store();
    store.apply(batch(new BatchBuilder(), 1, true, ["a", "b"]));
    store.apply(batch(new BatchBuilder().scalars("c", "loss", [0], [1]), 2, false, ["c"]));
    store.apply(batch(new BatchBuilder().scalars("a", "loss", [0], [1]), 3, false, []));
    expect(store.runs.map((r) => [r.name, r.index])).toEqual([["a", 0], ["b", 1], ["c", 2]]);
    store.apply(batch(new BatchBuilder(), 4, true, ["c", "a"]));
    expect(store.runs.map((r) => [r.name, r.index])).toEqual([["c", 0], ["a", 1]]);
  });

  it("coalesces change notifications", async () => {
    const store = new Store();
    let calls = 0;
    const off = store.subscribe(() => calls++);
    for (let i = 1; i <= 5; i++) store.apply(batch(new BatchBuilder().scalars("a", "x", [i], [i]), i, i === 1, ["a"]));
    expect(calls).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    off();
    store.flush();
    expect(calls).toBe(1);
  });
});

describe("session", () => {
  it("says ready once, keeps one store per model and asks for a resync on a seq gap", () => {
    const model = new FakeModel();
    const s1 = attach(model);
    const s2 = attach(model);
    expect(s1).toBe(s2);
    expect(model.sent).toEqual([{ type: "ready" }]);

    const send = (seq: number, reset: boolean) => {
      const { msg, buffers } = new BatchBuilder().scalars("a", "x", [seq], [seq]).build(seq, reset, ["a"]);
      model.emit("msg:custom", msg, buffers);
    };
    send(1, true);
    send(2, false);
    expect(model.sent).toEqual([{ type: "ready" }]);
    send(4, false); // seq 3 was lost
    expect(model.sent).toEqual([{ type: "ready" }, { type: "resync" }]);
    expect(s1.store.get("scalars", "a", "x")?.n).toBe(3); // shows what it has
    send(6, false); // still waiting for the reset: no second request
    expect(model.sent).toHaveLength(2);
    send(7, true); // the reset answer
    expect(s1.store.get("scalars", "a", "x")?.n).toBe(1);
    send(9, false);
    expect(model.sent).toEqual([{ type: "ready" }, { type: "resync" }, { type: "resync" }]);
    s1.detach();
    expect(model.listenerCount("msg:custom")).toBe(0);
  });

  it("asks for a resync when the first batch it sees is not seq 1 and not a reset", () => {
    const model = new FakeModel();
    const session = attach(model);
    const { msg, buffers } = new BatchBuilder().scalars("a", "x", [1], [1]).build(5, false, ["a"]);
    handleMessage(session, model, msg, buffers);
    expect(model.sent).toContainEqual({ type: "resync" });
  });

  it("reports undecodable batches instead of throwing", () => {
    const model = new FakeModel();
    const session = attach(model);
    model.emit("msg:custom", { type: "batch", protocol: 99, seq: 1, reset: true, runs: [], items: [] }, []);
    expect(session.store.problem).toMatch(/protocol/);
    model.emit("msg:custom", { type: "something-else" }, []);
  });
});

describe("saved curves", () => {
  const saved = JSON.stringify({ runs: ["a"], series: [{ run: "a", tag: "loss", step: [0, 5], wall_time: [1, 2], value: [0.5, null] }] });
  // `_snapshot`: the trait's name in notebooks saved by earlier builds, still shown.
  it.each(["_saved_curves", "_snapshot"])("shows the scalar curves saved in the %s trait until the kernel sends data", async (trait) => {
    const { attach, savedCurvesBatch } = await import("../src/session");
    const { FakeModel } = await import("./helpers");
    const model = new FakeModel({ logdir: "runs", height: 400, status: "ok", error: "", tag_filter: "", run_filter: "", [trait]: saved });
    const s = attach(model).store.byTag("scalars", "loss").get("a");
    expect(s?.n).toBe(2);
    expect(Array.from(s!.step.subarray(0, 2))).toEqual([0, 5]);
    expect(Number.isNaN(s!.value[1])).toBe(true);
    expect(savedCurvesBatch("not json")).toBeNull();
    expect(savedCurvesBatch("")).toBeNull();
  });

  it("prefers _saved_curves to the old _snapshot", async () => {
    const { attach } = await import("../src/session");
    const { FakeModel } = await import("./helpers");
    const old = JSON.stringify({ runs: ["old"], series: [{ run: "old", tag: "loss", step: [0], wall_time: [1], value: [1] }] });
    const store = attach(new FakeModel({ _saved_curves: saved, _snapshot: old })).store;
    expect(store.byTag("scalars", "loss").get("a")?.n).toBe(2);
    expect(store.byTag("scalars", "loss").get("old")).toBeUndefined();
  });
});

describe("overviews (docs/protocol.md, Overviews)", () => {
  const overview = (b: BatchBuilder) => {
    (b.items[b.items.length - 1] as { overview?: boolean }).overview = true;
    return b;
  };
  const cols = (store: Store) => {
    const s = store.get("scalars", "a", "loss")!;
    return { n: s.n, full: s.full, overview: s.overview, step: Array.from(s.step.subarray(0, s.n)), value: Array.from(s.value.subarray(0, s.n)) };
  };

  it("an overview is drawn until the full data replaces it, chunk by chunk, and counts no events", () => {
    const store = new Store();
    store.apply(batch(overview(new BatchBuilder().scalars("a", "loss", [0, 40, 99], [5, -5, 1])), 1, true, ["a"]));
    expect(cols(store)).toMatchObject({ n: 3, full: 0, overview: true, step: [0, 40, 99] });
    expect(store.events).toBe(0);
    const steps = Array.from({ length: 100 }, (_, i) => i);
    // the first 50 full points: exact up to step 49, the overview beyond
    store.apply(batch(new BatchBuilder().scalars("a", "loss", steps.slice(0, 50), steps.slice(0, 50).map((i) => i / 10)), 2, false, []));
    let c = cols(store);
    expect(c).toMatchObject({ n: 51, full: 50, overview: true });
    expect(c.step.slice(48)).toEqual([48, 49, 99]);
    expect(c.value[50]).toBe(1);
    expect(store.events).toBe(50);
    // the rest: the overview is gone
    store.apply(batch(new BatchBuilder().scalars("a", "loss", steps.slice(50), steps.slice(50).map((i) => i / 10)), 3, false, []));
    c = cols(store);
    expect(c).toMatchObject({ n: 100, full: 100, overview: false });
    expect(c.step).toEqual(steps);
    expect(c.value[99]).toBeCloseTo(9.9);
    expect(store.events).toBe(100);
  });

  it("an overview arriving after full data is ignored; a new overview replaces an older one", () => {
    const store = new Store();
    store.apply(batch(overview(new BatchBuilder().scalars("a", "loss", [0, 9], [1, 2])), 1, true, ["a"]));
    store.apply(batch(overview(new BatchBuilder().scalars("a", "loss", [0, 5, 19], [1, 3, 2])), 2, false, []));
    expect(cols(store)).toMatchObject({ n: 3, step: [0, 5, 19], overview: true });
    store.apply(batch(new BatchBuilder().scalars("a", "loss", [0, 1, 2], [7, 8, 9]), 3, false, []));
    store.apply(batch(overview(new BatchBuilder().scalars("a", "loss", [0, 99], [0, 0])), 4, false, []));
    expect(cols(store)).toMatchObject({ n: 5, full: 3, step: [0, 1, 2, 5, 19], value: [7, 8, 9, 3, 2] });
  });
});
