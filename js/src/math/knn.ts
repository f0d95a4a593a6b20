// Exact k nearest neighbours (Euclidean) of n points, computed a block of rows at a time so a
// caller can spread the work over several frames (n^2 d / 2 multiply-adds in all).
import { checkRows } from "./rows";

export interface Knn {
  /** `indices[i]`: the k nearest points of i, nearest first, i itself first (distance 0). */
  indices: number[][];
  distances: number[][];
}

/** Squared distances from row i to every row, into `out`. */
function rowDistances(x: Float64Array, n: number, d: number, i: number, out: Float64Array): void {
  const a = i * d;
  for (let j = 0; j < n; j++) {
    const b = j * d;
    let s = 0;
    for (let c = 0; c < d; c++) {
      const t = x[a + c] - x[b + c];
      s += t * t;
    }
    out[j] = s;
  }
}

/** The k smallest of `dist` (indices, ascending by distance, ties by index). */
function smallest(dist: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < dist.length; j++) {
    if (best.length === k && dist[j] >= dist[best[k - 1]]) continue;
    let p = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(j);
    while (p > 0 && dist[best[p - 1]] > dist[j]) {
      best[p] = best[p - 1];
      p--;
    }
    best[p] = j;
  }
  return best;
}

/** A kNN computation in steps: `run(rows)` does up to `rows` more points; `done` once all are. */
export class KnnJob {
  readonly n: number;
  readonly k: number;
  next = 0;
  private x: Float64Array;
  private d: number;
  private dist: Float64Array;
  readonly result: Knn = { indices: [], distances: [] };

  /** `data`: n rows of d values (`data[i * d + c]`); non-finite values count as 0. */
  constructor(data: ArrayLike<number>, n: number, d: number, k: number) {
    checkRows("knn", data.length, n, d, 1, 1);
    if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`knn: k must be an integer in 1..${n}, got ${k}`);
    this.x = Float64Array.from(data, (v) => (Number.isFinite(v) ? v : 0));
    this.n = n;
    this.d = d;
    this.k = k;
    this.dist = new Float64Array(n);
  }

  get done(): boolean {
    return this.next >= this.n;
  }

  run(rows: number): void {
    const end = Math.min(this.n, this.next + Math.max(1, Math.floor(rows)));
    for (let i = this.next; i < end; i++) {
      rowDistances(this.x, this.n, this.d, i, this.dist);
      this.dist[i] = -1; // the point itself first
      const idx = smallest(this.dist, this.k);
      this.result.indices.push(idx);
      this.result.distances.push(idx.map((j) => (j === i ? 0 : Math.sqrt(this.dist[j]))));
    }
    this.next = end;
  }
}

/** All of it at once. */
export function knn(data: ArrayLike<number>, n: number, d: number, k: number): Knn {
  const job = new KnnJob(data, n, d, k);
  job.run(n);
  return job.result;
}
