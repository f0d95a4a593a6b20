// Kernel → browser protocol, version 1 (docs/protocol.md): message types and a pure decoder.
// Everything that knows the wire format lives here; the rest of the front end sees typed arrays.

export const PROTOCOL_VERSION = 1;

/** Every kind of data, in the order of the Python reader's `tbx_widget.reader.KINDS` (the golden
 *  batches check that both sides list the same kinds in the same order). */
export const KINDS = ["scalars", "histograms", "images", "text", "pr_curves", "hparams", "audio", "custom_scalars", "graphs", "curves", "surfaces", "meshes"] as const;

/** The kinds the store holds: the reader's event kinds plus "embeddings" (the projector files
 *  `add_embedding` writes beside the event files, read by the kernel's follower). */
export const STORE_KINDS = [...KINDS, "embeddings"] as const;

export type Kind = (typeof STORE_KINDS)[number];

// ---- wire format (JSON part) ----------------------------------------------------------------

interface WireItemBase {
  kind: string;
  run: string;
  tag: string;
}

export interface WireScalars extends WireItemBase {
  kind: "scalars";
  n: number;
  step_buf: number;
  wall_time_buf: number;
  value_buf: number;
  /** A decimated overview of the whole series, sent first for a big logdir; its full data
   * follows and replaces it (docs/protocol.md, "Overviews"). Absent: full data. */
  overview?: boolean;
  /** With `overview`: the full data comes only when asked for (`{"type": "want"}`). */
  on_request?: boolean;
  /** Full data that starts the series over (the answer to a "want"). */
  whole?: boolean;
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
  /** Seconds since the epoch; null when not finite (JSON has no NaN). */
  wall_time: number | null;
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
  /** Seconds since the epoch; null when not finite (JSON has no NaN). */
  wall_time: number | null;
  text: string;
  note?: string;
}

export interface WireText extends WireItemBase {
  kind: "text";
  items: WireTextEntry[];
}

export interface WirePrCurves extends WireItemBase {
  kind: "pr_curves";
  n: number;
  step_buf: number;
  wall_time_buf: number;
  offsets_buf: number;
  data_buf: number;
}

export interface WireAudioEntry {
  step: number;
  /** Seconds since the epoch; null when not finite (JSON has no NaN). */
  wall_time: number | null;
  index: number;
  sample_rate: number;
  num_channels: number;
  length_frames: number;
  mime: string;
  label: string;
  data_buf: number;
}

export interface WireAudio extends WireItemBase {
  kind: "audio";
  items: WireAudioEntry[];
}

export interface WireHparamsEntry {
  step: number;
  /** Seconds since the epoch; null when not finite (JSON has no NaN). */
  wall_time: number | null;
  record: string;
  data: Record<string, unknown>;
}

export interface WireHparams extends WireItemBase {
  kind: "hparams";
  items: WireHparamsEntry[];
}

export interface WireLayoutEntry {
  step: number;
  /** Seconds since the epoch; null when not finite (JSON has no NaN). */
  wall_time: number | null;
  categories: unknown[];
}

export interface WireCustomScalars extends WireItemBase {
  kind: "custom_scalars";
  items: WireLayoutEntry[];
}

export interface WireGraphNode {
  name: string;
  op: string;
  inputs: string[];
  device: string;
  /** Shape of the node's first output; null when unknown (-1: an unknown dimension). */
  shape: number[] | null;
  attr: string;
}

export interface WireGraphEntry {
  step: number;
  wall_time: number | null;
  /** "graph_def" (TensorFlow, torch, add_graph) or "keras" (a Keras model config). */
  source: string;
  nodes: WireGraphNode[];
  note?: string;
}

export interface WireGraphs extends WireItemBase {
  kind: "graphs";
  items: WireGraphEntry[];
}

export interface WireCurveEntry {
  step: number;
  wall_time: number | null;
  /** The series' names; `data_buf` holds 1 + names.length rows of `points` float64: x, then each series. */
  names: string[];
  points: number;
  data_buf: number;
  note?: string;
}

export interface WireCurves extends WireItemBase {
  kind: "curves";
  items: WireCurveEntry[];
}

