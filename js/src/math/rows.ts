// The argument check the embedding algorithms (PCA, kNN, UMAP) share: `data` holds n rows of d
// values, row-major (`data[i * d + c]`).

/** Throw a RangeError naming `who` and the argument unless n and d are whole numbers, at least
 *  `minRows` and `minDims`, and `length` (the data's) is n * d. */
export function checkRows(who: string, length: number, n: number, d: number, minRows = 0, minDims = 0): void {
  if (!Number.isInteger(n) || n < minRows) throw new RangeError(`${who}: n must be a whole number of at least ${minRows} points, got ${n}`);
  if (!Number.isInteger(d) || d < minDims) throw new RangeError(`${who}: d must be a whole number of at least ${minDims} values a point, got ${d}`);
  if (length !== n * d) throw new RangeError(`${who}: data has ${length} values, expected n * d = ${n * d}`);
}
