// Embeddings (add_embedding, TensorBoard's projector files): a card per tag with a run picker
// and a step slider; the chosen embedding's PCA (computed here, once per embedding) or UMAP
// (umap-js, run in slices with its progress shown and a stop button) in 2-D, or in 3-D (WebGL)
// rotated by dragging; points coloured by a metadata column; hover shows a point's
// metadata and its label_img thumbnail; a search by label highlights the points that match.
import { pca, type Pca } from "../math/pca";
import { UMAP_MIN_POINTS } from "../math/umap";
import { startUmap, type UmapJob } from "../math/umapjob";
import { colormap, cssColor, project, type Camera } from "../math/surface";
import { dragOrbit } from "../chart/orbit";
import { cssRgba } from "../gl/color";
import { orbitMatrix } from "../gl/camera";
import { drawShared, type Geometry } from "../gl/renderer";
import { objectKey } from "../gl/scene";
import type { EmbeddingEntry } from "../protocol";
import { PALETTE } from "../runstyle";
import { canvasAvailable, h, sizeCanvas, themeColors, type CardView, type ViewContext } from "../ui";
import { SceneFrame } from "./scenecard";

const HEIGHT = 360;
const HOVER_PX = 10;
/** More distinct values than this in a numeric column: a colour ramp instead of categories. */
const MAX_CATEGORIES = 20;
const NEUTRAL: [number, number, number] = [120, 140, 170];

const pcaCache = new WeakMap<EmbeddingEntry, Pca>();

/** The embedding's PCA (3 components, or fewer with fewer dimensions), computed once. */
export function embeddingPca(e: EmbeddingEntry): Pca {
  let p = pcaCache.get(e);
  if (!p) {
    p = pca(e.data, e.points, e.dims, 3);
    pcaCache.set(e, p);
  }
  return p;
}

function hexRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Colours of the points by the values of one metadata column: categories (first-seen order,
 *  the run palette) up to MAX_CATEGORIES values; a numeric column with more: a viridis ramp;
 *  any other column with more: one neutral colour (no legend). */
export function colorBy(values: readonly string[]): { rgb: [number, number, number][]; legend: [string, [number, number, number]][] } {
  const distinct = [...new Set(values)];
  const nums = values.map((v) => (v.trim() === "" ? NaN : Number(v)));
  if (distinct.length > MAX_CATEGORIES && nums.every((x) => Number.isFinite(x))) {
    let lo = Infinity, hi = -Infinity;
    for (const x of nums) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    const span = hi - lo || 1;
    return { rgb: nums.map((x) => colormap((x - lo) / span)), legend: [[String(lo), colormap(0)], [String(hi), colormap(1)]] };
  }
  if (distinct.length > MAX_CATEGORIES) return { rgb: values.map(() => NEUTRAL), legend: [] }; // too many to tell apart
  const index = new Map(distinct.map((v, i) => [v, i]));
  const palette = distinct.map((_, i) => hexRgb(PALETTE[i % PALETTE.length]));
  return { rgb: values.map((v) => palette[index.get(v) ?? 0]), legend: distinct.slice(0, MAX_CATEGORIES).map((v, i) => [v, palette[i]]) };
}

/** Which points match `query` (case-insensitive substring of any cell of their row, or of the
 *  `column`-th only when column >= 0); null for an empty query. */
export function searchMatches(metadata: readonly string[][], query: string, column = -1): Uint8Array | null {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  const out = new Uint8Array(metadata.length);
  metadata.forEach((row, i) => {
    const cells = column >= 0 ? [row[column] ?? ""] : row;
    if (cells.some((c) => c.toLowerCase().includes(q))) out[i] = 1;
  });
  return out;
}

/** The index of the point nearest (x, y) within `radius` pixels, or -1. */
export function nearestPoint(px: ArrayLike<number>, py: ArrayLike<number>, x: number, y: number, radius = HOVER_PX): number {
  let best = -1, bestD = radius * radius;
  for (let i = 0; i < px.length; i++) {
    const dx = px[i] - x, dy = py[i] - y, dd = dx * dx + dy * dy;
    if (dd <= bestD) {
      bestD = dd;
      best = i;
    }
  }
  return best;
}

/** Points `which` (indices) of a 3-D layout (`coords`, k = 3 per point, scaled by 1 / radius)
 *  for the GPU, in the view's axes (component 3 up), with their colours and `alpha`. */
