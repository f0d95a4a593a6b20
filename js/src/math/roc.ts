// ROC curves, their area and confusion matrices from PR-curve counts (pure functions).
// A PR-curve record holds TP, FP, TN, FN at thresholds t / (k - 1), t = 0..k-1, ascending: at
// threshold 0 every example is predicted positive, at the last only the surest ones.

export interface Roc {
  /** False positive rate, ascending (starts at 0, ends at 1 when the counts allow). */
  fpr: Float64Array;
  /** True positive rate, paired with `fpr`. */
  tpr: Float64Array;
  /** Threshold index of each point (-1 for the added (0, 0) end: "predict nothing positive"). */
  index: Int32Array;
  /** Area under the curve by the trapezoid rule; NaN when there are no positives or no negatives. */
  auc: number;
}

/** ROC points from counts at ascending thresholds. */
export function rocCurve(tp: ArrayLike<number>, fp: ArrayLike<number>, tn: ArrayLike<number>, fn: ArrayLike<number>): Roc {
  const k = tp.length;
  // Walk thresholds from the highest (fewest positives predicted) to the lowest, and start at
  // (0, 0): a threshold above every score.
  const fpr = new Float64Array(k + 1);
  const tpr = new Float64Array(k + 1);
  const index = new Int32Array(k + 1);
  index[0] = -1;
  let defined = k > 0;
  for (let j = 0; j < k; j++) {
    const t = k - 1 - j;
    const pos = tp[t] + fn[t];
    const neg = fp[t] + tn[t];
    if (!(pos > 0) || !(neg > 0)) defined = false;
    tpr[j + 1] = pos > 0 ? tp[t] / pos : 0;
    fpr[j + 1] = neg > 0 ? fp[t] / neg : 0;
    index[j + 1] = t;
  }
  let auc = 0;
  for (let i = 1; i <= k; i++) auc += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return { fpr, tpr, index, auc: defined ? auc : NaN };
}

export interface Confusion {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Threshold value of index `t` among `k` thresholds (t / (k - 1)). */
export function thresholdAt(t: number, k: number): number {
  return k > 1 ? t / (k - 1) : 0;
}

/** The index of the threshold nearest to `value` in [0, 1]. */
export function thresholdIndex(value: number, k: number): number {
  if (k <= 1) return 0;
  return Math.min(k - 1, Math.max(0, Math.round(value * (k - 1))));
}

/** Confusion matrix and the usual rates at threshold index `t`. */
export function confusionAt(
  tp: ArrayLike<number>, fp: ArrayLike<number>, tn: ArrayLike<number>, fn: ArrayLike<number>, t: number,
): Confusion {
  const k = tp.length;
  const a = tp[t], b = fp[t], c = tn[t], d = fn[t];
  const total = a + b + c + d;
  const precision = a + b > 0 ? a / (a + b) : NaN;
  const recall = a + d > 0 ? a / (a + d) : NaN;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN;
  return {
    threshold: thresholdAt(t, k), tp: a, fp: b, tn: c, fn: d,
    accuracy: total > 0 ? (a + c) / total : NaN, precision, recall, f1,
  };
}
