// A run group as one chart line: the members' columns aggregated step by step (math/groups.ts)
// into the group's centre line (mean or median), its band (min to max or ±1 std) and the member
// count at each point. Statistics are over the members' values as drawn (smoothed with the
// chart's weight; at smoothing 0 they equal tbx_widget's Logs.aggregate).
import type { RunColumns } from "../math/columns";
import { aggregateSeries, type GroupBand, type GroupStat, type GroupStats } from "../math/groups";

export interface GroupColumns {
  /** x of each aggregated step: the step, or the members' mean time at it on a time axis. */
  x: Float64Array;
  raw: Float64Array;
  smoothed: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  count: Float64Array;
  n: number;
}

function centre(s: GroupStats, stat: GroupStat): Float64Array {
  return stat === "median" ? s.median : s.mean;
}

/** The group's columns, in ascending x. */
export function groupColumns(members: readonly RunColumns[], stat: GroupStat, band: GroupBand, stepAxis: boolean): GroupColumns {
  const of = (pick: (c: RunColumns) => Float64Array) => members.map((c) => ({ step: c.step, value: pick(c), n: c.n }));
  const median = stat === "median";
  const sm = aggregateSeries(of((c) => c.smoothed), median);
  const raw = aggregateSeries(of((c) => c.raw), median);
  const n = sm.n;
  const smoothed = centre(sm, stat);
  let lo: Float64Array;
  let hi: Float64Array;
  if (band === "std") {
    lo = new Float64Array(n);
    hi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      lo[i] = smoothed[i] - sm.std[i];
      hi[i] = smoothed[i] + sm.std[i];
    }
  } else {
    lo = sm.min;
    hi = sm.max;
  }
  const count = Float64Array.from(sm.count);
  // Both aggregations run over the same steps (NaN or not, every logged step is kept).
  const out: GroupColumns = { x: sm.step, raw: centre(raw, stat), smoothed, lo, hi, count, n };
  if (stepAxis) return out;
  const xs = aggregateSeries(of((c) => c.x), false);
  out.x = xs.mean;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = out.x[i] >= out.x[i - 1];
  if (sorted) return out;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => out.x[a] - out.x[b] || a - b);
  const take = (a: Float64Array) => Float64Array.from(order, (i) => a[i]);
  return { x: take(out.x), raw: take(out.raw), smoothed: take(out.smoothed), lo: take(lo), hi: take(hi), count: take(count), n };
}
