// Scalar columns in the store: equal step / wall-time columns of a run's tags are kept once,
// and never written through; the first full data reaching past an overview is adopted.
import { describe, expect, it } from "vitest";
import { decodeBatch } from "../src/protocol";
import { Store } from "../src/store";
import { BatchBuilder } from "./helpers";

function apply(store: Store, b: BatchBuilder, seq: number, reset = false, runs: string[] = []) {
  const { msg, buffers } = b.build(seq, reset, runs);
  store.apply(decodeBatch(msg, buffers));
}

describe("shared scalar columns", () => {
  it("a run's tags logged at the same steps share one step column; appends never write through it", () => {
    const store = new Store();
    const steps = [0, 1, 2, 3];
    apply(store, new BatchBuilder().scalars("a", "loss", steps, [4, 3, 2, 1]).scalars("a", "acc", steps, [0, 0.5, 0.7, 0.9]).scalars("b", "loss", steps, [1, 1, 1, 1]), 1, true, ["a", "b"]);
    const loss = store.get("scalars", "a", "loss")!;
    const acc = store.get("scalars", "a", "acc")!;
    expect(acc.step).toBe(loss.step); // one column for both tags
    expect(acc.wallTime).toBe(loss.wallTime);
    expect(store.get("scalars", "b", "loss")!.step).not.toBe(loss.step); // per run only
    // appending to one tag leaves the other's points as they were
    apply(store, new BatchBuilder().scalars("a", "loss", [4, 5], [0.5, 0.25]), 2);
    expect(Array.from(loss.step.subarray(0, loss.n))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(acc.n).toBe(4);
    expect(Array.from(acc.step.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(acc.step.length).toBe(4);
    // different steps: columns of their own
    apply(store, new BatchBuilder().scalars("a", "lr", [0, 2, 4, 6], [1, 1, 1, 1]), 3);
    expect(Array.from(store.get("scalars", "a", "lr")!.step)).toEqual([0, 2, 4, 6]);
  });

  it("full data covering a series' overview is adopted as is (no copy), one that does not is merged", () => {
    const store = new Store();
    const b = new BatchBuilder().scalars("a", "loss", [0, 50, 99], [1, 2, 3]);
    (b.items[0] as { overview?: boolean }).overview = true;
    apply(store, b, 1, true, ["a"]);
    const s = store.get("scalars", "a", "loss")!;
    expect(s.overview).toBe(true);
    const steps = Array.from({ length: 100 }, (_, i) => i);
    apply(store, new BatchBuilder().scalars("a", "loss", steps, steps), 2);
    expect(s.overview).toBe(false);
    expect(s.n).toBe(100);
    expect(s.step.length).toBe(100); // adopted: exactly the decoded column
  });
});

describe("notifications while overviews stream in", () => {
  const overviewBatch = (run: string) => {
    const b = new BatchBuilder().scalars(run, "loss", [0, 99], [1, 2]);
    (b.items[0] as { overview?: boolean }).overview = true;
    return b;
  };
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("the views are told once the overviews end (full data comes), not for each overview batch", async () => {
    const store = new Store();
    let calls = 0;
    store.subscribe(() => calls++);
    apply(store, overviewBatch("a"), 1, true, ["a", "b"]);
    apply(store, overviewBatch("b"), 2);
    await wait(80);
    expect(calls).toBe(0);
    apply(store, new BatchBuilder().scalars("a", "loss", [0, 1], [1, 1]), 3);
    await wait(80);
    expect(calls).toBe(1);
  });

  it("a pause in the overviews (the kernel still reading) lets the views draw what came", async () => {
    const store = new Store();
    store.overviewQuietMs = 40;
    let calls = 0;
    store.subscribe(() => calls++);
    apply(store, overviewBatch("a"), 1, true, ["a", "b"]);
    await wait(15);
    apply(store, overviewBatch("b"), 2); // same burst: the wait starts again
    await wait(25);
    expect(calls).toBe(0);
    await wait(100);
    expect(calls).toBe(1); // the burst is drawn long before overviewHoldMs (3 s)
    apply(store, overviewBatch("a"), 3); // the next burst
    await wait(100);
    expect(calls).toBe(2);
  });

  it("the read's last overview batch (overviews_done) lets the views draw at once, empty or not", () => {
    for (const last of [overviewBatch("b"), new BatchBuilder()]) {
      const store = new Store();
      store.overviewQuietMs = 10_000;
      let calls = 0;
      store.subscribe(() => calls++);
      apply(store, overviewBatch("a"), 1, true, ["a", "b"]);
      const { msg, buffers } = last.build(2, false, []);
      const done = decodeBatch({ ...msg, overviews_done: true }, buffers);
      expect(done.overviewsDone).toBe(true);
      store.apply(done);
      store.flush();
      expect(calls).toBe(1);
    }
    const { msg, buffers } = overviewBatch("a").build(1, true, ["a"]);
    expect(decodeBatch(msg, buffers).overviewsDone).toBeUndefined(); // absent: false
  });

  it("never holds them longer than overviewHoldMs", async () => {
    const store = new Store();
    store.overviewHoldMs = 60;
    store.overviewQuietMs = 10_000;
    let calls = 0;
    store.subscribe(() => calls++);
    apply(store, overviewBatch("a"), 1, true, ["a"]);
    await wait(30);
    expect(calls).toBe(0);
    await wait(150);
    expect(calls).toBe(1);
    apply(store, overviewBatch("a"), 2); // a new run of overviews holds again
    await wait(20);
    expect(calls).toBe(1);
  });
});
