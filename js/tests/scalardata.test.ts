// A scalar chart's data (chart/scalardata.ts): column order with groups, bands and members; the
// zoom keeps each line's ends; a sweep goes onto one grid, a line per pause, with its y extent.
import { describe, expect, it } from "vitest";
import { groupColumns } from "../src/chart/grouplines";
import { scalarData, type ScalarDataInput } from "../src/chart/scalardata";
import type { ScalarLine } from "../src/chart/scalarseries";
import type { RunColumns } from "../src/math/columns";
import type { RunInfo } from "../src/store";

function cols(name: string, steps: number[], values: number[], smoothed = values): RunColumns {
  const x = Float64Array.from(steps);
  return {
    run: { name, color: "#000" } as unknown as RunInfo, x, step: x, wall: x,
    raw: Float64Array.from(values), smoothed: Float64Array.from(smoothed), n: steps.length,
  };
}

function line(c: RunColumns, extra: Partial<ScalarLine> = {}): ScalarLine {
  return { key: c.run.name, label: c.run.name, color: "#000", cols: c, highlighted: false, ...extra };
}

/** Run the builder to its end; how many times it paused. */
function build(o: ScalarDataInput) {
  const g = scalarData(o);
  let pauses = 0;
  for (;;) {
    const r = g.next();
    if (r.done) return { ...r.value, pauses };
    pauses++;
  }
}

const base = { members: [], band: "minmax" as const, zoom: null, width: 400, logY: false, pauses: false };
const arr = (c: ArrayLike<number | null | undefined>) => Array.from(c);

describe("scalarData", () => {
  it("joins runs on one x: raw columns first, then smoothed; a gap is null", () => {
    const a = cols("a", [0, 1, 2], [1, 2, 3], [10, 20, 30]);
    const b = cols("b", [1, 3], [5, 6], [50, 60]);
    const { data, ySpan } = build({ ...base, lines: [line(a), line(b)], raws: [true, false], full: [0, 3] });
    expect(arr(data[0])).toEqual([0, 1, 2, 3]);
    expect(data).toHaveLength(4); // x, a raw, a smoothed, b smoothed
    expect(arr(data[1])).toEqual([1, 2, 3, null]);
    expect(arr(data[2])).toEqual([10, 20, 30, null]);
    expect(arr(data[3])).toEqual([null, 50, null, 60]);
    expect(ySpan).toBeNull(); // uPlot's own range
  });

  it("a group brings its band edges and member count after the smoothed lines, members last", () => {
    const m1 = cols("g/1", [0, 1], [1, 3]);
    const m2 = cols("g/2", [0, 1], [3, 5]);
    const g = groupColumns([m1, m2], "mean", "minmax", true);
    const grouped = line(m1, { key: "group:g", cols: g, group: { cols: g, members: [m1, m2] } });
    const solo = cols("s", [0, 1], [7, 8]);
    const o = { ...base, lines: [grouped, line(solo)], raws: [true, true], full: [0, 1] as [number, number], members: [m1, m2] };
    const { data } = build(o);
    // x, raw(group), raw(s), smoothed(group), smoothed(s), lo, hi, count, member 1, member 2
    expect(data).toHaveLength(10);
    expect(arr(data[1])).toEqual([2, 4]);
    expect(arr(data[2])).toEqual([7, 8]);
    expect(arr(data[3])).toEqual([2, 4]);
    expect(arr(data[5])).toEqual([1, 3]);
    expect(arr(data[6])).toEqual([3, 5]);
    expect(arr(data[7])).toEqual([2, 2]);
    expect(arr(data[8])).toEqual([1, 3]);
    expect(arr(data[9])).toEqual([3, 5]);
    // without a band: no edges, the count stays
    expect(build({ ...o, band: "none" }).data).toHaveLength(8);
  });

  it("a zoom keeps each line's first and last point (a double-click reset spans the data)", () => {
    const steps = Array.from({ length: 1000 }, (_, i) => i);
    const a = cols("a", steps, steps.map((s) => Math.sin(s / 10)));
    const { data } = build({ ...base, lines: [line(a)], raws: [false], full: [0, 999], zoom: [400, 500] });
    const x = arr(data[0]) as number[];
    expect(x[0]).toBe(0);
    expect(x[x.length - 1]).toBe(999);
    expect(x.filter((v) => v >= 400 && v <= 500).length).toBeGreaterThan(50);
    expect(x.filter((v) => v > 0 && v < 390)).toEqual([]); // nothing else outside the zoom but the ends
  });

  it("log y drops values <= 0", () => {
    const a = cols("a", [0, 1, 2], [-1, 0, 4]);
    const { data } = build({ ...base, lines: [line(a)], raws: [true], full: [0, 2], logY: true });
    expect(arr(data[1])).toEqual([null, null, 4]);
  });

  it("a sweep goes onto one grid, pausing after each line, with its y extent within the shown range", () => {
    const steps = Array.from({ length: 100 }, (_, i) => i);
    const lines = Array.from({ length: 60 }, (_, r) => line(cols(`r${r}`, steps, steps.map((s) => r + s / 100))));
    const raws = lines.map(() => false);
    const { data, ySpan, pauses } = build({ ...base, lines, raws, full: [0, 99], pauses: true });
    expect(pauses).toBe(60);
    expect(data).toHaveLength(61);
    expect(data[1]).toBeInstanceOf(Float64Array); // NaN for no point, not null
    expect(ySpan).toEqual([0, 59.99]);
    // zoomed to the first half: the extent is of what is shown
    const z = build({ ...base, lines, raws, full: [0, 99], pauses: false, zoom: [0, 49] });
    expect(z.pauses).toBe(0);
    expect(z.ySpan![1]).toBeCloseTo(59.49, 10);
    // log y: the run at 0 loses its zero; the extent starts above it
    const lg = build({ ...base, lines, raws, full: [0, 99], logY: true });
    expect(lg.ySpan![0]).toBe(0.01);
  });
});
