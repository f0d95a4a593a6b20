// The WebGL renderer's pure parts (camera matrix against the canvas-2D projection, normals,
// wireframe edges, geometries of the three 3-D cards, colours) and the choice between WebGL and
// the canvas-2D fallback in a card (jsdom has neither: fake contexts record what is drawn).
import { afterEach, describe, expect, it } from "vitest";
import { applyMatrix, orbitMatrix, rotation } from "../src/gl/camera";
import { cssRgba } from "../src/gl/color";
import { disableWebgl, edgeIndices, sharedRenderer, vertexNormals } from "../src/gl/renderer";
import { SceneCache } from "../src/gl/scene";
import { project } from "../src/math/surface";
import { decodeBatch, type MeshEntry, type SurfaceEntry } from "../src/protocol";
import { Store } from "../src/store";
import { UiState } from "../src/ui";
import { pointGeometry } from "../src/views/embeddings";
import { meshCard, meshGeometry } from "../src/views/meshes";
import { boxGeometry, surfaceGeometry } from "../src/views/surfaces";
import { BatchBuilder } from "./helpers";

describe("camera", () => {
  it("puts points on the pixels the canvas-2D projection gives, nearer points at smaller depth", () => {
    const cam = { yaw: 0.7, pitch: -0.4 };
    const screen = { width: 400, height: 300, cx: 180, cy: 160, scale: 90 };
    const m = orbitMatrix(cam, screen);
    for (const [x, y, z] of [[0, 0, 0], [1, -0.5, 0.3], [-0.8, 0.9, -1]]) {
      const [a, b, d] = project(cam, x, y, z);
      const [cx, cy, cz] = applyMatrix(m, x, y, z);
      expect((cx + 1) * 200).toBeCloseTo(180 + a * 90, 3); // clip x -> pixels
      expect((1 - cy) * 150).toBeCloseTo(160 + b * 90, 3); // clip y (up) -> pixels (down)
      expect(cz).toBeCloseTo(-d / 2, 5); // project's depth grows towards the viewer
    }
    const r = rotation(cam); // orthonormal
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const dot = r[3 * i] * r[3 * j] + r[3 * i + 1] * r[3 * j + 1] + r[3 * i + 2] * r[3 * j + 2];
      expect(dot).toBeCloseTo(i === j ? 1 : 0, 6);
    }
    expect(() => orbitMatrix(cam, { ...screen, width: 0 })).toThrow(/positive size, got 0 x 300/);
  });
});

describe("geometry", () => {
  it("finds vertex normals and each shared edge once", () => {
    // Two triangles of the z = 0 plane sharing the edge 1-2.
    const pos = [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0];
    const n = vertexNormals(pos, [0, 1, 2, 1, 3, 2]);
    for (let v = 0; v < 4; v++) {
      expect([n[3 * v], n[3 * v + 1]]).toEqual([0, 0]);
      expect(n[3 * v + 2]).toBeGreaterThan(0);
    }
    expect([...edgeIndices([0, 1, 2, 1, 3, 2])]).toEqual([0, 1, 1, 2, 0, 2, 1, 3, 2, 3]);
  });

  it("builds the mesh in the unit box, y-up turned z-up, with default colours and triangles kept valid", () => {
    const e: MeshEntry = { step: 0, wallTime: 0, vertices: Float64Array.from([0, 0, 0, 2, 0, 0, 0, 4, 0]), colors: null, faces: Float64Array.from([0, 1, 2, 0, 1, 7]) };
    const g = meshGeometry(e);
    expect(g.primitive).toBe("triangles");
    expect([...g.indices!]).toEqual([0, 1, 2]); // the face naming vertex 7 is left out
    expect([...g.positions]).toEqual([-0.5, 0, -1, 0.5, 0, -1, -0.5, 0, 1]); // centre (1, 2, 0), radius 2; y -> z
    expect([...g.colors.subarray(0, 4)]).toEqual([120, 160, 220, 255]);
    const cloud = meshGeometry({ ...e, faces: new Float64Array(0), colors: Float64Array.from([300, -5, 10, 0, 0, 0, 0, 0, 0]) });
    expect(cloud.primitive).toBe("points");
    expect([...cloud.colors.subarray(0, 4)]).toEqual([255, 0, 10, 255]);
  });

  it("builds the surface: two triangles per finite cell, a wireframe, and the box", () => {
    // 3 x 2 grid, one NaN corner: only the cell without it gets triangles.
    const e: SurfaceEntry = { step: 0, wallTime: 0, nx: 3, ny: 2, x: Float64Array.from([0, 1, 2]), y: Float64Array.from([0, 1]), z: Float64Array.from([0, 1, NaN, 2, 3, 4]) };
    const { tris, wire } = surfaceGeometry(e, [0, 4]);
    expect([...tris.indices!]).toEqual([0, 1, 4, 0, 4, 3]);
    expect([...tris.positions.subarray(0, 3)]).toEqual([-1, -1, Math.fround(-0.6)]);
    expect(tris.positions[3 * 5 + 2]).toBeCloseTo(0.6);
    expect(wire.primitive).toBe("lines");
    expect([...wire.indices!]).toEqual([0, 1, 3, 4, 4, 5, 0, 3, 1, 4]); // no segment touches the NaN
    const box = boxGeometry([10, 20, 30, 128]);
    expect(box.indices!.length).toBe(16);
    expect([...box.colors.subarray(0, 4)]).toEqual([10, 20, 30, 128]);
  });

  it("builds embedding points with component 3 up and the given alpha", () => {
    const coords = [1, 2, 3, -4, 0, 2];
    const g = pointGeometry(coords, 4, [1], () => [9, 8, 7], 0.5);
    expect([...g.positions]).toEqual([-1, 0.5, 0]);
    expect([...g.colors]).toEqual([9, 8, 7, 128]);
  });

  it("reads CSS colours", () => {
    expect(cssRgba("#abc")).toEqual([170, 187, 204, 255]);
    expect(cssRgba("#11223380")).toEqual([17, 34, 51, 128]);
    expect(cssRgba("rgba(0, 0, 0, 0.5)")).toEqual([0, 0, 0, 128]);
    expect(cssRgba("rgb(10 20 30 / 100%)")).toEqual([10, 20, 30, 255]);
    expect(cssRgba("nonsense", [1, 2, 3, 4])).toEqual([1, 2, 3, 4]);
  });
});

