// Kernel → browser protocol, version 1 (docs/protocol.md): message types and a pure decoder.
// Everything that knows the wire format lives here; the rest of the front end sees typed arrays.

export const PROTOCOL_VERSION = 1;

export type Kind = "scalars" | "histograms" | "images" | "text";

// ---- wire format (JSON part) ----------------------------------------------------------------

interface WireItemBase {
  kind: string;
  run: string;
  tag: string;
  replace?: boolean;
}

export interface WireScalars extends WireItemBase {
  kind: "scalars";
  n: number;
  step_buf: number;
  wall_time_buf: number;
  value_buf: number;
}

export interface WireHistograms extends WireItemBase {
  kind: "histograms";
  n: number;
  step_buf: number;
  wall_time_buf: number;
  offsets_buf: number;
  limits_buf: number;
  counts_buf: number;
  stats_buf: number;
}

export interface WireImageEntry {
  step: number;
  wall_time: number;
  index: number;
  width: number;
  height: number;
  mime: string;
  data_buf?: number;
  note?: string;
}

export interface WireImages extends WireItemBase {
  kind: "images";
  items: WireImageEntry[];
}

export interface WireTextEntry {
  step: number;
  wall_time: number;
  text: string;
  note?: string;
}

export interface WireText extends WireItemBase {
  kind: "text";
  items: WireTextEntry[];
}

export type WireItem = WireScalars | WireHistograms | WireImages | WireText;

export interface WireBatch {
  type: "batch";
  protocol: number;
  seq: number;
  reset: boolean;
  runs: string[];
  items: WireItem[];
}

// ---- decoded form -----------------------------------------------------------------------------

export interface ScalarsItem {
  kind: "scalars";
  run: string;
  tag: string;
  replace: boolean;
  step: Float64Array;
  wallTime: Float64Array;
  value: Float64Array;
}

export interface HistogramStep {
  step: number;
  wallTime: number;
  /** Right edge of each bucket (the left edge of the first bucket is `min`). */
  limits: Float64Array;
  counts: Float64Array;
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
}

export interface HistogramsItem {
  kind: "histograms";
  run: string;
  tag: string;
  replace: boolean;
  steps: HistogramStep[];
}

export interface ImageEntry {
  step: number;
  wallTime: number;
  index: number;
  width: number;
  height: number;
  mime: string;
  /** Encoded image bytes (absent when the kernel sent a `note` instead). */
  data?: Uint8Array;
  note?: string;
}

export interface ImagesItem {
  kind: "images";
  run: string;
  tag: string;
  replace: boolean;
  entries: ImageEntry[];
}

export interface TextEntry {
  step: number;
  wallTime: number;
  text: string;
  note?: string;
}

export interface TextItem {
  kind: "text";
  run: string;
  tag: string;
  replace: boolean;
  entries: TextEntry[];
}

export type Item = ScalarsItem | HistogramsItem | ImagesItem | TextItem;

export interface Batch {
  seq: number;
  reset: boolean;
  runs: string[];
  items: Item[];
  /** Data events carried: scalar points + histogram steps + images + text entries. */
  events: number;
}

export class ProtocolError extends Error {}

export function isBatch(msg: unknown): msg is WireBatch {
  return typeof msg === "object" && msg !== null && (msg as { type?: unknown }).type === "batch";
}

// ---- buffers ----------------------------------------------------------------------------------

type BufferLike = DataView | ArrayBuffer | ArrayBufferView;

function bytesOf(buf: BufferLike): Uint8Array {
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function pick(buffers: readonly BufferLike[], index: number | undefined, what: string): Uint8Array {
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= buffers.length) {
    throw new ProtocolError(`${what}: buffer index ${String(index)} out of range (${buffers.length} buffers)`);
  }
  return bytesOf(buffers[index]);
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian float64s from any byte range (copied: offsets need not be aligned). */
export function readF64(bytes: Uint8Array, expected?: number, what = "buffer"): Float64Array {
  if (bytes.byteLength % 8 !== 0) throw new ProtocolError(`${what}: ${bytes.byteLength} bytes is not a multiple of 8`);
  const n = bytes.byteLength / 8;
  if (expected !== undefined && n !== expected) throw new ProtocolError(`${what}: ${n} values, expected ${expected}`);
  const out = new Float64Array(n);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  }
  return out;
}

/** Little-endian int32s from any byte range (copied). */
export function readI32(bytes: Uint8Array, expected?: number, what = "buffer"): Int32Array {
  if (bytes.byteLength % 4 !== 0) throw new ProtocolError(`${what}: ${bytes.byteLength} bytes is not a multiple of 4`);
  const n = bytes.byteLength / 4;
  if (expected !== undefined && n !== expected) throw new ProtocolError(`${what}: ${n} values, expected ${expected}`);
  const out = new Int32Array(n);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
  }
  return out;
}