export interface WireSurfaceEntry {
  step: number;
  wall_time: number | null;
  /** `data_buf` holds nx + ny + ny * nx float64: x, y, then z row by row (z[i][j] at x[j], y[i]). */
  nx: number;
  ny: number;
  data_buf: number;
  note?: string;
}

export interface WireSurfaces extends WireItemBase {
  kind: "surfaces";
  items: WireSurfaceEntry[];
}

export interface WireMeshEntry {
  step: number;
  wall_time: number | null;
  /** `data_buf`: 3 * vertices float64 (x, y, z each), then 3 * vertices colours (RGB 0..255) when
   *  `colors`, then 3 * faces vertex indices. */
  vertices: number;
  faces: number;
  colors: boolean;
  data_buf: number;
  note?: string;
}

export interface WireMeshes extends WireItemBase {
  kind: "meshes";
  items: WireMeshEntry[];
}

export interface WireEmbeddingEntry {
  step: number;
  wall_time: number | null;
  /** `data_buf`: points * dims float64, point by point. Point j is the logged point j * stride. */
  points: number;
  dims: number;
  stride: number;
  /** Metadata column names and one row of cells per point (both empty when none was logged). */
  header: string[];
  metadata: string[][];
  /** The label images: one PNG, thumbnails of sprite_dim [width, height] row by row. */
  sprite_buf?: number;
  sprite_dim?: [number, number];
  sprite_mime?: string;
  data_buf: number;
  note?: string;
}

export interface WireEmbeddings extends WireItemBase {
  kind: "embeddings";
  items: WireEmbeddingEntry[];
}

export type WireItem = WireScalars | WireHistograms | WireImages | WireText | WirePrCurves | WireAudio | WireHparams | WireCustomScalars | WireGraphs | WireCurves | WireSurfaces | WireMeshes | WireEmbeddings;

export interface WireBatch {
  type: "batch";
  protocol: number;
  seq: number;
  reset: boolean;
  /** A reset batch: every run known, in order of discovery; otherwise the runs discovered since
   *  the previous batch (usually none), to append in this order. */
  runs: string[];
  items: WireItem[];
  /** The last batch of overviews of a read (docs/protocol.md, "Overviews"); absent: false. */
  overviews_done?: boolean;
}

// ---- decoded form -----------------------------------------------------------------------------

export interface ScalarsItem {
  kind: "scalars";
  run: string;
  tag: string;
  step: Float64Array;
  wallTime: Float64Array;
  value: Float64Array;
  /** A decimated overview, replaced by the full data that follows (counts no events). */
  overview?: boolean;
  /** With `overview`: the full data comes when asked for (docs/protocol.md, "Full data on request"). */
  onRequest?: boolean;
  /** Full data that starts the series over: what was held in full is dropped first. */
  whole?: boolean;
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
  entries: TextEntry[];
}

/** One PR-curve record: counts and rates at thresholds t / (k - 1), t = 0..k-1. */
export interface PrStep {
  step: number;
  wallTime: number;
  tp: Float64Array;
  fp: Float64Array;
  tn: Float64Array;
  fn: Float64Array;
  precision: Float64Array;
  recall: Float64Array;
}

export interface PrCurvesItem {
  kind: "pr_curves";
  run: string;
  tag: string;
  steps: PrStep[];
}

export interface AudioEntry {
  step: number;
  wallTime: number;
  index: number;
  sampleRate: number;
  numChannels: number;
  lengthFrames: number;
  mime: string;
  label: string;
  data: Uint8Array;
}

export interface AudioItem {
  kind: "audio";
  run: string;
  tag: string;
  entries: AudioEntry[];
}

export type HparamValue = boolean | number | string | null;

export interface HparamInfo {
  name: string;
  displayName: string;
  type: string;
}

export interface MetricInfo {
  tag: string;
  group: string;
  displayName: string;
}

/** One hparams plugin record (experiment, session start or session end). */
export type HparamsRecord =
  | { record: "experiment"; step: number; wallTime: number; hparams: HparamInfo[]; metrics: MetricInfo[] }
  | { record: "session_start"; step: number; wallTime: number; hparams: Record<string, HparamValue>; groupName: string }
  | { record: "session_end"; step: number; wallTime: number; status: string }
  | { record: "other"; step: number; wallTime: number };