// ---- fake contexts ---------------------------------------------------------------------------

type Calls = Record<string, number>;

function fake2d(calls: Calls): CanvasRenderingContext2D {
  return new Proxy({} as Record<string | symbol, unknown>, {
    get(target, key) {
      if (key in target) return target[key];
      return (..._args: unknown[]) => {
        calls[String(key)] = (calls[String(key)] ?? 0) + 1;
        return key === "measureText" ? { width: 10 } : undefined;
      };
    },
    set(target, key, value) {
      target[key] = value;
      return true;
    },
  }) as unknown as CanvasRenderingContext2D;
}

/** Just enough of WebGL 1 to run the renderer; `compiles` false makes the shaders fail. */
function fakeGl(calls: Calls, compiles = true): WebGLRenderingContext {
  let id = 0;
  const consts = new Proxy({} as Record<string, number>, { get: (_t, k) => (typeof k === "string" && /^[A-Z_0-9]+$/.test(k) ? k.length : undefined) });
  return new Proxy({} as Record<string | symbol, unknown>, {
    get(_t, key) {
      const k = String(key);
      const c = (consts as Record<string, number | undefined>)[k];
      if (c !== undefined) return c;
      return (..._args: unknown[]) => {
        calls[k] = (calls[k] ?? 0) + 1;
        if (k.startsWith("create")) return { id: ++id };
        if (k === "getShaderParameter" || k === "getProgramParameter") return compiles;
        if (k === "getAttribLocation") return 0;
        if (k === "getUniformLocation") return { id: ++id };
        if (k === "getExtension") return {};
        if (k.endsWith("InfoLog")) return "fake log";
        return undefined;
      };
    },
  }) as unknown as WebGLRenderingContext;
}

function withContexts(webgl: (calls: Calls) => WebGLRenderingContext | null): { calls2d: Calls; callsGl: Calls } {
  const calls2d: Calls = {}, callsGl: Calls = {};
  HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, kind: string) {
    if (kind === "2d") return fake2d(calls2d);
    if (kind === "webgl" || kind === "experimental-webgl") return webgl(callsGl);
    return null;
  } as unknown as HTMLCanvasElement["getContext"];
  return { calls2d, callsGl };
}

function meshStore(): Store {
  const b = new BatchBuilder();
  const v = [0, 0, 0, 1, 0, 0, 0, 1, 0];
  b.items.push({ kind: "meshes", run: "r", tag: "m", items: [{ step: 0, wall_time: 1, vertices: 3, faces: 1, colors: false, data_buf: b.f64([...v, 0, 1, 2]) }] });
  const store = new Store();
  const { msg, buffers } = b.build(1, true, ["r"]);
  store.apply(decodeBatch(msg, buffers));
  return store;
}

describe("WebGL or the canvas-2D fallback", () => {
  afterEach(() => {
    disableWebgl(true);
    disableWebgl(false);
  });

  it("draws the mesh through WebGL and copies it onto the card's canvas", () => {
    const { calls2d, callsGl } = withContexts((calls) => fakeGl(calls));
    disableWebgl(true);
    disableWebgl(false);
    const card = meshCard("m", { store: meshStore(), ui: new UiState() });
    card.update();
    expect(card.el.dataset.tbxRenderer).toBe("webgl");
    expect(callsGl.drawElements).toBe(1);
    expect(calls2d.drawImage).toBe(1);
    expect(calls2d.fill ?? 0).toBe(0); // no painter
    card.destroy();
    expect(callsGl.deleteBuffer).toBeGreaterThan(0);
  });

  it("falls back to the painter when there is no WebGL, or when its shaders fail", () => {
    for (const webgl of [() => null, (calls: Calls) => fakeGl(calls, false)]) {
      const { calls2d } = withContexts(webgl);
      disableWebgl(true);
      disableWebgl(false);
      const card = meshCard("m", { store: meshStore(), ui: new UiState() });
      card.update();
      expect(card.el.dataset.tbxRenderer).toBe("canvas2d");
      expect(calls2d.fill).toBe(1); // the one triangle, painted
      expect(calls2d.drawImage ?? 0).toBe(0);
      expect(sharedRenderer()).toBeNull(); // not asked again
      card.destroy();
    }
  });

  it("uploads a scene's geometry once per key and again after the key changes", () => {
    const { callsGl } = withContexts((calls) => fakeGl(calls));
    disableWebgl(true);
    disableWebgl(false);
    const r = sharedRenderer();
    if (!r) throw new Error("renderer");
    const scene = new SceneCache();
    let built = 0;
    const geo = () => (built++, boxGeometry([0, 0, 0, 255]));
    const a = scene.get(r, "box", "k1", geo);
    expect(scene.get(r, "box", "k1", geo)).toBe(a);
    scene.get(r, "box", "k2", geo);
    expect(built).toBe(2);
    expect(callsGl.deleteBuffer).toBe(3); // the k1 buffers: positions, colours, indices
    scene.dispose();
    expect(scene.size).toBe(0);
  });
});
