// Pure helpers of the surface card: the colour map, the z range, contour segments (marching
// squares) and the orthographic projection of the rotatable 3-D view.

/** Viridis at a few stops (matplotlib's colour map, sampled), interpolated linearly. */
const STOPS: readonly [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

/** The colour of `t` in [0, 1] (clamped) as [r, g, b] bytes. */
export function colormap(t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const a = STOPS[i], b = STOPS[i + 1];
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

export function cssColor(rgb: readonly number[], alpha = 1): string {
  return alpha >= 1 ? `rgb(${rgb[0]},${rgb[1]},${rgb[2]})` : `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})`;
}

/** [min, max] of the finite values of `z`; null when there are none. */
export function zRange(z: ArrayLike<number>): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < z.length; i++) {
    const v = z[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** `count` contour levels strictly inside [lo, hi], evenly spaced. */
export function contourLevels(lo: number, hi: number, count = 8): number[] {
  if (!(hi > lo)) return [];
  return Array.from({ length: count }, (_, i) => lo + ((i + 1) * (hi - lo)) / (count + 1));
}

/**
 * Marching squares: the segments where `z` (row-major ny x nx, z[i * nx + j] at column j, row i)
 * crosses `level`, as flat [j0, i0, j1, i1, ...] in fractional grid indices. Cells with a NaN
 * corner are skipped; a saddle is split by the cell's mean.
 */
export function contourSegments(z: ArrayLike<number>, nx: number, ny: number, level: number): number[] {
  const out: number[] = [];
  const at = (i: number, j: number) => z[i * nx + j];
  for (let i = 0; i + 1 < ny; i++) {
    for (let j = 0; j + 1 < nx; j++) {
      const a = at(i, j), b = at(i, j + 1), c = at(i + 1, j + 1), d = at(i + 1, j);
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(d))) continue;
      const code = (a >= level ? 1 : 0) | (b >= level ? 2 : 0) | (c >= level ? 4 : 0) | (d >= level ? 8 : 0);
      if (code === 0 || code === 15) continue;
      const t = (p: number, q: number) => (level - p) / (q - p);
      // Crossing points on the four edges: top (a-b), right (b-c), bottom (d-c), left (a-d).
      const top = () => [j + t(a, b), i];
      const right = () => [j + 1, i + t(b, c)];
      const bottom = () => [j + t(d, c), i + 1];
      const left = () => [j, i + t(a, d)];
      const seg = (p: number[], q: number[]) => out.push(p[0], p[1], q[0], q[1]);
      switch (code) {
        case 1: case 14: seg(left(), top()); break;
        case 2: case 13: seg(top(), right()); break;
        case 3: case 12: seg(left(), right()); break;
        case 4: case 11: seg(right(), bottom()); break;
        case 6: case 9: seg(top(), bottom()); break;
        case 7: case 8: seg(left(), bottom()); break;
        case 5: case 10: {
          const high = (a + b + c + d) / 4 >= level;
          if ((code === 5) === high) {
            seg(left(), bottom());
            seg(top(), right());
          } else {
            seg(left(), top());
            seg(right(), bottom());
          }
          break;
        }
      }
    }
  }
  return out;
}

/** A view of the unit cube: rotation `yaw` about the vertical axis, then `pitch` towards the viewer. */
export interface Camera {
  yaw: number;
  pitch: number;
}

/** Orthographic projection of (x, y, z) in [-1, 1]: screen [sx, sy] (y down) and depth (larger: nearer). */
export function project(cam: Camera, x: number, y: number, z: number): [number, number, number] {
  const cy = Math.cos(cam.yaw), sy = Math.sin(cam.yaw);
  const x1 = cy * x - sy * y;
  const y1 = sy * x + cy * y;
  const cp = Math.cos(cam.pitch), sp = Math.sin(cam.pitch);
  // Screen up mixes z and the depth axis y1 by the pitch.
  const up = cp * z + sp * y1;
  const depth = -sp * z + cp * y1;
  return [x1, -up, -depth];
}

/** Every `step`-th index of 0..n-1, always ending at n - 1 (for a coarser 3-D mesh). */
export function strideIndices(n: number, most: number): number[] {
  if (n <= most) return Array.from({ length: n }, (_, i) => i);
  const step = (n - 1) / (most - 1);
  return Array.from({ length: most }, (_, i) => Math.round(i * step));
}
