// A sweep's lines drawn in one pass: one path and one stroke per style, whatever the line count.
import { describe, expect, it } from "vitest";
import type uPlot from "uplot";
import { drawSweep, noPaths, PAINT_SLICE_MS, SweepPainter, type SweepLine } from "../src/chart/sweepdraw";

function recorder() {
  const calls: [string, ...unknown[]][] = [];
  const state: Record<string, unknown> = {};
  let depth = 0;
  const ctx = new Proxy({}, {
    get: (_t, name: string) => {
      if (name === "depth") return depth;
      return (...args: unknown[]) => {
        if (name === "save") depth++;
        if (name === "restore") depth--;
        calls.push([name, ...args, name === "stroke" || name === "fillRect" ? { ...state } : undefined]);
      };
    },
    set: (_t, name: string, v) => {
      state[name] = v;
      return true;
    },
  });
  return { ctx, calls, depth: () => depth };
}

function chart(data: (number | null)[][], opts: { logY?: boolean; y?: [number, number] } = {}) {
  const r = recorder();
  const [ymin, ymax] = opts.y ?? [0, 10];
  const u = {
    data, ctx: r.ctx, bbox: { left: 10, top: 5, width: 100, height: 50 },
    scales: { x: { min: 0, max: 10, distr: 1 }, y: { min: ymin, max: ymax, distr: opts.logY ? 3 : 1 } },
  } as unknown as uPlot;
  return { u, r };
}

describe("drawSweep", () => {
  it("strokes once per style for a thousand lines, thinnest first, and leaves the context as it was", () => {
    const xs = Array.from({ length: 11 }, (_, i) => i);
    const cols = Array.from({ length: 1000 }, (_, k) => xs.map((x) => (x + k) % 10));
    const { u, r } = chart([xs, ...cols]);
    const colours = Array.from({ length: 12 }, (_, i) => `#00000${i.toString(16)}`);
    const lines: SweepLine[] = cols.map((_, k) => ({ index: 1 + k, stroke: colours[k % 12], width: k === 7 ? 3.5 : 1 }));
    expect(drawSweep(u, lines)).toBe(13); // 12 colours at 1 px, the highlighted line alone
    const strokes = r.calls.filter((c) => c[0] === "stroke").map((c) => c[c.length - 1] as Record<string, unknown>);
    expect(strokes).toHaveLength(13);
    expect(strokes[12].lineWidth).toBe(3.5); // on top
    expect(r.calls.filter((c) => c[0] === "moveTo")).toHaveLength(1000);
    expect(r.calls.filter((c) => c[0] === "lineTo")).toHaveLength(1000 * 10);
    expect(r.depth()).toBe(0);
    expect(r.calls[0][0]).toBe("save");
    expect(r.calls.filter((c) => c[0] === "clip")).toHaveLength(1);
  });

  it("maps values to canvas pixels and joins across missing values; a lone point is a dot", () => {
    const { u, r } = chart([[0, 5, 10], [0, null, 10], [null, 4, null]]);
    drawSweep(u, [{ index: 1, stroke: "red", width: 1 }, { index: 2, stroke: "red", width: 1 }]);
    const pts = r.calls.filter((c) => c[0] === "moveTo" || c[0] === "lineTo").map((c) => [c[0], c[1], c[2]]);
    // x: 10 + x/10 * 100; y: 5 + 50 - v/10 * 50; +0.5 for a 1 px line
    expect(pts).toEqual([["moveTo", 10.5, 55.5], ["lineTo", 110.5, 5.5], ["moveTo", 60.5, 35.5]]);
    const dots = r.calls.filter((c) => c[0] === "fillRect");
    expect(dots).toHaveLength(1);
    expect(dots[0].slice(1, 5)).toEqual([58.5, 33.5, 4, 4]);
  });

  it("on a log scale skips values with no position (<= 0)", () => {
    const { u, r } = chart([[0, 5, 10], [1, -1, 100]], { logY: true, y: [1, 100] });
    drawSweep(u, [{ index: 1, stroke: "red", width: 2 }]);
    const pts = r.calls.filter((c) => c[0] === "moveTo" || c[0] === "lineTo").map((c) => [c[0], c[1], c[2]]);
    expect(pts).toEqual([["moveTo", 10, 55], ["lineTo", 110, 5]]);
  });

  it("draws nothing before the scales are set, and its series build no uPlot paths", () => {
    const { u, r } = chart([[0, 1], [1, 2]]);
    (u.scales.x as { min: number | null }).min = null;
    expect(drawSweep(u, [{ index: 1, stroke: "red", width: 1 }])).toBe(0);
    expect(r.calls).toHaveLength(0);
    expect(noPaths(u, 1, 0, 1)).toBeNull();
  });
});

