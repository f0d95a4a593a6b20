// Principal component analysis of an embedding, in the browser: the top k eigenvectors of the
// covariance by orthogonal (subspace) power iteration. With few dimensions the covariance is
// formed (n * d^2 / 2 multiply-adds once, then d^2 per vector per iteration); with many it is
// applied implicitly as X^T (X v), never formed.
import { xorshift32 } from "./random";
import { checkRows } from "./rows";

export interface Pca {
  /** k coordinates per point: `coords[i * k + j]` is point i on component j. */
  coords: Float64Array;
  k: number;
  /** The components, unit vectors of `dims` values each (`components[j * dims + c]`). */
  components: Float64Array;
  /** Variance along each component, largest first, and in all dimensions. */
  variances: number[];
  totalVariance: number;
  iterations: number;
}

/** Up to this many dimensions the covariance is formed. */
const FORM_COVARIANCE_DIMS = 256;
/** Multiply-adds the iterations of the implicit (many dimensions) case may take. */
const WORK_BUDGET = 1.5e8;

/** `out[i] = sum over c of m[i * cols + c] * v[c]` for the `rows` rows of the row-major `m`. */
function matVec(m: Float64Array, rows: number, cols: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const off = i * cols;
    for (let c = 0; c < cols; c++) s += m[off + c] * v[c];
    out[i] = s;
  }
}

/** Orthonormalise the k rows of `v` (d each) in place (modified Gram-Schmidt); a row that
 *  vanishes is replaced by a random direction orthogonal to the earlier ones. */
function orthonormalise(v: Float64Array, k: number, d: number, rand: () => number): void {
  for (let j = 0; j < k; j++) {
    const row = v.subarray(j * d, (j + 1) * d);
    for (let attempt = 0; attempt < 3; attempt++) {
      for (let p = 0; p < j; p++) {
        const prev = v.subarray(p * d, (p + 1) * d);
        let dot = 0;
        for (let c = 0; c < d; c++) dot += row[c] * prev[c];
        for (let c = 0; c < d; c++) row[c] -= dot * prev[c];
      }
      let norm = 0;
      for (let c = 0; c < d; c++) norm += row[c] * row[c];
      norm = Math.sqrt(norm);
      if (norm > 1e-12) {
        for (let c = 0; c < d; c++) row[c] /= norm;
        break;
      }
      for (let c = 0; c < d; c++) row[c] = rand();
    }
  }
}

/**
 * The first `k` principal components of `n` points of `d` values (`data[i * d + c]`), and the
 * points projected on them. Deterministic (seeded start; each component's sign is chosen so
 * its largest entry is positive). `maxIterations` bounds the work; it stops earlier once the
 * subspace moves by less than `tolerance`.
 */
