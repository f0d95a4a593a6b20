// Off-screen cards skip redraws and catch up when seen or when the data is quiet.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CardView } from "../src/ui";
import { FrameSlices, LazyUpdates } from "../src/views/visibility";

class FakeObserver {
  static last: FakeObserver | null = null;
  watched = new Set<Element>();
  constructor(public cb: (entries: IntersectionObserverEntry[]) => void) {
    FakeObserver.last = this;
  }
  observe(el: Element) {
    this.watched.add(el);
  }
  unobserve(el: Element) {
    this.watched.delete(el);
  }
  disconnect() {
    this.watched.clear();
  }
  show(el: Element, visible: boolean) {
    this.cb([{ target: el, isIntersecting: visible } as IntersectionObserverEntry]);
  }
}

/** The page's clock (performance.now) while `fakeClock` is in force: tests move it by hand. */
let now = 0;

/** Fake timers, and performance.now reading `now` (from 0). */
function fakeClock(): void {
  vi.useFakeTimers();
  now = 0;
  vi.spyOn(performance, "now").mockImplementation(() => now);
}

/** A card on the page counting its redraws; each redraw moves the clock on by `cost` ms. */
function card(cost = 0): CardView & { updates: number } {
  const el = document.createElement("div");
  document.body.append(el);
  const c = {
    el, updates: 0, destroy: () => {},
    update: () => {
      c.updates++;
      now += cost;
    },
  };
  return c;
}

/** LazyUpdates(...args) under FakeObserver, and that observer (to report cards on and off screen). */
function observed(...args: ConstructorParameters<typeof LazyUpdates>): { lazy: LazyUpdates; io: FakeObserver } {
  vi.stubGlobal("IntersectionObserver", FakeObserver);
  const lazy = new LazyUpdates(...args);
  return { lazy, io: FakeObserver.last! };
}

/** requestAnimationFrame stubbed: the callbacks asked for, to run by hand. */
function stubFrames(): FrameRequestCallback[] {
  const frames: FrameRequestCallback[] = [];
  vi.stubGlobal("requestAnimationFrame", (cb: FrameRequestCallback) => frames.push(cb));
  return frames;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  vi.restoreAllMocks();
  document.body.textContent = "";
});

