// TensorBoard's scalar smoothing: a debiased exponential moving average.
//   last = last * w + (1 - w) * y   (starting at 0, over finite points only)
//   shown = last / (1 - w^n)        (n = finite points so far)
// Non-finite points (NaN, ±Infinity) pass through unsmoothed and do not touch the average.
// A constant series is returned as is (as TensorBoard does, its issue #786): the average of a
// constant differs from it by rounding, which a tight y range around the constant would show.

export function smooth(values: ArrayLike<number>, weight: number, n = values.length, out?: Float64Array): Float64Array {
  const w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 0.999999);
  const res = out && out.length >= n ? out : new Float64Array(n);
  if (isConstant(values, n)) {
    for (let i = 0; i < n; i++) res[i] = values[i];
    return res;
  }
  emaInto(values, res, 0, n, w, { last: 0, power: 1 });
  return res;
}

/** The debiased average of `values[from, n)` into `res`, continuing from `state` (the average so
 * far and w ** finite points so far), which is left at its value after `n`. NaN and ±Infinity
 * pass through. The one EMA loop of `smooth` and `Smoother`. */
function emaInto(values: ArrayLike<number>, res: Float64Array, from: number, n: number, w: number, state: { last: number; power: number }): void {
  let { last, power } = state;
  for (let i = from; i < n; i++) {
    const y = values[i];
    if (y - y !== 0) {
      res[i] = y; // NaN and ±Infinity pass through
      continue;
    }
    last = last * w + (1 - w) * y;
    power *= w;
    res[i] = w === 0 ? y : last / (1 - power);
  }
  state.last = last;
  state.power = power;
}

/** Whether the finite values among the first `n` are all equal (true for none). */
function isConstant(values: ArrayLike<number>, n: number): boolean {
  let first: number | null = null;
  for (let i = 0; i < n; i++) {
    const y = values[i];
    if (y - y !== 0) continue;
    if (first === null) first = y;
    else if (y !== first) return false;
  }
  return true;
}

/**
 * A series' smoothing kept between updates: `update` extends the previous result with the
 * points appended since (EMA and debiasing are sequential), into a buffer grown by doubling.
 * Results are bit for bit those of `smooth`.
 */
export class Smoother {
  /** Points computed by the latest `update` (a test hook: appending m points computes m). */
  computed = 0;
  private readonly w: number;
  private buf = new Float64Array(0);
  private n = 0;
  private last = 0;
  private power = 1;
  private first = NaN; // first finite value (NaN: none yet)
  private constant = true;

  constructor(readonly weight: number) {
    this.w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 0.999999);
  }

  /**
   * Smoothed `values[0, n)`. `stable`: how many leading values are unchanged since the previous
   * update; when it covers the previous result only the rest is computed, else all of it.
   * The view returned is over a buffer reused by later updates.
   */
  update(values: ArrayLike<number>, n: number, stable: number): Float64Array {
    if (!(Number.isInteger(n) && n >= 0 && n <= values.length)) {
      throw new RangeError(`Smoother.update: n must be an integer in [0, ${values.length}], got ${n}`);
    }
    if (!(stable >= this.n && this.n <= n)) this.reset();
    const start = this.n;
    if (n > this.buf.length) {
      const next = new Float64Array(Math.max(16, n, 2 * this.buf.length));
      next.set(this.buf.subarray(0, start));
      this.buf = next;
    }
    const res = this.buf;
    const w = this.w;
    let last = this.last;
    let power = this.power;
    let first = this.first;
    let constant = this.constant;
    let flip = -1; // where the series stopped being constant
    let i = start;
    // While constant so far: shown as is, the average kept alongside.
    for (; constant && i < n; i++) {
      const y = values[i];
      res[i] = y;
      if (y - y !== 0) continue; // NaN and ±Infinity pass through
      if (first !== first) first = y;
      else if (y !== first) {
        constant = false;
        flip = i;
      }
      last = last * w + (1 - w) * y;
      power *= w;
      if (!constant && w !== 0) res[i] = last / (1 - power);
    }
    if (w === 0) {
      for (; i < n; i++) res[i] = values[i];
    } else {
      const state = { last, power };
      emaInto(values, res, i, n, w, state);
      ({ last, power } = state);
    }
    this.computed = n - start;
    if (flip >= 0 && w !== 0) {
      // The points before were shown as is (a constant so far): they are smoothed now, in a
      // buffer of their own (views handed out earlier keep what they showed).
      const out = start > 0 ? (this.buf = res.slice()) : res;
      emaInto(values, out, 0, flip, w, { last: 0, power: 1 });
      this.computed += Math.min(flip, start); // those before this update, computed again
    }
    this.n = n;
    this.last = last;
    this.power = power;
    this.first = first;
    this.constant = constant;
    return this.buf.subarray(0, n);
  }

  private reset(): void {
    this.n = 0;
    this.last = 0;
    this.power = 1;
    this.first = NaN;
    this.constant = true;
  }
}