export function pointGeometry(coords: ArrayLike<number>, radius: number, which: readonly number[], rgb: (i: number) => readonly number[], alpha: number): Geometry {
  const positions = new Float32Array(3 * which.length), colors = new Uint8Array(4 * which.length);
  const a = Math.max(0, Math.min(255, Math.round(alpha * 255)));
  which.forEach((i, q) => {
    positions[3 * q] = coords[3 * i] / radius;
    positions[3 * q + 1] = coords[3 * i + 2] / radius;
    positions[3 * q + 2] = coords[3 * i + 1] / radius;
    const c = rgb(i);
    colors.set([c[0], c[1], c[2], a], 4 * q);
  });
  return { primitive: "points", positions, colors };
}

/** The note on a UMAP run: its phase and progress. */
export function umapStatus(r: UmapJob): string {
  const d = `UMAP ${r.dims}-D`;
  switch (r.phase) {
    case "neighbours": return `${d}: finding neighbours ${Math.round(100 * r.neighboursDone)}% (PCA shown meanwhile)`;
    case "layout": return `${d}: epoch ${r.epoch}/${r.epochs}${r.dims === 3 ? " (drag to rotate)" : ""}`;
    case "done": return `${d}: ${r.epochs} epochs${r.dims === 3 ? " (drag to rotate)" : ""}`;
    case "stopped": return `${d}: stopped at ${r.coords ? `epoch ${r.epoch}/${r.epochs}` : `neighbours ${Math.round(100 * r.neighboursDone)}%`}`;
    default: return `${d} failed: ${r.error}`;
  }
}

