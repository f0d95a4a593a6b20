// A small WebGL 1 renderer for the 3-D cards (surfaces, meshes, embeddings): one program for
// triangles (per-vertex colour, two-sided diffuse light), lines and round points; a depth test;
// vertex buffers uploaded once per scene. One context is shared by every card (browsers cap the
// live WebGL contexts, about 16 in Chromium): a card draws into the shared off-screen canvas and
// copies the picture onto its own 2-D canvas (`present`), where its labels are drawn on top.
// Without WebGL (`sharedRenderer()` returns null) the cards keep their canvas-2D painter.

const VERTEX = `
attribute vec3 aPos;
attribute vec4 aColor;
attribute vec3 aNormal;
uniform mat4 uMvp;
uniform mat3 uRot;
uniform float uLit;
uniform float uPointSize;
varying vec4 vColor;
void main() {
  gl_Position = uMvp * vec4(aPos, 1.0);
  gl_PointSize = uPointSize;
  vec3 n = uRot * aNormal;
  float len = length(n);
  // Two-sided: light from the viewer and a little above (depth grows away from the viewer).
  float light = len > 0.0 ? abs(dot(n / len, vec3(-0.25, 0.45, -0.86))) : 1.0;
  vColor = vec4(aColor.rgb * mix(1.0, 0.3 + 0.7 * light, uLit), aColor.a);
}`;

const FRAGMENT = `
precision mediump float;
varying vec4 vColor;
uniform float uRound;
uniform float uAlpha;
void main() {
  if (uRound > 0.5) {
    vec2 d = gl_PointCoord - vec2(0.5);
    if (dot(d, d) > 0.25) discard;
  }
  gl_FragColor = vec4(vColor.rgb, vColor.a * uAlpha);
}`;

export type Primitive = "triangles" | "lines" | "points";

/** What a card uploads: positions (3 per vertex), colours (RGBA bytes per vertex), optional
 *  normals (3 per vertex, for lighting) and indices (else the vertices in order). */
export interface Geometry {
  primitive: Primitive;
  positions: Float32Array;
  colors: Uint8Array;
  normals?: Float32Array;
  indices?: Uint32Array;
}

/** A geometry on the GPU; valid while `gen` is the renderer's (a lost context bumps it). */
export interface Uploaded {
  gen: number;
  primitive: Primitive;
  count: number;
  position: WebGLBuffer;
  color: WebGLBuffer;
  normal: WebGLBuffer | null;
  index: WebGLBuffer | null;
  indexType: number;
}

export interface DrawOptions {
  /** Clip-space matrix (see camera.ts) and the rotation the normals take. */
  mvp: Float32Array;
  rot?: Float32Array;
  /** Point size in device pixels (points only); round points when `round`. */
  pointSize?: number;
  round?: boolean;
  /** Multiplies every vertex's alpha. */
  alpha?: number;
  /** Write depth (default true; false for faded, see-through layers). */
  depthWrite?: boolean;
  /** Push triangles back a little so lines drawn on them stay visible. */
  offset?: boolean;
}

function compile(gl: WebGLRenderingContext, type: number, src: string): WebGLShader {
  const s = gl.createShader(type);
  if (!s) throw new Error("WebGL: createShader failed");
  gl.shaderSource(s, src);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`WebGL: shader did not compile: ${gl.getShaderInfoLog(s)}`);
  return s;
}

/** Compile and link the renderer's program (throws with the driver's log when it fails). */
export function buildProgram(gl: WebGLRenderingContext, vertex = VERTEX, fragment = FRAGMENT): WebGLProgram {
  const p = gl.createProgram();
  if (!p) throw new Error("WebGL: createProgram failed");
  gl.attachShader(p, compile(gl, gl.VERTEX_SHADER, vertex));
  gl.attachShader(p, compile(gl, gl.FRAGMENT_SHADER, fragment));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(`WebGL: program did not link: ${gl.getProgramInfoLog(p)}`);
  return p;
}

/** Triangle indices as line pairs of their edges (each shared edge once): a wireframe. */
export function edgeIndices(tris: ArrayLike<number>): Uint32Array {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let t = 0; t + 2 < tris.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = tris[t + k], b = tris[t + ((k + 1) % 3)];
      const lo = Math.min(a, b), hi = Math.max(a, b);
      const key = lo * 4294967296 + hi;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(lo, hi);
    }
  }
  return Uint32Array.from(out);
}

