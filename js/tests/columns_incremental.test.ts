// Per-update work of a scalar series proportional to what is appended (issue 19: live tail at
// 50,000 events/s): smoothing, relative x and the decimation's block summaries extend the
// previous result; anything else (settings changed, data replaced) is computed in full. Results
// are bit for bit those of a full recompute.
import { describe, expect, it } from "vitest";
import { columnStats, runColumns, type RunColumns } from "../src/math/columns";
import { decimateIndices, summaryStats } from "../src/math/decimate";
import { smooth, Smoother } from "../src/math/smoothing";
import { ScalarSeries, type RunInfo } from "../src/store";
import type { XAxis } from "../src/ui";

const run: RunInfo = { name: "r", index: 0, color: "#000" };

/** A noisy series of `n` points from `from`, with a NaN and an Infinity now and then. */
function points(from: number, n: number): [Float64Array, Float64Array, Float64Array] {
  const step = new Float64Array(n);
  const wall = new Float64Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = from + i;
    step[i] = k;
    wall[i] = 1e9 + k * 0.01;
    value[i] = k % 997 === 5 ? NaN : k % 1999 === 7 ? Infinity : Math.sin(k * 0.37) + k * 1e-5;
  }
  return [step, wall, value];
}

/** The same points in a series of their own (columns computed from nothing). */
function fresh(s: ScalarSeries): ScalarSeries {
  const f = new ScalarSeries();
  f.append(s.step.slice(0, s.n), s.wallTime.slice(0, s.n), s.value.slice(0, s.n));
  return f;
}

function expectSame(a: RunColumns, b: RunColumns): void {
  expect(a.n).toBe(b.n);
  for (const k of ["x", "raw", "smoothed", "step", "wall"] as const) {
    expect(a[k].length).toBe(b[k].length);
    expect(Array.from(a[k])).toEqual(Array.from(b[k])); // toEqual: NaN equals NaN, bit for bit otherwise
  }
}

describe("Smoother (smoothing extended with appended points)", () => {
  it("gives smooth's values bit for bit, computing only the appended points", () => {
    const [, , v] = points(0, 20_000);
    for (const w of [0, 0.6, 0.999]) {
      const sm = new Smoother(w);
      let n = 0;
      for (const m of [2, 1, 500, 3, 7_000, 12_488]) {
        const out = sm.update(v, n + m, n);
        expect(sm.computed).toBe(m);
        n += m;
        expect(Array.from(out)).toEqual(Array.from(smooth(v, w, n)));
      }
    }
  });

  it("a constant series is shown as is until a value differs; then every point is smoothed", () => {
    const v = new Float64Array([3, 3, NaN, 3, 3, 4, 5, 3]);
    const sm = new Smoother(0.5);
    const first = sm.update(v, 5, 0);
    expect(Array.from(first)).toEqual([3, 3, NaN, 3, 3]);
    const out = sm.update(v, 8, 5);
    expect(Array.from(out)).toEqual(Array.from(smooth(v, 0.5)));
    expect(Array.from(first)).toEqual([3, 3, NaN, 3, 3]); // a view handed out keeps its values
  });

  it("starts over when the kept points are not all stable, and rejects a bad n", () => {
    const [, , v] = points(0, 100);
    const sm = new Smoother(0.7);
    sm.update(v, 60, 0);
    const w = v.slice();
    w[10] = 42;
    expect(Array.from(sm.update(w, 100, 10))).toEqual(Array.from(smooth(w, 0.7, 100)));
    expect(sm.computed).toBe(100);
    expect(() => sm.update(v, 101, 0)).toThrow(/n must be an integer in \[0, 100\], got 101/);
  });
});

