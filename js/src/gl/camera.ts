// The 3-D cards' camera as a WebGL matrix: the same orthographic orbit as `project` in
// math/surface.ts (yaw about the vertical axis, then pitch), placed on the card's pixels, so what
// the GPU draws and what the canvas-2D fallback and the hover hit-tests compute agree.
import type { Camera } from "../math/surface";

/** Where the unit cube lands on the card: its centre (cx, cy) and pixels per unit, on a
 *  `width` x `height` (CSS pixels) view. `depth`: the farthest |depth| the scene reaches (sets
 *  the depth-buffer range; default 2, enough for the unit cube's diagonal). */
export interface Screen {
  width: number;
  height: number;
  cx: number;
  cy: number;
  scale: number;
  depth?: number;
}

/** The 3 x 3 rotation of `project` (columns for x, y, z): rows are screen right, screen up, and
 *  depth (positive: away from the viewer). Column-major, as WebGL's uniformMatrix3fv takes it. */
export function rotation(cam: Camera): Float32Array {
  const cy = Math.cos(cam.yaw), sy = Math.sin(cam.yaw);
  const cp = Math.cos(cam.pitch), sp = Math.sin(cam.pitch);
  // right = (cy, -sy, 0); up = (sp*sy, sp*cy, cp); depth = (cp*sy, cp*cy, -sp)
  return new Float32Array([cy, sp * sy, cp * sy, -sy, sp * cy, cp * cy, 0, cp, -sp]);
}

/** The clip-space matrix (column-major 4 x 4) taking scene points to the pixels `project` gives:
 *  px = cx + right * scale, py = cy - up * scale (y down), nearer points at smaller clip z. */
export function orbitMatrix(cam: Camera, s: Screen): Float32Array {
  if (!(s.width > 0) || !(s.height > 0)) throw new RangeError(`orbitMatrix: screen must have a positive size, got ${s.width} x ${s.height}`);
  const r = rotation(cam);
  const ax = (2 * s.scale) / s.width, ay = (2 * s.scale) / s.height, az = 1 / (s.depth ?? 2);
  const bx = (2 * s.cx) / s.width - 1, by = 1 - (2 * s.cy) / s.height;
  // Column j of the linear part: the rotation's column j scaled per row.
  return new Float32Array([
    ax * r[0], ay * r[1], az * r[2], 0,
    ax * r[3], ay * r[4], az * r[5], 0,
    ax * r[6], ay * r[7], az * r[8], 0,
    bx, by, 0, 1,
  ]);
}

/** Apply a column-major 4 x 4 to (x, y, z, 1): [clip x, clip y, clip z] (w stays 1 here). */
export function applyMatrix(m: ArrayLike<number>, x: number, y: number, z: number): [number, number, number] {
  return [
    m[0] * x + m[4] * y + m[8] * z + m[12],
    m[1] * x + m[5] * y + m[9] * z + m[13],
    m[2] * x + m[6] * y + m[10] * z + m[14],
  ];
}
