// The projection maths behind the embedding card's UMAP: exact k nearest neighbours (in slices)
// and the UMAP run (umap-js) on a clustered set: neighbours stay neighbours, clusters stay apart.
import { afterEach, describe, expect, it } from "vitest";
import { knn, KnnJob } from "../src/math/knn";
import { pca } from "../src/math/pca";
import { xorshift32 } from "../src/math/random";
import { checkRows } from "../src/math/rows";
import { UmapRun } from "../src/math/umap";
import { startUmap, type UmapJob } from "../src/math/umapjob";
import { serveUmap, type UmapReport, type UmapRequest, type WorkerScope } from "../src/math/umapworker";

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** `per` points around each of `k` centres 10 apart in `d` dims (unit noise); labels. */
function clusters(per: number, k: number, d: number): { data: number[]; labels: number[] } {
  const r = rng(42);
  const data: number[] = [], labels: number[] = [];
  for (let i = 0; i < per * k; i++) {
    const c = i % k;
    labels.push(c);
    for (let j = 0; j < d; j++) data.push((j === c ? 10 : 0) + (r() + r() + r() - 1.5));
  }
  return { data, labels };
}

/** Share of each point's m nearest (in `coords`, k per point) that carry its label. */
function neighbourAgreement(coords: ArrayLike<number>, k: number, labels: number[], m: number): number {
  const n = labels.length;
  let same = 0;
  for (let i = 0; i < n; i++) {
    const d = labels.map((_, j) => {
      let s = 0;
      for (let c = 0; c < k; c++) s += (coords[i * k + c] - coords[j * k + c]) ** 2;
      return [j === i ? Infinity : s, j];
    }).sort((a, b) => a[0] - b[0]);
    for (let q = 0; q < m; q++) if (labels[d[q][1]] === labels[i]) same++;
  }
  return same / (n * m);
}

describe("rows and random (shared by PCA, kNN and UMAP)", () => {
  it("checks n rows of d values, naming the algorithm and the argument", () => {
    expect(() => checkRows("x", 6, 2, 3)).not.toThrow();
    expect(() => pca([1, 2, 3], 1.5, 2)).toThrow(/pca: n must be a whole number of at least 0 points, got 1.5/);
    expect(() => pca([], 0, -1)).toThrow(/pca: d must be a whole number of at least 0 values a point, got -1/);
    expect(() => knn([1, 2], 2, 0, 1)).toThrow(/knn: d must be a whole number of at least 1 values a point, got 0/);
    expect(() => new UmapRun([1, 2, 3], 5, 1, { dims: 2 })).toThrow(/umap: data has 3 values, expected n \* d = 5/);
  });

  it("xorshift32: the same numbers for a seed, in [0, 1); seed 0 is seed 1", () => {
    const a = xorshift32(1), b = xorshift32(0), c = xorshift32(7);
    expect(a()).toBe(270369 / 4294967296); // 1 -> 8193 -> 8193 -> 270369
    b();
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(c()).not.toBe(xs[0]);
  });
});

describe("knn", () => {
  it("finds the exact nearest points, self first, the same in slices as at once", () => {
    // Points on a line at 0, 1, 3, 7, 15.
    const data = [0, 1, 3, 7, 15];
    const all = knn(data, 5, 1, 3);
    expect(all.indices[2]).toEqual([2, 1, 0]);
    expect(all.distances[2]).toEqual([0, 2, 3]);
    expect(all.indices[4]).toEqual([4, 3, 2]);
    const job = new KnnJob(data, 5, 1, 3);
    job.run(2);
    expect(job.done).toBe(false);
    job.run(2);
    job.run(2);
    expect(job.done).toBe(true);
    expect(job.result).toEqual(all);
  });

  it("rejects bad sizes, naming them", () => {
    expect(() => knn([1, 2, 3], 2, 2, 1)).toThrow(/data has 3 values, expected n \* d = 4/);
    expect(() => knn([1, 2], 2, 1, 3)).toThrow(/k must be an integer in 1..2, got 3/);
  });
});

