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
  return lineCount <= MANY_LINES ? 2 : 1.25;
}
