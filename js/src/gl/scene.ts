// A card's geometries on the shared WebGL renderer: uploaded once per content key, uploaded
// again after a lost context (a new renderer generation), freed when replaced or disposed.
import { type Geometry, type GlRenderer, type Uploaded } from "./renderer";

export class SceneCache {
  private slots = new Map<string, { key: string; up: Uploaded; renderer: GlRenderer }>();

  /** The uploaded geometry of `slot` for content `key`, built by `build` only when the key or
   *  the renderer changed. */
  get(r: GlRenderer, slot: string, key: string, build: () => Geometry): Uploaded {
    const have = this.slots.get(slot);
    if (have && have.key === key && have.renderer === r && have.up.gen === r.gen) return have.up;
    if (have && have.renderer === r) r.free(have.up);
    const up = r.upload(build());
    this.slots.set(slot, { key, up, renderer: r });
    return up;
  }

  /** How many geometries are held (for tests). */
  get size(): number {
    return this.slots.size;
  }

  dispose(): void {
    for (const { up, renderer } of this.slots.values()) if (!renderer.lost) renderer.free(up);
    this.slots.clear();
  }
}

const ids = new WeakMap<object, number>();
let nextId = 0;

/** A stable number per object (an entry's identity as a cache key). */
export function objectKey(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = ++nextId));
  return id;
}
