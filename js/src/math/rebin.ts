// Re-binning of bucketed histograms into equal-width bins, as TensorBoard's histogram view does:
// every shown step gets the same bins over the range all of them span, and each source bucket's
// count is split between the new bins in proportion to its overlap with them (a bucket of zero
// width gives all its count to the bin holding it). Counts are never divided by a width, so the
// tiny buckets of TensorBoard's exponential default edges near 0 do not dominate.

/** A bucketed histogram: bucket j spans [limits[j-1], limits[j]] (the first starts at `min`),
 * edges clamped to [min, max] (the outer default buckets reach ±DBL_MAX). */
export interface Bucketed {
  limits: ArrayLike<number>;
  counts: ArrayLike<number>;
  min: number;
  max: number;
}

export interface Rebinned {
  /** Left edge of the first bin and right edge of the last. */
  lo: number;
  hi: number;
  /** Per input histogram, `bins` counts (same order as the input). */
  counts: Float64Array[];
}

export const DEFAULT_BINS = 30;

/** The [lo, hi] spanned by the histograms' finite min/max (widened when empty or a point). */
export function sharedRange(hists: readonly Bucketed[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const hs of hists) {
    if (Number.isFinite(hs.min) && hs.min < lo) lo = hs.min;
    if (Number.isFinite(hs.max) && hs.max > hi) hi = hs.max;
  }
  if (!(lo <= hi)) return [-0.5, 0.5];
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.05 || 0.5;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/** Add one histogram's counts into `out` (bins of equal width over [lo, hi]). */
export function rebinInto(hs: Bucketed, lo: number, hi: number, out: Float64Array): void {
  const bins = out.length;
  const width = (hi - lo) / bins;
  if (!(width > 0)) throw new RangeError(`rebinInto: the range [${lo}, ${hi}] must have a positive width`);
  const binOf = (x: number) => Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / width)));
  let left = hs.min;
  for (let j = 0; j < hs.counts.length; j++) {
    const c = hs.counts[j];
    const l = Math.min(Math.max(left, hs.min), hs.max);
    const r = Math.min(Math.max(hs.limits[j], hs.min), hs.max);
    left = hs.limits[j];
    if (!(c > 0)) continue;
    if (!(r > l)) {
      out[binOf(l)] += c;
      continue;
    }
    const span = r - l;
    const first = binOf(l);
    const last = binOf(r);
    if (first === last) {
      out[first] += c;
      continue;
    }
    for (let b = first; b <= last; b++) {
      const bl = b === 0 ? -Infinity : lo + b * width;
      const br = b === bins - 1 ? Infinity : lo + (b + 1) * width;
      const overlap = Math.min(r, br) - Math.max(l, bl);
      if (overlap > 0) out[b] += (c * overlap) / span;
    }
  }
}

/**
 * Re-bin histograms into `bins` equal-width bins over the range they all span (or `range`).
 * Each histogram's total count is preserved.
 */
export function rebin(hists: readonly Bucketed[], bins = DEFAULT_BINS, range?: [number, number]): Rebinned {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`rebin: bins must be a positive integer, got ${bins}`);
  const [lo, hi] = range ?? sharedRange(hists);
  const counts = hists.map((hs) => {
    const out = new Float64Array(bins);
    rebinInto(hs, lo, hi, out);
    return out;
  });
  return { lo, hi, counts };
}
