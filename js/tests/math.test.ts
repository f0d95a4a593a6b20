import { describe, expect, it } from "vitest";
import { decimateIndices } from "../src/math/decimate";
import { DISTRIBUTION_PERCENTS, percentiles, quantile } from "../src/math/percentiles";
import { smooth } from "../src/math/smoothing";

describe("smooth (TensorBoard debiased EMA)", () => {
  it("matches the formula on known values", () => {
    const out = smooth([1, 2, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(1.25 / 0.75, 12);
    expect(out[2]).toBeCloseTo(2.125 / 0.875, 12);
  });

  it("matches a direct implementation for w = 0.6", () => {
    const ys = [3, -1, 4, 1, 5, 9, 2, 6];
    const w = 0.6;
    let last = 0;
    const expected = ys.map((y, i) => {
      last = last * w + (1 - w) * y;
      return last / (1 - Math.pow(w, i + 1));
    });
    Array.from(smooth(ys, w)).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });

  it("returns a constant series as is (no rounding wiggle)", () => {
    const c = Math.fround(0.001);
    const out = smooth(new Array(30).fill(c), 0.6);
    expect(Array.from(out).every((v) => v === c)).toBe(true);
    const withNaN = smooth([c, NaN, c], 0.6);
    expect(withNaN[0]).toBe(c);
    expect(Number.isNaN(withNaN[1])).toBe(true);
    expect(withNaN[2]).toBe(c);
  });

  it("passes non-finite points through and does not count them", () => {
    const out = smooth([1, NaN, 2, Infinity, -Infinity], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBeCloseTo(1.25 / 0.75, 12); // n = 2 finite points
    expect(out[3]).toBe(Infinity);
    expect(out[4]).toBe(-Infinity);
  });

  it("is the identity for w = 0", () => {
    const ys = [0.1, -7, 1e9, NaN, 3];
    const out = smooth(ys, 0);
    expect(out[0]).toBe(0.1);
    expect(out[1]).toBe(-7);
    expect(out[2]).toBe(1e9);
    expect(Number.isNaN(out[3])).toBe(true);
    expect(out[4]).toBe(3);
  });

  it("keeps the first value and a constant series unchanged for any w", () => {
    for (const w of [0.6, 0.9, 0.999]) {
      const out = smooth([5, 5, 5, 5], w);
      out.forEach((v) => expect(v).toBeCloseTo(5, 9));
    }
  });
});

describe("percentiles", () => {
  it("interpolates linearly inside buckets of a uniform histogram", () => {
    const p = percentiles([1, 2, 3, 4], [1, 1, 1, 1], 0, 4);
    const expected = DISTRIBUTION_PERCENTS.map((q) => (q / 100) * 4);
    p.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });

  it("uses min as the first bucket's left edge and clamps to [min, max]", () => {
    const p = percentiles([10, 1.7976931348623157e308], [2, 2], 5, 15, [0, 25, 50, 75, 100]);
    expect(p[0]).toBe(5);
    expect(p[1]).toBeCloseTo(7.5, 12);
    expect(p[2]).toBeCloseTo(10, 12);
    expect(p[3]).toBeCloseTo(12.5, 12);
    expect(p[4]).toBe(15);
  });

  it("skips empty buckets and handles an empty histogram", () => {
    const p = percentiles([1, 2, 3], [1, 0, 1], 0, 3, [50]);
    expect(p[0]).toBeCloseTo(1, 12);
    expect(percentiles([1], [0], 0, 1, [50]).every(Number.isNaN)).toBe(true);
  });

  it("quantile of plain values", () => {
    expect(quantile([4, 1, 3, 2, 5, NaN], 50)).toBe(3);
    expect(quantile([0, 10], 5)).toBeCloseTo(0.5, 12);
  });
});

describe("decimateIndices", () => {
  const n = 100_000;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500));
  y[51_234] = 100;
  y[77_777] = -100;
  y[10] = NaN;

  it("keeps per-bucket extremes, endpoints and spikes, in order", () => {
    const idx = decimateIndices(x, [y], n, 500);
    expect(idx.length).toBeLessThan(2 * 500 + 10 + 500);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(n - 1);
    expect(Array.from(idx)).toContain(51_234);
    expect(Array.from(idx)).toContain(77_777);
    expect(Array.from(idx)).toContain(10); // a non-finite point is kept (drawn as a gap)
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
    // Envelope preserved: global min/max are in the picks.
    const picked = Array.from(idx, (i) => y[i]).filter(Number.isFinite);
    expect(Math.max(...picked)).toBe(100);
    expect(Math.min(...picked)).toBe(-100);
  });

  it("keeps extremes of every y column", () => {
    const y2 = new Float64Array(n);
    y2[333] = 42;
    const idx = Array.from(decimateIndices(x, [y, y2], n, 200));
    expect(idx).toContain(333);
    expect(idx).toContain(51_234);
  });

  it("returns everything when there are few points", () => {
    expect(Array.from(decimateIndices([0, 1, 2], [[5, 6, 7]], 3, 100))).toEqual([0, 1, 2]);
    expect(decimateIndices([], [[]], 0, 100).length).toBe(0);
  });

  it("restricts to a zoom range plus one neighbour on each side", () => {
    const idx = decimateIndices(x, [y], n, 100, 50_000, 60_000);
    expect(idx[0]).toBe(49_999);
    expect(idx[idx.length - 1]).toBe(60_001);
    expect(Array.from(idx)).toContain(51_234);
    expect(idx.length).toBeLessThan(400);
  });

  it("is fast for 1e6 points", () => {
    const m = 1_000_000;
    const xs = Float64Array.from({ length: m }, (_, i) => i);
    const ys = Float64Array.from({ length: m }, (_, i) => Math.sin(i));
    const t0 = performance.now();
    const idx = decimateIndices(xs, [ys, ys], m, 1000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(idx.length).toBeLessThanOrEqual(2 * 2 * 1000 + 2);
  });
});
