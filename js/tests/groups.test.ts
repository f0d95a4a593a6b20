/// <reference types="vite/client" />
// Run groups: the shared cases of tests/fixtures/groups_cases.json (also checked by
// tests/test_groups.py against tbx_widget/groups.py and reader/aggregate.py).
import { describe, expect, it } from "vitest";
import { aggregateSeries, groupKey, groupRuns, parseGrouping, type Grouping } from "../src/math/groups";

interface Shared {
  cases: { group: Grouping; hparams?: Record<string, Record<string, unknown>>; keys: Record<string, string> }[];
  aggregate: { members: { step: number[]; value: (number | null)[] }[]; want: Record<string, (number | null)[]> }[];
}
const files = import.meta.glob<Shared>("../../tests/fixtures/groups_cases.json", { eager: true, import: "default" });
const shared = Object.values(files)[0];
const nan = (xs: (number | null)[]) => xs.map((x) => (x === null ? NaN : x));

describe("groupKey (shared cases with groups.py)", () => {
  for (const c of shared.cases) {
    it(JSON.stringify(c.group), () => {
      const g = parseGrouping(c.group);
      expect(g).not.toBeNull();
      const got = Object.fromEntries(Object.keys(c.keys).map((run) => [run, groupKey(run, g!, c.hparams?.[run])]));
      expect(got).toEqual(c.keys);
    });
  }
});

describe("aggregateSeries (shared cases with aggregate.py)", () => {
  shared.aggregate.forEach((c, i) => {
    it(`case ${i}`, () => {
      const members = c.members.map((m) => ({ step: m.step, value: nan(m.value), n: m.step.length }));
      const got = aggregateSeries(members);
      expect(Array.from(got.step)).toEqual(c.want.step);
      expect(Array.from(got.count)).toEqual(c.want.count);
      for (const stat of ["mean", "median", "min", "max", "std"] as const) {
        const want = nan(c.want[stat]);
        const have = Array.from(got[stat]);
        expect(have.length).toBe(want.length);
        have.forEach((v, j) => (Number.isNaN(want[j]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(want[j], 12)));
      }
    });
  });
});

describe("parseGrouping and groupRuns", () => {
  it("rejects what is not a grouping and keeps the drawing options", () => {
    expect(parseGrouping(null)).toBeNull();
    expect(parseGrouping({ by: "rank" })).toBeNull();
    expect(parseGrouping({ by: "regex", pattern: "(" })).toBeNull();
    expect(parseGrouping({ by: "regex", pattern: "" })).toBeNull();
    expect(parseGrouping({ by: "hparam" })).toBeNull();
    expect(parseGrouping({ by: "prefix" })).toEqual({ by: "prefix", sep: "/" });
    expect(parseGrouping({ by: "ranks", stat: "median", band: "std", members: true, junk: 1 })).toEqual({ by: "ranks", stat: "median", band: "std", members: true });
    expect(parseGrouping({ by: "ranks", stat: "mode", band: 3 })).toEqual({ by: "ranks" });
  });

  it("groups in order of first member; unplaced runs stand alone", () => {
    const got = groupRuns(["gpu_0", "cpu", "gpu_1", "x/gpu_0"], { by: "ranks" });
    expect([...got.entries()]).toEqual([["gpu_*", ["gpu_0", "gpu_1"]], ["cpu", ["cpu"]], ["x/gpu_*", ["x/gpu_0"]]]);
  });

  it("aggregates many members with unsorted, repeated steps like a direct computation", () => {
    const members = Array.from({ length: 7 }, (_, m) => {
      const step = Array.from({ length: 40 }, (_, i) => (i * 7 + m * 3) % 50);
      const value = step.map((s, i) => Math.sin(s + m) * 10 + i * 0.01);
      return { step, value, n: step.length };
    });
    const got = aggregateSeries(members);
    for (let p = 0; p < got.n; p++) {
      const s = got.step[p];
      const vs: number[] = [];
      for (const m of members) {
        let last: number | undefined;
        m.step.forEach((x, i) => {
          if (x === s) last = m.value[i];
        });
        if (last !== undefined) vs.push(last);
      }
      vs.sort((a, b) => a - b);
      const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
      expect(got.count[p]).toBe(vs.length);
      expect(got.mean[p]).toBeCloseTo(mean, 10);
      expect(got.min[p]).toBe(vs[0]);
      expect(got.max[p]).toBe(vs[vs.length - 1]);
      expect(got.median[p]).toBeCloseTo(vs.length % 2 ? vs[(vs.length - 1) / 2] : (vs[vs.length / 2 - 1] + vs[vs.length / 2]) / 2, 12);
    }
  });
});
