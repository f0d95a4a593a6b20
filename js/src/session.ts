// One session per widget model: receives batches (from `initialize`, before any view exists),
// keeps the single store all views of that model share, and asks for a resync on seq gaps.
import { decodeBatch, isBatch, type Batch, type ScalarsItem } from "./protocol";
import { Store } from "./store";

type Handler = (...args: any[]) => void;

/** The part of anywidget's model the front end uses (AnyModel satisfies it). */
export interface ModelLike {
  get(name: string): any;
  on(event: string, cb: Handler): void;
  off(event?: string | null, cb?: Handler | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

export interface Session {
  store: Store;
  /** seq of the last batch applied (0 before any). */
  lastSeq: number;
  /** A resync was asked for and no reset batch has come yet. */
  resyncPending: boolean;
  detach(): void;
}

const sessions = new WeakMap<object, Session>();

export function handleMessage(session: Session, model: ModelLike, msg: unknown, buffers: readonly DataView[] | undefined): void {
  if (!isBatch(msg)) return;
  let batch;
  try {
    batch = decodeBatch(msg, buffers ?? []);
  } catch (err) {
    session.store.setProblem(`could not read a message from the kernel: ${(err as Error).message}`);
    return;
  }
  if (batch.reset) {
    session.resyncPending = false;
  } else if (batch.seq !== session.lastSeq + 1 && !session.resyncPending) {
    // Missed data: ask for the full state (answered when the kernel is idle); keep what we have.
    session.resyncPending = true;
    model.send({ type: "resync" });
  }
  session.lastSeq = batch.seq;
  session.store.apply(batch);
}

/** Create the model's session (idempotent): subscribe to custom messages and say "ready". */
export function attach(model: ModelLike): Session {
  const existing = sessions.get(model);
  if (existing) return existing;
  const onMsg = (msg: unknown, buffers?: DataView[]) => handleMessage(session, model, msg, buffers);
  const session: Session = {
    store: new Store(),
    lastSeq: 0,
    resyncPending: false,
    detach: () => {
      model.off("msg:custom", onMsg);
      sessions.delete(model);
    },
  };
  sessions.set(model, session);
  const saved = snapshotBatch(model.get("_snapshot"));
  if (saved) session.store.apply(saved); // the last state saved with the notebook, until a kernel speaks
  model.on("msg:custom", onMsg);
  model.send({ type: "ready" });
  return session;
}

/** The `_snapshot` trait (thinned scalar curves saved with the notebook's widget state) as a
 * reset batch, or null when there is none or it cannot be read. A live kernel's first batch is a
 * reset too, so it replaces this. */
export function snapshotBatch(text: unknown): Batch | null {
  if (typeof text !== "string" || text === "") return null;
  try {
    const snap = JSON.parse(text) as { runs: unknown; series: unknown };
    if (!Array.isArray(snap.runs) || !Array.isArray(snap.series)) return null;
    const items: ScalarsItem[] = [];
    let events = 0;
    for (const s of snap.series as { run: unknown; tag: unknown; step: unknown; wall_time: unknown; value: unknown }[]) {
      if (typeof s.run !== "string" || typeof s.tag !== "string" || !Array.isArray(s.step)) continue;
      const n = s.step.length;
      const num = (a: unknown, i: number) => (Array.isArray(a) && typeof a[i] === "number" ? (a[i] as number) : NaN);
      const step = new Float64Array(n);
      const wallTime = new Float64Array(n);
      const value = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        step[i] = num(s.step, i);
        wallTime[i] = num(s.wall_time, i);
        value[i] = num(s.value, i);
      }
      items.push({ kind: "scalars", run: s.run, tag: s.tag, replace: false, step, wallTime, value });
      events += n;
    }
    const runs = (snap.runs as unknown[]).filter((r): r is string => typeof r === "string");
    return { seq: 0, reset: true, runs, items, events };
  } catch {
    return null;
  }
}
