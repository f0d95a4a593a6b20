// A scalar card's downloads as text (pure): CSV of the points as logged, JSON with TensorBoard's
// smoothing at the card's weight. The card hands them to the browser's download.
import { smooth } from "../math/smoothing";
import type { ScalarSeries } from "../store";

/** CSV of per-run points: `run,step,wall_time,value`, a run name with a quote, comma or newline
 * quoted; one line per point, in logged order. */
export function scalarsCsv(runs: readonly { run: string; s: ScalarSeries }[]): string {
  const rows = ["run,step,wall_time,value"];
  for (const { run, s } of runs) {
    const name = /[",\n]/.test(run) ? `"${run.replace(/"/g, '""')}"` : run;
    for (let i = 0; i < s.n; i++) rows.push(`${name},${s.step[i]},${s.wallTime[i]},${s.value[i]}`);
  }
  return rows.join("\n") + "\n";
}

/** One run's points in a scalar card's JSON download. */
export interface ScalarsJsonRun {
  run: string;
  label: string;
  /** Per point; a non-finite value or smoothed value is null (JSON has no NaN or Infinity). */
  step: number[];
  wall_time: number[];
  value: (number | null)[];
  smoothed: (number | null)[];
}

/**
 * A scalar card's data as drawn, for its JSON download: per visible run its points in logged
 * order with TensorBoard's smoothing at the card's weight.
 */
export function scalarsJson(tag: string, smoothing: number, runs: { run: string; label: string; s: ScalarSeries }[]): { tag: string; smoothing: number; runs: ScalarsJsonRun[] } {
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    tag,
    smoothing,
    runs: runs.map(({ run, label, s }) => {
      const value = s.value.subarray(0, s.n);
      const sm = smooth(value, smoothing, s.n);
      return {
        run, label,
        step: Array.from(s.step.subarray(0, s.n)),
        wall_time: Array.from(s.wallTime.subarray(0, s.n)),
        value: Array.from(value, finite),
        smoothed: Array.from(sm, finite),
      };
    }),
  };
}