describe("SweepPainter", () => {
  // A fake clock that each path point advances: painting a line costs `perLine` ms.
  function setup(lines: number, perLine: number) {
    const xs = Array.from({ length: 11 }, (_, i) => i);
    const cols = Array.from({ length: lines }, (_, k) => xs.map((x) => (x + k) % 10));
    const { u, r } = chart([xs, ...cols]);
    let t = 0;
    const ctx = u.ctx as unknown as Record<string, unknown>;
    const moveTo = ctx.moveTo as (...a: unknown[]) => void;
    Object.defineProperty(u, "ctx", { value: new Proxy(ctx, { get: (target, name: string) => (name === "moveTo" ? (...a: unknown[]) => { t += perLine; moveTo(...a); } : Reflect.get(target, name)) }) });
    const colours = Array.from({ length: 12 }, (_, i) => `#00000${i.toString(16)}`);
    const sweep: SweepLine[] = cols.map((_, k) => ({ index: 1 + k, stroke: colours[k % 12], width: k === 7 ? 3.5 : 1 }));
    const jobs = new Map<object, () => void>();
    const frames = { request: (key: object, job: () => void) => void jobs.set(key, job), cancel: (key: object) => void jobs.delete(key) };
    const painter = new SweepPainter(sweep, frames, PAINT_SLICE_MS, () => t);
    /** Run the frame's pending jobs; returns the clock time they took. */
    const frame = () => {
      const t0 = t;
      const now = [...jobs.values()];
      jobs.clear();
      for (const job of now) job();
      return t - t0;
    };
    return { u, r, sweep, painter, frame, jobs };
  }
  const path = (calls: [string, ...unknown[]][]) => calls.filter((c) => c[0] === "moveTo" || c[0] === "lineTo").map((c) => `${c[0]} ${c[1]} ${c[2]}`);
  const styles = (calls: [string, ...unknown[]][]) => {
    const out: string[] = [];
    for (const c of calls) {
      if (c[0] !== "stroke") continue;
      const s = c[c.length - 1] as Record<string, unknown>;
      const k = `${String(s.strokeStyle)} ${String(s.lineWidth)}`;
      if (out[out.length - 1] !== k) out.push(k); // a style split over slices is one style
    }
    return out;
  };

  it("paints a thousand lines a slice at a time over several frames, ending with the one-pass picture", () => {
    const { u, r, sweep, painter, frame, jobs } = setup(1000, 0.1); // 100 ms of painting
    painter.start(u);
    expect(painter.done).toBe(false);
    const first = painter.progress[0];
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(1000);
    let frames = 1;
    while (jobs.size) {
      const spent = frame();
      // a slice stops at PAINT_SLICE_MS, read every 8 lines (0.8 ms here)
      expect(spent).toBeLessThanOrEqual(PAINT_SLICE_MS + 0.8 + 1e-9);
      frames++;
      expect(frames).toBeLessThan(100);
    }
    expect(frames).toBeGreaterThanOrEqual(100 / (PAINT_SLICE_MS + 0.8));
    expect(painter.done).toBe(true);
    expect(painter.progress).toEqual([1000, 1000]);
    expect(r.depth()).toBe(0); // each slice leaves the context as it was
    // the same points and styles in the same order as one pass of drawSweep
    const one = chart(u.data as (number | null)[][]);
    drawSweep(one.u, sweep);
    expect(path(r.calls)).toEqual(path(one.r.calls));
    expect(styles(r.calls)).toEqual(styles(one.r.calls));
  });

  it("starts over at uPlot's next redraw and stops with the chart", () => {
    const { u, r, painter, frame, jobs } = setup(300, 0.1);
    let done = 0;
    painter.onDone = () => done++;
    painter.start(u);
    frame();
    expect(painter.done).toBe(false);
    r.calls.length = 0; // uPlot clears the canvas and redraws: the painter starts over
    painter.start(u);
    while (jobs.size) frame();
    expect(done).toBe(1);
    expect(r.calls.filter((c) => c[0] === "moveTo")).toHaveLength(300); // every line once, none left from before
    // a zoom's redraw: the next picture at once, in one slice, and only that one
    painter.wholeNext();
    r.calls.length = 0;
    painter.start(u);
    expect(painter.done).toBe(true);
    expect(jobs.size).toBe(0);
    expect(r.calls.filter((c) => c[0] === "moveTo")).toHaveLength(300);
    expect(done).toBe(2);
    painter.start(u);
    expect(painter.done).toBe(false);
    painter.stop();
    expect(jobs.size).toBe(0);
    expect(painter.done).toBe(true);
    expect(done).toBe(2);
    expect(() => new SweepPainter([], { request() {}, cancel() {} }, NaN)).toThrow(/sliceMs must be a finite number >= 0, got NaN/);
  });
});
