// UMAP of an embedding in the browser through umap-js (PAIR-code's, the library TensorBoard's
// projector uses), run in time-boxed slices so the page stays responsive: exact k nearest
// neighbours a block of rows at a time (knn.ts; umap-js's own neighbour search would block for
// seconds), then umap-js's graph (one blocking call), then its layout one epoch at a time.
import { UMAP } from "umap-js";
import { KnnJob } from "./knn";
import { xorshift32 } from "./random";
import { checkRows } from "./rows";

export type UmapPhase = "neighbours" | "layout" | "done" | "stopped" | "failed";

export interface UmapOptions {
  /** 2 or 3 output dimensions. */
  dims: number;
  /** Neighbours per point (default 15, at most n - 1). */
  neighbours?: number;
  minDist?: number;
  /** Seed of the layout's random start (default 1: the same data gives the same picture). */
  seed?: number;
  /** Longest a slice works before yielding, in ms (default 30). */
  sliceMs?: number;
  /** How the next slice is scheduled (default setTimeout 0). */
  schedule?: (next: () => void) => void;
}

/** Fewest points UMAP is run on. */
export const UMAP_MIN_POINTS = 5;

/** Throw (naming the argument) unless UMAP can run on n points of d values in `dims` dimensions. */
export function checkUmapArgs(length: number, n: number, d: number, dims: number): void {
  if (dims !== 2 && dims !== 3) throw new RangeError(`umap: dims must be 2 or 3, got ${dims}`);
  checkRows("umap", length, n, d, UMAP_MIN_POINTS, 1);
}

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** One UMAP run; `onProgress` is called after every slice (the last one included). */
export class UmapRun {
  readonly n: number;
  readonly dims: number;
  phase: UmapPhase = "neighbours";
  /** 0..1 through the neighbour search. */
  neighboursDone = 0;
  epoch = 0;
  epochs = 0;
  /** The layout so far (n * dims, centred), null before the layout starts. */
  coords: Float64Array | null = null;
  /** Time spent working (not waiting between slices), and the longest slice, in ms. */
  workMs = 0;
  longestSliceMs = 0;
  error = "";
  private job: KnnJob;
  private umap: UMAP;
  private rows: number[][];
  private sliceMs: number;
  private schedule: (next: () => void) => void;
  private scheduled = false;

  constructor(data: ArrayLike<number>, n: number, d: number, opts: UmapOptions, private onProgress: (run: UmapRun) => void = () => {}) {
    checkUmapArgs(data.length, n, d, opts.dims);
    this.n = n;
    this.dims = opts.dims;
    const k = Math.min(opts.neighbours ?? 15, n - 1);
    this.job = new KnnJob(data, n, d, k);
    this.rows = Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, c) => {
      const v = data[i * d + c];
      return Number.isFinite(v) ? v : 0;
    }));
    this.umap = new UMAP({ nComponents: opts.dims, nNeighbors: k, minDist: opts.minDist ?? 0.1, random: xorshift32(opts.seed ?? 1) });
    this.sliceMs = opts.sliceMs ?? 30;
    this.schedule = opts.schedule ?? ((next) => setTimeout(next, 0));
  }

  get running(): boolean {
    return this.phase === "neighbours" || this.phase === "layout";
  }

  /** Start (or continue) working in slices. */
  start(): void {
    if (!this.running || this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      if (!this.running) return;
      this.slice();
      this.onProgress(this);
      if (this.running) this.start();
    });
  }

  /** Stop where it is (the layout so far stays); no progress call follows. */
  stop(): void {
    if (this.running) this.phase = "stopped";
  }

  /** Continue a stopped run. */
  resume(): void {
    if (this.phase !== "stopped") return;
    this.phase = this.job.done ? "layout" : "neighbours";
    this.start();
  }

  /** All the remaining work now, in one go (tests, small data). */
  runToEnd(): void {
    while (this.running) this.slice(Infinity);
  }

  /** Work for up to `budget` ms. */
  private slice(budget = this.sliceMs): void {
    const t0 = now();
    try {
      if (this.phase === "neighbours") {
        do this.job.run(8); while (!this.job.done && now() - t0 < budget); // at least one block a slice
        this.neighboursDone = this.job.next / this.n;
        if (this.job.done) {
          // The graph and the start of the layout: umap-js's (blocking, about as long as a few epochs).
          this.umap.setPrecomputedKNN(this.job.result.indices, this.job.result.distances);
          this.epochs = this.umap.initializeFit(this.rows);
          this.phase = "layout";
          this.readCoords();
        }
      } else if (this.phase === "layout") {
        do {
          this.umap.step();
          this.epoch++;
        } while (this.epoch < this.epochs && now() - t0 < budget);
        this.readCoords();
        if (this.epoch >= this.epochs) this.phase = "done";
      }
    } catch (err) {
      this.phase = "failed";
      this.error = err instanceof Error ? err.message : String(err);
    }
    const spent = now() - t0;
    this.workMs += spent;
    this.longestSliceMs = Math.max(this.longestSliceMs, spent);
  }

  private readCoords(): void {
    const e = this.umap.getEmbedding();
    const k = this.dims, out = new Float64Array(this.n * k);
    const mean = new Array<number>(k).fill(0);
    for (let i = 0; i < this.n; i++) for (let c = 0; c < k; c++) mean[c] += e[i][c] / this.n;
    for (let i = 0; i < this.n; i++) for (let c = 0; c < k; c++) out[i * k + c] = e[i][c] - mean[c];
    this.coords = out;
  }
}
