// A chart's x zoom, as the scalar card keeps it: null (all the data shown) or the [min, max]
// the user dragged, panned or zoomed to. Pure functions; the card holds the state.

/** An x zoom: null for all the data. */
export type Zoom = [number, number] | null;

/** The x range that shows all the data `full` ([first x, last x]); a single x gets ±0.5. */
export function fullRange(full: readonly [number, number]): [number, number] {
  return full[0] === full[1] ? [full[0] - 0.5, full[1] + 0.5] : [full[0], full[1]];
}

/** The x range to show: the zoom, else all the data. */
export function shownRange(full: readonly [number, number], zoom: Zoom): [number, number] {
  return zoom ? [zoom[0], zoom[1]] : fullRange(full);
}

/**
 * The zoom an x scale of [min, max] stands for, given the data's extent `full`: null when it
 * covers all the data (uPlot's double-click reset; a scale set to the full range), else the
 * scale itself.
 */
export function zoomOf(full: readonly [number, number], min: number, max: number): Zoom {
  const [lo, hi] = fullRange(full);
  const eps = (hi - lo) * 1e-9;
  return min <= lo + eps && max >= hi - eps ? null : [min, max];
}

/** Whether two zooms are the same. */
export function sameZoom(a: Zoom, b: Zoom): boolean {
  return a === null ? b === null : b !== null && a[0] === b[0] && a[1] === b[1];
}
