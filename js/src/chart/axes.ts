// uPlot axes and scales shared by the scalar and custom-scalar charts: theme colours, readable
// tick labels (log scales too), a sensible range for constant series, integer ticks for
// integer-only x (steps, epochs).
import type uPlot from "uplot";
import type { ThemeColors } from "../theme";
import { fmtDuration, fmtNum } from "../ui";

export type XKind = "step" | "relative" | "wall";

/** Tick increments 1, 2, 5 × 10^k from 1 up: ticks on whole numbers only. */
export const INTEGER_INCRS: readonly number[] = (() => {
  const out: number[] = [];
  for (let m = 1; m <= 1e15; m *= 10) out.push(m, 2 * m, 5 * m);
  return out;
})();

/** Whether every finite value of the first `n` of `a` is a whole number. */
export function allIntegers(a: ArrayLike<number>, n = a.length): boolean {
  for (let i = 0; i < n; i++) if (Number.isFinite(a[i]) && !Number.isInteger(a[i])) return false;
  return true;
}

/**
 * The y range for data spanning [min, max]: 5% padding; a constant series (up to rounding) gets
 * ±10% of its value (a constant 0.001 reads as 0.0009 … 0.0011, not −1 … 1), or ±1 around 0.
 */
export function paddedRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  // Constant up to rounding (smoothing a constant leaves differences of ~1e-16 of the value).
  if (max - min <= 1e-9 * Math.max(Math.abs(min), Math.abs(max))) {
    const mid = (min + max) / 2;
    const pad = Math.abs(mid) * 0.1 || 1;
    return [mid - pad, mid + pad];
  }
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

/** Tick labels: the ones uPlot filtered out (null, on log scales) stay blank, not "–". */
export function tickLabels(ticks: readonly (number | null)[], fmt: (v: number) => string = fmtNum): string[] {
  return ticks.map((t) => (t === null || t === undefined || !Number.isFinite(t) ? "" : fmt(t)));
}

/** Width for a y axis whose labels are `values` (about 7 px per character at uPlot's 12 px font). */
export function yAxisSize(values: readonly string[] | null | undefined): number {
  let longest = 0;
  for (const v of values ?? []) if (v && v.length > longest) longest = v.length;
  return longest === 0 ? 50 : Math.max(40, Math.ceil(longest * 7) + 18);
}

/** Axis options in the theme's colours: x (by kind; integer ticks when `integerX`) and y. */
export function chartAxes(theme: ThemeColors, xKind: XKind, integerX: boolean): uPlot.Axis[] {
  const base = (): uPlot.Axis => ({
    stroke: theme.fg,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
  });
  const x: uPlot.Axis = { ...base() };
  if (xKind === "relative") x.values = (_u, ticks) => tickLabels(ticks, fmtDuration);
  else if (xKind === "step") {
    x.values = (_u, ticks) => tickLabels(ticks);
    if (integerX) x.incrs = INTEGER_INCRS as number[];
  }
  const y: uPlot.Axis = { ...base(), size: (_u, values) => yAxisSize(values), values: (_u, ticks) => tickLabels(ticks) };
  return [x, y];
}