export interface HparamsItem {
  kind: "hparams";
  run: string;
  tag: string;
  entries: HparamsRecord[];
}

export type LayoutChart =
  | { title: string; kind: "multiline"; tags: string[] }
  | { title: string; kind: "margin"; series: { value: string; lower: string; upper: string }[] };

export interface LayoutCategory {
  title: string;
  closed: boolean;
  charts: LayoutChart[];
}

export interface LayoutEntry {
  step: number;
  wallTime: number;
  categories: LayoutCategory[];
}

export interface CustomScalarsItem {
  kind: "custom_scalars";
  run: string;
  tag: string;
  entries: LayoutEntry[];
}

/** One op of a graph: `name` is slash-separated (its name scopes, then its own name). */
export interface GraphNode {
  name: string;
  op: string;
  inputs: string[];
  device: string;
  shape: number[] | null;
  attr: string;
}

export interface GraphEntry {
  step: number;
  wallTime: number;
  source: string;
  nodes: GraphNode[];
  note?: string;
}

export interface GraphsItem {
  kind: "graphs";
  run: string;
  tag: string;
  entries: GraphEntry[];
}

/** A curve at one step: `ys[k]` against `x` for each named series (NaN: a gap). */
export interface CurveEntry {
  step: number;
  wallTime: number;
  names: string[];
  x: Float64Array;
  ys: Float64Array[];
  note?: string;
}

export interface CurvesItem {
  kind: "curves";
  run: string;
  tag: string;
  entries: CurveEntry[];
}

/** A surface at one step: `z[i * nx + j]` at (`x[j]`, `y[i]`), x and y increasing; NaN: no value. */
export interface SurfaceEntry {
  step: number;
  wallTime: number;
  nx: number;
  ny: number;
  x: Float64Array;
  y: Float64Array;
  z: Float64Array;
  note?: string;
}

export interface SurfacesItem {
  kind: "surfaces";
  run: string;
  tag: string;
  entries: SurfaceEntry[];
}

/** A mesh or point cloud at one step: flat xyz per vertex, RGB per vertex (or null), and three
 *  vertex indices per triangle (empty: a point cloud). */
export interface MeshEntry {
  step: number;
  wallTime: number;
  vertices: Float64Array;
  colors: Float64Array | null;
  faces: Float64Array;
  note?: string;
}

export interface MeshesItem {
  kind: "meshes";
  run: string;
  tag: string;
  entries: MeshEntry[];
}

/** An embedding at one step: `points` rows of `dims` values (`data[i * dims + k]`). */
export interface EmbeddingEntry {
  step: number;
  wallTime: number;
  points: number;
  dims: number;
  stride: number;
  data: Float64Array;
  header: string[];
  metadata: string[][];
  sprite?: { data: Uint8Array; mime: string; width: number; height: number };
  note?: string;
}

export interface EmbeddingsItem {
  kind: "embeddings";
  run: string;
  tag: string;
  entries: EmbeddingEntry[];
}

export type Item =
  | ScalarsItem | HistogramsItem | ImagesItem | TextItem | PrCurvesItem | AudioItem | HparamsItem | CustomScalarsItem | GraphsItem
  | CurvesItem | SurfacesItem | MeshesItem | EmbeddingsItem;

export interface Batch {
  seq: number;
  reset: boolean;
  runs: string[];
  items: Item[];
  /** Data events carried: scalar points + histogram steps + images + text entries + PR-curve
   *  steps + audio clips + hparams records + layouts. */
  events: number;
  /** The last batch of overviews of a read: the views redraw at once. */
  overviewsDone?: boolean;
}

export class ProtocolError extends Error {}

export function isBatch(msg: unknown): msg is WireBatch {
  return typeof msg === "object" && msg !== null && (msg as { type?: unknown }).type === "batch";
}

