// Surfaces (add_surface): a card per tag with a step slider and a run picker; at the chosen step a
// heatmap with contour lines, a colour bar and a hover read-out, and beside it a 3-D view of the
// same surface rotated by dragging: lit triangles, a wireframe and the box drawn by WebGL
// (gl/renderer.ts), or on a canvas 2D (painter's algorithm) when WebGL is unavailable.
import { colormap, contourLevels, contourSegments, cssColor, project, strideIndices, zRange, type Camera } from "../math/surface";
import { dragOrbit } from "../chart/orbit";
import { orbitMatrix, rotation } from "../gl/camera";
import { drawShared, vertexNormals, type Geometry } from "../gl/renderer";
import { cssRgba } from "../gl/color";
import { objectKey } from "../gl/scene";
import type { SurfaceEntry } from "../protocol";
import { canvasAvailable, fmtNum, h, niceTicks, sizeCanvas, themeColors, type CardView, type ViewContext } from "../ui";
import { SceneFrame } from "./scenecard";

const HEIGHT = 260;
const PAD = { left: 44, right: 58, top: 8, bottom: 28 };
/** The 3-D view draws at most this many grid lines a side (coarser meshes for larger grids). */
const MESH_SIDE = 48;

/** The GPU surface draws at most this many grid points a side (larger grids are strided). */
const GL_SIDE = 160;

/** The surface of `e` for the GPU, in the 3-D view's box (x, y in [-1, 1], z in [-0.6, 0.6]):
 *  triangles (two per grid cell whose corners are finite) coloured by height and lit, and a
 *  wireframe of every `MESH_SIDE`-th grid line (both strided for large grids). A single row or
 *  column gives no triangles; its wireframe is the line. */
export function surfaceGeometry(e: SurfaceEntry, [lo, hi]: [number, number]): { tris: Geometry; wire: Geometry } {
  const is = strideIndices(e.ny, GL_SIDE), js = strideIndices(e.nx, GL_SIDE);
  const rows = is.length, cols = js.length;
  const xl = e.x[0], xh = e.x[e.nx - 1], yl = e.y[0], yh = e.y[e.ny - 1];
  const positions = new Float32Array(3 * rows * cols), colors = new Uint8Array(4 * rows * cols);
  const finite = new Uint8Array(rows * cols);
  for (let a = 0; a < rows; a++) {
    for (let b = 0; b < cols; b++) {
      const v = a * cols + b, z = e.z[is[a] * e.nx + js[b]];
      finite[v] = Number.isFinite(z) ? 1 : 0;
      positions[3 * v] = xh > xl ? ((e.x[js[b]] - xl) / (xh - xl)) * 2 - 1 : 0;
      positions[3 * v + 1] = yh > yl ? ((e.y[is[a]] - yl) / (yh - yl)) * 2 - 1 : 0;
      positions[3 * v + 2] = finite[v] && hi > lo ? ((z - lo) / (hi - lo)) * 1.2 - 0.6 : 0;
      const c = colormap(hi > lo ? (z - lo) / (hi - lo) : 0.5);
      colors.set([c[0], c[1], c[2], 255], 4 * v);
    }
  }
  const tri: number[] = [];
  for (let a = 0; a + 1 < rows; a++) {
    for (let b = 0; b + 1 < cols; b++) {
      const p = a * cols + b, q = p + 1, r = p + cols, t = r + 1;
      if (finite[p] && finite[q] && finite[r] && finite[t]) tri.push(p, q, t, p, t, r);
    }
  }
  const indices = Uint32Array.from(tri);
  // Wireframe: every k-th row and column of the GPU grid (about MESH_SIDE lines a side), the segments between finite points.
  const wireRows = strideIndices(rows, MESH_SIDE), wireCols = strideIndices(cols, MESH_SIDE);
  const seg: number[] = [];
  const line = (from: number, to: number) => {
    if (finite[from] && finite[to]) seg.push(from, to);
  };
  for (const a of wireRows) for (let b = 0; b + 1 < cols; b++) line(a * cols + b, a * cols + b + 1);
  for (const b of wireCols) for (let a = 0; a + 1 < rows; a++) line(a * cols + b, (a + 1) * cols + b);
  const single = rows === 1 || cols === 1;
  const wireColors = new Uint8Array(colors.length);
  for (let v = 0; v < rows * cols; v++) wireColors.set(single ? [...colormap(0.5), 255] : [0, 0, 0, 64], 4 * v);
  return {
    tris: { primitive: "triangles", positions, colors, normals: vertexNormals(positions, indices), indices },
    wire: { primitive: "lines", positions, colors: wireColors, indices: Uint32Array.from(seg) },
  };
}

