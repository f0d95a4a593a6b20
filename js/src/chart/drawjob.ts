// A chart's drawing, paced: what the scalar card draws is named by two signatures, its data
// (the runs and their versions) and the rest (smoothing, x axis, zoom, width, ...). A drawing
// is a generator that yields between pieces of work; it runs DRAW_SLICE_MS at a time and the
// rest waits in coming tasks (views/visibility.ts taskSlices), so a sweep's first chart is
// built over several frames instead of in one long task (issue 19: frame gaps). The chart
// shows its previous picture meanwhile. A change of anything but the data starts a new drawing
// at once; new data alone lets the drawing under way finish and is drawn next; a sweep's chart
// redraws for new data alone at most once per DATA_GAP times its last drawing's cost
// (chart/sweep.ts dataRedrawDelay).
import { Memo } from "./memo";
import { dataRedrawDelay } from "./sweep";

/** Time (ms) a chart's drawing works in one go before the rest waits for a coming task. */
export const DRAW_SLICE_MS = 8;

/** Where the rest of a drawing waits: one pending job per key (views/visibility.ts FrameSlices). */
export interface Slices {
  request(key: object, job: () => void): void;
  cancel(key: object): void;
}

/** What a drawing is for: `data` (the runs and their versions) and `rest` (all else shown). */
export interface DrawKey {
  data: string;
  rest: string;
}

/** What `PacedDrawing.request` did. */
export type DrawOutcome = "drawn" | "under way" | "after this one" | "waits" | "started";

export interface PacedDrawingOptions {
  slices: Slices;
  /** Called when a wait for new data (`request` said "waits") is over: ask again. */
  onWaitOver: () => void;
  /** Called when a drawing ends that newer data waited for ("after this one"): ask again. */
  onNewerData: () => void;
  /** Called when a drawing ends; `whole`: it was done at once (a zoom inside uPlot's commit). */
  onDone?: (whole: boolean) => void;
  now?: () => number;
  sliceMs?: number;
}

interface Job {
  sig: string;
  key: DrawKey;
  steps: Generator<void, void, void>;
  cost: number;
  again: boolean;
}

const clock = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

export class PacedDrawing {
  private readonly memo = new Memo();
  private job: Job | null = null;
  private readonly jobKey = {};
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastCost = 0;
  private lastEnd = 0;
  private drawn: DrawKey = { data: "", rest: "" };
  private readonly now: () => number;
  private readonly sliceMs: number;

  constructor(private readonly opts: PacedDrawingOptions) {
    this.now = opts.now ?? clock;
    this.sliceMs = opts.sliceMs ?? DRAW_SLICE_MS;
    if (!(this.sliceMs >= 0) || !Number.isFinite(this.sliceMs)) {
      throw new RangeError(`PacedDrawing: sliceMs must be a finite number >= 0, got ${String(opts.sliceMs)}`);
    }
  }

  /**
   * Draw what `key` names, unless it is drawn or on its way. `start` makes the drawing.
   * `pace`: with a chart drawn for the same `rest`, new data alone waits per dataRedrawDelay
   * (`lines` on the chart, `extraCost` ms spent painting the last picture besides the drawing).
   * `whole`: the drawing is done at once, not in slices, when its data is the data drawn (a
   * zoom of a drawn chart; a chart in the middle of its first drawing starts over in slices).
   */
  request(
    key: DrawKey,
    start: () => Generator<void, void, void>,
    pace: { chart: boolean; lines: number; extraCost: number } = { chart: false, lines: 0, extraCost: 0 },
    whole = false,
  ): DrawOutcome {
    const sig = key.data + ";" + key.rest;
    if (this.memo.same(sig)) {
      this.cancel(); // back to what is drawn
      return "drawn";
    }
    const j = this.job;
    if (j && j.sig === sig) return "under way";
    if (j && j.key.rest === key.rest) {
      j.again = true;
      return "after this one";
    }
    const wait = pace.chart && key.rest === this.drawn.rest
      ? dataRedrawDelay(pace.lines, this.now(), this.lastEnd, this.lastCost + pace.extraCost)
      : 0;
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.opts.onWaitOver();
      }, wait);
      return "waits";
    }
    this.cancel();
    this.job = { sig, key, steps: start(), cost: 0, again: false };
    this.run(whole && key.data === this.drawn.data);
    return "started";
  }

  /** Call off the drawing under way (what is drawn stays drawn). */
  cancel(): void {
    if (!this.job) return;
    this.job = null;
    this.opts.slices.cancel(this.jobKey);
  }

  /** Call off the drawing under way and a wait for new data; true if either was pending. */
  stop(): boolean {
    const pending = this.job !== null || this.timer !== null;
    this.cancel();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return pending;
  }

  /** Forget what is drawn: the next request draws (a theme, option or size change; a release). */
  invalidate(): void {
    this.memo.invalidate();
  }

  /** A drawing under way or a wait for new data. */
  get pending(): boolean {
    return this.job !== null || this.timer !== null;
  }

  /** Work on the drawing for up to sliceMs (at least one piece); the rest at a coming task. */
  private run(whole = false): void {
    const j = this.job;
    if (!j) return;
    const t0 = this.now();
    let done = false;
    let k = 0;
    // the clock is read every few pieces (a piece is tens of microseconds at most)
    do done = j.steps.next().done === true;
    while (!done && (whole || ++k % 8 !== 0 || this.now() - t0 < this.sliceMs));
    const t1 = this.now();
    j.cost += t1 - t0;
    if (!done) {
      this.opts.slices.request(this.jobKey, () => {
        if (this.job === j) this.run();
      });
      return;
    }
    this.job = null;
    this.opts.onDone?.(whole);
    this.memo.changed(j.sig);
    this.lastEnd = t1;
    this.lastCost = j.cost;
    this.drawn = j.key;
    if (j.again) this.opts.onNewerData();
  }
}
