// Browser-side state of one Dashboard model: runs, series per (kind, tag, run), an events
// counter and change notifications (coalesced to one per animation frame).
import type {
  AudioEntry, Batch, CurveEntry, EmbeddingEntry, GraphEntry, HistogramStep, HparamsRecord, ImageEntry, Item, Kind, LayoutEntry, MeshEntry, PrStep, SurfaceEntry, TextEntry,
} from "./protocol";
import { eventsOf, KINDS, STORE_KINDS } from "./protocol";
import { minmaxIndices, OVERVIEW_BUCKETS } from "./overview";
import { computeFolds } from "./runfold";
import { PALETTE, RunColors } from "./runstyle";

export { PALETTE };

/** The palette colour at an index (wrapping); run colours come from `RunColors` instead. */
export function colorOf(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

export interface RunInfo {
  name: string;
  index: number;
  color: string;
}

/** Growable columns of one scalar series (capacity doubles; `n` values are valid).
 *
 * A big logdir sends each series' decimated overview first (docs/protocol.md, "Overviews"):
 * `setOverview` shows it; the full data then replaces it chunk by chunk. While the full data is
 * partial, the columns hold the full points (`full` of them) followed by the overview's points
 * past the last full step, so the whole range stays drawn; once the full data has passed the
 * overview's last step, the overview is dropped. */
export class ScalarSeries {
  n = 0;
  /** Points of full data (the first `full` of the `n`); the rest are overview points. */
  full = 0;
  step = new Float64Array(0);
  wallTime = new Float64Array(0);
  value = new Float64Array(0);
  version = 0;
  /** Counts the times the points held were replaced rather than appended to (an overview shown,
   * columns adopted, a whole answer starting the series over): a consumer that extends what it
   * computed from the points (math/columns.ts) starts over when it changes. */
  replaced = 0;
  /** The kernel holds the full data and sends it when asked (docs/protocol.md, "Full data on
   * request"): the series may go back to an overview to free memory (`evict`). */
  onRequest = false;
  private ov: { step: Float64Array; wallTime: Float64Array; value: Float64Array } | null = null;
  /** The columns are arrays not ours to write into (an overview's, a decoded item's possibly
   * shared with other series): the next `put` copies them first. */
  private adopted = false;

  /** Whether some of the points drawn come from an overview (full data still to come). */
  get overview(): boolean {
    return this.ov !== null;
  }

  /** Whether every point is full data (none from an overview). */
  get held(): boolean {
    return this.full > 0 && this.ov === null;
  }

  /** Show a decimated overview of the series until its full data comes; ignored once some full
   * data is in (it is exact where it reaches). */
  setOverview(step: Float64Array, wallTime: Float64Array, value: Float64Array, onRequest = false): void {
    if (onRequest) this.onRequest = true;
    if (this.full > 0) return;
    this.showOverview({ step, wallTime, value });
  }

  /** Draw `ov` alone: its arrays are the columns (no copy: 10,000 overviews are a sweep's heap). */
  private showOverview(ov: { step: Float64Array; wallTime: Float64Array; value: Float64Array }): void {
    this.ov = ov;
    this.step = ov.step as Float64Array<ArrayBuffer>;
    this.wallTime = ov.wallTime as Float64Array<ArrayBuffer>;
    this.value = ov.value as Float64Array<ArrayBuffer>;
    this.n = ov.step.length;
    this.adopted = true;
    this.replaced++;
    this.version++;
  }

  /** Append full data; `whole`: it starts the series over (the answer to a request), the full
   * points held are dropped first (an overview stays drawn beyond it until it covers it). */
  append(step: Float64Array, wallTime: Float64Array, value: Float64Array, whole = false): void {
    const m = step.length;
    if (whole) {
      this.n = this.full = 0;
      this.replaced++;
    } else if (this.full === 0 && this.ov && m > 0 && step[0] > this.ov.step[this.ov.step.length - 1]) {
      // Live data past an overview whose full data was not asked for: the overview grows.
      const ov = this.ov;
      this.showOverview({ step: concat(ov.step, step), wallTime: concat(ov.wallTime, wallTime), value: concat(ov.value, value) });
      return;
    }
    if (this.ov) this.n = this.full; // drop the overview's tail; put back below what is still ahead
    const ov = this.ov;
    const covers = !ov || m === 0 || !(ov.step[ov.step.length - 1] > step[m - 1]);
    if (this.n === 0 && m > 0 && covers && step.buffer !== value.buffer && wallTime.buffer !== value.buffer) {
      // First full data reaching past any overview: adopt the columns (fresh copies from
      // protocol.ts, or a column shared with another series: Store.applyItem) instead of
      // copying them; a later append always grows into new arrays (capacity is exactly m), so
      // a shared column is never written to.
      this.step = step as Float64Array<ArrayBuffer>;
      this.wallTime = wallTime as Float64Array<ArrayBuffer>;
      this.value = value as Float64Array<ArrayBuffer>;
      this.n = this.full = m;
      this.ov = null;
      this.adopted = true;
      this.replaced++;
      this.version++;
      return;
    }
    this.put(step, wallTime, value, 0, m);
    this.full = this.n;
    if (ov) {
      const last = this.n > 0 ? this.step[this.n - 1] : -Infinity;
      let k = 0;
      while (k < ov.step.length && !(ov.step[k] > last)) k++;
      if (k === ov.step.length) this.ov = null; // the full data covers the overview's range
      else this.put(ov.step, ov.wallTime, ov.value, k, ov.step.length);
    }
    this.version++;
  }

  /** The arrays this series holds (its columns, and an overview kept beside partial full data). */
  arrays(): Float64Array<ArrayBufferLike>[] {
    const out: Float64Array<ArrayBufferLike>[] = [this.step, this.wallTime, this.value];
    if (this.ov && this.ov.step !== this.step) out.push(this.ov.step, this.ov.wallTime, this.ov.value);
    return out;
  }

  /** Go back to an overview of the full data held (per bucket its finite minimum and maximum,
   * and the ends: as the kernel's), freeing the columns; only a series whose full data can be
   * asked for again. Returns the points let go (0 when it cannot). */
  evict(buckets: number = OVERVIEW_BUCKETS): number {
    if (!this.onRequest || !this.held) return 0;
    const idx = minmaxIndices(this.value.subarray(0, this.n), buckets);
    const take = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]);
    const freed = this.n - idx.length;
    this.full = 0;
    this.showOverview({ step: take(this.step), wallTime: take(this.wallTime), value: take(this.value) });
    return freed;
  }

  /** Thin an overview (no full data held; the kernel sends the full data when asked) to
   * `buckets` buckets of its own points (their finite minimum and maximum, and the ends), freeing
   * the rest. Returns the points let go (0 when it cannot or it is that small already). */
  thin(buckets: number = COARSE_BUCKETS): number {
    const ov = this.ov;
    if (!this.onRequest || this.full > 0 || ov === null || ov.step.length <= 2 * buckets + 2) return 0;
    const idx = minmaxIndices(ov.value, buckets);
    const take = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]);
    const freed = ov.step.length - idx.length;
    this.showOverview({ step: take(ov.step), wallTime: take(ov.wallTime), value: take(ov.value) });
    return freed;
  }

  /** Write points [a, b) of the given columns after the first `n`. */
  private put(step: Float64Array, wallTime: Float64Array, value: Float64Array, a: number, b: number): void {
    const m = b - a;
    if (this.adopted || this.n + m > this.step.length) {
      const cap = Math.max(16, this.n + m, this.adopted ? 0 : 2 * this.step.length);
      this.adopted = false;
      this.step = grow(this.step, cap, this.n);
      this.wallTime = grow(this.wallTime, cap, this.n);
      this.value = grow(this.value, cap, this.n);
    }
    this.step.set(step.subarray(a, b), this.n);
    this.wallTime.set(wallTime.subarray(a, b), this.n);
    this.value.set(value.subarray(a, b), this.n);
    this.n += m;
  }
}

