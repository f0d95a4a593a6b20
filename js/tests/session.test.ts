// The session applies batches in time-budgeted slices and acknowledges them once applied.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ANSWER_WAIT_MS, Intake, attach, pageWork } from "../src/session";
import * as entry from "../src/index";
import widget, { statusLine } from "../src/index";
import { Store } from "../src/store";
import { BatchBuilder, FakeModel } from "./helpers";

function batchMsg(seq: number, reset = false) {
  return new BatchBuilder().scalars("a", "x", [seq], [seq * 10]).build(seq, reset, ["a"]);
}

const acks = (model: FakeModel) => model.sent.filter((m) => (m as { type: string }).type === "ack");

describe("session intake", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("applies a batch that finds the queue idle at once and acks it after the burst", () => {
    const model = new FakeModel();
    const session = attach(model);
    const first = batchMsg(1, true);
    model.emit("msg:custom", first.msg, first.buffers);
    expect(session.store.get("scalars", "a", "x")?.n).toBe(1); // applied synchronously
    const second = batchMsg(2);
    model.emit("msg:custom", second.msg, second.buffers);
    expect(acks(model)).toEqual([]); // not yet: one ack covers the burst
    vi.runAllTimers();
    expect(acks(model)).toEqual([{ type: "ack", seq: 2 }]);
    vi.runAllTimers();
    expect(acks(model)).toHaveLength(1); // nothing new, no new ack
    const third = batchMsg(3);
    model.emit("msg:custom", third.msg, third.buffers);
    vi.runAllTimers();
    expect(acks(model)).toEqual([{ type: "ack", seq: 2 }, { type: "ack", seq: 3 }]);
    session.detach();
  });

  it("applies a backlog in slices bounded by the time budget, in order, then acks the last seq", () => {
    const model = new FakeModel();
    const session = attach(model);
    let t = 0;
    const clock = () => (t += 5); // every look at the clock costs 5 ms: two batches per 8 ms slice
    const intake = new Intake(session, model, 8, clock);
    for (let seq = 1; seq <= 7; seq++) {
      const { msg, buffers } = batchMsg(seq, seq === 1);
      session.queue.push({ msg, buffers });
    }
    intake.drain();
    expect(session.store.get("scalars", "a", "x")?.n).toBe(2); // one slice: two batches
    expect(session.queue).toHaveLength(5);
    const late = batchMsg(8);
    intake.receive(late.msg, late.buffers); // a drain is scheduled: it queues behind the backlog
    expect(session.store.get("scalars", "a", "x")?.n).toBe(2);
    vi.advanceTimersToNextTimer();
    expect(session.store.get("scalars", "a", "x")?.n).toBe(4);
    vi.runAllTimers();
    const s = session.store.get("scalars", "a", "x")!;
    expect(Array.from(s.step.subarray(0, s.n))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(session.queue).toHaveLength(0);
    // Acks follow what is applied (cumulative, increasing), fewer than one per batch.
    const seqs = acks(model).map((m) => (m as { seq: number }).seq);
    expect(seqs[seqs.length - 1]).toBe(8);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(seqs.length).toBeLessThan(8);
    expect(model.sent).not.toContainEqual({ type: "resync" }); // no gap was seen
    session.detach();
  });

  it("lets an answer to a want wait while charts are drawn, at most ANSWER_WAIT_MS, and keeps the order", () => {
    const model = new FakeModel();
    const session = attach(model);
    let t = 0;
    const intake = new Intake(session, model, 8, () => t);
    const answer = (seq: number) => {
      const b = new BatchBuilder().scalars("a", "x", [0, 1, 2], [5, 6, 7]);
      (b.items[0] as { whole?: boolean }).whole = true;
      return b.build(seq, false, []);
    };
    const real = pageWork.drawing;
    let drawing = true;
    pageWork.drawing = () => drawing;
    try {
      intake.receive(batchMsg(1, true).msg, batchMsg(1, true).buffers); // not an answer: applied while drawing
      expect(session.lastSeq).toBe(1);
      const a = answer(2);
      intake.receive(a.msg, a.buffers);
      const after = batchMsg(3);
      intake.receive(after.msg, after.buffers);
      t += 50;
      vi.advanceTimersByTime(50);
      expect(session.lastSeq).toBe(1); // the answer waits, and what came after it waits behind it
      drawing = false; // the drawings are done: it goes at the next look
      vi.advanceTimersByTime(10);
      expect(session.lastSeq).toBe(3);
      expect(Array.from(session.store.get("scalars", "a", "x")!.value.subarray(0, 4))).toEqual([5, 6, 7, 30]);
      drawing = true; // drawings that never end: an answer waits ANSWER_WAIT_MS, no longer
      const b = answer(4);
      intake.receive(b.msg, b.buffers);
      for (let k = 0; k < ANSWER_WAIT_MS / 4 - 2; k++) {
        t += 4;
        vi.advanceTimersByTime(4);
      }
      expect(session.lastSeq).toBe(3);
      t += 20;
      vi.advanceTimersByTime(20);
      expect(session.lastSeq).toBe(4);
    } finally {
      pageWork.drawing = real;
      session.detach();
    }
  });

  it("drops its queue on detach and neither applies nor acks afterwards", () => {
    const model = new FakeModel();
    const session = attach(model);
    const intake = new Intake(session, model, 0, () => 0);
    for (let seq = 1; seq <= 3; seq++) {
      const { msg, buffers } = batchMsg(seq, seq === 1);
      session.queue.push({ msg, buffers });
    }
    intake.drain(); // a zero budget: one batch per slice
    intake.close();
    vi.runAllTimers();
    expect(session.queue).toHaveLength(0);
    expect(session.store.get("scalars", "a", "x")?.n).toBe(1);
    expect(acks(model)).toEqual([]);
  });
});