/** The 3-D view's box (floor and vertical edges) as lines of one colour. */
export function boxGeometry(rgba: readonly number[]): Geometry {
  const c = [[-1, -1], [1, -1], [1, 1], [-1, 1]];
  const positions = new Float32Array(c.flatMap(([a, b]) => [a, b, -0.6, a, b, 0.6]));
  const colors = new Uint8Array(8 * 4);
  for (let v = 0; v < 8; v++) colors.set([rgba[0], rgba[1], rgba[2], rgba[3] ?? 255], 4 * v);
  // Floor: the bottom corners in a ring; edges: each bottom corner to its top.
  const indices = Uint32Array.from([0, 2, 2, 4, 4, 6, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7]);
  return { primitive: "lines", positions, colors, indices };
}

/** Cell edges around increasing centres: midpoints, the ends extended by half a cell. */
export function cellEdges(c: ArrayLike<number>): number[] {
  const n = c.length;
  if (n === 1) return [c[0] - 0.5, c[0] + 0.5];
  const e = [c[0] - (c[1] - c[0]) / 2];
  for (let i = 0; i + 1 < n; i++) e.push((c[i] + c[i + 1]) / 2);
  e.push(c[n - 1] + (c[n - 1] - c[n - 2]) / 2);
  return e;
}