/** Area-weighted vertex normals of a triangle mesh (zero for a vertex in no triangle). */
export function vertexNormals(positions: ArrayLike<number>, tris: ArrayLike<number>): Float32Array {
  const n = new Float32Array(positions.length);
  for (let t = 0; t + 2 < tris.length; t += 3) {
    const i = 3 * tris[t], j = 3 * tris[t + 1], k = 3 * tris[t + 2];
    const ux = positions[j] - positions[i], uy = positions[j + 1] - positions[i + 1], uz = positions[j + 2] - positions[i + 2];
    const vx = positions[k] - positions[i], vy = positions[k + 1] - positions[i + 1], vz = positions[k + 2] - positions[i + 2];
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    if (!(Number.isFinite(nx) && Number.isFinite(ny) && Number.isFinite(nz))) continue;
    for (const v of [i, j, k]) {
      n[v] += nx;
      n[v + 1] += ny;
      n[v + 2] += nz;
    }
  }
  return n;
}

export class GlRenderer {
  readonly canvas: HTMLCanvasElement;
  readonly gl: WebGLRenderingContext;
  /** Bumped when the context is lost: buffers of an older generation are gone. */
  gen = 1;
  lost = false;
  private program: WebGLProgram;
  private loc: { pos: number; color: number; normal: number; [u: string]: WebGLUniformLocation | number | null };
  private uint32: boolean;

  /** Throws when the canvas gives no WebGL context or the program does not build. */
  constructor(canvas: HTMLCanvasElement) {
    const gl = canvas.getContext("webgl", { antialias: true, alpha: true, premultipliedAlpha: true, preserveDrawingBuffer: false })
      ?? (canvas.getContext("experimental-webgl") as WebGLRenderingContext | null);
    if (!gl) throw new Error("WebGL is not available");
    this.canvas = canvas;
    this.gl = gl;
    this.program = buildProgram(gl);
    const p = this.program;
    this.loc = {
      pos: gl.getAttribLocation(p, "aPos"), color: gl.getAttribLocation(p, "aColor"), normal: gl.getAttribLocation(p, "aNormal"),
      mvp: gl.getUniformLocation(p, "uMvp"), rot: gl.getUniformLocation(p, "uRot"), lit: gl.getUniformLocation(p, "uLit"),
      pointSize: gl.getUniformLocation(p, "uPointSize"), round: gl.getUniformLocation(p, "uRound"), alpha: gl.getUniformLocation(p, "uAlpha"),
    };
    this.uint32 = gl.getExtension("OES_element_index_uint") !== null;
    canvas.addEventListener("webglcontextlost", (ev) => {
      ev.preventDefault();
      this.lost = true;
    });
  }

  /** Put a geometry on the GPU (expanded to plain vertex order when 32-bit indices are missing). */
  upload(geo: Geometry): Uploaded {
    const gl = this.gl;
    let { positions, colors, normals, indices } = geo;
    const nv = positions.length / 3;
    if (colors.length !== nv * 4) throw new RangeError(`upload: colors must hold 4 bytes per vertex (${nv * 4}), got ${colors.length}`);
    if (normals && normals.length !== positions.length) throw new RangeError(`upload: normals must hold 3 values per vertex (${positions.length}), got ${normals.length}`);
    if (indices && !this.uint32 && nv > 65535) {
      // Without OES_element_index_uint: copy the vertices in index order instead.
      const p = new Float32Array(indices.length * 3), c = new Uint8Array(indices.length * 4), n = normals ? new Float32Array(indices.length * 3) : undefined;
      indices.forEach((v, i) => {
        p.set(positions.subarray(3 * v, 3 * v + 3), 3 * i);
        c.set(colors.subarray(4 * v, 4 * v + 4), 4 * i);
        n?.set(normals!.subarray(3 * v, 3 * v + 3), 3 * i);
      });
      [positions, colors, normals, indices] = [p, c, n, undefined];
    }
    const buffer = (target: number, data: ArrayBufferView): WebGLBuffer => {
      const b = gl.createBuffer();
      if (!b) throw new Error("WebGL: createBuffer failed");
      gl.bindBuffer(target, b);
      gl.bufferData(target, data, gl.STATIC_DRAW);
      return b;
    };
    const small = indices && nv <= 65536;
    return {
      gen: this.gen,
      primitive: geo.primitive,
      count: indices ? indices.length : positions.length / 3,
      position: buffer(gl.ARRAY_BUFFER, positions),
      color: buffer(gl.ARRAY_BUFFER, colors),
      normal: normals ? buffer(gl.ARRAY_BUFFER, normals) : null,
      index: indices ? buffer(gl.ELEMENT_ARRAY_BUFFER, small ? Uint16Array.from(indices) : indices) : null,
      indexType: small ? gl.UNSIGNED_SHORT : gl.UNSIGNED_INT,
    };
  }

  free(u: Uploaded | null | undefined): void {
    if (!u || u.gen !== this.gen) return;
    const gl = this.gl;
    for (const b of [u.position, u.color, u.normal, u.index]) if (b) gl.deleteBuffer(b);
  }

