import { describe, expect, it } from "vitest";
import { MinMaxIndex, sweepBuckets, sweepGrid, SWEEP_POINT_BUDGET } from "../src/math/sweepgrid";

describe("sweep grid", () => {
  it("keeps every line's minimum and maximum per bucket, in order, on one shared x", () => {
    const n = 1000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 50));
    const b = Float64Array.from({ length: n }, (_, i) => (i === 437 ? 99 : i === 438 ? -99 : 0));
    const g = sweepGrid([{ x, ys: [a], n }, { x: x.subarray(0, 500), ys: [b], n: 500 }], 0, 999, 10);
    expect(g.x.length).toBe(2 * 12); // 10 buckets + one beyond each edge, two points each
    for (let i = 1; i < g.x.length; i++) expect(g.x[i]).toBeGreaterThan(g.x[i - 1]);
    expect(g.ys).toHaveLength(2);
    // the spike and the dip of b survive, spike first (it comes first)
    const bi = g.ys[1].indexOf(99);
    expect(bi).toBeGreaterThanOrEqual(0);
    expect(g.ys[1][bi + 1]).toBe(-99);
    // b ends at x=499: buckets past it are gaps
    expect(Number.isNaN(g.ys[1][g.x.length - 3])).toBe(true);
    // every value of a lies between the grid's overall extremes, and they are reached
    const finite = [...g.ys[0]].filter(Number.isFinite);
    expect(Math.max(...finite)).toBe(Math.max(...a));
    expect(Math.min(...finite)).toBe(Math.min(...a));
  });

  it("zoomed: only the range (plus a bucket each side) is bucketed; ends are added with no data", () => {
    const n = 100_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => i);
    const g = sweepGrid([{ x, ys: [y], n }], 5000, 6000, 100, [0, n - 1]);
    expect(g.x[0]).toBe(0);
    expect(g.x[g.x.length - 1]).toBe(n - 1);
    expect(Number.isNaN(g.ys[0][0])).toBe(true);
    const finite = [...g.ys[0]].filter(Number.isFinite);
    expect(Math.min(...finite)).toBeGreaterThanOrEqual(4990);
    expect(Math.max(...finite)).toBeLessThanOrEqual(6010);
  });

  it("matches a brute-force bucketing, with few points per bucket (a walk) or many (binary search)", () => {
    const n = 3000;
    const x = Float64Array.from({ length: n }, (_, i) => i * 1.5 + (i % 7) * 0.1);
    const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 11)));
    for (const [lo, hi, nb] of [[0, x[n - 1], 1000], [0, x[n - 1], 20], [900, 1400, 50], [900, 1400, 7]]) {
      const g = sweepGrid([{ x, ys: [y], n }], lo, hi, nb);
      const bw = (hi - lo) / nb;
      for (let j = 0; j < nb + 2; j++) {
        const a = lo - bw + j * bw, b = a + bw;
        // buckets are [a, b), but the range is inclusive: a point at hi is in its last bucket
        const inside = (v: number) => (j === nb ? v >= a && v <= hi : j === nb + 1 ? v > hi && v < b : v >= a && v < b);
        let mn = Infinity, mx = -Infinity;
        for (let i = 0; i < n; i++) if (inside(x[i])) { mn = Math.min(mn, y[i]); mx = Math.max(mx, y[i]); }
        const got = [g.ys[0][2 * j], g.ys[0][2 * j + 1]];
        if (mn === Infinity) expect(got.every(Number.isNaN)).toBe(true);
        else expect([Math.min(...got), Math.max(...got)]).toEqual([mn, mx]);
      }
    }
  });

  it("a last point at hi is in the range's last bucket (inside the plot), not the one beyond", () => {
    // three steps 0, 1, 2 over [0, 2]: the point at 2 was put past the plot's edge, off the y range
    const g = sweepGrid([{ x: Float64Array.of(0, 1, 2), ys: [Float64Array.of(1, 0.5, 0.25)], n: 3 }], 0, 2, 4);
    const at = (v: number) => Array.from(g.ys[0]).indexOf(v);
    expect(at(0.25)).toBeGreaterThanOrEqual(0);
    expect(g.x[at(0.25)]).toBeLessThanOrEqual(2);
    expect(g.x[at(0.25)]).toBeGreaterThan(1.5);
    expect(g.x[at(1)]).toBeGreaterThanOrEqual(0);
    expect(Array.from(g.ys[0].slice(-2)).every(Number.isNaN)).toBe(true); // nothing beyond hi
  });

  it("skips non-finite values; MinMaxIndex matches a scan", () => {
    const y = Float64Array.from({ length: 333 }, (_, i) => (i % 7 === 0 ? NaN : Math.cos(i * 1.3) * i));
    const m = new MinMaxIndex(y, y.length);
    const out = new Int32Array(2);
    for (const [s, e] of [[0, 333], [5, 70], [31, 33], [64, 300], [0, 1]]) {
      m.query(s, e, out);
      let mn = -1, mx = -1;
      for (let i = s; i < e; i++) {
        if (!Number.isFinite(y[i])) continue;
        if (mn < 0 || y[i] < y[mn]) mn = i;
        if (mx < 0 || y[i] > y[mx]) mx = i;
      }
      expect([out[0], out[1]]).toEqual([mn, mx]);
    }
  });

  it("buckets: a budget of points over all lines, within 16 and width / 2; bad input named", () => {
    expect(sweepBuckets(1000, 1200)).toBe(Math.floor(SWEEP_POINT_BUDGET / 2000));
    expect(sweepBuckets(1, 1200)).toBe(600);
    expect(sweepBuckets(100_000, 1200)).toBe(16);
    expect(() => sweepBuckets(-1, 100)).toThrow(/columns/);
    expect(() => sweepBuckets(3, 0)).toThrow(/width/);
    expect(() => sweepGrid([], 1, 0, 4)).toThrow(/lo\.\.hi/);
  });
});