export function surfaceCard(tag: string, ctx: ViewContext): CardView {
  const frame = new SceneFrame("surfaces", tag, ctx, { min: 320, initial: 640 }, () => redraw());
  const { el, body, scene, slider } = frame;
  const heat = h("canvas", { class: "tbx-canvas tbx-surface-heat", role: "img", "aria-label": `${tag} heatmap` });
  const view3d = h("canvas", { class: "tbx-canvas tbx-surface-3d", role: "img", "aria-label": `${tag} 3-D view (drag to rotate)`, title: "drag to rotate" });
  const tip = h("div", { class: "tbx-tip", role: "tooltip" });
  tip.hidden = true;
  const info = h("div", { class: "tbx-card-note" });
  const row = h("div", { class: "tbx-plot tbx-surface-row" }, heat, view3d, tip);
  row.style.display = "flex";
  row.style.flexWrap = "wrap";
  row.style.gap = "8px";
  body.append(row, info);

  const cam: Camera = { yaw: -0.6, pitch: 0.55 };
  let entry: SurfaceEntry | undefined;
  let width = 0;

  /** What the heatmap shows: rotating redraws only the 3-D view. */
  let heatSig = "";
  function redraw(): void {
    frame.invalidate();
    heatSig = "";
    update();
  }

  function update(): void {
    const picked = frame.pick([cam.yaw, cam.pitch]);
    if (!picked) return;
    const { run, dataSig } = picked;
    ({ entry, width } = picked);
    const range = entry ? zRange(entry.z) : null;
    el.dataset.tbxSurface = JSON.stringify(entry && range ? { run, step: entry.step, nx: entry.nx, ny: entry.ny, zmin: range[0], zmax: range[1] } : {});
    el.dataset.tbxYaw = cam.yaw.toFixed(3);
    info.textContent = !entry ? "No visible run has a surface at this step." : entry.note ?? "";
    draw([dataSig, slider.value, run, width].join(";"));
  }

  function sizes(): [number, number] {
    // Side by side when there is room, else stacked.
    const side = width >= 640;
    const w = side ? Math.floor((width - 8) / 2) : width;
    return [w, w];
  }

  function draw(sig: string): void {
    if (!canvasAvailable()) return;
    const [hw, vw] = sizes();
    const heatToo = sig !== heatSig;
    heatSig = sig;
    const g = heatToo ? sizeCanvas(heat, hw, HEIGHT) : null;
    const g3 = sizeCanvas(view3d, vw, HEIGHT);
    if (!g3 || (heatToo && !g)) return;
    g?.clearRect(0, 0, hw, HEIGHT);
    g3.clearRect(0, 0, vw, HEIGHT);
    if (!entry) return;
    const range = zRange(entry.z);
    if (!range) return;
    if (g) drawHeatmap(g, hw, entry, range);
    draw3d(g3, vw, entry, range);
    el.dataset.tbxDrawn = String(Number(el.dataset.tbxDrawn ?? 0) + 1);
  }

  function heatGeometry(w: number, e: SurfaceEntry) {
    const xe = cellEdges(e.x), ye = cellEdges(e.y);
    const x0 = PAD.left, x1 = w - PAD.right, y0 = PAD.top, y1 = HEIGHT - PAD.bottom;
    const sx = (v: number) => x0 + ((v - xe[0]) / (xe[xe.length - 1] - xe[0])) * (x1 - x0);
    const sy = (v: number) => y1 - ((v - ye[0]) / (ye[ye.length - 1] - ye[0])) * (y1 - y0);
    return { xe, ye, x0, x1, y0, y1, sx, sy };
  }

  function drawHeatmap(g: CanvasRenderingContext2D, w: number, e: SurfaceEntry, [lo, hi]: [number, number]): void {
    const { fg, muted } = themeColors(el);
    const { xe, ye, x0, x1, y0, y1, sx, sy } = heatGeometry(w, e);
    const span = hi - lo || 1;
    for (let i = 0; i < e.ny; i++) {
      const top = sy(ye[i + 1]), bottom = sy(ye[i]);
      for (let j = 0; j < e.nx; j++) {
        const v = e.z[i * e.nx + j];
        if (!Number.isFinite(v)) continue;
        g.fillStyle = cssColor(colormap((v - lo) / span));
        const left = sx(xe[j]), right = sx(xe[j + 1]);
        g.fillRect(left, top, right - left + 0.5, bottom - top + 0.5); // + 0.5: no seams
      }
    }
    // Contours: grid indices to pixels through the cell centres.
    const px = (fj: number) => {
      const j = Math.min(e.nx - 1, Math.floor(fj));
      const f = fj - j;
      return sx(j + 1 < e.nx ? e.x[j] + f * (e.x[j + 1] - e.x[j]) : e.x[j]);
    };
    const py = (fi: number) => {
      const i = Math.min(e.ny - 1, Math.floor(fi));
      const f = fi - i;
      return sy(i + 1 < e.ny ? e.y[i] + f * (e.y[i + 1] - e.y[i]) : e.y[i]);
    };
    g.strokeStyle = "rgba(255,255,255,0.75)";
    g.lineWidth = 1;
    g.beginPath();
    for (const level of contourLevels(lo, hi)) {
      const s = contourSegments(e.z, e.nx, e.ny, level);
      for (let k = 0; k < s.length; k += 4) {
        g.moveTo(px(s[k]), py(s[k + 1]));
        g.lineTo(px(s[k + 2]), py(s[k + 3]));
      }
    }
    g.stroke();
    // Axes.
    g.font = "10px sans-serif";
    g.fillStyle = fg;
    for (const t of niceTicks(xe[0], xe[xe.length - 1], 4)) g.fillText(fmtNum(t), sx(t) - 8, y1 + 12);
    for (const t of niceTicks(ye[0], ye[ye.length - 1], 4)) g.fillText(fmtNum(t), 2, sy(t) + 3);
    g.fillStyle = muted;
    g.fillText("x", (x0 + x1) / 2, HEIGHT - 4);
    g.fillText("y", 2, y0 + 8);
    // Colour bar.
    const bx = w - PAD.right + 8, bw = 10;
    for (let p = y0; p < y1; p++) {
      g.fillStyle = cssColor(colormap((y1 - p) / (y1 - y0)));
      g.fillRect(bx, p, bw, 1.5);
    }
    g.fillStyle = fg;
    for (const t of niceTicks(lo, hi, 4)) {
      if (t < lo || t > hi) continue;
      g.fillText(fmtNum(t), bx + bw + 3, y1 - ((t - lo) / span) * (y1 - y0) + 3);
    }
  }

  function draw3d(g: CanvasRenderingContext2D, w: number, e: SurfaceEntry, range: [number, number]): void {
    const { fg, muted } = themeColors(el);
    const gl = drawGl(g, w, e, range, muted);
    if (!gl) paint3d(g, w, e, range);
    el.dataset.tbxRenderer = gl ? "webgl" : "canvas2d";
    const scale = Math.min(w, HEIGHT) * 0.3;
    const P = (x: number, y: number, z: number): [number, number] => {
      const [a, b] = project(cam, x, y, z);
      return [w / 2 + a * scale, HEIGHT / 2 + 10 + b * scale];
    };
    g.fillStyle = fg;
    g.font = "10px sans-serif";
    const lx = P(1.15, -1, -0.6), ly = P(-1, 1.15, -0.6), lz = P(-1, -1, 0.72);
    g.fillText("x", lx[0], lx[1]);
    g.fillText("y", ly[0], ly[1]);
    g.fillText("z", lz[0], lz[1]);
    g.fillStyle = muted;
    g.fillText("drag to rotate", 4, HEIGHT - 4);
  }

  /** Draw through the shared WebGL renderer; false (and WebGL off from then on) when it fails. */
  function drawGl(g: CanvasRenderingContext2D, w: number, e: SurfaceEntry, range: [number, number], muted: string): boolean {
    return drawShared(g, w, HEIGHT, (r) => {
      const key = `${objectKey(e)}`;
      let geo: ReturnType<typeof surfaceGeometry> | null = null;
      const built = () => (geo ??= surfaceGeometry(e, range));
      const tris = scene.get(r, "tris", key, () => built().tris);
      const wire = scene.get(r, "wire", key, () => built().wire);
      const box = scene.get(r, "box", muted, () => boxGeometry(cssRgba(muted)));
      const mvp = orbitMatrix(cam, { width: w, height: HEIGHT, cx: w / 2, cy: HEIGHT / 2 + 10, scale: Math.min(w, HEIGHT) * 0.3 });
      const rot = rotation(cam);
      r.draw(box, { mvp });
      if (tris.count) r.draw(tris, { mvp, rot, offset: true });
      r.draw(wire, { mvp, depthWrite: false });
    });
  }

  /** The canvas-2D fallback: the box, then the grid's quads far to near. */
  function paint3d(g: CanvasRenderingContext2D, w: number, e: SurfaceEntry, [lo, hi]: [number, number]): void {
    const { muted } = themeColors(el);
    const is = strideIndices(e.ny, MESH_SIDE), js = strideIndices(e.nx, MESH_SIDE);
    const xl = e.x[0], xh = e.x[e.nx - 1], yl = e.y[0], yh = e.y[e.ny - 1];
    const nx = (v: number) => (xh > xl ? ((v - xl) / (xh - xl)) * 2 - 1 : 0);
    const ny = (v: number) => (yh > yl ? ((v - yl) / (yh - yl)) * 2 - 1 : 0);
    const nz = (v: number) => (hi > lo ? ((v - lo) / (hi - lo)) * 1.2 - 0.6 : 0);
    const scale = Math.min(w, HEIGHT) * 0.3;
    const cx = w / 2, cy = HEIGHT / 2 + 10;
    const P = (x: number, y: number, z: number): [number, number, number] => {
      const [a, b, d] = project(cam, x, y, z);
      return [cx + a * scale, cy + b * scale, d];
    };
    // The box's floor and its vertical edges, behind the surface.
    g.strokeStyle = muted;
    g.lineWidth = 0.75;
    const corners = [[-1, -1], [1, -1], [1, 1], [-1, 1]];
    g.beginPath();
    corners.forEach(([a, b], k) => {
      const p = P(a, b, -0.6);
      if (k === 0) g.moveTo(p[0], p[1]);
      else g.lineTo(p[0], p[1]);
    });
    g.closePath();
    for (const [a, b] of corners) {
      const p = P(a, b, -0.6), q = P(a, b, 0.6);
      g.moveTo(p[0], p[1]);
      g.lineTo(q[0], q[1]);
    }
    g.stroke();
    // Quads, far to near.
    const quads: { d: number; pts: [number, number, number][]; v: number }[] = [];
    for (let a = 0; a + 1 < is.length; a++) {
      for (let b = 0; b + 1 < js.length; b++) {
        const idx = [[is[a], js[b]], [is[a], js[b + 1]], [is[a + 1], js[b + 1]], [is[a + 1], js[b]]];
        const vs = idx.map(([i, j]) => e.z[i * e.nx + j]);
        if (!vs.every(Number.isFinite)) continue;
        const pts = idx.map(([i, j], k) => P(nx(e.x[j]), ny(e.y[i]), nz(vs[k])));
        quads.push({ d: pts.reduce((s, p) => s + p[2], 0) / 4, pts, v: vs.reduce((s, x) => s + x, 0) / 4 });
      }
    }
    quads.sort((p, q) => p.d - q.d);
    g.lineWidth = 0.5;
    g.strokeStyle = "rgba(0,0,0,0.25)";
    for (const q of quads) {
      g.fillStyle = cssColor(colormap(hi > lo ? (q.v - lo) / (hi - lo) : 0.5));
      g.beginPath();
      g.moveTo(q.pts[0][0], q.pts[0][1]);
      for (let k = 1; k < 4; k++) g.lineTo(q.pts[k][0], q.pts[k][1]);
      g.closePath();
      g.fill();
      g.stroke();
    }
    if (is.length === 1 || js.length === 1) {
      // A single row or column: a line.
      g.strokeStyle = cssColor(colormap(0.5));
      g.lineWidth = 2;
      g.beginPath();
      for (const i of is) for (const j of js) {
        const p = P(nx(e.x[j]), ny(e.y[i]), nz(e.z[i * e.nx + j]));
        g.lineTo(p[0], p[1]);
      }
      g.stroke();
    }
  }

  // ---- rotation and hover ----
  dragOrbit(view3d, cam, update, { minPitch: -0.2 });
  heat.addEventListener("mousemove", (ev: MouseEvent) => {
    const e = entry;
    if (!e) return;
    const box = heat.getBoundingClientRect();
    const [hw] = sizes();
    const { xe, ye, x0, x1, y0, y1 } = heatGeometry(hw, e);
    const px = ev.clientX - box.left, py = ev.clientY - box.top;
    if (px < x0 || px > x1 || py < y0 || py > y1) {
      tip.hidden = true;
      return;
    }
    const xv = xe[0] + ((px - x0) / (x1 - x0)) * (xe[xe.length - 1] - xe[0]);
    const yv = ye[0] + ((y1 - py) / (y1 - y0)) * (ye[ye.length - 1] - ye[0]);
    let j = 0, i = 0;
    while (j + 1 < e.nx && xe[j + 1] < xv) j++;
    while (i + 1 < e.ny && ye[i + 1] < yv) i++;
    tip.textContent = `x ${fmtNum(e.x[j])} · y ${fmtNum(e.y[i])} · z ${fmtNum(e.z[i * e.nx + j])}`;
    tip.hidden = false;
    tip.style.left = `${Math.min(px + 12, hw - 160)}px`;
    tip.style.top = `${Math.max(0, py - 10)}px`;
  });
  heat.addEventListener("mouseleave", () => {
    tip.hidden = true;
  });

  return frame.card(update);
}