// ---- items ------------------------------------------------------------------------------------

function decodeScalars(w: WireScalars, buffers: readonly BufferLike[]): ScalarsItem {
  const where = `scalars ${w.run}/${w.tag}`;
  return {
    kind: "scalars",
    run: w.run,
    tag: w.tag,
    replace: Boolean(w.replace),
    step: readF64(pick(buffers, w.step_buf, where), w.n, `${where} step`),
    wallTime: readF64(pick(buffers, w.wall_time_buf, where), w.n, `${where} wall_time`),
    value: readF64(pick(buffers, w.value_buf, where), w.n, `${where} value`),
  };
}

function decodeHistograms(w: WireHistograms, buffers: readonly BufferLike[]): HistogramsItem {
  const where = `histograms ${w.run}/${w.tag}`;
  const n = w.n;
  const step = readF64(pick(buffers, w.step_buf, where), n, `${where} step`);
  const wall = readF64(pick(buffers, w.wall_time_buf, where), n, `${where} wall_time`);
  const offsets = readI32(pick(buffers, w.offsets_buf, where), n + 1, `${where} offsets`);
  const limits = readF64(pick(buffers, w.limits_buf, where), undefined, `${where} limits`);
  const counts = readF64(pick(buffers, w.counts_buf, where), limits.length, `${where} counts`);
  const stats = readF64(pick(buffers, w.stats_buf, where), 5 * n, `${where} stats`);
  const steps: HistogramStep[] = [];
  for (let k = 0; k < n; k++) {
    const a = offsets[k];
    const b = offsets[k + 1];
    if (a < 0 || b < a || b > limits.length) throw new ProtocolError(`${where}: bad offsets [${a}, ${b})`);
    steps.push({
      step: step[k],
      wallTime: wall[k],
      limits: limits.subarray(a, b),
      counts: counts.subarray(a, b),
      min: stats[5 * k],
      max: stats[5 * k + 1],
      num: stats[5 * k + 2],
      sum: stats[5 * k + 3],
      sumSquares: stats[5 * k + 4],
    });
  }
  return { kind: "histograms", run: w.run, tag: w.tag, replace: Boolean(w.replace), steps };
}

function decodeImages(w: WireImages, buffers: readonly BufferLike[]): ImagesItem {
  const entries = (w.items ?? []).map((e): ImageEntry => {
    const entry: ImageEntry = {
      step: e.step,
      wallTime: e.wall_time,
      index: e.index ?? 0,
      width: e.width,
      height: e.height,
      mime: e.mime || "image/png",
    };
    if (e.data_buf !== undefined && e.data_buf !== null) {
      entry.data = pick(buffers, e.data_buf, `images ${w.run}/${w.tag}`).slice();
    }
    if (e.note) entry.note = e.note;
    return entry;
  });
  return { kind: "images", run: w.run, tag: w.tag, replace: Boolean(w.replace), entries };
}

function decodeText(w: WireText): TextItem {
  const entries = (w.items ?? []).map((e): TextEntry => {
    const entry: TextEntry = { step: e.step, wallTime: e.wall_time, text: String(e.text ?? "") };
    if (e.note) entry.note = e.note;
    return entry;
  });
  return { kind: "text", run: w.run, tag: w.tag, replace: Boolean(w.replace), entries };
}

export function eventsOf(item: Item): number {
  switch (item.kind) {
    case "scalars":
      return item.step.length;
    case "histograms":
      return item.steps.length;
    case "images":
    case "text":
      return item.entries.length;
  }
}

/**
 * Decode one `batch` message. Pure: the result owns its arrays (copied out of the buffers, so
 * unaligned `DataView`s are fine). Items of unknown kinds are skipped (later protocol additions).
 */
export function decodeBatch(msg: WireBatch, buffers: readonly BufferLike[]): Batch {
  if (msg.protocol !== PROTOCOL_VERSION) {
    throw new ProtocolError(`unsupported protocol version ${String(msg.protocol)} (this front end speaks ${PROTOCOL_VERSION})`);
  }
  const items: Item[] = [];
  let events = 0;
  for (const w of msg.items ?? []) {
    let item: Item | null = null;
    switch (w.kind) {
      case "scalars":
        item = decodeScalars(w, buffers);
        break;
      case "histograms":
        item = decodeHistograms(w, buffers);
        break;
      case "images":
        item = decodeImages(w, buffers);
        break;
      case "text":
        item = decodeText(w);
        break;
      default:
        break;
    }
    if (item) {
      items.push(item);
      events += eventsOf(item);
    }
  }
  return { seq: msg.seq, reset: Boolean(msg.reset), runs: [...(msg.runs ?? [])], items, events };
}
