// Hand-built protocol batches, a fake anywidget model, stub object URLs.
import { vi } from "vitest";
import type { WireBatch, WireItem } from "../src/protocol";

/** Packs buffers into one ArrayBuffer at odd offsets and returns DataViews over them. */
export class BatchBuilder {
  private parts: Uint8Array[] = [];
  items: WireItem[] = [];

  buf(bytes: Uint8Array): number {
    this.parts.push(bytes);
    return this.parts.length - 1;
  }

  f64(values: number[]): number {
    const b = new Uint8Array(values.length * 8);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => v.setFloat64(8 * i, x, true));
    return this.buf(b);
  }

  i32(values: number[]): number {
    const b = new Uint8Array(values.length * 4);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => v.setInt32(4 * i, x, true));
    return this.buf(b);
  }

  scalars(run: string, tag: string, steps: number[], values: number[]): this {
    this.items.push({
      kind: "scalars", run, tag, n: steps.length,
      step_buf: this.f64(steps), wall_time_buf: this.f64(steps.map((s) => 1000 + s)), value_buf: this.f64(values),
    });
    return this;
  }

  histograms(run: string, tag: string, steps: { step: number; limits: number[]; counts: number[]; min: number; max: number }[]): this {
    const offsets = [0];
    for (const s of steps) offsets.push(offsets[offsets.length - 1] + s.limits.length);
    this.items.push({
      kind: "histograms", run, tag, n: steps.length,
      step_buf: this.f64(steps.map((s) => s.step)),
      wall_time_buf: this.f64(steps.map((s) => 1000 + s.step)),
      offsets_buf: this.i32(offsets),
      limits_buf: this.f64(steps.flatMap((s) => s.limits)),
      counts_buf: this.f64(steps.flatMap((s) => s.counts)),
      stats_buf: this.f64(steps.flatMap((s) => [s.min, s.max, s.counts.reduce((a, b) => a + b, 0), 0, 0])),
    });
    return this;
  }

  images(run: string, tag: string, step: number, png: Uint8Array): this {
    this.items.push({
      kind: "images", run, tag,
      items: [{ step, wall_time: 1000 + step, index: 0, width: 1, height: 1, mime: "image/png", data_buf: this.buf(png) }],
    });
    return this;
  }

  text(run: string, tag: string, step: number, text: string): this {
    this.items.push({ kind: "text", run, tag, items: [{ step, wall_time: 1000 + step, text }] });
    return this;
  }

  /** One PR-curve step per entry: rows TP, FP, TN, FN, precision, recall of k thresholds. */
  prCurves(run: string, tag: string, steps: { step: number; tp: number[]; fp: number[]; tn: number[]; fn: number[] }[]): this {
    const offsets = [0];
    const data: number[] = [];
    for (const s of steps) {
      offsets.push(offsets[offsets.length - 1] + s.tp.length);
      const precision = s.tp.map((t, i) => (t + s.fp[i] > 0 ? t / (t + s.fp[i]) : 1));
      const recall = s.tp.map((t, i) => (t + s.fn[i] > 0 ? t / (t + s.fn[i]) : 0));
      data.push(...s.tp, ...s.fp, ...s.tn, ...s.fn, ...precision, ...recall);
    }
    this.items.push({
      kind: "pr_curves", run, tag, n: steps.length,
      step_buf: this.f64(steps.map((s) => s.step)),
      wall_time_buf: this.f64(steps.map((s) => 1000 + s.step)),
      offsets_buf: this.i32(offsets),
      data_buf: this.f64(data),
    });
    return this;
  }

  audio(run: string, tag: string, step: number, wav: Uint8Array): this {
    this.items.push({
      kind: "audio", run, tag,
      items: [{ step, wall_time: 1000 + step, index: 0, sample_rate: 8000, num_channels: 1, length_frames: 4000, mime: "audio/wav", label: "clip", data_buf: this.buf(wav) }],
    });
    return this;
  }

  hparams(run: string, records: { record: string; data: Record<string, unknown> }[]): this {
    this.items.push({
      kind: "hparams", run, tag: "_hparams_",
      items: records.map((r) => ({ step: 0, wall_time: 1000, record: r.record, data: r.data })),
    });
    return this;
  }

  layout(run: string, categories: unknown[]): this {
    this.items.push({ kind: "custom_scalars", run, tag: "custom_scalars__config__", items: [{ step: 0, wall_time: 1000, categories }] });
    return this;
  }

  /** Message + DataViews, every buffer at an odd (unaligned) offset inside one shared ArrayBuffer. */
  build(seq: number, reset: boolean, runs: string[]): { msg: WireBatch; buffers: DataView[] } {
    const offsets: number[] = [];
    let end = 0;
    for (const p of this.parts) {
      const off = Math.ceil(end / 8) * 8 + 3; // 3 mod 8: never aligned for Float64Array/Int32Array
      offsets.push(off);
      end = off + p.length;
    }
    const backing = new Uint8Array(end + 5).fill(0xee);
    const buffers = this.parts.map((p, i) => {
      backing.set(p, offsets[i]);
      return new DataView(backing.buffer, offsets[i], p.length);
    });
    return { msg: { type: "batch", protocol: 1, seq, reset, runs, items: this.items }, buffers };
  }
}

/** jsdom has no object URLs: hand out numbered `blob:test/N` ones and record revocations. */
export function stubObjectUrls(): void {
  let n = 0;
  URL.createObjectURL = vi.fn(() => `blob:test/${++n}`);
  URL.revokeObjectURL = vi.fn();
}

type Handler = (...args: any[]) => void;

export class FakeModel {
  sent: unknown[] = [];
  private handlers = new Map<string, Set<Handler>>();
  constructor(public attrs: Record<string, unknown> = {}) {}

  get(name: string): any {
    return this.attrs[name];
  }

  set(name: string, value: unknown): void {
    this.attrs[name] = value;
    this.emit(`change:${name}`);
  }

  on(event: string, cb: Handler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(cb);
  }

  off(event?: string | null, cb?: Handler | null): void {
    if (!event) this.handlers.clear();
    else if (!cb) this.handlers.delete(event);
    else this.handlers.get(event)?.delete(cb);
  }

  send(content: unknown): void {
    this.sent.push(content);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const cb of [...(this.handlers.get(event) ?? [])]) cb(...args);
  }

  listenerCount(event: string): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}

/**
 * Let uPlot draw in jsdom, which has no canvas: a `Path2D` stand-in and a 2D context whose
 * methods do nothing (`measureText` gives a fixed size). Call it in `beforeAll` of tests that
 * render scalar cards.
 */
export function fakeCanvas(): void {
  if (typeof (globalThis as { Path2D?: unknown }).Path2D === "undefined") {
    (globalThis as { Path2D?: unknown }).Path2D = class {
      moveTo() {}
      lineTo() {}
      rect() {}
      arc() {}
      closePath() {}
      addPath() {}
      bezierCurveTo() {}
      quadraticCurveTo() {}
    };
  }
  const noop = () => undefined;
  const fakeCtx = new Proxy({} as Record<string | symbol, unknown>, {
    get(target, key) {
      if (key in target) return target[key];
      if (key === "measureText") return () => ({ width: 10, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 });
      if (key === "getLineDash") return () => [];
      if (key === "canvas") return undefined;
      return noop;
    },
    set(target, key, value) {
      target[key] = value;
      return true;
    },
  });
  HTMLCanvasElement.prototype.getContext = (function (this: HTMLCanvasElement) {
    (fakeCtx as Record<string, unknown>).canvas = this;
    return fakeCtx;
  }) as unknown as HTMLCanvasElement["getContext"];
}
