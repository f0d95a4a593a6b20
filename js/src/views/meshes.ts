// Meshes (add_mesh, TensorBoard's mesh plugin): a card per tag with a step slider and a run
// picker; the chosen step's mesh (triangles coloured by their vertices, lit) or point cloud in
// 3-D, drawn by WebGL (gl/renderer.ts), or on a canvas 2D (painter's algorithm) when WebGL is
// unavailable; rotated by dragging and zoomed with the wheel.
import { cssColor, project, type Camera } from "../math/surface";
import { dragOrbit } from "../chart/orbit";
import { orbitMatrix, rotation } from "../gl/camera";
import { drawShared, vertexNormals, type Geometry } from "../gl/renderer";
import { objectKey } from "../gl/scene";
import type { MeshEntry } from "../protocol";
import { canvasAvailable, h, sizeCanvas, themeColors, type CardView, type ViewContext } from "../ui";
import { SceneFrame } from "./scenecard";

const HEIGHT = 320;
const DEFAULT_RGB = [120, 160, 220];

/** Centre and half-size of a mesh's bounding box (the view fits it). */
export function meshBounds(v: ArrayLike<number>): { center: [number, number, number]; radius: number } {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i + 2 < v.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      if (v[i + k] < lo[k]) lo[k] = v[i + k];
      if (v[i + k] > hi[k]) hi[k] = v[i + k];
    }
  }
  if (!(lo[0] <= hi[0])) return { center: [0, 0, 0], radius: 1 };
  const center: [number, number, number] = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
  return { center, radius: Math.max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2 || 1 };
}

/** The mesh for the GPU: vertices centred and scaled into [-1, 1] with TensorBoard's y-up
 *  turned into the view's z-up, RGBA colours, normals and triangles (points without faces). */
export function meshGeometry(e: MeshEntry): Geometry {
  const n = Math.floor(e.vertices.length / 3);
  const { center, radius } = meshBounds(e.vertices);
  const positions = new Float32Array(3 * n), colors = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    positions[3 * i] = (e.vertices[3 * i] - center[0]) / radius;
    positions[3 * i + 1] = (e.vertices[3 * i + 2] - center[2]) / radius;
    positions[3 * i + 2] = (e.vertices[3 * i + 1] - center[1]) / radius;
    for (let k = 0; k < 3; k++) colors[4 * i + k] = e.colors ? Math.max(0, Math.min(255, Math.round(e.colors[3 * i + k]))) : DEFAULT_RGB[k];
    colors[4 * i + 3] = 255;
  }
  const m = Math.floor(e.faces.length / 3);
  if (m === 0) return { primitive: "points", positions, colors };
  // Triangles naming a vertex that does not exist are left out (the painter skips them too).
  const kept: number[] = [];
  const ok = (v: number) => Number.isInteger(v) && v >= 0 && v < n;
  for (let t = 0; t < m; t++) {
    const a = e.faces[3 * t], b = e.faces[3 * t + 1], c = e.faces[3 * t + 2];
    if (ok(a) && ok(b) && ok(c)) kept.push(a, b, c);
  }
  const indices = Uint32Array.from(kept);
  return { primitive: "triangles", positions, colors, normals: vertexNormals(positions, indices), indices };
}

/** Point size of a point cloud of n points, in CSS pixels. */
function cloudPointSize(n: number): number {
  return Math.max(1.5, Math.min(4, 600 / Math.sqrt(n)));
}