describe("runColumns on a growing series", () => {
  for (const xAxis of ["step", "relative", "wall"] as XAxis[]) {
    it(`appending 1,000 points to 250,000 computes only them (x axis ${xAxis})`, () => {
      const s = new ScalarSeries();
      s.append(...points(0, 250_000));
      s.append(...points(250_000, 1)); // grows the adopted columns into arrays of its own
      s.append(...points(250_001, 1)); // and then by doubling
      const before = runColumns(run, s, 0.6, xAxis);
      decimateIndices(before.x, [before.raw, before.smoothed], before.n, 800);
      const full0 = columnStats.full;
      const ext0 = columnStats.extended;
      const scanned0 = summaryStats.computed;
      s.append(...points(250_002, 1_000));
      const c = runColumns(run, s, 0.6, xAxis);
      expect(columnStats.full - full0).toBe(0);
      expect(columnStats.extended - ext0).toBe(1_000);
      const idx = decimateIndices(c.x, [c.raw, c.smoothed], c.n, 800);
      // Two columns' block summaries: the appended points and the partial block before them.
      expect(summaryStats.computed - scanned0).toBeLessThanOrEqual(2 * (1_000 + 32));
      const f = runColumns(run, fresh(s), 0.6, xAxis);
      expectSame(c, f);
      expect(Array.from(idx)).toEqual(Array.from(decimateIndices(f.x, [f.raw, f.smoothed], f.n, 800)));
      // The columns handed out before are as they were.
      expect(before.n).toBe(250_002);
      expect(before.smoothed.length).toBe(250_002);
    });
  }

  it("computes in full when the smoothing or the x axis changes, or the data is replaced", () => {
    const s = new ScalarSeries();
    s.append(...points(0, 5_000));
    s.append(...points(5_000, 10));
    runColumns(run, s, 0.6, "step");
    let full0 = columnStats.full;
    const c1 = runColumns(run, s, 0.9, "step");
    expect(columnStats.full - full0).toBe(5_010);
    expectSame(c1, runColumns(run, fresh(s), 0.9, "step"));
    full0 = columnStats.full;
    runColumns(run, s, 0.9, "relative");
    expect(columnStats.full - full0).toBe(5_010);
    // A whole answer written into the same arrays (columns sharing one buffer are copied in):
    // other values at every point.
    const m = 5_010;
    const buf = new Float64Array(3 * m);
    const [st, wa, va] = points(0, m);
    for (let i = 0; i < m; i++) va[i] = -va[i] * 3;
    buf.set(st, 0);
    buf.set(wa, m);
    buf.set(va, 2 * m);
    const value = s.value;
    s.append(buf.subarray(0, m), buf.subarray(m, 2 * m), buf.subarray(2 * m), true);
    expect(s.value).toBe(value); // rewritten in place
    const c2 = runColumns(run, s, 0.9, "relative");
    expectSame(c2, runColumns(run, fresh(s), 0.9, "relative"));
  });

  it("a whole answer rewritten in the same arrays is computed in full, even where only unprobed points differ", () => {
    const m = 4_001;
    const s = new ScalarSeries();
    s.append(...points(0, m));
    s.append(...points(m, 10)); // grown by copying: the store's own arrays, written in place below
    runColumns(run, s, 0.6, "step");
    // The same points again but one value, away from the first, middle and last point, in one buffer.
    const n = s.n;
    const buf = new Float64Array(3 * n);
    const [st, wa, va] = points(0, n);
    va[7] = 1e6;
    buf.set(st, 0);
    buf.set(wa, n);
    buf.set(va, 2 * n);
    const value = s.value;
    s.append(buf.subarray(0, n), buf.subarray(n, 2 * n), buf.subarray(2 * n), true);
    expect(s.value).toBe(value); // rewritten in place
    const full0 = columnStats.full;
    const c = runColumns(run, s, 0.6, "step");
    expect(columnStats.full - full0).toBe(n);
    expect(c.raw[7]).toBe(1e6);
    expectSame(c, runColumns(run, fresh(s), 0.6, "step"));
  });

  it("a series drawn with two settings (two cards) extends both", () => {
    const s = new ScalarSeries();
    s.append(...points(0, 10_000));
    s.append(...points(10_000, 1));
    s.append(...points(10_001, 1));
    runColumns(run, s, 0.6, "step");
    runColumns(run, s, 0, "relative");
    s.append(...points(10_002, 50));
    const full0 = columnStats.full;
    const ext0 = columnStats.extended;
    const a = runColumns(run, s, 0.6, "step");
    const b = runColumns(run, s, 0, "relative");
    expect(columnStats.full - full0).toBe(0);
    expect(columnStats.extended - ext0).toBe(100);
    expectSame(a, runColumns(run, fresh(s), 0.6, "step"));
    expectSame(b, runColumns(run, fresh(s), 0, "relative"));
  });

  it("a relative x axis whose minimum wall time moves is computed in full", () => {
    const s = new ScalarSeries();
    s.append(...points(0, 100));
    s.append(...points(100, 10));
    runColumns(run, s, 0.5, "relative");
    const [st, wa, va] = points(110, 5);
    wa[2] = 5; // earlier than any wall time so far
    s.append(st, wa, va);
    const full0 = columnStats.full;
    const c = runColumns(run, s, 0.5, "relative");
    expect(columnStats.full - full0).toBe(115);
    expectSame(c, runColumns(run, fresh(s), 0.5, "relative"));
  });
});
