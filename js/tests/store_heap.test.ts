// The store's memory follows what is drawn (issue 19): overviews of series out of view whose
// full data the kernel holds are thinned beyond `overviewBudget`, least recently shown first, so
// the bytes held stay about flat while the logdir grows by tags out of view.
import { describe, expect, it } from "vitest";
import { decodeBatch } from "../src/protocol";
import { COARSE_BUCKETS, Store } from "../src/store";
import { BatchBuilder } from "./helpers";

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** Overviews of 202 points (steps 0..10,000), marked on_request unless `held` is false. */
function overviews(store: Store, runs: string[], tags: string[], seq: number, onRequest = true): void {
  const b = new BatchBuilder();
  for (const tag of tags) for (const run of runs) {
    b.scalars(run, tag, range(202).map((i) => i * 50), range(202).map((i) => Math.sin(i + run.length)));
    Object.assign(b.items[b.items.length - 1], { overview: true, on_request: onRequest });
  }
  const { msg, buffers } = b.build(seq, seq === 1, runs);
  store.apply(decodeBatch(msg, buffers));
}

const runs = range(50).map((i) => `run${i}`);
const tagsOf = (n: number) => range(n).map((i) => `tag${String(i).padStart(2, "0")}`);

function bytesWith(tags: number): number {
  const store = new Store();
  store.overviewBudget = 5 * 50 * 202; // five tags' worth
  overviews(store, runs, tagsOf(tags), 1);
  store.show(["tag00", "tag01"]);
  return store.scalarBytes();
}

describe("overviews out of view within a budget", () => {
  it("keeps the store's bytes about flat while tags out of view grow", () => {
    const ten = bytesWith(10);
    const forty = bytesWith(40);
    // each thinned series keeps at most 2 * COARSE_BUCKETS + 2 of its 202 points
    expect(forty).toBeLessThan(1.5 * ten);
    const store = new Store();
    overviews(store, runs, tagsOf(40), 1);
    store.show(["tag00", "tag01"]);
    expect(store.scalarBytes()).toBeGreaterThan(3 * forty); // the default budget holds all of these
  });

  it("never thins what is in view, thins the least recently shown first, keeping the extremes and ends", () => {
    const store = new Store();
    store.overviewBudget = Infinity;
    overviews(store, runs, tagsOf(4), 1);
    store.show(["tag02"]);
    store.show(["tag03"]);
    store.show(["tag00"]); // tag02 then tag03 were shown and left the view; tag01 never was
    const tag = 50 * 202;
    const coarse = 2 * COARSE_BUCKETS + 2;
    const pts = (t: string) => store.get("scalars", "run7", t)!.n;
    store.overviewBudget = 2 * tag + 50 * coarse;
    store.show(["tag00"]);
    expect([pts("tag00"), pts("tag01"), pts("tag02"), pts("tag03")]).toEqual([202, pts("tag01"), 202, 202]);
    expect(pts("tag01")).toBeLessThanOrEqual(coarse);
    store.overviewBudget = tag + 2 * 50 * coarse;
    store.show(["tag00"]);
    expect(pts("tag02")).toBeLessThanOrEqual(coarse); // shown before tag03
    expect(pts("tag03")).toBe(202);
    store.overviewBudget = 0;
    store.show(["tag00"]);
    expect(pts("tag00")).toBe(202); // in view
    expect(store.overviewPoints()).toBeLessThanOrEqual(3 * 50 * coarse);
    const s = store.get("scalars", "run7", "tag01")!;
    const value = range(202).map((i) => Math.sin(i + 4));
    const got = Array.from(s.value.subarray(0, s.n));
    expect(got).toContain(Math.max(...value));
    expect(got).toContain(Math.min(...value));
    expect([s.step[0], s.step[s.n - 1]]).toEqual([0, 201 * 50]);
    expect(s.overview).toBe(true);
  });

  it("a thinned series in view again is asked for in full", () => {
    const store = new Store();
    store.overviewBudget = 0;
    overviews(store, ["a"], ["loss", "acc"], 1);
    store.show(["loss"]);
    expect(store.get("scalars", "a", "acc")!.n).toBeLessThanOrEqual(2 * COARSE_BUCKETS + 2);
    expect(store.show(["acc"])).toEqual([["a", "acc"]]);
  });

  it("does not thin what the kernel sent in full or will send unasked", () => {
    const store = new Store();
    store.overviewBudget = 0;
    overviews(store, ["a"], ["loss", "acc"], 1, false);
    store.show(["loss"]);
    expect(store.get("scalars", "a", "acc")!.n).toBe(202);
  });
});