describe("store notifications under load", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("spaces notifications that take longer than a frame (3x their cost) and stays immediate when cheap", () => {
    vi.useFakeTimers();
    let t = 1000;
    vi.spyOn(performance, "now").mockImplementation(() => t);
    const store = new Store();
    let calls = 0;
    let cost = 100;
    store.subscribe(() => {
      calls++;
      t += cost; // the views take `cost` ms to redraw
    });
    store.changed();
    vi.advanceTimersByTime(40);
    expect(calls).toBe(1);
    store.changed();
    vi.advanceTimersByTime(200);
    t += 200;
    expect(calls).toBe(1); // 300 ms must pass after a 100 ms redraw
    vi.advanceTimersByTime(150);
    t += 150;
    expect(calls).toBe(2);
    store.changed();
    store.flush(); // a forced flush is never delayed, and the pending one does not run twice
    expect(calls).toBe(3);
    vi.advanceTimersByTime(2000);
    expect(calls).toBe(3);
    cost = 1;
    store.changed();
    vi.advanceTimersByTime(400); // after a 100 ms one, 300 ms
    expect(calls).toBe(4);
    store.changed();
    vi.advanceTimersByTime(40); // cheap redraws: next frame
    expect(calls).toBe(5);
  });

  it("counts drawing deferred to microtasks in the cost", async () => {
    vi.useFakeTimers();
    let t = 1000;
    vi.spyOn(performance, "now").mockImplementation(() => t);
    const store = new Store();
    let calls = 0;
    store.subscribe(() => {
      calls++;
      queueMicrotask(() => {
        t += 100; // the chart library draws after the listener returns
      });
    });
    store.changed();
    await vi.advanceTimersByTimeAsync(40);
    expect(calls).toBe(1);
    store.changed();
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toBe(2);
  });
});

describe("status line", () => {
  it("shows the count of corrupt records skipped next to the follower's state", () => {
    expect(statusLine("ok", 0)).toBe("");
    expect(statusLine("no_runs", 0)).toBe("no runs yet");
    expect(statusLine("ok", 1)).toBe("1 corrupt record skipped");
    expect(statusLine("no_logdir", 12)).toBe("no log directory · 12 corrupt records skipped");
    const model = new FakeModel({ logdir: "runs", height: 400, tag_filter: "", run_filter: "", status: "ok", error: "", skipped: 0 });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const status = el.querySelector(".tbx-status") as HTMLElement;
    expect(status.textContent).toBe("");
    model.set("skipped", 3); // the kernel's trait changes
    expect(status.textContent).toBe("3 corrupt records skipped");
    cleanup();
    el.remove();
  });
});

describe("entry module", () => {
  it("exports render and initialize only through the default export (no anywidget deprecation warning)", () => {
    expect("render" in entry).toBe(false);
    expect("initialize" in entry).toBe(false);
    expect(typeof widget.render).toBe("function");
    expect(typeof widget.initialize).toBe("function");
  });
});

describe("ready and the kernel's 'sent' notice", () => {
  const resyncs = (model: FakeModel) => model.sent.filter((m) => (m as { type: string }).type === "resync");

  it("a session that has every batch the kernel sent asks for nothing; one that started late resyncs", () => {
    const model = new FakeModel();
    const session = attach(model);
    expect(model.sent).toEqual([{ type: "ready" }]);
    for (let seq = 1; seq <= 3; seq++) {
      const { msg, buffers } = batchMsg(seq);
      model.emit("msg:custom", msg, buffers);
    }
    model.emit("msg:custom", { type: "sent", seq: 3 }, []); // the answer to ready, after batch 3
    expect(resyncs(model)).toEqual([]);
    expect(session.store.get("scalars", "a", "x")?.n).toBe(3);
    session.detach();

    // A second model's session attached after batches 1-3 went out: it lacks them.
    const late = new FakeModel();
    const other = attach(late);
    late.emit("msg:custom", { type: "sent", seq: 3 }, []);
    expect(resyncs(late)).toEqual([{ type: "resync" }]);
    late.emit("msg:custom", { type: "sent", seq: 3 }, []); // asked once until the reset comes
    expect(resyncs(late)).toHaveLength(1);
    const reset = batchMsg(4, true);
    late.emit("msg:custom", reset.msg, reset.buffers);
    expect(other.resyncPending).toBe(false);
    expect(other.store.get("scalars", "a", "x")?.n).toBe(1);
    other.detach();
  });

  it("the first live batch replaces the state saved with the notebook", () => {
    const snap = JSON.stringify({ runs: ["old"], series: [{ run: "old", tag: "x", step: [0, 5], wall_time: [1, 2], value: [1, 2] }] });
    const model = new FakeModel({ _saved_curves: snap });
    const session = attach(model);
    expect(session.store.get("scalars", "old", "x")?.n).toBe(2);
    const first = batchMsg(1); // the kernel's first batch is not marked reset
    model.emit("msg:custom", first.msg, first.buffers);
    expect(session.store.get("scalars", "old", "x")).toBeUndefined();
    expect(session.store.get("scalars", "a", "x")?.n).toBe(1);
    const second = batchMsg(2); // later batches append as usual
    model.emit("msg:custom", second.msg, second.buffers);
    expect(session.store.get("scalars", "a", "x")?.n).toBe(2);
    expect(resyncs(model)).toEqual([]);
    session.detach();
  });
});
