import { describe, expect, it } from "vitest";
import type uPlot from "uplot";
import { scalarSeries, type ScalarLine } from "../src/chart/scalarseries";
import { MANY_LINES } from "../src/chart/sweep";
import type { GroupColumns } from "../src/chart/grouplines";

const cols = { x: new Float64Array([0, 1]), raw: new Float64Array([1, 2]), smoothed: new Float64Array([1, 2]), n: 2 };
const line = (key: string, extra: Partial<ScalarLine> = {}): ScalarLine => ({ key, label: key, color: "#112233", cols, highlighted: false, ...extra });
const base = { xAxis: "step" as const, logY: false, withBand: false, members: [], rawAt: () => null };

describe("scalarSeries", () => {
  it("puts x first, the raw copies next, then the lines, and points the tooltip at each", () => {
    const plan = scalarSeries([line("a"), line("b"), line("c")], [true, false, true], base);
    expect(plan.series.map((s) => s.label)).toEqual(["step", "a (raw)", "c (raw)", "a", "b", "c"]);
    expect(plan.tipSeries.map((t) => [t.index, t.rawIndex])).toEqual([[3, 1], [4, undefined], [5, 2]]);
    expect(plan.selfDrawn).toBe(false);
    expect(plan.sweepLines).toEqual([]);
  });

  it("asks rawAt for the lines without a raw series, by their index", () => {
    const asked: [number, number][] = [];
    const plan = scalarSeries([line("a"), line("b")], [true, false], { ...base, rawAt: (i, x) => (asked.push([i, x]), 7) });
    expect(plan.tipSeries[0].rawAt).toBeUndefined();
    expect(plan.tipSeries[1].rawAt!(3)).toBe(7);
    expect(asked).toEqual([[1, 3]]);
  });

  it("fades the others and thickens a highlighted line", () => {
    const plan = scalarSeries([line("a", { highlighted: true }), line("b")], [false, false], base);
    const [, a, b] = plan.series as uPlot.Series[];
    expect(a.stroke).toBe("#112233");
    expect(b.stroke).not.toBe("#112233");
    expect((a.width as number) > (b.width as number)).toBe(true);
  });

  it("gives a group its band edges and a hidden member count the tooltip reads, members faint after", () => {
    const group = { cols: {} as GroupColumns, members: [] };
    const plan = scalarSeries([line("g", { group }), line("r")], [false, false],
      { ...base, withBand: true, members: [{ label: "m1", color: "#445566" }] });
    expect(plan.series.map((s) => s.label)).toEqual(["step", "g", "r", "g lower", "g upper", "g runs", "m1"]);
    expect(plan.bands).toEqual([{ series: [4, 3], fill: expect.any(String) }]);
    expect(plan.series[5].show).toBe(false);
    expect(plan.tipSeries[0].countIndex).toBe(5);
    expect(plan.tipSeries[1].countIndex).toBeUndefined();
    const noBand = scalarSeries([line("g", { group })], [false], base);
    expect(noBand.series.map((s) => s.label)).toEqual(["step", "g", "g runs"]);
  });

  it("hands a sweep's plain run lines to the sweep painter: no paths, one entry each", () => {
    const lines = Array.from({ length: MANY_LINES + 1 }, (_, i) => line(`r${i}`));
    const plan = scalarSeries(lines, lines.map((_, i) => i === 0), base);
    expect(plan.selfDrawn).toBe(true);
    expect(plan.sweepLines.map((s) => s.index)).toEqual(Array.from({ length: MANY_LINES + 2 }, (_, i) => i + 1));
    expect(plan.series.slice(1).every((s) => s.paths !== undefined && s.auto === false)).toBe(true);
    expect(scalarSeries(lines, lines.map(() => false), { ...base, logY: true }).series[1].auto).toBe(true);
  });
});