describe("LazyUpdates", () => {
  it("releases a card that leaves the screen (once per leaving), draws it when it comes back, not off screen before", () => {
    vi.useFakeTimers();
    const { lazy, io } = observed(1000);
    const released: string[] = [];
    const [a, b, c] = [card(), card(), card()];
    const ra = Object.assign(a, { release: () => (released.push("a"), true) });
    const rb = Object.assign(b, { release: () => (released.push("b"), true) });
    const rc = Object.assign(c, { release: () => (released.push("c"), false) }); // nothing to draw again
    for (const x of [ra, rb, rc]) lazy.watch(x);
    io.show(a.el, false); // first report: never on screen
    for (const x of [b, c]) {
      io.show(x.el, true);
      io.show(x.el, false);
      io.show(x.el, false);
    }
    expect(released).toEqual(["b", "c"]);
    for (const x of [a, b, c]) lazy.update(x);
    vi.advanceTimersByTime(5000); // quiet: cards that can let go are not caught up off screen
    expect([a.updates, b.updates, c.updates]).toEqual([0, 0, 0]);
    io.show(b.el, true); // back: drawn again (no new data needed)
    vi.advanceTimersByTime(0);
    expect(b.updates).toBe(1);
    io.show(a.el, true); // first time in view: drawn
    vi.advanceTimersByTime(0);
    expect(a.updates).toBe(1);
    expect(lazy.pending).toBe(0);
    lazy.unwatch(rb);
    io.show(b.el, true);
    io.show(b.el, false);
    expect(released).toEqual(["b", "c"]);
  });

  it("calls off the redraw a card on screen waits for when it leaves (drawn on return, or caught up if it cannot let go)", () => {
    fakeClock();
    const { lazy, io } = observed(1000);
    const slow = card(40); // a slow redraw spaces the next one out (3x its cost)
    const [a, b] = [card(), card()];
    const ra = Object.assign(a, { release: () => true });
    for (const x of [slow, ra, b]) { // b: a card that keeps its data (no release)
      lazy.watch(x);
      io.show(x.el, true);
    }
    for (const x of [slow, a, b]) lazy.update(x); // the slow one now, the others wait 120 ms
    vi.advanceTimersByTime(0);
    expect([slow.updates, a.updates, b.updates]).toEqual([1, 0, 0]);
    io.show(a.el, false);
    io.show(b.el, false);
    vi.advanceTimersByTime(500); // their turn came while off screen: not drawn
    expect([a.updates, b.updates]).toEqual([0, 0]);
    vi.advanceTimersByTime(1000); // quiet: the one that keeps its data catches up, the other waits
    expect([a.updates, b.updates]).toEqual([0, 1]);
    io.show(a.el, true);
    vi.advanceTimersByTime(0);
    expect(a.updates).toBe(1);
    expect(lazy.pending).toBe(0);
  });

  it("redraws at once without IntersectionObserver (as before)", () => {
    vi.stubGlobal("IntersectionObserver", undefined);
    const lazy = new LazyUpdates();
    const c = card();
    lazy.watch(c);
    lazy.update(c);
    expect(c.updates).toBe(1);
  });

  it("redraws visible cards now, off-screen ones when they scroll into view or the data is quiet", () => {
    vi.useFakeTimers();
    const { lazy, io } = observed(1000);
    const [a, b, c] = [card(), card(), card()];
    for (const x of [a, b, c]) lazy.watch(x);
    io.show(a.el, true);
    for (let i = 0; i < 5; i++) {
      for (const x of [a, b, c]) lazy.update(x);
      vi.advanceTimersByTime(100); // data keeps coming: no catch-up yet
    }
    expect([a.updates, b.updates, c.updates]).toEqual([5, 0, 0]);
    expect(lazy.pending).toBe(2);
    io.show(b.el, true); // scrolled into view: drawn once, in the next task
    expect(b.updates).toBe(0);
    lazy.update(b); // data meanwhile: still one draw
    vi.advanceTimersByTime(0);
    expect(b.updates).toBe(1);
    vi.advanceTimersByTime(1000); // quiet: the rest catch up, one card per task
    expect(c.updates).toBe(1);
    expect(lazy.pending).toBe(0);
    lazy.unwatch(c);
    lazy.update(a);
    lazy.update(a);
    expect(a.updates).toBe(5); // on screen: redrawn in a task of its own, once
    vi.advanceTimersByTime(0);
    expect(a.updates).toBe(6);
    lazy.destroy();
  });
});

describe("LazyUpdates under a steady stream", () => {
  it("still brings off-screen cards up to date every few seconds", () => {
    fakeClock();
    const { lazy } = observed(1000, 5000); // at most 5 s behind
    const off = card();
    lazy.watch(off);
    for (let i = 0; i < 60; i++) {
      lazy.update(off); // a batch every 100 ms: never a quiet second
      vi.advanceTimersByTime(100);
      now += 100;
    }
    expect(off.updates).toBeGreaterThanOrEqual(1);
    expect(off.updates).toBeLessThanOrEqual(2);
  });
});

describe("LazyUpdates catch-up pacing", () => {
  it("spaces off-screen catch-ups by three times the last one's cost", () => {
    fakeClock();
    const { lazy } = observed(1000, 10_000);
    const [a, b] = [card(100), card(100)]; // a 100 ms redraw
    lazy.watch(a);
    lazy.watch(b);
    lazy.update(a);
    lazy.update(b);
    vi.advanceTimersByTime(1000);
    expect([a.updates, b.updates]).toEqual([1, 0]);
    vi.advanceTimersByTime(250);
    expect(b.updates).toBe(0);
    vi.advanceTimersByTime(60);
    expect(b.updates).toBe(1);
  });
});

