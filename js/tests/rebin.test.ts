import { describe, expect, it } from "vitest";
import { DEFAULT_BINS, rebin, sharedRange, type Bucketed } from "../src/math/rebin";

/** TensorFlow's default edges: ±1e-12·1.1^k below 1e20, and 0. */
function tfEdges(): number[] {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return [...pos.map((v) => -v).reverse(), 0, ...pos];
}

/** Deterministic N(mu, 1) samples (mulberry32 + Box-Muller). */
function normals(n: number, mu: number, seed: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: number[] = [];
  while (out.length < n) {
    const u = 1 - rand();
    const v = rand();
    out.push(mu + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

/** The values bucketed as the writer does: default edges, populated range plus one bucket before. */
function bucketed(values: number[]): Bucketed {
  const edges = tfEdges();
  const counts = new Array(edges.length - 1).fill(0);
  for (const x of values) {
    let lo = 0;
    let hi = edges.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= x) lo = mid;
      else hi = mid;
    }
    counts[lo]++;
  }
  const first = Math.max(0, counts.findIndex((c) => c > 0) - 1);
  const last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
  return {
    limits: edges.slice(first + 1, last + 2),
    counts: counts.slice(first, last + 1),
    min: values.reduce((a, b) => Math.min(a, b), Infinity),
    max: values.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

describe("rebin", () => {
  it("preserves each histogram's total and shares one range", () => {
    const hs = [bucketed(normals(5000, 0, 1)), bucketed(normals(3000, 2, 2)), bucketed([0.25])];
    const r = rebin(hs);
    expect(r.lo).toBe(Math.min(...hs.map((h) => h.min)));
    expect(r.hi).toBe(Math.max(...hs.map((h) => h.max)));
    expect(r.counts.map((c) => c.length)).toEqual([DEFAULT_BINS, DEFAULT_BINS, DEFAULT_BINS]);
    expect(sum(r.counts[0])).toBeCloseTo(5000, 6);
    expect(sum(r.counts[1])).toBeCloseTo(3000, 6);
    expect(sum(r.counts[2])).toBeCloseTo(1, 9);
  });

  it("draws N(0,1) in the default exponential buckets as a bell", () => {
    const r = rebin([bucketed(normals(200_000, 0, 3))]);
    const c = Array.from(r.counts[0]);
    const peak = c.indexOf(Math.max(...c));
    const centre = (0 - r.lo) / ((r.hi - r.lo) / DEFAULT_BINS); // bin position of 0
    expect(Math.abs(peak + 0.5 - centre)).toBeLessThanOrEqual(2);
    // Monotone up to the peak and down after, within sampling noise (4 standard deviations).
    for (let i = 0; i < peak; i++) expect(c[i + 1]).toBeGreaterThanOrEqual(c[i] - 4 * Math.sqrt(c[i] + 1));
    for (let i = peak; i < c.length - 1; i++) expect(c[i + 1]).toBeLessThanOrEqual(c[i] + 4 * Math.sqrt(c[i] + 1));
    // No spike at 0: the bin holding 0 is close to its neighbours (a density would be ~1e10 times).
    const zero = Math.floor(centre);
    expect(c[zero] / Math.max(c[zero - 2], c[zero + 2])).toBeLessThan(1.2);
    // The tails are small.
    expect(c[0]).toBeLessThan(c[peak] * 0.02);
    expect(c[c.length - 1]).toBeLessThan(c[peak] * 0.02);
  });

  it("splits a bucket by its overlap with the bins", () => {
    // One bucket [0, 3] with 30 values over bins [0,1), [1,2), [2,3]: 10 each; one of width 0.
    const r = rebin([{ limits: [3], counts: [30], min: 0, max: 3 }], 3);
    expect(Array.from(r.counts[0])).toEqual([10, 10, 10]);
    const p = rebin([{ limits: [1, 1, 4], counts: [0, 5, 6], min: 1, max: 4 }], 3);
    expect(Array.from(p.counts[0])).toEqual([7, 2, 2]);
  });

  it("widens a single-point range and rejects bad bins", () => {
    expect(sharedRange([{ limits: [2], counts: [4], min: 2, max: 2 }])).toEqual([1.9, 2.1]);
    expect(sharedRange([])).toEqual([-0.5, 0.5]);
    expect(sum(rebin([{ limits: [2], counts: [4], min: 2, max: 2 }]).counts[0])).toBe(4);
    expect(() => rebin([], 0)).toThrow(/bins must be a positive integer, got 0/);
  });
});