export function meshCard(tag: string, ctx: ViewContext): CardView {
  const frame = new SceneFrame("meshes", tag, ctx, { min: 240, initial: 480 }, () => redraw());
  const { el, body, scene } = frame;
  const canvas = h("canvas", { class: "tbx-canvas tbx-mesh-3d", role: "img", "aria-label": `${tag} mesh (drag to rotate, wheel to zoom)`, title: "drag to rotate, wheel to zoom" });
  const info = h("div", { class: "tbx-card-note" });
  body.append(h("div", { class: "tbx-plot" }, canvas), info);

  const cam: Camera = { yaw: -0.5, pitch: 0.4 };
  let zoom = 1;
  let entry: MeshEntry | undefined;
  let width = 0;

  function redraw(): void {
    frame.invalidate();
    update();
  }

  function update(): void {
    const picked = frame.pick([cam.yaw, cam.pitch, zoom]);
    if (!picked) return;
    const { run } = picked;
    ({ entry, width } = picked);
    el.dataset.tbxMesh = JSON.stringify(entry ? { run, step: entry.step, vertices: entry.vertices.length / 3, faces: entry.faces.length / 3 } : {});
    el.dataset.tbxYaw = cam.yaw.toFixed(3);
    info.textContent = !entry ? "No visible run has a mesh at this step." : entry.note ?? "";
    draw();
  }

  function draw(): void {
    if (!canvasAvailable()) return;
    const g = sizeCanvas(canvas, width, HEIGHT);
    if (!g) return;
    g.clearRect(0, 0, width, HEIGHT);
    const e = entry;
    if (!e) return;
    const { muted } = themeColors(el);
    const n = e.vertices.length / 3;
    const m = e.faces.length / 3;
    const gl = drawGl(g, e);
    if (!gl) paint(g, e);
    el.dataset.tbxRenderer = gl ? "webgl" : "canvas2d";
    g.fillStyle = muted;
    g.font = "10px sans-serif";
    g.fillText(`${n.toLocaleString()} vertices${m ? `, ${m.toLocaleString()} faces` : ""} · drag to rotate, wheel to zoom`, 4, HEIGHT - 4);
    el.dataset.tbxDrawn = String(Number(el.dataset.tbxDrawn ?? 0) + 1);
  }

  /** Draw through the shared WebGL renderer; false (and WebGL off from then on) when it fails. */
  function drawGl(g: CanvasRenderingContext2D, e: MeshEntry): boolean {
    return drawShared(g, width, HEIGHT, (r, ratio) => {
      const up = scene.get(r, "mesh", String(objectKey(e)), () => meshGeometry(e));
      const mvp = orbitMatrix(cam, { width, height: HEIGHT, cx: width / 2, cy: HEIGHT / 2, scale: Math.min(width, HEIGHT) * 0.42 * zoom });
      r.draw(up, { mvp, rot: rotation(cam), pointSize: cloudPointSize(up.count) * ratio });
    });
  }

  /** The canvas-2D fallback: triangles far to near, flat shaded. */
  function paint(g: CanvasRenderingContext2D, e: MeshEntry): void {
    const n = e.vertices.length / 3;
    const { center, radius } = meshBounds(e.vertices);
    const scale = (Math.min(width, HEIGHT) * 0.42 * zoom) / radius;
    const px = new Float64Array(n), py = new Float64Array(n), pd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // TensorBoard's (three.js) meshes are y-up: y is the vertical axis here.
      const [a, b, d] = project(cam, e.vertices[3 * i] - center[0], e.vertices[3 * i + 2] - center[2], e.vertices[3 * i + 1] - center[1]);
      px[i] = width / 2 + a * scale;
      py[i] = HEIGHT / 2 + b * scale;
      pd[i] = d;
    }
    const rgb = (i: number): number[] => (e.colors ? [e.colors[3 * i], e.colors[3 * i + 1], e.colors[3 * i + 2]] : DEFAULT_RGB);
    const m = e.faces.length / 3;
    if (m > 0) {
      const order = Array.from({ length: m }, (_, t) => t);
      const depth = new Float64Array(m);
      for (let t = 0; t < m; t++) depth[t] = pd[e.faces[3 * t]] + pd[e.faces[3 * t + 1]] + pd[e.faces[3 * t + 2]];
      order.sort((p, q) => depth[p] - depth[q]);
      for (const t of order) {
        const i = e.faces[3 * t], j = e.faces[3 * t + 1], k = e.faces[3 * t + 2];
        // Facing: the screen-space normal's share of the 3-D one (flat shading, light from the viewer).
        const ux = px[j] - px[i], uy = py[j] - py[i], ud = (pd[j] - pd[i]) * scale;
        const vx = px[k] - px[i], vy = py[k] - py[i], vd = (pd[k] - pd[i]) * scale;
        const nx = uy * vd - ud * vy, ny = ud * vx - ux * vd, nz = ux * vy - uy * vx;
        const len = Math.hypot(nx, ny, nz) || 1;
        const shade = 0.35 + 0.65 * Math.abs(nz) / len;
        const c = [rgb(i), rgb(j), rgb(k)];
        const col = [0, 1, 2].map((q) => Math.round(((c[0][q] + c[1][q] + c[2][q]) / 3) * shade));
        g.fillStyle = cssColor(col);
        g.strokeStyle = g.fillStyle;
        g.beginPath();
        g.moveTo(px[i], py[i]);
        g.lineTo(px[j], py[j]);
        g.lineTo(px[k], py[k]);
        g.closePath();
        g.fill();
        g.stroke(); // closes the hairline seams between triangles
      }
    } else {
      const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => pd[p] - pd[q]);
      const size = cloudPointSize(n);
      for (const i of order) {
        g.fillStyle = cssColor(rgb(i));
        g.fillRect(px[i] - size / 2, py[i] - size / 2, size, size);
      }
    }
  }

  dragOrbit(canvas, cam, update);
  canvas.addEventListener("wheel", (ev: WheelEvent) => {
    ev.preventDefault();
    zoom = Math.max(0.2, Math.min(10, zoom * Math.exp(-ev.deltaY * 0.002)));
    update();
  }, { passive: false });

  return frame.card(update);
}
