// A chart that takes new data into the same uPlot (setData) lets go of the columns it was built
// with: its tooltip and hidden legend kept them (a sweep's overview columns, issue 19's heap).
import { beforeAll, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { attach } from "../src/session";
import { MANY_LINES } from "../src/chart/sweep";
import { BatchBuilder, FakeModel, fakeCanvas } from "./helpers";

beforeAll(fakeCanvas);

// Node's own modules (no @types/node here): a full GC on demand.
declare const FinalizationRegistry: new (cleanup: (held: unknown) => void) => { register(target: object, held: unknown): void };
const node = (name: string): Promise<unknown> => import(/* @vite-ignore */ `node:${name}`);
let gc: () => void = () => {};
beforeAll(async () => {
  const v8 = (await node("v8")) as { setFlagsFromString(flags: string): void };
  const vm = (await node("vm")) as { runInNewContext(code: string): unknown };
  v8.setFlagsFromString("--expose-gc");
  gc = vm.runInNewContext("gc") as () => void;
});

const steps = Array.from({ length: 50 }, (_, i) => i);
const val = (r: number, i: number) => Math.round(100 * Math.sin(i / 3 + r)) / 100;

describe("a sweep chart redrawn with new data", () => {
  it("keeps no column of the data it was built with (the tooltip reads the lines drawn now)", async () => {
    const model = new FakeModel({ logdir: "runs", height: 400, status: "ok", error: "", tag_filter: "", run_filter: "", smoothing: 0 });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const names = Array.from({ length: MANY_LINES + 1 }, (_, r) => `run${r}`);
    // an overview first (the ends), then the full data (same runs, same chart: setData)
    const ov = new BatchBuilder();
    for (const [r, name] of names.entries()) {
      ov.scalars(name, "loss", [0, 49], [val(r, 0), val(r, 49)]);
      Object.assign(ov.items[ov.items.length - 1], { overview: true });
    }
    let { msg, buffers } = ov.build(1, true, names);
    model.emit("msg:custom", msg, buffers);
    const store = attach(model).store;
    store.flush();
    const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
    const drawn = async (n: number) => {
      for (let t = 0; t < 300; t++) {
        const hook = JSON.parse(card.dataset.tbxSeries ?? "{}") as Record<string, number[]>;
        if (Object.keys(hook).length === names.length && Object.values(hook).every((v) => v[0] === n)) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`not drawn with ${n} points`);
    };
    await drawn(2);
    // (a FinalizationRegistry, not a WeakRef: a WeakRef keeps its target for the job it was made in)
    let collected = false;
    const registry = new FinalizationRegistry(() => {
      collected = true;
    });
    registry.register(store.get("scalars", "run0", "loss")!.value.buffer, "overview");
    const u = (card as unknown as { tbxChart: unknown }).tbxChart;
    const full = new BatchBuilder();
    for (const [r, name] of names.entries()) full.scalars(name, "loss", steps, steps.map((i) => val(r, i)));
    ({ msg, buffers } = full.build(2, false, []));
    model.emit("msg:custom", msg, buffers);
    store.flush();
    await drawn(50);
    expect((card as unknown as { tbxChart: unknown }).tbxChart).toBe(u); // the same chart, given the new data
    // Nothing of the page keeps the overview's columns once the full data is drawn.
    for (let t = 0; t < 20 && !collected; t++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(collected).toBe(true);
    cleanup();
  });
});

describe("a scalar card out of view", () => {
  it("lets go of its runs' columns (the store's arrays it viewed) when it leaves the screen", async () => {
    // IntersectionObservers the page makes, to scroll its cards in and out of view
    const observers: { cb: (e: IntersectionObserverEntry[]) => void; watched: Set<Element> }[] = [];
    class FakeObserver {
      watched = new Set<Element>();
      constructor(public cb: (e: IntersectionObserverEntry[]) => void) {
        observers.push(this);
      }
      observe(el: Element) { this.watched.add(el); }
      unobserve(el: Element) { this.watched.delete(el); }
      disconnect() { this.watched.clear(); }
    }
    vi.stubGlobal("IntersectionObserver", FakeObserver);
    const scroll = (el: Element, visible: boolean) => {
      for (const o of observers) if (o.watched.has(el)) o.cb([{ target: el, isIntersecting: visible } as IntersectionObserverEntry]);
    };
    try {
      const model = new FakeModel({ logdir: "runs", height: 400, status: "ok", error: "", tag_filter: "", run_filter: "" });
      const el = document.createElement("div");
      document.body.append(el);
      const cleanup = widget.render({ model, el });
      const names = Array.from({ length: MANY_LINES + 1 }, (_, r) => `run${r}`);
      const b = new BatchBuilder();
      for (const [r, name] of names.entries()) b.scalars(name, "loss", steps, steps.map((i) => val(r, i)));
      let { msg, buffers } = b.build(1, true, names);
      model.emit("msg:custom", msg, buffers);
      const store = attach(model).store;
      store.flush();
      const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
      scroll(card, true);
      store.changed();
      for (let t = 0; t < 300 && !card.dataset.tbxSeries; t++) await new Promise((r) => setTimeout(r, 10));
      expect(Object.keys(JSON.parse(card.dataset.tbxSeries ?? "{}"))).toHaveLength(names.length);
      let collected = false;
      const registry = new FinalizationRegistry(() => {
        collected = true;
      });
      registry.register(store.get("scalars", "run0", "loss")!.value.buffer, "run0");
      scroll(card, false);
      // the store lets go of the data (a reset: the kernel started over); the card, out of view,
      // is not redrawn yet
      ({ msg, buffers } = new BatchBuilder().scalars("run0", "loss", [0], [1]).build(2, true, ["run0"]));
      model.emit("msg:custom", msg, buffers);
      for (let t = 0; t < 20 && !collected; t++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(collected).toBe(true);
      const chart = (card as unknown as { tbxChart: { data: ArrayLike<number>[] } }).tbxChart;
      expect(chart.data[1].length).toBe(0); // the chart's data went too
      scroll(card, true); // back in view: drawn again, with the data as it is now
      for (let t = 0; t < 300 && !card.dataset.tbxSeries?.startsWith('{"run0":[1,'); t++) await new Promise((r) => setTimeout(r, 10));
      expect(JSON.parse(card.dataset.tbxSeries ?? "{}")).toEqual({ run0: [1, 0, 1] });
      // out of view again, then the page's theme changes: the card is not drawn out of view for
      // it (it would hold its data again), and shows the new theme when it comes back
      scroll(card, false);
      expect(card.dataset.tbxSeries).toBeUndefined();
      document.body.setAttribute("data-jp-theme-light", "false");
      await new Promise((r) => setTimeout(r, 150));
      expect(card.dataset.tbxSeries).toBeUndefined();
      const after = (card as unknown as { tbxChart: { data: ArrayLike<number>[] } }).tbxChart;
      expect(after.data.length < 2 || after.data[1].length === 0).toBe(true);
      scroll(card, true);
      for (let t = 0; t < 300 && !card.dataset.tbxSeries; t++) await new Promise((r) => setTimeout(r, 10));
      expect(JSON.parse(card.dataset.tbxSeries ?? "{}")).toEqual({ run0: [1, 0, 1] });
      document.body.removeAttribute("data-jp-theme-light");
      cleanup();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
