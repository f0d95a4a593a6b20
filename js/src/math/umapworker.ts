// The UMAP worker: runs a UmapRun off the page's thread and reports its progress. The build
// bundles this file on its own into a string (umapworkersource.ts); `serveUmap` is the protocol,
// exported so tests can drive it in-process.
import { UmapRun } from "./umap";

/** Main thread -> worker. */
export type UmapRequest =
  | { cmd: "start"; data: Float64Array; n: number; d: number; dims: number; seed?: number }
  | { cmd: "stop" }
  | { cmd: "resume" };

/** Worker -> main thread, after every slice (coords: the layout so far, or null before it). */
export interface UmapReport {
  phase: UmapRun["phase"];
  neighboursDone: number;
  epoch: number;
  epochs: number;
  workMs: number;
  longestSliceMs: number;
  error: string;
  coords: Float64Array | null;
}

export interface WorkerScope {
  postMessage(message: UmapReport, transfer: Transferable[]): void;
  onmessage: ((ev: MessageEvent<UmapRequest>) => void) | null;
}

/** Answer requests on `scope` (a worker's global, or a test's fake). */
export function serveUmap(scope: WorkerScope, schedule?: (next: () => void) => void): void {
  let run: UmapRun | null = null;
  const report = (r: UmapRun) => {
    const coords = r.coords ? r.coords.slice() : null;
    scope.postMessage({ phase: r.phase, neighboursDone: r.neighboursDone, epoch: r.epoch, epochs: r.epochs, workMs: r.workMs,
      longestSliceMs: r.longestSliceMs, error: r.error, coords }, coords ? [coords.buffer] : []);
  };
  scope.onmessage = (ev) => {
    const m = ev.data;
    if (m.cmd === "start") {
      try {
        // Longer slices than on the page: only this worker waits for them.
        run = new UmapRun(m.data, m.n, m.d, { dims: m.dims, seed: m.seed, sliceMs: 100, schedule }, report);
        run.start();
      } catch (err) {
        scope.postMessage({ phase: "failed", neighboursDone: 0, epoch: 0, epochs: 0, workMs: 0, longestSliceMs: 0,
          error: err instanceof Error ? err.message : String(err), coords: null }, []);
      }
    } else if (m.cmd === "stop" && run) {
      run.stop();
      report(run);
    } else if (m.cmd === "resume" && run) {
      run.resume();
    }
  };
}

// In a worker (no document): serve.
if (typeof document === "undefined" && typeof self !== "undefined" && typeof (self as unknown as { importScripts?: unknown }).importScripts === "function") {
  serveUmap(self as unknown as WorkerScope);
}
