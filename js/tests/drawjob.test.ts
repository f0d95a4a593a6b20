// The scalar card's paced drawing (chart/drawjob.ts) and its zoom (chart/zoom.ts), apart from
// the card: slices, what new data waits for, pacing a sweep, calling off; the zoom a scale means.
import { afterEach, describe, expect, it, vi } from "vitest";
import { DRAW_SLICE_MS, PacedDrawing, type Slices } from "../src/chart/drawjob";
import { DATA_GAP } from "../src/chart/sweep";
import { fullRange, sameZoom, shownRange, zoomOf } from "../src/chart/zoom";

/** Slices run by hand: `next()` runs the pending job, as a coming task would. */
class HandSlices implements Slices {
  jobs = new Map<object, () => void>();
  cancelled = 0;
  request(key: object, job: () => void): void {
    this.jobs.set(key, job);
  }
  cancel(key: object): void {
    if (this.jobs.delete(key)) this.cancelled++;
  }
  next(): boolean {
    const first = this.jobs.entries().next();
    if (first.done) return false;
    this.jobs.delete(first.value[0]);
    first.value[1]();
    return true;
  }
}

/** A clock moved by hand, `step` ms on every read. */
function handClock(step = 0) {
  const c = { t: 0, step, now: () => (c.t += c.step) };
  return c;
}

/** A drawing of `n` pieces that records each piece done under `name`. */
function pieces(log: string[], name: string, n: number): () => Generator<void, void, void> {
  return function* () {
    for (let i = 0; i < n; i++) {
      log.push(`${name}${i}`);
      if (i < n - 1) yield;
    }
  };
}

function setup(step = 1) {
  const slices = new HandSlices();
  const clock = handClock(step);
  const events: string[] = [];
  const d = new PacedDrawing({
    slices,
    now: clock.now,
    onWaitOver: () => events.push("wait over"),
    onNewerData: () => events.push("newer data"),
    onDone: (whole) => events.push(whole ? "done whole" : "done"),
  });
  return { slices, clock, events, d };
}

const FEW = { chart: true, lines: 3, extraCost: 0 };
const SWEEP = { chart: true, lines: 1000, extraCost: 0 };

afterEach(() => {
  vi.useRealTimers();
});