/** A batch answering a "want" (full data on request): it holds scalar series sent `whole`. */
export function isWantAnswer(msg: unknown): boolean {
  return isBatch(msg) && Array.isArray(msg.items) && msg.items.some((w) => w.kind === "scalars" && (w as WireScalars).whole === true);
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

/** Little-endian numbers of `width` bytes each from any byte range, copied into `out` (offsets
 * need not be aligned); `get` reads one from a DataView on a big-endian host. */
function readLittleEndian<T extends Float64Array | Int32Array>(
  bytes: Uint8Array, expected: number | undefined, what: string, width: number,
  make: (n: number) => T, get: (view: DataView, at: number) => number,
): T {
  if (bytes.byteLength % width !== 0) throw new ProtocolError(`${what}: ${bytes.byteLength} bytes is not a multiple of ${width}`);
  const n = bytes.byteLength / width;
  if (expected !== undefined && n !== expected) throw new ProtocolError(`${what}: ${n} values, expected ${expected}`);
  const out = make(n);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = get(view, width * i);
  }
  return out;
}

/** Little-endian float64s from any byte range (copied: offsets need not be aligned). */
export function readF64(bytes: Uint8Array, expected?: number, what = "buffer"): Float64Array {
  return readLittleEndian(bytes, expected, what, 8, (n) => new Float64Array(n), (v, at) => v.getFloat64(at, true));
}

/**
 * A scalar column's float64s: the buffer itself when it holds nothing else and the host is
 * little-endian (no copy: copying a big batch's 240 MB of scalar columns here was about a quarter
 * of a 10-run x 1M-point card's first draw), else a copy (readF64).
 * The Jupyter front ends hand each binary buffer of a message as an ArrayBuffer of its own. A
 * part of a bigger buffer is copied, so a series never keeps a whole message alive. The store
 * never writes into columns it adopted (store.ts ScalarSeries.put copies first).
 */
export function viewF64(bytes: Uint8Array, expected?: number, what = "buffer"): Float64Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength % 8 === 0;
  if (!littleEndianHost || !whole || !(bytes.buffer instanceof ArrayBuffer)) return readF64(bytes, expected, what);
  const n = bytes.byteLength / 8;
  if (expected !== undefined && n !== expected) throw new ProtocolError(`${what}: ${n} values, expected ${expected}`);
  return new Float64Array(bytes.buffer as ArrayBuffer, 0, n);
}

/** Little-endian int32s from any byte range (copied). */
export function readI32(bytes: Uint8Array, expected?: number, what = "buffer"): Int32Array {
  return readLittleEndian(bytes, expected, what, 4, (n) => new Int32Array(n), (v, at) => v.getInt32(at, true));
}

// ---- items ------------------------------------------------------------------------------------

/** A JSON entry's wall time: null (a non-finite time, which JSON cannot carry) becomes NaN. */
export const wallOf = (v: number | null | undefined): number => (typeof v === "number" ? v : NaN);

