// The uPlot series of a scalar chart, planned from the lines it draws (pure: no DOM, no card
// state): the x series, each line's faint raw copy where it has one, the lines, a group's band
// edges and its hidden member count, member runs faint underneath; the tooltip's view of them;
// and for a sweep (more than MANY_LINES plain run lines), the lines chart/sweepdraw.ts paints
// itself in one pass. No function made here names the lines or their columns: a chart's
// callbacks would keep one build's columns alive for the chart's life.
import type uPlot from "uplot";
import type { GroupColumns } from "./grouplines";
import { lineWidth, MANY_LINES } from "./sweep";
import { noPaths, type SweepLine } from "./sweepdraw";
import type { TipSeries } from "./tooltip";
import type { RunColumns } from "../math/columns";
import { fmtDuration, fmtNum, fmtWall, withAlpha, type XAxis } from "../ui";

/** What a scalar chart draws as one line: a run, or a group of runs aggregated. */
export interface ScalarLine {
  key: string;
  label: string;
  color: string;
  cols: { x: Float64Array; raw: Float64Array; smoothed: Float64Array; n: number };
  highlighted: boolean;
  /** A group of two or more runs: its aggregated columns and its members' columns. */
  group?: { cols: GroupColumns; members: RunColumns[] };
}

export function xLabel(xAxis: XAxis): string {
  return xAxis === "step" ? "step" : xAxis === "relative" ? "relative time" : "wall time";
}

export function fmtX(xAxis: XAxis, v: number): string {
  if (xAxis === "relative") return fmtDuration(v);
  if (xAxis === "wall") return fmtWall(v);
  return fmtNum(v);
}

/** uPlot `points.show`: mark points only when the shown range has fewer than two (no line). */
export function lonePoint(u: uPlot, seriesIdx: number, i0: number, i1: number): boolean {
  const col = u.data[seriesIdx];
  let seen = 0;
  for (let i = i0; i <= i1 && seen < 2; i++) if (col[i] !== null && col[i] !== undefined) seen++;
  return seen < 2;
}

export interface SeriesPlan {
  series: uPlot.Series[];
  bands: uPlot.Band[];
  tipSeries: TipSeries[];
  /** Lines painted by chart/sweepdraw.ts (their series draw no paths); empty unless `selfDrawn`. */
  sweepLines: SweepLine[];
  selfDrawn: boolean;
}

export interface SeriesOptions {
  xAxis: XAxis;
  logY: boolean;
  /** Draw a group's band (min–max or ±std) between two edge series. */
  withBand: boolean;
  /** Member runs drawn faint under their group: label and the group's colour. */
  members: readonly { label: string; color: string }[];
  /** The raw value at `x` of line `i` as drawn now, for lines without a raw series. */
  rawAt: (i: number, x: number) => number | null;
}

/** The series, bands and tooltip series of a chart of `lines` (`raws[i]`: line i has a raw series). */
export function scalarSeries(lines: readonly ScalarLine[], raws: readonly boolean[], o: SeriesOptions): SeriesPlan {
  const { xAxis, logY } = o;
  const k = raws.filter(Boolean).length; // raw series, drawn first
  const lineCount = lines.length;
  const series: uPlot.Series[] = [{ label: xLabel(xAxis), value: (_u, v) => (v === null ? "–" : fmtX(xAxis, v)) }];
  const bands: uPlot.Band[] = [];
  let r = 0;
  const rawAt = o.rawAt;
  const tipSeries: TipSeries[] = lines.map((l, i) => ({ key: l.key, label: l.label, color: l.color, index: 1 + k + i,
    ...(raws[i] ? { rawIndex: 1 + r++ } : { rawAt: (x: number) => rawAt(i, x) }) }));
  // With a highlighted run, the others fade and it draws thicker.
  const anyHighlight = lines.some((l) => l.highlighted);
  const faded = (l: ScalarLine) => anyHighlight && !l.highlighted;
  const selfDrawn = lineCount > MANY_LINES && !lines.some((l) => l.group);
  const sweepLines: SweepLine[] = [];
  const lineSeries = (s: uPlot.Series): uPlot.Series => {
    if (!selfDrawn) return s;
    sweepLines.push({ index: series.length, stroke: s.stroke as string, width: s.width ?? 1 });
    // its y range comes from the grid, not from uPlot scanning a thousand columns (which
    // holding NaN would also spoil); a log axis still scans (it skips NaN)
    return { ...s, paths: noPaths, points: { show: false }, auto: logY };
  };
  const value = (_u: uPlot, v: number) => fmtNum(v);
  lines.forEach((l, i) => {
    if (!raws[i]) return;
    series.push(lineSeries({
      label: `${l.label} (raw)`, stroke: withAlpha(l.color, faded(l) ? 0.06 : 0.25), width: 1, spanGaps: true,
      points: { show: false }, value,
    }));
  });
  lines.forEach((l) => {
    series.push(lineSeries({
      label: l.label, stroke: faded(l) ? withAlpha(l.color, 0.3) : l.color,
      width: lineWidth(lineCount, l.highlighted), spanGaps: true,
      points: { show: lonePoint }, // a series of one point still shows; lines carry no dots
      value,
    }));
  });
  lines.forEach((l, i) => {
    if (!l.group) return;
    if (o.withBand) {
      const at = series.length;
      const edge = { stroke: withAlpha(l.color, 0.35), width: 1, spanGaps: true, points: { show: false }, value };
      series.push({ ...edge, label: `${l.label} lower` }, { ...edge, label: `${l.label} upper` });
      bands.push({ series: [at + 1, at], fill: withAlpha(l.color, faded(l) ? 0.05 : 0.18) });
    }
    // The member count: not drawn (own scale, hidden), read by the tooltip.
    series.push({ label: `${l.label} runs`, show: false, scale: "count", spanGaps: true, points: { show: false } });
    tipSeries[i].countIndex = series.length - 1;
  });
  for (const { label, color } of o.members) {
    series.push({ label, stroke: withAlpha(color, 0.2), width: 1, spanGaps: true, points: { show: false }, value });
  }
  return { series, bands, tipSeries, sweepLines, selfDrawn };
}
