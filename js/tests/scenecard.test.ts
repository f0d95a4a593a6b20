// The frame the 3-D cards share (views/scenecard.ts): run picker and step slider kept in step
// with the store, a pick only when what is shown changed, redraws on run, step and theme
// changes, and a destroy that lets go of the theme, the card's own resources and its scene.
import { describe, expect, it, vi } from "vitest";
import { decodeBatch } from "../src/protocol";
import { Store } from "../src/store";
import { UiState } from "../src/ui";
import { SceneFrame } from "../src/views/scenecard";
import { BatchBuilder } from "./helpers";

const TRI = [0, 0, 0, 1, 0, 0, 0, 1, 0];

function addMeshes(store: Store, run: string, steps: number[], seq = 1): void {
  const b = new BatchBuilder();
  b.items.push({
    kind: "meshes", run, tag: "m",
    items: steps.map((step) => ({ step, wall_time: 1, vertices: 3, faces: 1, colors: false, data_buf: b.f64([...TRI, 0, 1, 2]) })),
  });
  const { msg, buffers } = b.build(seq, seq === 1, [run]);
  store.apply(decodeBatch(msg, buffers));
}

function frameOn(store: Store, redraw: () => void = () => {}): SceneFrame<"meshes"> {
  return new SceneFrame("meshes", "m", { store, ui: new UiState() }, { min: 240, initial: 480 }, redraw);
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("scene card frame", () => {
  it("picks the newest step's entry, then nothing until the data, the view or a redraw changes it", () => {
    const store = new Store();
    addMeshes(store, "r", [0, 5]);
    const frame = frameOn(store);
    const first = frame.pick([1]);
    expect(first).toMatchObject({ run: "r", width: 480 });
    expect(first?.entry?.step).toBe(5);
    expect(frame.el.dataset.tbxKind).toBe("meshes");
    expect([...frame.tools.children].slice(0, 2)).toEqual([frame.runSelect, frame.slider.el]);
    expect(frame.pick([1])).toBeNull();
    expect(frame.pick([2])?.entry?.step).toBe(5);
    frame.invalidate();
    expect(frame.pick([2])?.entry?.step).toBe(5);
    addMeshes(store, "r", [9], 2);
    const newer = frame.pick([2]);
    expect(newer?.entry?.step).toBe(9); // the slider learnt the new step and follows it
    expect(frame.slider.el.textContent).toContain("step 9 (3/3)");
  });

  it("redraws when the run or the step is picked and when the theme changes; destroy stops that", async () => {
    const store = new Store();
    addMeshes(store, "a", [1]);
    addMeshes(store, "b", [2], 2);
    const redraw = vi.fn();
    const frame = frameOn(store, redraw);
    expect(frame.pick([])?.run).toBe("a");
    expect(frame.runSelect.hidden).toBe(false);
    frame.runSelect.value = "b";
    frame.runSelect.dispatchEvent(new Event("change"));
    expect(redraw).toHaveBeenCalledTimes(1);
    expect(frame.pick([])).toMatchObject({ run: "b", entry: { step: 2 } });
    document.body.dataset.jpThemeLight = "false";
    await tick();
    expect(redraw).toHaveBeenCalledTimes(2);

    const release = vi.fn();
    const card = frame.card(() => {}, release);
    const dispose = vi.spyOn(frame.scene, "dispose");
    card.destroy();
    expect(release).toHaveBeenCalledTimes(1);
    expect(dispose).toHaveBeenCalledTimes(1);
    document.body.dataset.jpThemeLight = "true";
    await tick();
    expect(redraw).toHaveBeenCalledTimes(2);
  });
});
