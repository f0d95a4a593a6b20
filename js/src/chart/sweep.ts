// Scalar charts of many lines (a sweep of hundreds of runs): what to draw so a card stays fast.
// Past MANY_LINES lines, only highlighted lines draw their raw (unsmoothed) values faint behind
// the smoothed line: the others draw the smoothed line alone, thinner. Few lines draw as before.

/** More lines than this on one chart count as a sweep. */
export const MANY_LINES = 50;

/** Whether a line draws (and carries) its raw values: always for few lines, else when highlighted. */
export function drawsRaw(lineCount: number, highlighted: boolean): boolean {
  if (!Number.isInteger(lineCount) || lineCount < 0) throw new RangeError(`drawsRaw: lineCount must be an integer >= 0, got ${String(lineCount)}`);
  return lineCount <= MANY_LINES || highlighted;
}

/** The smoothed line's width in CSS pixels. */
export function lineWidth(lineCount: number, highlighted: boolean): number {
  if (highlighted) return 3.5;
  // A sweep's lines are 1 px: the canvas strokes them as hairlines, several times faster than
  // wider lines in software rendering (hundreds of lines per paint).
  return lineCount <= MANY_LINES ? 2 : 1;
}

/** A drawn chart redraws for new data alone at most once per this many times its last draw's cost. */
export const DATA_GAP = 2;

/**
 * Milliseconds to wait before redrawing a chart of `lineCount` lines for new data alone (0: now),
 * given the time now, when its last draw ended and what it cost (ms): for a sweep (more than
 * MANY_LINES lines) drawing takes at most about 1 / (1 + DATA_GAP) of the time while batches
 * stream in, however big the chart has grown; fewer lines redraw at once, as they always did.
 */
export function dataRedrawDelay(lineCount: number, now: number, lastEnd: number, lastCost: number): number {
  for (const [name, v] of [["lineCount", lineCount], ["now", now], ["lastEnd", lastEnd], ["lastCost", lastCost]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`dataRedrawDelay: ${name} must be a finite number, got ${String(v)}`);
  }
  if (lineCount <= MANY_LINES) return 0;
  return Math.max(0, lastEnd + DATA_GAP * Math.max(0, lastCost) - now);
}