describe("umap", () => {
  it("keeps neighbours together on a clustered set, in 2-D and 3-D", () => {
    const { data, labels } = clusters(40, 3, 8);
    const n = labels.length;
    const before = neighbourAgreement(data, 8, labels, 10);
    expect(before).toBe(1); // well separated in the input
    for (const dims of [2, 3]) {
      const run = new UmapRun(data, n, 8, { dims, seed: 3 });
      run.runToEnd();
      expect(run.phase).toBe("done");
      expect(run.epoch).toBe(run.epochs);
      expect(run.coords?.length).toBe(n * dims);
      expect(neighbourAgreement(run.coords!, dims, labels, 10)).toBeGreaterThan(0.95);
      // Centred, and the three clusters' centres far apart compared with their spread.
      const centre = (c: number, axis: number) => labels.reduce((s, l, i) => s + (l === c ? run.coords![i * dims + axis] : 0), 0) / 40;
      const mean = [0, 1].map((a) => run.coords!.filter((_, i) => i % dims === a).reduce((s, v) => s + v, 0) / n);
      expect(Math.abs(mean[0]) + Math.abs(mean[1])).toBeLessThan(1e-9);
      const d01 = Math.hypot(centre(0, 0) - centre(1, 0), centre(0, 1) - centre(1, 1));
      expect(d01).toBeGreaterThan(1);
    }
  });

  it("is reproducible with a seed, runs in slices and stops when asked", () => {
    const { data } = clusters(20, 2, 4);
    const a = new UmapRun(data, 40, 4, { dims: 2, seed: 7 });
    const b = new UmapRun(data, 40, 4, { dims: 2, seed: 7 });
    a.runToEnd();
    b.runToEnd();
    expect([...a.coords!]).toEqual([...b.coords!]);
    const queue: (() => void)[] = [];
    const seen: string[] = [];
    const c = new UmapRun(data, 40, 4, { dims: 2, seed: 7, sliceMs: 0, schedule: (f) => queue.push(f) }, (r) => seen.push(r.phase));
    c.start();
    while (queue.length && c.epoch < 5) queue.shift()!();
    expect(seen[0]).toBe("neighbours");
    expect(c.phase).toBe("layout");
    c.stop();
    expect(c.phase).toBe("stopped");
    const at = c.epoch;
    while (queue.length) queue.shift()!();
    expect(c.epoch).toBe(at); // nothing more after stop
    expect(() => new UmapRun(data, 3, 4, { dims: 2 })).toThrow(/at least 5 points, got 3/);
    expect(() => new UmapRun(data, 40, 4, { dims: 4 })).toThrow(/dims must be 2 or 3, got 4/);
  });
});

// ---- the worker protocol, in-process: a fake Worker whose other end is serveUmap ----

let failing = false;
const made: FakeWorker[] = [];
class FakeWorker {
  onmessage: ((ev: MessageEvent<UmapReport>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  terminated = false;
  private scope: WorkerScope;
  constructor(readonly url: string) {
    made.push(this);
    this.scope = {
      onmessage: null,
      postMessage: (m) => setTimeout(() => !this.terminated && this.onmessage?.({ data: m } as MessageEvent<UmapReport>)),
    };
    if (failing) setTimeout(() => this.onerror?.({ message: "refused", preventDefault() {} } as ErrorEvent));
    else serveUmap(this.scope);
  }
  postMessage(m: UmapRequest): void {
    setTimeout(() => !this.terminated && !failing && this.scope.onmessage?.({ data: m } as MessageEvent<UmapRequest>));
  }
  terminate(): void {
    this.terminated = true;
  }
}

function finished(job: UmapJob): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (job.running ? setTimeout(check, 5) : resolve());
    check();
  });
}