describe("LazyUpdates on-screen pacing", () => {
  it("waits three times a slow redraw's cost before the next one, coalescing requests", () => {
    fakeClock();
    const { lazy, io } = observed();
    const c = card(100);
    lazy.watch(c);
    io.show(c.el, true);
    lazy.update(c);
    vi.advanceTimersByTime(0);
    expect(c.updates).toBe(1);
    for (let i = 0; i < 5; i++) lazy.update(c); // five batches while it waits: one redraw
    vi.advanceTimersByTime(250);
    expect(c.updates).toBe(1);
    vi.advanceTimersByTime(60);
    expect(c.updates).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(c.updates).toBe(2);
  });
});

describe("LazyUpdates: cards coming into view", () => {
  it("are drawn a slice at a time, never all in one task", () => {
    fakeClock();
    const { lazy, io } = observed(1000, 10_000);
    const costs = [3, 3, 3, 40, 2, 2];
    const cards = costs.map((ms) => {
      const c = card(ms);
      lazy.watch(c);
      lazy.update(c); // data came while they were off screen
      return c;
    });
    io.cb(cards.map((c) => ({ target: c.el, isIntersecting: true }) as unknown as IntersectionObserverEntry)); // the page shows them
    expect(cards.map((c) => c.updates)).toEqual([0, 0, 0, 0, 0, 0]);
    const drawn = () => cards.map((c) => c.updates);
    vi.advanceTimersToNextTimer();
    expect(drawn()).toEqual([1, 1, 1, 0, 0, 0]); // 9 ms >= the 8 ms slice: the rest later
    vi.advanceTimersToNextTimer();
    expect(drawn()).toEqual([1, 1, 1, 1, 0, 0]); // a slow card alone in its task
    io.show(cards[5].el, false); // scrolled away before its turn: stale, not drawn
    vi.advanceTimersToNextTimer();
    expect(drawn()).toEqual([1, 1, 1, 1, 1, 0]);
    expect(lazy.pending).toBe(1);
    io.show(cards[5].el, true);
    vi.advanceTimersToNextTimer();
    expect(drawn()).toEqual([1, 1, 1, 1, 1, 1]);
    expect(lazy.pending).toBe(0);
    lazy.destroy();
  });
});

describe("FrameSlices", () => {
  it("runs the jobs asked at once a slice per frame, in order, each key once", () => {
    fakeClock();
    const frames = stubFrames();
    const slices = new FrameSlices(8);
    const ran: string[] = [];
    const job = (name: string, ms: number) => () => {
      ran.push(name);
      now += ms;
    };
    const keys = ["a", "b", "c", "d", "e"].map(() => ({}));
    slices.request(keys[0], job("a", 200)); // a card's first draw at 1,000 lines
    slices.request(keys[1], job("b", 3));
    slices.request(keys[2], job("c", 3));
    slices.request(keys[1], job("b2", 3)); // asked again: runs once, in its first place
    slices.request(keys[3], job("d", 3));
    slices.request(keys[4], job("e", 3));
    slices.cancel(keys[4]);
    expect(frames).toHaveLength(1);
    frames.shift()!(0);
    expect(ran).toEqual(["a"]); // alone in its frame
    frames.shift()!(0);
    expect(ran).toEqual(["a", "b2", "c", "d"]); // 9 ms: the slice is spent only after d
    expect(slices.pending).toBe(0);
    expect(frames).toHaveLength(0);
  });
});

describe("FrameSlices in tasks", () => {
  it("runs a slice per task (setTimeout), never in an animation frame; bad options named", () => {
    fakeClock();
    const frames = stubFrames();
    const slices = new FrameSlices(8, "task");
    const ran: string[] = [];
    const keys = [{}, {}, {}];
    keys.forEach((k, i) => slices.request(k, () => {
      ran.push(String(i));
      now += 5;
    }));
    expect(ran).toEqual([]);
    vi.advanceTimersToNextTimer();
    expect(ran).toEqual(["0", "1"]); // 10 ms: the slice is spent after the second
    vi.advanceTimersToNextTimer();
    expect(ran).toEqual(["0", "1", "2"]);
    expect(frames).toHaveLength(0);
    expect(() => new FrameSlices(8, "idle" as "task")).toThrow(/when must be "frame" or "task", got idle/);
    expect(() => new FrameSlices(-1)).toThrow(/sliceMs must be a finite number >= 0, got -1/);
  });
});