export function pca(data: ArrayLike<number>, n: number, d: number, k = 2, maxIterations = 300, tolerance = 1e-10): Pca {
  checkRows("pca", data.length, n, d);
  k = Math.max(0, Math.min(k, d));
  const x = new Float64Array(n * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += data[i * d + c];
  for (let c = 0; c < d; c++) mean[c] /= Math.max(1, n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) {
      const v = data[i * d + c] - mean[c];
      x[i * d + c] = Number.isFinite(v) ? v : 0;
      total += x[i * d + c] * x[i * d + c];
    }
  }
  const denom = Math.max(1, n - 1);
  let apply: (v: Float64Array, out: Float64Array) => void;
  if (d <= FORM_COVARIANCE_DIMS) {
    const cov = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const off = i * d;
      for (let a = 0; a < d; a++) {
        const xa = x[off + a];
        if (xa === 0) continue;
        const row = a * d;
        for (let b = a; b < d; b++) cov[row + b] += xa * x[off + b];
      }
    }
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= denom;
    apply = (v, out) => matVec(cov, d, d, v, out);
  } else {
    // Each iteration costs 2 k n d here: bound the work to about WORK_BUDGET multiply-adds.
    maxIterations = Math.min(maxIterations, Math.max(20, Math.floor(WORK_BUDGET / Math.max(1, 2 * k * n * d))));
    const xv = new Float64Array(n);
    apply = (v, out) => {
      matVec(x, n, d, v, xv);
      out.fill(0);
      for (let i = 0; i < n; i++) {
        const s = xv[i] / denom, off = i * d;
        if (s !== 0) for (let c = 0; c < d; c++) out[c] += s * x[off + c];
      }
    };
  }
  const uniform = xorshift32(0x9e3779b9);
  const rand = () => uniform() - 0.5;
  let v = new Float64Array(k * d);
  for (let j = 0; j < v.length; j++) v[j] = rand();
  orthonormalise(v, k, d, rand);
  let w = new Float64Array(k * d);
  let iterations = 0;
  let captured = -1;
  for (; iterations < maxIterations && k > 0; iterations++) {
    for (let j = 0; j < k; j++) apply(v.subarray(j * d, (j + 1) * d), w.subarray(j * d, (j + 1) * d));
    // The variance the subspace captures (sum of Rayleigh quotients): it settles long before
    // vectors whose variance ties with the next component's do.
    let now = 0;
    for (let j = 0; j < k * d; j++) now += v[j] * w[j];
    const settled = captured > 0 && Math.abs(now - captured) <= tolerance * 100 * now;
    captured = now;
    orthonormalise(w, k, d, rand);
    // How far the subspace moved: each new vector's part outside the old span (rotation-
    // invariant, so components of equal variance, which keep turning within their span, stop).
    let moved = 0;
    for (let j = 0; j < k; j++) {
      let inside = 0;
      for (let p = 0; p < k; p++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += w[j * d + c] * v[p * d + c];
        inside += dot * dot;
      }
      moved = Math.max(moved, 1 - inside);
    }
    [v, w] = [w, v];
    if (moved < tolerance || settled) {
      iterations++;
      break;
    }
  }
  // Rayleigh-Ritz: the best vectors within the subspace found (exact when k = d), largest
  // variance first; then the sign convention.
  const cv = new Float64Array(k * d);
  for (let j = 0; j < k; j++) apply(v.subarray(j * d, (j + 1) * d), cv.subarray(j * d, (j + 1) * d));
  const hm: number[][] = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => {
    let sum = 0;
    for (let c = 0; c < d; c++) sum += v[a * d + c] * cv[b * d + c];
    return sum;
  }));
  const { values, vectors } = symmetricEigen(hm);
  const order = values.map((_, j) => j).sort((a, b) => values[b] - values[a]);
  const rot = new Float64Array(k * d);
  const variances: number[] = [];
  order.forEach((src, j) => {
    variances.push(values[src]);
    const row = rot.subarray(j * d, (j + 1) * d);
    for (let p = 0; p < k; p++) {
      const q = vectors[p][src];
      for (let c = 0; c < d; c++) row[c] += q * v[p * d + c];
    }
    let big = 0;
    for (let c = 0; c < d; c++) if (Math.abs(row[c]) > Math.abs(big)) big = row[c];
    if (big < 0) for (let c = 0; c < d; c++) row[c] = -row[c];
  });
  v = rot;
  const coords = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += x[i * d + c] * v[j * d + c];
      coords[i * k + j] = s;
    }
  }
  return { coords, k, components: v, variances, totalVariance: total / denom, iterations };
}

/** Eigenvalues and eigenvectors (columns: `vectors[i][j]` is entry i of vector j) of a small
 *  symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(m: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const k = m.length;
  const a = m.map((r) => [...r]);
  const q: number[][] = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j): number => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) off += a[i][j] * a[i][j];
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) {
      for (let r = p + 1; r < k; r++) {
        if (Math.abs(a[p][r]) < 1e-300) continue;
        const theta = (a[r][r] - a[p][p]) / (2 * a[p][r]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let i = 0; i < k; i++) {
          const aip = a[i][p], air = a[i][r];
          a[i][p] = c * aip - s * air;
          a[i][r] = s * aip + c * air;
        }
        for (let i = 0; i < k; i++) {
          const api = a[p][i], ari = a[r][i];
          a[p][i] = c * api - s * ari;
          a[r][i] = s * api + c * ari;
        }
        for (let i = 0; i < k; i++) {
          const qip = q[i][p], qir = q[i][r];
          q[i][p] = c * qip - s * qir;
          q[i][r] = s * qip + c * qir;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]), vectors: q };
}