describe("umap job", () => {
  const saved = { Worker: globalThis.Worker, create: URL.createObjectURL, revoke: URL.revokeObjectURL };
  afterEach(() => {
    globalThis.Worker = saved.Worker;
    URL.createObjectURL = saved.create;
    URL.revokeObjectURL = saved.revoke;
    failing = false;
    made.length = 0;
  });
  function fakeWorkers(): void {
    globalThis.Worker = FakeWorker as unknown as typeof Worker;
    URL.createObjectURL = () => "blob:umap";
    URL.revokeObjectURL = () => {};
  }

  it("runs in the worker when there is a source, reporting progress, and gives the same layout as the page", async () => {
    fakeWorkers();
    const { data, labels } = clusters(20, 3, 6);
    const phases = new Set<string>();
    const job = startUmap(data, 60, 6, { dims: 2, seed: 5, source: "worker code" }, (j) => phases.add(j.phase));
    expect(job.where).toBe("worker");
    await finished(job);
    expect(job.phase).toBe("done");
    expect(phases.has("layout") && phases.has("done")).toBe(true);
    expect(neighbourAgreement(job.coords!, 2, labels, 5)).toBeGreaterThan(0.95);
    const page = new UmapRun(data, 60, 6, { dims: 2, seed: 5 });
    page.runToEnd();
    expect([...job.coords!]).toEqual([...page.coords!]);
    job.dispose();
    expect(made[0].terminated).toBe(true);
  });

  it("stops and resumes through the worker", async () => {
    fakeWorkers();
    const { data } = clusters(75, 2, 4); // enough points that the layout takes several slices
    const job = startUmap(data, 150, 4, { dims: 2, seed: 5, source: "worker code" }, (j) => {
      if (j.phase === "layout" && j.epoch > 0) j.stop();
    });
    // Wait for the stop (not a fixed time: on a loaded machine the worker may need longer to
    // reach its first epoch), then check it holds.
    await finished(job);
    expect(job.phase).toBe("stopped");
    const at = job.epoch;
    await new Promise((r) => setTimeout(r, 100));
    expect(job.epoch).toBe(at);
    job.resume();
    expect(job.running).toBe(true);
    job.dispose();
  });

  it("keeps the picture it had when stopped, whatever reports were still on their way", async () => {
    fakeWorkers();
    const { data } = clusters(75, 2, 4);
    const job = startUmap(data, 150, 4, { dims: 2, seed: 5, source: "worker code" }, (j) => {
      if (j.phase === "layout" && j.epoch > 0) j.stop();
    });
    await finished(job);
    const at = job.epoch, coords = [...job.coords!];
    // Reports the worker sent before it saw the stop, then its acknowledgement, arrive late.
    const late = (phase: UmapReport["phase"]) => made[0].onmessage!({ data: { phase, neighboursDone: 150, epoch: at + 5,
      epochs: 400, workMs: 1, longestSliceMs: 1, error: "", coords: new Float64Array(coords.length) } } as MessageEvent<UmapReport>);
    late("layout");
    late("stopped");
    expect([job.phase, job.epoch, [...job.coords!]]).toEqual(["stopped", at, coords]);
    job.resume();
    late("stopped"); // an acknowledgement arriving after the resume does not stop it again
    expect(job.running).toBe(true);
    job.dispose();
  });

  it("falls back to the page when the worker fails to start, or without a source", async () => {
    fakeWorkers();
    failing = true;
    const { data } = clusters(10, 2, 4);
    const job = startUmap(data, 20, 4, { dims: 3, source: "worker code" }, () => {});
    expect(job.where).toBe("worker");
    await new Promise((r) => setTimeout(r, 20));
    expect(job.where).toBe("page");
    await finished(job);
    expect(job.phase).toBe("done");
    expect(job.coords?.length).toBe(60);
    const plain = startUmap(data, 20, 4, { dims: 2, source: null }, () => {});
    expect(plain.where).toBe("page");
    plain.dispose();
    expect(() => startUmap(data, 20, 4, { dims: 5, source: "worker code" }, () => {})).toThrow(/dims must be 2 or 3, got 5/);
  });
});