function decodeScalars(w: WireScalars, buffers: readonly BufferLike[]): ScalarsItem {
  const where = `scalars ${w.run}/${w.tag}`;
  return {
    kind: "scalars",
    run: w.run,
    tag: w.tag,
    step: viewF64(pick(buffers, w.step_buf, where), w.n, `${where} step`),
    wallTime: viewF64(pick(buffers, w.wall_time_buf, where), w.n, `${where} wall_time`),
    value: viewF64(pick(buffers, w.value_buf, where), w.n, `${where} value`),
    ...(w.overview === true ? { overview: true } : {}),
    ...(w.overview === true && w.on_request === true ? { onRequest: true } : {}),
    ...(w.overview !== true && w.whole === true ? { whole: true } : {}),
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
  return { kind: "histograms", run: w.run, tag: w.tag, steps };
}

function decodeImages(w: WireImages, buffers: readonly BufferLike[]): ImagesItem {
  const entries = (w.items ?? []).map((e): ImageEntry => {
    const entry: ImageEntry = {
      step: e.step,
      wallTime: wallOf(e.wall_time),
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
  return { kind: "images", run: w.run, tag: w.tag, entries };
}

function decodeText(w: WireText): TextItem {
  const entries = (w.items ?? []).map((e): TextEntry => {
    const entry: TextEntry = { step: e.step, wallTime: wallOf(e.wall_time), text: String(e.text ?? "") };
    if (e.note) entry.note = e.note;
    return entry;
  });
  return { kind: "text", run: w.run, tag: w.tag, entries };
}

function decodePrCurves(w: WirePrCurves, buffers: readonly BufferLike[]): PrCurvesItem {
  const where = `pr_curves ${w.run}/${w.tag}`;
  const n = w.n;
  const step = readF64(pick(buffers, w.step_buf, where), n, `${where} step`);
  const wall = readF64(pick(buffers, w.wall_time_buf, where), n, `${where} wall_time`);
  const offsets = readI32(pick(buffers, w.offsets_buf, where), n + 1, `${where} offsets`);
  const total = n ? offsets[n] : 0;
  const data = readF64(pick(buffers, w.data_buf, where), 6 * total, `${where} data`);
  const steps: PrStep[] = [];
  for (let j = 0; j < n; j++) {
    const a = offsets[j];
    const b = offsets[j + 1];
    if (a < 0 || b < a || b > total) throw new ProtocolError(`${where}: bad offsets [${a}, ${b})`);
    const k = b - a;
    const row = (r: number) => data.subarray(6 * a + r * k, 6 * a + (r + 1) * k);
    steps.push({
      step: step[j], wallTime: wall[j],
      tp: row(0), fp: row(1), tn: row(2), fn: row(3), precision: row(4), recall: row(5),
    });
  }
  return { kind: "pr_curves", run: w.run, tag: w.tag, steps };
}

function decodeAudio(w: WireAudio, buffers: readonly BufferLike[]): AudioItem {
  const entries = (w.items ?? []).map((e): AudioEntry => ({
    step: e.step,
    wallTime: wallOf(e.wall_time),
    index: e.index ?? 0,
    sampleRate: Number(e.sample_rate) || 0,
    numChannels: Number(e.num_channels) || 0,
    lengthFrames: Number(e.length_frames) || 0,
    mime: e.mime || "audio/wav",
    label: String(e.label ?? ""),
    data: pick(buffers, e.data_buf, `audio ${w.run}/${w.tag}`).slice(),
  }));
  return { kind: "audio", run: w.run, tag: w.tag, entries };
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

function hparamValue(v: unknown): HparamValue {
  return typeof v === "boolean" || typeof v === "number" || typeof v === "string" ? v : v === null || v === undefined ? null : String(v);
}

function decodeHparamsRecord(e: WireHparamsEntry): HparamsRecord {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const base = { step: e.step, wallTime: wallOf(e.wall_time) };
  if (e.record === "experiment") {
    const hp = Array.isArray(d.hparams) ? (d.hparams as Record<string, unknown>[]) : [];
    const metrics = Array.isArray(d.metrics) ? (d.metrics as Record<string, unknown>[]) : [];
    return {
      ...base, record: "experiment",
      hparams: hp.map((x) => ({ name: str(x.name), displayName: str(x.display_name), type: str(x.type) })),
      metrics: metrics.map((x) => ({ tag: str(x.tag), group: str(x.group), displayName: str(x.display_name) })),
    };
  }
  if (e.record === "session_start") {
    const raw = (typeof d.hparams === "object" && d.hparams !== null ? d.hparams : {}) as Record<string, unknown>;
    const hparams: Record<string, HparamValue> = {};
    for (const [k, v] of Object.entries(raw)) hparams[k] = hparamValue(v);
    return { ...base, record: "session_start", hparams, groupName: str(d.group_name) };
  }
  if (e.record === "session_end") return { ...base, record: "session_end", status: str(d.status) };
  return { ...base, record: "other" }; // kept so the event count matches the kernel's
}

function decodeHparams(w: WireHparams): HparamsItem {
  const entries = (w.items ?? []).map(decodeHparamsRecord);
  return { kind: "hparams", run: w.run, tag: w.tag, entries };
}

function decodeLayout(e: WireLayoutEntry): LayoutEntry {
  const categories: LayoutCategory[] = [];
  for (const c of (Array.isArray(e.categories) ? e.categories : []) as Record<string, unknown>[]) {
    const charts: LayoutChart[] = [];
    for (const ch of (Array.isArray(c.charts) ? c.charts : []) as Record<string, unknown>[]) {
      if (ch.kind === "margin") {
        const series = (Array.isArray(ch.series) ? ch.series : []) as Record<string, unknown>[];
        charts.push({ title: str(ch.title), kind: "margin", series: series.map((s) => ({ value: str(s.value), lower: str(s.lower), upper: str(s.upper) })) });
      } else {
        charts.push({ title: str(ch.title), kind: "multiline", tags: (Array.isArray(ch.tags) ? ch.tags : []).map(str) });
      }
    }
    categories.push({ title: str(c.title), closed: Boolean(c.closed), charts });
  }
  return { step: e.step, wallTime: wallOf(e.wall_time), categories };
}

function decodeCustomScalars(w: WireCustomScalars): CustomScalarsItem {
  const entries = (w.items ?? []).map(decodeLayout);
  return { kind: "custom_scalars", run: w.run, tag: w.tag, entries };
}

function decodeGraphNode(n: WireGraphNode): GraphNode {
  const shape = Array.isArray(n.shape) ? n.shape.map(Number) : null;
  return { name: str(n.name), op: str(n.op), inputs: (Array.isArray(n.inputs) ? n.inputs : []).map(str), device: str(n.device), shape, attr: str(n.attr) };
}

function decodeGraphs(w: WireGraphs): GraphsItem {
  const entries = (w.items ?? []).map((e): GraphEntry => {
    const out: GraphEntry = { step: e.step, wallTime: wallOf(e.wall_time), source: str(e.source), nodes: (e.nodes ?? []).map(decodeGraphNode) };
    if (e.note) out.note = str(e.note);
    return out;
  });
  return { kind: "graphs", run: w.run, tag: w.tag, entries };
}

/** A wire entry whose data is one float64 buffer (curves, surfaces, meshes, embeddings). */
interface WireDataEntry {
  step: number;
  wall_time: number | null;
  data_buf: number;
  note?: string;
}

/** Shapes one entry from its wire form, `data(size)` (its buffer read as `size` float64, or a
 *  ProtocolError) and `where` (the item, for errors); step, wall time and note are added. */
type DataEntryDecoder<E, T> = (e: E, data: (size: number) => Float64Array, where: string) => Omit<T, "step" | "wallTime" | "note">;

/** The entries of an item whose entries each carry one float64 data buffer (the kernel's
 *  `encode._buffered_item`), each shaped by `decode`. */
function dataEntries<E extends WireDataEntry, T extends { step: number; wallTime: number; note?: string }>(
  w: { kind: string; run: string; tag: string; items: E[] }, buffers: readonly BufferLike[], decode: DataEntryDecoder<E, T>,
): T[] {
  const where = `${w.kind} ${w.run}/${w.tag}`;
  return (w.items ?? []).map((e) => {
    const data = (size: number): Float64Array => readF64(pick(buffers, e.data_buf, where), size, `${where} data`);
    const out = { step: e.step, wallTime: wallOf(e.wall_time), ...decode(e, data, where) } as T;
    if (e.note) out.note = str(e.note);
    return out;
  });
}

function decodeCurves(w: WireCurves, buffers: readonly BufferLike[]): CurvesItem {
  const entries = dataEntries<WireCurveEntry, CurveEntry>(w, buffers, (e, data, where) => {
    const names = (Array.isArray(e.names) ? e.names : []).map(str);
    const n = Number(e.points);
    if (!Number.isInteger(n) || n < 0) throw new ProtocolError(`${where}: bad point count ${String(e.points)}`);
    const d = data((1 + names.length) * n);
    return { names, x: d.subarray(0, n), ys: names.map((_, k) => d.subarray((k + 1) * n, (k + 2) * n)) };
  });
  return { kind: "curves", run: w.run, tag: w.tag, entries };
}

function decodeSurfaces(w: WireSurfaces, buffers: readonly BufferLike[]): SurfacesItem {
  const entries = dataEntries<WireSurfaceEntry, SurfaceEntry>(w, buffers, (e, data, where) => {
    const nx = Number(e.nx), ny = Number(e.ny);
    if (!Number.isInteger(nx) || !Number.isInteger(ny) || nx < 1 || ny < 1) throw new ProtocolError(`${where}: bad grid ${String(e.nx)} x ${String(e.ny)}`);
    const d = data(nx + ny + nx * ny);
    return { nx, ny, x: d.subarray(0, nx), y: d.subarray(nx, nx + ny), z: d.subarray(nx + ny) };
  });
  return { kind: "surfaces", run: w.run, tag: w.tag, entries };
}

function decodeMeshes(w: WireMeshes, buffers: readonly BufferLike[]): MeshesItem {
  const entries = dataEntries<WireMeshEntry, MeshEntry>(w, buffers, (e, data, where) => {
    const n = Number(e.vertices), f = Number(e.faces);
    if (!Number.isInteger(n) || !Number.isInteger(f) || n < 0 || f < 0) throw new ProtocolError(`${where}: bad sizes ${String(e.vertices)}, ${String(e.faces)}`);
    const c = e.colors ? 3 * n : 0;
    const d = data(3 * n + c + 3 * f);
    const faces = d.subarray(3 * n + c);
    for (const i of faces) if (!(i >= 0 && i < n)) throw new ProtocolError(`${where}: face index ${i} outside 0..${n - 1}`);
    return { vertices: d.subarray(0, 3 * n), colors: e.colors ? d.subarray(3 * n, 3 * n + c) : null, faces };
  });
  return { kind: "meshes", run: w.run, tag: w.tag, entries };
}

function decodeEmbeddings(w: WireEmbeddings, buffers: readonly BufferLike[]): EmbeddingsItem {
  const entries = dataEntries<WireEmbeddingEntry, EmbeddingEntry>(w, buffers, (e, data, where) => {
    const n = Number(e.points), d = Number(e.dims), stride = Number(e.stride ?? 1);
    if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 0 || !(stride >= 1)) throw new ProtocolError(`${where}: bad sizes ${String(e.points)} x ${String(e.dims)}`);
    const values = data(n * d);
    const header = (e.header ?? []).map(str);
    const metadata = (e.metadata ?? []).map((r) => r.map(str));
    if (metadata.length && metadata.length !== n) throw new ProtocolError(`${where}: ${metadata.length} metadata rows for ${n} points`);
    const out: Omit<EmbeddingEntry, "step" | "wallTime" | "note"> = { points: n, dims: d, stride, data: values, header, metadata };
    if (e.sprite_buf !== undefined && e.sprite_dim) {
      out.sprite = { data: pick(buffers, e.sprite_buf, `${where} sprite`).slice(), mime: e.sprite_mime || "image/png", width: Number(e.sprite_dim[0]), height: Number(e.sprite_dim[1]) };
    }
    return out;
  });
  return { kind: "embeddings", run: w.run, tag: w.tag, entries };
}

export function eventsOf(item: Item): number {
  switch (item.kind) {
    case "scalars":
      return item.overview ? 0 : item.step.length;
    case "histograms":
    case "pr_curves":
      return item.steps.length;
    case "images":
    case "text":
    case "audio":
    case "hparams":
    case "custom_scalars":
    case "graphs":
    case "curves":
    case "surfaces":
    case "meshes":
    case "embeddings":
      return item.entries.length;
  }
}

/** One decoder per wire kind (a kind missing here is a compile error). */
type Decoder<W> = (w: W, buffers: readonly BufferLike[]) => Item;
const DECODERS: { [K in WireItem["kind"]]: Decoder<Extract<WireItem, { kind: K }>> } = {
  scalars: decodeScalars,
  histograms: decodeHistograms,
  images: decodeImages,
  text: decodeText,
  pr_curves: decodePrCurves,
  audio: decodeAudio,
  hparams: decodeHparams,
  custom_scalars: decodeCustomScalars,
  graphs: decodeGraphs,
  curves: decodeCurves,
  surfaces: decodeSurfaces,
  meshes: decodeMeshes,
  embeddings: decodeEmbeddings,
};

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
    // A kind of a later protocol is skipped (own keys only: not `toString` and the like).
    const item = Object.prototype.hasOwnProperty.call(DECODERS, w.kind) ? (DECODERS[w.kind] as Decoder<WireItem>)(w, buffers) : null;
    if (item) {
      items.push(item);
      events += eventsOf(item);
    }
  }
  return { seq: msg.seq, reset: Boolean(msg.reset), runs: [...(msg.runs ?? [])], items, events, ...(msg.overviews_done === true ? { overviewsDone: true } : {}) };
}

// ---- HParams records on the wire (docs/protocol.md, "HParams records"): the `data` of each
// entry of a `hparams` item, as tbx_widget.metadata.hparams.wire_record builds it. ----

/** An hparam value: bool, number or string; null for a non-finite number; a list or dict as its JSON text. */
export type WireHparamValue = boolean | number | string | null;

/** An hparam's domain: discrete values, an interval (a bound null when not finite), or none. */
export type WireHparamDomain = { values: WireHparamValue[] } | { min: number | null; max: number | null } | null;

export interface WireHparamInfo {
  name: string;
  display_name: string;
  description: string;
  /** TensorBoard's DataType name ("DATA_TYPE_FLOAT64", ...); a number for a value it does not know. */
  type: string;
  domain: WireHparamDomain;
}

export interface WireMetricInfo {
  tag: string;
  /** The sub-run the metric is logged in ("" for the session's own run). */
  group: string;
  display_name: string;
  description: string;
}

export type WireHparamsRecord =
  | { record: "experiment"; data: { hparams: WireHparamInfo[]; metrics: WireMetricInfo[] } }
  | { record: "session_start"; data: { hparams: Record<string, WireHparamValue>; group_name: string; start_time_secs: number | null } }
  | { record: "session_end"; data: { status: string; end_time_secs: number | null } }
  | { record: "unknown"; data: Record<string, never> };

const isStr = (v: unknown): v is string => typeof v === "string";
const isNumOrNull = (v: unknown): boolean => v === null || typeof v === "number";
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isHparamValue = (v: unknown): v is WireHparamValue => v === null || ["boolean", "number", "string"].includes(typeof v);
const hasKeys = (o: Record<string, unknown>, keys: string[]): boolean =>
  Object.keys(o).length === keys.length && keys.every((k) => k in o);

function isDomain(d: unknown): d is WireHparamDomain {
  if (d === null) return true;
  if (!isObj(d)) return false;
  if (hasKeys(d, ["values"])) return Array.isArray(d.values) && d.values.every(isHparamValue);
  return hasKeys(d, ["min", "max"]) && isNumOrNull(d.min) && isNumOrNull(d.max);
}

/** Whether `e` (an entry's `{record, data}`) is exactly a record of the protocol: every field
 * present with its type, none more. The decoder itself is lenient; this states the contract. */
export function isWireHparamsRecord(e: unknown): e is WireHparamsRecord {
  if (!isObj(e) || !isObj(e.data)) return false;
  const d = e.data;
  switch (e.record) {
    case "experiment":
      return hasKeys(d, ["hparams", "metrics"]) && Array.isArray(d.hparams) && Array.isArray(d.metrics) &&
        d.hparams.every((h) => isObj(h) && hasKeys(h, ["name", "display_name", "description", "type", "domain"]) &&
          isStr(h.name) && isStr(h.display_name) && isStr(h.description) && isStr(h.type) && isDomain(h.domain)) &&
        d.metrics.every((m) => isObj(m) && hasKeys(m, ["tag", "group", "display_name", "description"]) &&
          isStr(m.tag) && isStr(m.group) && isStr(m.display_name) && isStr(m.description));
    case "session_start":
      return hasKeys(d, ["hparams", "group_name", "start_time_secs"]) && isObj(d.hparams) &&
        Object.values(d.hparams).every(isHparamValue) && isStr(d.group_name) && isNumOrNull(d.start_time_secs);
    case "session_end":
      return hasKeys(d, ["status", "end_time_secs"]) && isStr(d.status) && isNumOrNull(d.end_time_secs);
    case "unknown":
      return hasKeys(d, []);
    default:
      return false;
  }
}
