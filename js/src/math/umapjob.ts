// Start a UMAP: in a Web Worker made from the bundled worker source (umapworker.ts) when the
// page allows it, so the page never waits for it; else (no source, no Worker, a page policy that
// refuses blob: workers) on the page's thread in slices (UmapRun). Both look alike to the card.
import { checkUmapArgs, UmapRun, type UmapPhase } from "./umap";
import type { UmapReport, UmapRequest } from "./umapworker";
import { umapWorkerSource } from "./umapworkersource";

export interface UmapJob {
  readonly dims: number;
  readonly phase: UmapPhase;
  readonly neighboursDone: number;
  readonly epoch: number;
  readonly epochs: number;
  readonly coords: Float64Array | null;
  readonly error: string;
  readonly running: boolean;
  /** Where it runs: "worker" or "page". */
  readonly where: "worker" | "page";
  stop(): void;
  resume(): void;
  /** Stop for good and free the worker. */
  dispose(): void;
}

class PageUmap implements UmapJob {
  readonly where = "page" as const;
  constructor(readonly run: UmapRun) {}
  get dims() { return this.run.dims; }
  get phase() { return this.run.phase; }
  get neighboursDone() { return this.run.neighboursDone; }
  get epoch() { return this.run.epoch; }
  get epochs() { return this.run.epochs; }
  get coords() { return this.run.coords; }
  get error() { return this.run.error; }
  get running() { return this.run.running; }
  stop() { this.run.stop(); }
  resume() { this.run.resume(); }
  dispose() { this.run.stop(); }
}

/** The worker's side seen from the page; falls back to the page when the worker fails before
 *  its first report. */
class WorkerUmap implements UmapJob {
  phase: UmapPhase = "neighbours";
  neighboursDone = 0;
  epoch = 0;
  epochs = 0;
  coords: Float64Array | null = null;
  error = "";
  private heard = false;
  private fallback: PageUmap | null = null;

  constructor(private worker: Worker, private url: string, readonly dims: number, private start: () => PageUmap, private onProgress: (job: UmapJob) => void) {
    worker.onmessage = (ev: MessageEvent<UmapReport>) => {
      if (!this.heard) URL.revokeObjectURL(this.url);
      this.heard = true;
      const r = ev.data;
      // The page decides "stopped" itself: the worker's reports sent before it saw the stop, and
      // its acknowledgement (which may come after a resume), are not shown, so the picture stays
      // as it was when the user stopped it.
      if (r.phase === "stopped" || this.phase === "stopped" && (r.phase === "layout" || r.phase === "neighbours")) return;
      this.phase = r.phase;
      Object.assign(this, { neighboursDone: r.neighboursDone, epoch: r.epoch, epochs: r.epochs, error: r.error });
      if (r.coords) this.coords = r.coords;
      this.onProgress(this);
    };
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      this.dispose();
      if (!this.heard) {
        this.fallback = this.start();
        return;
      }
      this.phase = "failed";
      this.error = ev.message || "the UMAP worker failed";
      this.onProgress(this);
    };
  }

  get where(): "worker" | "page" {
    return this.fallback ? "page" : "worker";
  }

  get running(): boolean {
    return this.phase === "neighbours" || this.phase === "layout";
  }

  post(m: UmapRequest, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  stop(): void {
    if (this.fallback) return this.fallback.stop();
    if (!this.running) return;
    this.phase = "stopped";
    this.post({ cmd: "stop" });
  }

  resume(): void {
    if (this.fallback) return this.fallback.resume();
    if (this.phase !== "stopped") return;
    this.phase = this.coords ? "layout" : "neighbours";
    this.post({ cmd: "resume" });
  }

  dispose(): void {
    this.fallback?.dispose();
    this.worker.terminate();
    URL.revokeObjectURL(this.url);
  }

  // Read through to the page run once the worker has been replaced by it.
  static forward(job: WorkerUmap): UmapJob {
    return new Proxy(job, {
      get(target, key, receiver) {
        const fb = target.fallback;
        if (fb && key !== "where" && key !== "dispose" && key in fb) {
          const v = (fb as unknown as Record<string | symbol, unknown>)[key];
          return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(fb) : v;
        }
        return Reflect.get(target, key, receiver);
      },
    });
  }
}

export interface StartOptions {
  dims: number;
  seed?: number;
  /** Worker source to use (default: the bundled one; null: the page's thread). */
  source?: string | null;
}

/** Start a UMAP of n points of d values; `onProgress` after each step of progress. */
export function startUmap(data: ArrayLike<number>, n: number, d: number, opts: StartOptions, onProgress: (job: UmapJob) => void): UmapJob {
  let job: UmapJob | null = null;
  const onPage = (): PageUmap => {
    const page = new PageUmap(new UmapRun(data, n, d, { dims: opts.dims, seed: opts.seed }, () => onProgress(job ?? page)));
    page.run.start();
    return page;
  };
  const source = opts.source === undefined ? umapWorkerSource : opts.source;
  if (source && typeof Worker === "function" && typeof URL.createObjectURL === "function") {
    checkUmapArgs(data.length, n, d, opts.dims); // as the page run would, before handing them over
    let url = "";
    try {
      url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      const worker = new Worker(url);
      const w = new WorkerUmap(worker, url, opts.dims, onPage, (j) => onProgress(job ?? j));
      job = WorkerUmap.forward(w);
      const copy = Float64Array.from(data);
      w.post({ cmd: "start", data: copy, n, d, dims: opts.dims, seed: opts.seed }, [copy.buffer]);
      return job;
    } catch {
      if (url) URL.revokeObjectURL(url); // e.g. a page policy refusing blob: workers
    }
  }
  job = onPage();
  return job;
}