export function embeddingCard(tag: string, ctx: ViewContext): CardView {
  const frame = new SceneFrame("embeddings", tag, ctx, { min: 240, initial: 480 }, () => redraw());
  const { el, tools, body, scene } = frame;
  const colorSelect = h("select", { class: "tbx-select tbx-emb-color", title: "Colour points by a metadata column", "aria-label": "colour by" });
  const dimSelect = h("select", { class: "tbx-select tbx-emb-dims", "aria-label": "dimensions" },
    h("option", { value: "2", text: "PCA 2-D" }), h("option", { value: "3", text: "PCA 3-D" }),
    h("option", { value: "u2", text: "UMAP 2-D" }), h("option", { value: "u3", text: "UMAP 3-D" }));
  const umapButton = h("button", { class: "tbx-btn tbx-emb-umap-stop", type: "button", title: "Stop or resume the UMAP layout", text: "stop" });
  umapButton.hidden = true;
  const search = h("input", { type: "search", class: "tbx-input tbx-emb-search", placeholder: "search labels", "aria-label": "search labels" });
  tools.append(colorSelect, dimSelect, umapButton, search);
  const canvas = h("canvas", { class: "tbx-canvas tbx-emb-canvas", role: "img", "aria-label": `${tag} embedding (PCA or UMAP)` });
  const tip = h("div", { class: "tbx-emb-tip", role: "tooltip" });
  tip.style.cssText = "position:absolute;pointer-events:none;display:none;padding:4px 6px;border-radius:4px;font-size:11px;max-width:260px;z-index:5;white-space:pre-wrap";
  const thumb = h("canvas", { class: "tbx-emb-thumb" });
  thumb.style.cssText = "display:block;margin-top:4px;image-rendering:pixelated";
  const tipText = h("div", { class: "tbx-emb-tip-text" });
  tip.append(tipText, thumb);
  const info = h("div", { class: "tbx-card-note" });
  body.append(h("div", { class: "tbx-plot" }, canvas, tip), info);
  for (const s of [colorSelect, dimSelect]) s.addEventListener("change", () => redraw());
  search.addEventListener("input", () => redraw());

  const cam: Camera = { yaw: 0.6, pitch: 0.35 };
  let entry: EmbeddingEntry | undefined;
  let width = 0;
  let px = new Float64Array(0), py = new Float64Array(0);
  let spriteImg: { entry: EmbeddingEntry; img: HTMLImageElement; url: string } | null = null;
  /** The card's UMAP run (one at a time: another embedding or dimension replaces it). */
  let umap: { entry: EmbeddingEntry; run: UmapJob } | null = null;
  let umapDrawnAt = 0;

  function umapFor(e: EmbeddingEntry, dims: number): UmapJob {
    if (umap && umap.entry === e && umap.run.dims === dims) return umap.run;
    umap?.run.dispose();
    umap = null;
    const run = startUmap(e.data, e.points, e.dims, { dims }, (r) => {
      if (umap?.run !== r) return;
      // Redraw as the layout moves, at most every 150 ms (and when it ends).
      const t = Date.now();
      if (r.running && t - umapDrawnAt < 150) return;
      umapDrawnAt = t;
      redraw();
    });
    umap = { entry: e, run };
    umapButton.dataset.paused = "0";
    el.dataset.tbxUmapWhere = run.where;
    return run;
  }

  umapButton.addEventListener("click", () => {
    const r = umap?.run;
    if (!r) return;
    // A stop pressed here stays until "resume" (leaving UMAP and coming back resumes otherwise).
    if (r.running) r.stop();
    else r.resume();
    umapButton.dataset.paused = r.running ? "0" : "1";
    redraw();
  });

  function redraw(): void {
    frame.invalidate();
    update();
  }

  function syncColumns(e: EmbeddingEntry | undefined): void {
    const cols = e && e.metadata.length ? e.header : [];
    // The default colour: the last column that colours (categories or numbers), else none.
    const fallback = e ? [...cols].reverse().find((c) => colorBy(e.metadata.map((r) => r[cols.indexOf(c)] ?? "")).legend.length > 0) ?? "" : "";
    const want = ["", ...cols];
    if ([...colorSelect.options].map((o) => o.value).join("\u0000") === want.join("\u0000")) return;
    // Keep the column picked (or "no colour") when the new embedding has it; else the default.
    const keep = colorSelect.options.length && (colorSelect.value === "" || cols.includes(colorSelect.value)) ? colorSelect.value : null;
    colorSelect.textContent = "";
    const pick = keep !== null ? keep : fallback;
    colorSelect.append(h("option", { value: "", text: "no colour", selected: pick === "" }));
    cols.forEach((c) => colorSelect.append(h("option", { value: c, text: `colour: ${c}`, selected: c === pick })));
    colorSelect.hidden = cols.length === 0;
  }

  function update(): void {
    const picked = frame.pick([colorSelect.value, dimSelect.value, search.value, cam.yaw, cam.pitch]);
    if (!picked) return;
    const { run } = picked;
    ({ entry, width } = picked);
    syncColumns(entry);
    draw(run);
  }

  function spriteFor(e: EmbeddingEntry): HTMLImageElement | null {
    if (!e.sprite || typeof URL.createObjectURL !== "function") return null;
    if (spriteImg?.entry !== e) {
      if (spriteImg) URL.revokeObjectURL(spriteImg.url);
      const url = URL.createObjectURL(new Blob([e.sprite.data as Uint8Array<ArrayBuffer>], { type: e.sprite.mime }));
      const img = new Image();
      img.src = url;
      spriteImg = { entry: e, img, url };
    }
    return spriteImg.img;
  }

  function draw(runName: string): void {
    const e = entry;
    tip.style.display = "none";
    if (!e) {
      info.textContent = "No visible run has an embedding at this step.";
      el.dataset.tbxEmbedding = "{}";
      px = py = new Float64Array(0);
      if (canvasAvailable()) sizeCanvas(canvas, width, HEIGHT)?.clearRect(0, 0, width, HEIGHT);
      return;
    }
    const t0 = typeof performance !== "undefined" ? performance.now() : 0;
    const p = embeddingPca(e);
    const pcaMs = (typeof performance !== "undefined" ? performance.now() : 0) - t0;
    const n = e.points;
    const wantUmap = dimSelect.value.startsWith("u");
    const umapDims = dimSelect.value === "u3" ? 3 : 2;
    const run = wantUmap && n >= UMAP_MIN_POINTS ? umapFor(e, umapDims) : null;
    if (!wantUmap && umap?.run.running) umap.run.stop(); // leaving UMAP pauses it (resumed on return)
    if (run && run.phase === "stopped" && umapButton.dataset.paused !== "1") run.resume();
    // The layout drawn: UMAP's once its layout has begun, else the PCA.
    const layout = run?.coords ? { coords: run.coords, k: run.dims } : { coords: p.coords, k: p.k };
    const three = (run?.coords ? run.dims === 3 : dimSelect.value.endsWith("3")) && layout.k >= 3;
    const k = layout.k;
    const coords = layout.coords;
    umapButton.hidden = !run || run.phase === "done" || run.phase === "failed";
    umapButton.textContent = run && !run.running ? "resume" : "stop";
    const column = e.header.indexOf(colorSelect.value);
    const colours = column >= 0 && e.metadata.length ? colorBy(e.metadata.map((r) => r[column] ?? "")) : null;
    const labelColumn = column >= 0 ? column : e.header.length - 1;
    const matches = searchMatches(e.metadata, search.value);
    let matched = 0;
    if (matches) for (const m of matches) matched += m;
    // Screen positions: the components scaled to fit (same scale on every axis).
    let radius = 0;
    for (let i = 0; i < n * k; i++) radius = Math.max(radius, Math.abs(coords[i]));
    radius = radius || 1;
    const scale = (Math.min(width, HEIGHT) * 0.45) / radius;
    px = new Float64Array(n);
    py = new Float64Array(n);
    const depth = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = k > 0 ? coords[i * k] : 0, b = k > 1 ? coords[i * k + 1] : 0;
      if (three) {
        const [sx, sy, d] = project(cam, a, coords[i * k + 2], b);
        px[i] = width / 2 + sx * scale;
        py[i] = HEIGHT / 2 + sy * scale;
        depth[i] = d;
      } else {
        px[i] = width / 2 + a * scale;
        py[i] = HEIGHT / 2 - b * scale;
      }
    }
    const shown = p.variances.slice(0, three ? 3 : 2).reduce((s, v) => s + v, 0);
    const share = p.totalVariance > 0 ? Math.round((100 * shown) / p.totalVariance) : 0;
    const legend = colours ? colours.legend.map(([v]) => v).slice(0, 8).join(", ") + (colours.legend.length > 8 ? ", ..." : "") : "";
    const method = run ? umapStatus(run) : wantUmap ? `UMAP needs at least ${UMAP_MIN_POINTS} points; PCA ${three ? "3-D" : "2-D"}: ${share}% of the variance`
      : `PCA ${three ? "3-D (drag to rotate)" : "2-D"}: ${share}% of the variance`;
    info.textContent = [
      `${n.toLocaleString()} points × ${e.dims} dims · ${method}`,
      matches ? `${matched} match${matched === 1 ? "" : "es"}` : "",
      legend ? `colours: ${legend}` : "",
      e.note ?? "",
    ].filter(Boolean).join(" · ");
    el.dataset.tbxEmbedding = JSON.stringify({ run: runName, step: e.step, points: n, dims: e.dims, colorBy: column >= 0 ? e.header[column] : "", mode: three ? 3 : 2, pcaMs: Math.round(pcaMs) });
    el.dataset.tbxProjection = run ? `umap:${run.phase}:${run.epoch}/${run.epochs}` : "pca";
    el.dataset.tbxMatches = String(matches ? matched : -1);
    el.dataset.tbxFirstPoint = n ? `${px[0].toFixed(1)},${py[0].toFixed(1)}` : "";
    el.dataset.tbxLabelColumn = String(labelColumn);
    if (!canvasAvailable()) return;
    const g = sizeCanvas(canvas, width, HEIGHT);
    if (!g) return;
    g.clearRect(0, 0, width, HEIGHT);
    const { fg, grid } = themeColors(el);
    if (!three && !run?.coords) {
      // The axes of the first two components (through the mean); UMAP's axes mean nothing.
      g.strokeStyle = grid;
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(0, HEIGHT / 2);
      g.lineTo(width, HEIGHT / 2);
      g.moveTo(width / 2, 0);
      g.lineTo(width / 2, HEIGHT);
      g.stroke();
    }
    const size = Math.max(2.5, Math.min(6, 400 / Math.sqrt(Math.max(1, n))));
    const rgbOf = (i: number) => (colours ? colours.rgb[i] : NEUTRAL);
    const gl = three && drawGl(g, coords, radius, n, size, rgbOf, matches, fg, `${objectKey(e)};${column};${search.value};${run?.coords ? `umap${run.dims}:${run.epoch}:${run.phase}` : "pca"}`);
    el.dataset.tbxRenderer = three ? (gl ? "webgl" : "canvas2d") : "canvas2d";
    if (gl) {
      el.dataset.tbxDrawn = String(Number(el.dataset.tbxDrawn ?? 0) + 1);
      return;
    }
    const order = Array.from({ length: n }, (_, i) => i);
    if (three) order.sort((a, b) => depth[a] - depth[b]);
    // Non-matching points first and faded, matches on top with a ring.
    for (const pass of matches ? [0, 1] : [1]) {
      for (const i of order) {
        const isMatch = !matches || matches[i] === 1;
        if ((pass === 1) !== isMatch) continue;
        const rgb = colours ? colours.rgb[i] : NEUTRAL;
        g.fillStyle = cssColor(rgb, matches && !isMatch ? 0.15 : 0.9);
        const s = matches && isMatch ? size * 1.6 : size;
        g.beginPath();
        g.arc(px[i], py[i], s / 2, 0, 2 * Math.PI);
        g.fill();
        if (matches && isMatch) {
          g.strokeStyle = fg;
          g.lineWidth = 1.5;
          g.stroke();
        }
      }
    }
    el.dataset.tbxDrawn = String(Number(el.dataset.tbxDrawn ?? 0) + 1);
  }

  /** The 3-D points through the shared WebGL renderer (faded non-matches first, without
   *  writing depth; then the points, matches larger on a ring of `fg`); false when it fails. */
  function drawGl(g: CanvasRenderingContext2D, coords: Float64Array, radius: number, n: number, size: number,
    rgbOf: (i: number) => readonly number[], matches: Uint8Array | null, fg: string, key: string): boolean {
    return drawShared(g, width, HEIGHT, (r, ratio) => {
      const all = Array.from({ length: n }, (_, i) => i);
      const hit = matches ? all.filter((i) => matches[i] === 1) : all;
      const rest = matches ? all.filter((i) => matches[i] !== 1) : [];
      const ring = cssRgba(fg);
      const faded = scene.get(r, "faded", key, () => pointGeometry(coords, radius, rest, rgbOf, 0.15));
      const shown = scene.get(r, "shown", key, () => pointGeometry(coords, radius, hit, rgbOf, 0.9));
      const rings = scene.get(r, "rings", key + ring.join(","), () => pointGeometry(coords, radius, matches ? hit : [], () => ring, 1));
      const mvp = orbitMatrix(cam, { width, height: HEIGHT, cx: width / 2, cy: HEIGHT / 2, scale: Math.min(width, HEIGHT) * 0.45 });
      const big = matches ? size * 1.6 : size;
      if (faded.count) r.draw(faded, { mvp, pointSize: size * ratio, round: true, depthWrite: false });
      if (rings.count) r.draw(rings, { mvp, pointSize: (big + 3) * ratio, round: true });
      if (shown.count) r.draw(shown, { mvp, pointSize: big * ratio, round: true });
    });
  }

  function hover(ev: MouseEvent): void {
    const e = entry;
    if (!e) return;
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left, y = ev.clientY - r.top;
    const i = nearestPoint(px, py, x, y);
    if (i < 0) {
      tip.style.display = "none";
      el.dataset.tbxHover = "";
      return;
    }
    const row = e.metadata[i];
    const lines = row ? e.header.map((c, j) => (e.header.length > 1 ? `${c}: ${row[j] ?? ""}` : row[j] ?? "")) : [];
    const original = i * e.stride;
    lines.unshift(`point ${original}`);
    tipText.textContent = lines.join("\n");
    const label = row ? row[Number(el.dataset.tbxLabelColumn)] ?? row[0] ?? "" : String(original);
    el.dataset.tbxHover = label;
    const { bg, fg, border } = themeColors(el);
    tip.style.background = bg;
    tip.style.color = fg;
    tip.style.border = `1px solid ${border}`;
    thumb.style.display = "none";
    const img = e.sprite ? spriteFor(e) : null;
    if (img && e.sprite) {
      const { width: w, height: hgt } = e.sprite;
      const paint = () => {
        if (!img.naturalWidth) return;
        const cols = Math.max(1, Math.floor(img.naturalWidth / w));
        const zoom = Math.max(1, Math.floor(64 / Math.max(w, hgt)));
        thumb.width = w * zoom;
        thumb.height = hgt * zoom;
        const tg = thumb.getContext("2d");
        if (!tg) return;
        tg.imageSmoothingEnabled = false;
        tg.drawImage(img, (original % cols) * w, Math.floor(original / cols) * hgt, w, hgt, 0, 0, w * zoom, hgt * zoom);
        thumb.style.display = "block";
        el.dataset.tbxThumb = String(original);
      };
      if (img.complete) paint();
      else img.addEventListener("load", paint, { once: true });
    }
    tip.style.display = "block";
    tip.style.left = `${Math.min(px[i] + 12, width - 160)}px`;
    tip.style.top = `${Math.max(0, py[i] - 10)}px`;
  }

  canvas.addEventListener("mousemove", (ev: MouseEvent) => {
    if (ev.buttons === 0) hover(ev);
  });
  canvas.addEventListener("mouseleave", () => {
    tip.style.display = "none";
  });
  dragOrbit(canvas, cam, update, { enabled: () => dimSelect.value.endsWith("3") }); // PCA 3-D and UMAP 3-D

  return frame.card(update, () => {
    umap?.run.dispose();
    umap = null;
    if (spriteImg) URL.revokeObjectURL(spriteImg.url);
  });
}