/** Buckets of an overview thinned out of view beyond the store's `overviewBudget` (at most
 * 2 * 8 + 2 points: a rough shape shown until the full data asked for comes). */
export const COARSE_BUCKETS = 8;

/** Whether two columns hold the same values (bit for bit; NaN equals NaN). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(a[i] !== a[i] && b[i] !== b[i])) return false;
  return true;
}

function concat(a: Float64Array, b: Float64Array): Float64Array<ArrayBuffer> {
  const c = new Float64Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

function grow(a: Float64Array, cap: number, used: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a.subarray(0, used));
  return b;
}

/** A list of entries (histogram steps, images, texts) with a version bumped on each change. */
export class ListSeries<T> {
  entries: T[] = [];
  version = 0;

  append(more: readonly T[]): void {
    for (const e of more) this.entries.push(e);
    this.version++;
  }
}

export type HistogramSeries = ListSeries<HistogramStep>;
export type ImageSeries = ListSeries<ImageEntry>;
export type TextSeries = ListSeries<TextEntry>;
export type PrSeries = ListSeries<PrStep>;
export type AudioSeries = ListSeries<AudioEntry>;
export type HparamsSeries = ListSeries<HparamsRecord>;
export type LayoutSeries = ListSeries<LayoutEntry>;
export type GraphSeries = ListSeries<GraphEntry>;
export type CurveSeries = ListSeries<CurveEntry>;
export type SurfaceSeries = ListSeries<SurfaceEntry>;
export type MeshSeries = ListSeries<MeshEntry>;
export type EmbeddingSeries = ListSeries<EmbeddingEntry>;