  /** Size the drawing buffer to `width` x `height` CSS pixels at `ratio` and clear it. */
  begin(width: number, height: number, ratio: number): void {
    const gl = this.gl;
    const w = Math.max(1, Math.round(width * ratio)), h = Math.max(1, Math.round(height * ratio));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    gl.viewport(0, 0, w, h);
    gl.clearColor(0, 0, 0, 0);
    gl.clearDepth(1);
    gl.depthMask(true);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LEQUAL);
    gl.enable(gl.BLEND);
    gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(this.program);
  }

  draw(u: Uploaded, o: DrawOptions): void {
    if (u.gen !== this.gen) throw new Error("draw: the buffers belong to a lost WebGL context");
    const gl = this.gl, loc = this.loc;
    gl.uniformMatrix4fv(loc.mvp as WebGLUniformLocation, false, o.mvp);
    gl.uniformMatrix3fv(loc.rot as WebGLUniformLocation, false, o.rot ?? new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]));
    gl.uniform1f(loc.lit as WebGLUniformLocation, u.normal ? 1 : 0);
    gl.uniform1f(loc.pointSize as WebGLUniformLocation, o.pointSize ?? 1);
    gl.uniform1f(loc.round as WebGLUniformLocation, o.round ? 1 : 0);
    gl.uniform1f(loc.alpha as WebGLUniformLocation, o.alpha ?? 1);
    gl.depthMask(o.depthWrite ?? true);
    if (o.offset) {
      gl.enable(gl.POLYGON_OFFSET_FILL);
      gl.polygonOffset(1, 1);
    } else gl.disable(gl.POLYGON_OFFSET_FILL);
    gl.bindBuffer(gl.ARRAY_BUFFER, u.position);
    gl.enableVertexAttribArray(loc.pos);
    gl.vertexAttribPointer(loc.pos, 3, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, u.color);
    gl.enableVertexAttribArray(loc.color);
    gl.vertexAttribPointer(loc.color, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    if (loc.normal >= 0) {
      if (u.normal) {
        gl.bindBuffer(gl.ARRAY_BUFFER, u.normal);
        gl.enableVertexAttribArray(loc.normal);
        gl.vertexAttribPointer(loc.normal, 3, gl.FLOAT, false, 0, 0);
      } else {
        gl.disableVertexAttribArray(loc.normal);
        gl.vertexAttrib3f(loc.normal, 0, 0, 0);
      }
    }
    const mode = u.primitive === "triangles" ? gl.TRIANGLES : u.primitive === "lines" ? gl.LINES : gl.POINTS;
    if (u.index) {
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, u.index);
      gl.drawElements(mode, u.count, u.indexType, 0);
    } else gl.drawArrays(mode, 0, u.count);
  }

  /** Copy the picture onto a card's 2-D context (sized by sizeCanvas: CSS-pixel transform). */
  present(g: CanvasRenderingContext2D, width: number, height: number): void {
    g.drawImage(this.canvas, 0, 0, width, height);
  }
}

let shared: GlRenderer | null = null;
let unavailable = false;
let lastGen = 0;

/** The renderer every 3-D card shares, made on first use; null when WebGL is unavailable (then
 *  it is not asked again) or `disableWebgl` was set. A lost context is replaced by a new one. */
export function sharedRenderer(): GlRenderer | null {
  if (shared && shared.lost) shared = null;
  if (shared || unavailable) return shared;
  try {
    if (typeof document === "undefined") throw new Error("no document");
    const canvas = document.createElement("canvas");
    shared = new GlRenderer(canvas);
    shared.gen = lastGen += 1;
  } catch {
    unavailable = true;
    shared = null;
  }
  return shared;
}

/** Turn the WebGL path off (true) or let the next draw try again (false); for tests and for a
 *  user who wants the canvas-2D drawing. */
export function disableWebgl(off: boolean): void {
  unavailable = off;
  if (off) shared = null;
}

/** Draw one picture through the shared renderer onto `g` (`width` x `height` CSS pixels):
 *  `paint(r, ratio)` makes its geometry and issues its draws between `begin` and `present`.
 *  False when WebGL is unavailable, or when drawing fails (WebGL is then off from then on, and
 *  the caller draws its canvas-2D fallback). */
export function drawShared(g: CanvasRenderingContext2D, width: number, height: number,
  paint: (r: GlRenderer, ratio: number) => void): boolean {
  const r = sharedRenderer();
  if (!r) return false;
  try {
    const ratio = typeof devicePixelRatio === "number" && devicePixelRatio > 0 ? devicePixelRatio : 1;
    r.begin(width, height, ratio);
    paint(r, ratio);
    r.present(g, width, height);
    return true;
  } catch (err) {
    console.warn("tbx_widget: WebGL drawing failed, using the canvas-2D drawing:", err);
    disableWebgl(true);
    return false;
  }
}