describe("PacedDrawing", () => {
  it("works DRAW_SLICE_MS at a time and leaves the rest to coming tasks", () => {
    const { slices, d, events } = setup(1); // every clock read is 1 ms later
    const log: string[] = [];
    expect(d.request({ data: "a:1", rest: "r" }, pieces(log, "p", 100), FEW)).toBe("started");
    const first = log.length;
    expect(first).toBeGreaterThan(1);
    expect(first).toBeLessThan(100);
    // the clock is read every 8 pieces: a slice ends within 8 pieces of DRAW_SLICE_MS reads
    expect(first).toBeLessThanOrEqual(8 * (DRAW_SLICE_MS + 1));
    expect(d.pending).toBe(true);
    expect(events).toEqual([]);
    while (slices.next());
    expect(log).toEqual(Array.from({ length: 100 }, (_, i) => `p${i}`));
    expect(events).toEqual(["done"]);
    expect(d.pending).toBe(false);
    // drawn: the same key again draws nothing
    expect(d.request({ data: "a:1", rest: "r" }, pieces(log, "q", 1), FEW)).toBe("drawn");
    expect(log).not.toContain("q0");
  });

  it("asked again for what is under way, goes on with it", () => {
    const { slices, d } = setup(1);
    const log: string[] = [];
    d.request({ data: "a:1", rest: "r" }, pieces(log, "p", 100), FEW);
    expect(d.request({ data: "a:1", rest: "r" }, pieces(log, "q", 100), FEW)).toBe("under way");
    while (slices.next());
    expect(log.filter((x) => x.startsWith("q"))).toEqual([]);
    expect(log).toHaveLength(100);
  });

  it("new data alone waits for the drawing under way, then asks again", () => {
    const { slices, d, events } = setup(1);
    const log: string[] = [];
    d.request({ data: "a:1", rest: "r" }, pieces(log, "p", 100), FEW);
    expect(d.request({ data: "a:2", rest: "r" }, pieces(log, "q", 5), FEW)).toBe("after this one");
    while (slices.next());
    expect(log).toHaveLength(100); // the first drawing finished; the new data is not drawn yet
    expect(events).toEqual(["done", "newer data"]);
    expect(d.request({ data: "a:2", rest: "r" }, pieces(log, "q", 5), FEW)).toBe("started");
    expect(log.slice(100)).toEqual(["q0", "q1", "q2", "q3", "q4"]);
  });

  it("any other change calls off the drawing under way and starts over", () => {
    const { slices, d, events } = setup(1);
    const log: string[] = [];
    d.request({ data: "a:1", rest: "w=400" }, pieces(log, "p", 100), FEW);
    const before = log.length;
    expect(d.request({ data: "a:1", rest: "w=500" }, pieces(log, "q", 3), FEW)).toBe("started");
    expect(slices.cancelled).toBe(1);
    while (slices.next());
    expect(log.filter((x) => x.startsWith("p"))).toHaveLength(before); // never taken up again
    expect(log.slice(before)).toEqual(["q0", "q1", "q2"]);
    expect(events).toEqual(["done"]);
  });

  it("a zoom of the data drawn is drawn at once (whole); a first drawing never is", () => {
    const { slices, d, events } = setup(1);
    const log: string[] = [];
    // nothing drawn yet: whole is not honoured, the drawing goes in slices
    d.request({ data: "a:1", rest: "z=" }, pieces(log, "p", 100), SWEEP, true);
    expect(log.length).toBeLessThan(100);
    while (slices.next());
    expect(events).toEqual(["done"]);
    // the same data at a new zoom: all 100 pieces in this call, and the painter told so
    expect(d.request({ data: "a:1", rest: "z=1,2" }, pieces(log, "q", 100), SWEEP, true)).toBe("started");
    expect(log.filter((x) => x.startsWith("q"))).toHaveLength(100);
    expect(slices.jobs.size).toBe(0);
    expect(events).toEqual(["done", "done whole"]);
  });

  it("a sweep's new data alone waits DATA_GAP times the last drawing's cost", () => {
    vi.useFakeTimers();
    const { slices, d, clock, events } = setup(0);
    const log: string[] = [];
    // a drawing that costs 30 ms: the clock moves while its one piece runs
    const costly = function* () {
      clock.t += 30;
      log.push("p");
    };
    d.request({ data: "a:1", rest: "r" }, costly, SWEEP);
    while (slices.next());
    expect(log).toEqual(["p"]);
    clock.t += 10;
    // with the painter's 5 ms besides: wait until 30 + DATA_GAP * 35
    expect(d.request({ data: "a:2", rest: "r" }, pieces(log, "q", 1), { ...SWEEP, extraCost: 5 })).toBe("waits");
    expect(d.pending).toBe(true);
    // asked again meanwhile: one timer, not two
    expect(d.request({ data: "a:3", rest: "r" }, pieces(log, "q", 1), SWEEP)).toBe("waits");
    vi.advanceTimersByTime(DATA_GAP * 35 - 10 - 1);
    expect(events).toEqual(["done"]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["done", "wait over"]);
    // few lines never wait; nor does a change of anything else
    expect(d.request({ data: "a:4", rest: "r" }, pieces(log, "f", 1), FEW)).toBe("started");
    expect(d.request({ data: "a:5", rest: "r2" }, pieces(log, "g", 1), SWEEP)).toBe("started");
    expect(log).toEqual(["p", "f0", "g0"]);
  });

  it("stop calls off a drawing and a wait, and says whether either was pending", () => {
    vi.useFakeTimers();
    const { slices, d, clock, events } = setup(1);
    const log: string[] = [];
    expect(d.stop()).toBe(false);
    d.request({ data: "a:1", rest: "r" }, pieces(log, "p", 100), FEW);
    expect(d.stop()).toBe(true);
    expect(slices.jobs.size).toBe(0);
    expect(d.pending).toBe(false);
    // a wait for new data is called off too
    d.request({ data: "b:1", rest: "r" }, function* () { clock.t += 50; }, SWEEP);
    expect(d.request({ data: "b:2", rest: "r" }, pieces(log, "q", 1), SWEEP)).toBe("waits");
    expect(d.stop()).toBe(true);
    vi.runAllTimers();
    expect(events).toEqual(["done"]); // no "wait over"
  });

  it("invalidate makes the next request draw what is drawn again", () => {
    const { slices, d } = setup(1);
    const log: string[] = [];
    d.request({ data: "a:1", rest: "r" }, pieces(log, "p", 1), FEW);
    expect(d.request({ data: "a:1", rest: "r" }, pieces(log, "q", 1), FEW)).toBe("drawn");
    d.invalidate();
    expect(d.request({ data: "a:1", rest: "r" }, pieces(log, "q", 1), FEW)).toBe("started");
    while (slices.next());
    expect(log).toEqual(["p0", "q0"]);
  });

  it("rejects a slice length that is not a finite number >= 0", () => {
    const opts = { slices: new HandSlices(), onWaitOver: () => {}, onNewerData: () => {} };
    for (const bad of [-1, NaN, Infinity]) {
      expect(() => new PacedDrawing({ ...opts, sliceMs: bad })).toThrow(/sliceMs must be a finite number >= 0/);
    }
  });
});

describe("zoom", () => {
  it("a scale covering all the data is no zoom; anything narrower is the zoom", () => {
    expect(zoomOf([0, 100], 0, 100)).toBeNull();
    expect(zoomOf([0, 100], -5, 120)).toBeNull();
    expect(zoomOf([0, 100], 0, 100 - 1e-8)).toBeNull(); // within rounding of the full range
    expect(zoomOf([0, 100], 10, 90)).toEqual([10, 90]);
    expect(zoomOf([0, 100], 0, 99)).toEqual([0, 99]);
  });

  it("one x value shows as ±0.5 around it", () => {
    expect(fullRange([7, 7])).toEqual([6.5, 7.5]);
    expect(zoomOf([7, 7], 6.5, 7.5)).toBeNull();
    expect(zoomOf([7, 7], 6.9, 7.1)).toEqual([6.9, 7.1]);
    expect(shownRange([7, 7], null)).toEqual([6.5, 7.5]);
    expect(shownRange([0, 10], null)).toEqual([0, 10]);
    expect(shownRange([0, 10], [2, 3])).toEqual([2, 3]);
  });

  it("compares zooms by value", () => {
    expect(sameZoom(null, null)).toBe(true);
    expect(sameZoom(null, [1, 2])).toBe(false);
    expect(sameZoom([1, 2], null)).toBe(false);
    expect(sameZoom([1, 2], [1, 2])).toBe(true);
    expect(sameZoom([1, 2], [1, 3])).toBe(false);
  });
});