interface SeriesOf {
  scalars: ScalarSeries;
  histograms: HistogramSeries;
  images: ImageSeries;
  text: TextSeries;
  pr_curves: PrSeries;
  audio: AudioSeries;
  hparams: HparamsSeries;
  custom_scalars: LayoutSeries;
  graphs: GraphSeries;
  curves: CurveSeries;
  surfaces: SurfaceSeries;
  meshes: MeshSeries;
  embeddings: EmbeddingSeries;
}

export { KINDS }; // one list, in protocol.ts

type Listener = () => void;

function schedule(fn: () => void): void {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => fn());
  else setTimeout(fn, 16);
}

const clock = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** Notifications that take longer than a frame are spaced so they use at most a quarter of the
 * main thread while data pours in (the next waits 3x the last one's cost, up to MAX_SPACING_MS).
 * The cost includes the microtasks the views queue (uPlot draws in one). */
const FRAME_MS = 16;
const MAX_SPACING_MS = 10_000;

const seriesKey = (run: string, tag: string): string => `${tag}\u0000${run}`;

export class Store {
  runs: RunInfo[] = [];
  /** Data events received since the last reset (as `eventsOf` counts them, like the kernel). */
  events = 0;
  /** Bumped on every applied batch. */
  version = 0;
  /** Last protocol problem (shown by the views); empty when fine. */
  problem = "";

  private runIndex = new Map<string, RunInfo>();
  /** Run colours by name, kept for the dashboard's lifetime (also across resets). */
  private colors = new RunColors();
  /** Inside `apply`: new runs wait for their colour until the batch's items are in. */
  private applying = false;
  /** Folded session runs as of the last colour assignment (child → parent). */
  private folds: ReadonlyMap<string, string> = new Map();
  private series: { [K in Kind]: Map<string, Map<string, SeriesOf[K]>> } = {
    scalars: new Map(),
    histograms: new Map(),
    images: new Map(),
    text: new Map(),
    pr_curves: new Map(),
    audio: new Map(),
    hparams: new Map(),
    custom_scalars: new Map(),
    graphs: new Map(),
    curves: new Map(),
    surfaces: new Map(),
    meshes: new Map(),
    embeddings: new Map(),
  };
  /** Per run, the step and wall-time columns of its last full scalar item (to share equal ones). */
  private lastColumns = new Map<string, { step: Float64Array; wallTime: Float64Array }>();
  /** Longest time (ms) notifications wait for the rest of the overviews once the first came. */
  overviewHoldMs = 3000;
  /** A pause this long (ms) after an overview batch ends the wait: the kernel sends overviews as
   * it reads (a burst per piece of the logdir), so the views draw each burst as it comes. */
  overviewQuietMs = 150;
  /** When the first overview of the current run of overview batches was applied (null: none). */
  private overviewSince: number | null = null;
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private quietTimer: ReturnType<typeof setTimeout> | null = null;
  /** Points of full data kept for series not in view (beyond: back to their overviews). */
  fullBudget = 2_000_000;
  /** Overview points kept for series not in view whose full data the kernel holds (beyond:
   * the least recently shown are thinned to COARSE_BUCKETS, so out of view the store holds
   * about this many points however many series the logdir has). */
  overviewBudget = 1_500_000;
  /** Series asked for in full and not come yet (keys of `seriesKey`). */
  private asked = new Set<string>();
  /** When each series was last in view (a counter of `show` calls), and those in view now per
   * viewer (each view of the model tells its own). */
  private shownAt = new Map<string, number>();
  private viewers = new Map<number, Set<string>>();
  private showClock = 0;
  private wholeCame = false;
  private listeners = new Set<Listener>();
  private pending = false;
  private notifyCost = 0;
  private notifiedAt = 0;
  private flushes = 0;

  // ---- reading ----

  run(name: string): RunInfo | undefined {
    return this.runIndex.get(name);
  }

  /** Tags of a kind, sorted. */
  tags(kind: Kind): string[] {
    return [...this.series[kind].keys()].sort();
  }

  /** Series of one tag, keyed by run name. */
  byTag<K extends Kind>(kind: K, tag: string): ReadonlyMap<string, SeriesOf[K]> {
    return this.series[kind].get(tag) ?? new Map<string, SeriesOf[K]>();
  }

  get<K extends Kind>(kind: K, run: string, tag: string): SeriesOf[K] | undefined {
    return this.series[kind].get(tag)?.get(run);
  }

  isEmpty(): boolean {
    return STORE_KINDS.every((k) => this.series[k].size === 0);
  }

  // ---- writing ----

  /** Add the runs of `names` not known yet, in order (a batch names the runs new to the browser;
   *  a reset batch names them all). */
  setRuns(names: readonly string[]): void {
    let added = false;
    names.forEach((name) => {
      if (this.runIndex.has(name)) return;
      const info: RunInfo = { name, index: this.runs.length, color: "" };
      this.runIndex.set(name, info);
      this.runs.push(info);
      added = true;
    });
    if (added && !this.applying) this.assignColors(true);
  }

  /**
   * Give runs their colours: each run its own (`RunColors`, in the order runs appeared), except
   * an `add_hparams` session run folded into the run that logged it (runfold.ts), which shows
   * that run's colour and takes no palette slot (one it held before it was known to fold is
   * given back). `foldsMayChange`: runs or non-scalar data arrived (scalars never change folds).
   */
  private assignColors(foldsMayChange: boolean): void {
    const folds = !foldsMayChange ? this.folds : this.series.hparams.size > 0 ? computeFolds(this) : new Map<string, string>();
    if (!foldsMayChange && !this.runs.some((r) => r.color === "")) return;
    this.folds = folds;
    for (const info of this.runs) {
      const parent = folds.get(info.name);
      if (parent === undefined) {
        if (info.color === "" || !this.colors.has(info.name)) info.color = this.colors.of(info.name);
      } else {
        this.colors.release(info.name);
        const p = this.runIndex.get(parent);
        if (p && p.color === "") p.color = this.colors.of(parent);
        info.color = p ? p.color : this.colors.of(info.name);
      }
    }
  }

  private ensureRun(name: string): void {
    if (!this.runIndex.has(name)) this.setRuns([...this.runs.map((r) => r.name), name]);
  }

  private slot<K extends Kind>(kind: K, tag: string, run: string, make: () => SeriesOf[K]): SeriesOf[K] {
    let byRun = this.series[kind].get(tag) as Map<string, SeriesOf[K]> | undefined;
    if (!byRun) {
      byRun = new Map();
      (this.series[kind] as Map<string, Map<string, SeriesOf[K]>>).set(tag, byRun);
    }
    let s = byRun.get(run);
    if (!s) {
      s = make();
      byRun.set(run, s);
    }
    return s;
  }

  applyItem(item: Item): void {
    this.ensureRun(item.run);
    if (item.kind === "scalars") {
      const s = this.slot("scalars", item.tag, item.run, () => new ScalarSeries());
      if (item.overview) s.setOverview(item.step, item.wallTime, item.value, item.onRequest === true);
      else {
        // The tags of a run are mostly logged at the same steps (and often the same wall
        // times): one copy of such a column serves them all (a third less memory for a sweep).
        const last = this.lastColumns.get(item.run);
        const step = last && sameValues(last.step, item.step) ? last.step : item.step;
        const wall = last && sameValues(last.wallTime, item.wallTime) ? last.wallTime : item.wallTime;
        this.lastColumns.set(item.run, { step, wallTime: wall });
        if (item.whole) {
          // The answer to a request: the series starts over with it.
          this.asked.delete(seriesKey(item.run, item.tag));
          this.wholeCame = true;
        }
        s.append(step, wall, item.value, item.whole === true);
      }
    } else {
      const list: readonly unknown[] = item.kind === "histograms" || item.kind === "pr_curves" ? item.steps : item.entries;
      (this.slot(item.kind, item.tag, item.run, () => new ListSeries<never>()) as ListSeries<unknown>).append(list);
    }
    this.events += eventsOf(item);
  }

  /** Apply a decoded batch: `reset` drops everything first; items append. */
  apply(batch: Batch): void {
    if (batch.reset) {
      this.runs = [];
      this.runIndex.clear();
      for (const k of STORE_KINDS) this.series[k].clear();
      this.lastColumns.clear();
      this.events = 0;
      this.asked.clear();
      this.shownAt.clear();
      for (const v of this.viewers.values()) v.clear();
    }
    this.applying = true;
    const known = this.runs.length;
    try {
      this.setRuns(batch.runs);
      for (const item of batch.items) this.applyItem(item);
    } finally {
      this.applying = false;
    }
    this.assignColors(batch.reset || this.runs.length !== known || batch.items.some((i) => i.kind !== "scalars"));
    this.version++;
    if (this.wholeCame) {
      this.wholeCame = false;
      this.keepWithinBudget();
    }
    // Overviews come first, in bursts as the kernel reads (docs/protocol.md, "Overviews"): the
    // views wait for the end of a burst (a pause of `overviewQuietMs`, the first batch of full
    // data, or the read's last overview batch) instead of redrawing a sweep's cards for each
    // batch, but never longer than `overviewHoldMs` from the burst's first.
    if (batch.overviewsDone) {
      this.endOverviews(false); // the read is over: no pause to wait for
    } else if (batch.items.some((i) => i.kind === "scalars" && i.overview)) {
      if (this.overviewSince === null) {
        this.overviewSince = clock();
        this.holdTimer = setTimeout(() => this.endOverviews(), this.overviewHoldMs);
      }
      if (this.quietTimer !== null) clearTimeout(this.quietTimer);
      this.quietTimer = setTimeout(() => this.endOverviews(), this.overviewQuietMs);
      if (clock() - this.overviewSince < this.overviewHoldMs) return;
    } else if (batch.items.length > 0 || batch.reset) this.endOverviews(false);
    this.changed();
  }

  /** The overviews are in (or held long enough): stop holding notifications back. */
  private endOverviews(notify = true): void {
    if (this.overviewSince === null) return;
    this.overviewSince = null;
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    if (this.quietTimer !== null) clearTimeout(this.quietTimer);
    this.holdTimer = this.quietTimer = null;
    if (notify) this.changed();
  }

  // ---- full data on request (docs/protocol.md, "Full data on request") ----

  /** The cards now in view (scalar tags, and single series: a custom-scalar chart's lines):
   * their series are marked shown (most recently) and
   * those whose full data the kernel holds and the store lacks are returned as [run, tag], to
   * ask for once (again after an eviction); `viewer`: which view of the model tells (a view's
   * call replaces what that view showed before). Then the series in no view beyond `fullBudget`
   * points of full data go back to their overviews, least recently shown first. */
  show(tags: Iterable<string>, series: Iterable<readonly [string, string]> = [], viewer = 0): [string, string][] {
    const now = ++this.showClock;
    const want: [string, string][] = [];
    const inView = new Set<string>();
    this.viewers.set(viewer, inView);
    const one = (run: string, tag: string, s: ScalarSeries) => {
      const key = seriesKey(run, tag);
      this.shownAt.set(key, now);
      inView.add(key);
      if (s.onRequest && s.full === 0 && !this.asked.has(key)) {
        this.asked.add(key);
        want.push([run, tag]);
      }
    };
    for (const tag of tags) for (const [run, s] of this.byTag("scalars", tag)) one(run, tag, s);
    // Single series (the lines of a custom-scalar chart in view).
    for (const [run, tag] of series) {
      const s = this.get("scalars", run, tag);
      if (s) one(run, tag, s);
    }
    this.keepWithinBudget();
    return want;
  }

  /** A view is gone: its cards no longer count as in view. */
  forgetViewer(viewer: number): void {
    this.viewers.delete(viewer);
  }

  /** Bytes of the scalar series' arrays (each buffer once: columns shared between a run's tags
   * count once): the store's share of the heap (a diagnostic for the benchmarks). */
  scalarBytes(): number {
    const seen = new Set<ArrayBufferLike>();
    let total = 0;
    for (const byRun of this.series.scalars.values()) {
      for (const s of byRun.values()) {
        for (const a of s.arrays()) {
          if (seen.has(a.buffer)) continue;
          seen.add(a.buffer);
          total += a.buffer.byteLength;
        }
      }
    }
    return total;
  }

  /** Points of full data held by series whose full data can be asked for again. */
  heldPoints(): number {
    let total = 0;
    for (const byRun of this.series.scalars.values()) for (const s of byRun.values()) if (s.onRequest && s.held) total += s.n;
    return total;
  }

  /** Overview points of series out of view whose full data the kernel holds. */
  overviewPoints(): number {
    let total = 0;
    for (const [tag, byRun] of this.series.scalars) {
      for (const [run, s] of byRun) if (s.onRequest && s.full === 0 && s.overview && !this.inAnyView(seriesKey(run, tag))) total += s.n;
    }
    return total;
  }

  private inAnyView(key: string): boolean {
    for (const v of this.viewers.values()) if (v.has(key)) return true;
    return false;
  }

  /** Series not in view, least recently shown first, that `pick` accepts. */
  private outOfView(pick: (s: ScalarSeries) => boolean): ScalarSeries[] {
    const out: { at: number; s: ScalarSeries }[] = [];
    for (const [tag, byRun] of this.series.scalars) {
      for (const [run, s] of byRun) {
        const key = seriesKey(run, tag);
        if (pick(s) && !this.inAnyView(key)) out.push({ at: this.shownAt.get(key) ?? 0, s });
      }
    }
    out.sort((a, b) => a.at - b.at);
    return out.map((o) => o.s);
  }

  /** Evict least recently shown series (not in view) until the held points fit `fullBudget`;
   * then thin the overviews out of view, least recently shown first, until they fit
   * `overviewBudget` (the memory follows what is drawn, not what the logdir holds). */
  private keepWithinBudget(): void {
    let changed = false;
    let total = this.heldPoints();
    if (total > this.fullBudget) {
      for (const s of this.outOfView((s) => s.onRequest && s.held)) {
        if (total <= this.fullBudget) break;
        const n = s.n;
        if (s.evict() > 0 || n > 0) {
          total -= n;
          changed = true;
        }
      }
    }
    let ov = this.overviewPoints();
    if (ov > this.overviewBudget) {
      for (const s of this.outOfView((s) => s.onRequest && s.full === 0 && s.overview)) {
        if (ov <= this.overviewBudget) break;
        const freed = s.thin();
        if (freed > 0) {
          ov -= freed;
          changed = true;
        }
      }
    }
    if (changed) {
      this.version++;
      this.changed();
    }
  }

  setProblem(text: string): void {
    this.problem = text;
    this.changed();
  }

  // ---- notifications ----

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Ask for a notification; several requests within a frame produce one call per listener. */
  changed(): void {
    if (this.pending) return;
    this.pending = true;
    const wait = this.notifyCost > FRAME_MS ? Math.min(MAX_SPACING_MS, 3 * this.notifyCost) - (clock() - this.notifiedAt) : 0;
    if (wait > 0) setTimeout(() => schedule(() => this.flushIfPending()), wait);
    else schedule(() => this.flushIfPending());
  }

  private flushIfPending(): void {
    if (this.pending) this.flush();
  }

  /** Notify now (pending or not). */
  flush(): void {
    this.pending = false;
    const t0 = clock();
    for (const fn of [...this.listeners]) fn();
    this.notifiedAt = clock();
    this.notifyCost = this.notifiedAt - t0;
    const id = ++this.flushes;
    setTimeout(() => {
      // After the microtask checkpoint: count the drawing the views deferred to microtasks.
      const end = clock();
      if (id === this.flushes && end - t0 > this.notifyCost) {
        this.notifyCost = end - t0;
        this.notifiedAt = end;
      }
    }, 0);
  }
}
