// Placing text labels on canvases without overlaps.

/**
 * Indices of labels to draw at positions `pos` (pixels along one axis, any order) so that no two
 * kept labels are closer than `gap`. The labels in `keep` (e.g. the newest step) are placed
 * first; the others are taken in order when they fit. Returned ascending.
 */
export function thinLabels(pos: readonly number[], gap: number, keep: readonly number[] = []): number[] {
  if (!(gap >= 0)) throw new RangeError(`thinLabels: gap must be >= 0, got ${gap}`);
  const kept: number[] = [];
  const fits = (i: number) => kept.every((k) => Math.abs(pos[k] - pos[i]) >= gap);
  for (const i of keep) if (i >= 0 && i < pos.length && !kept.includes(i) && fits(i)) kept.push(i);
  for (let i = 0; i < pos.length; i++) if (!kept.includes(i) && Number.isFinite(pos[i]) && fits(i)) kept.push(i);
  return kept.sort((a, b) => a - b);
}
