// One session per widget model: receives batches (from `initialize`, before any view exists),
// keeps the single store all views of that model share, and asks for a resync on seq gaps.
// Batches are applied in slices of at most SLICE_MS (a queue drained in tasks of their own) and
// acknowledged once applied, so the kernel paces what it sends (docs/protocol.md, flow control).
// The full data a view asked for (an answer to "want") waits, ANSWER_WAIT_MS at most, while
// charts are being drawn: on a big logdir those drawings are the first picture of every run
// (from overviews), which the answers would otherwise slow down and then start over.
import { decodeBatch, isBatch, isWantAnswer, type Batch, type ScalarsItem } from "./protocol";
import { Store } from "./store";
import { nextTask } from "./tasks";
import type { DashboardModel } from "./traits";

export interface Session {
  store: Store;
  /** seq of the last batch applied (0 before any). */
  lastSeq: number;
  /** A resync was asked for and no reset batch has come yet. */
  resyncPending: boolean;
  /** The store holds the state saved with the notebook (no live batch applied yet). */
  saved: boolean;
  /** Messages received and not yet applied. */
  queue: QueuedMessage[];
  /** Longest time (ms) one slice of applying batches took (a test hook and a diagnostic). */
  longestSliceMs: number;
  detach(): void;
}

export interface QueuedMessage {
  msg: unknown;
  buffers: readonly DataView[] | undefined;
}

/** Time budget of one slice of applying batches (ms): keeps frames flowing while data pours in. */
export const SLICE_MS = 8;

/** Longest time (ms) an answer to "want" waits for the drawings under way before it is applied. */
export const ANSWER_WAIT_MS = 300;
/** How often (ms) a waiting answer looks again whether the drawings are done. */
const ANSWER_POLL_MS = 4;

/** What the page is busy with that answers to "want" wait for: set by the widget (charts being
 * drawn, views/visibility.ts slices); nothing by default. */
export const pageWork = { drawing: (): boolean => false };

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

const sessions = new WeakMap<object, Session>();

/** The kernel's answer to "ready": it has sent every batch up to `seq` (this notice follows them
 * on the wire, so a session that received them all has applied them by now). */
function isSentNotice(msg: unknown): msg is { type: "sent"; seq: number } {
  return typeof msg === "object" && msg !== null && (msg as { type?: unknown }).type === "sent" && typeof (msg as { seq?: unknown }).seq === "number";
}

export function handleMessage(session: Session, model: DashboardModel, msg: unknown, buffers: readonly DataView[] | undefined): void {
  if (isSentNotice(msg)) {
    // Batches went out before this session listened (it started late: a second view, a view
    // made again): ask for the full state. A session that has them all asks nothing, so the
    // other views of the model are not sent everything again.
    if (session.lastSeq < msg.seq && !session.resyncPending) {
      session.resyncPending = true;
      model.send({ type: "resync" });
    }
    return;
  }
  if (!isBatch(msg)) return;
  let batch;
  try {
    batch = decodeBatch(msg, buffers ?? []);
  } catch (err) {
    session.store.setProblem(`could not read a message from the kernel: ${(err as Error).message}`);
    return;
  }
  if (session.saved) {
    // The state saved with the notebook stood in until the kernel spoke: live data replaces it.
    session.saved = false;
    if (batch.seq === session.lastSeq + 1) batch.reset = true; // else a gap: resync, keep it meanwhile
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

/**
 * Queues incoming messages and applies them in slices: a message that finds the queue idle is
 * applied at once (within the slice budget); the rest wait for coming tasks (tasks.ts), each
 * applying batches until SLICE_MS have passed (always at least one). The applied batches are
 * acknowledged with one `{"type": "ack", "seq"}` per burst, sent from a later tick.
 */
export class Intake {
  private scheduled = false;
  private ackScheduled = false;
  private ackedSeq = 0;
  private closed = false;
  private answerWaitSince = -1; // when the answer at the head of the queue began to wait

  constructor(
    private readonly session: Session,
    private readonly model: DashboardModel,
    private readonly budgetMs: number = SLICE_MS,
    private readonly clock: () => number = now,
  ) {}

  receive(msg: unknown, buffers: readonly DataView[] | undefined): void {
    if (this.closed) return;
    this.session.queue.push({ msg, buffers });
    if (!this.scheduled) this.drain();
  }

  close(): void {
    this.closed = true;
    this.session.queue.length = 0;
  }

  /** An answer to "want" at the head of the queue waits now (drawings under way, not for long). */
  private answerWaits(msg: unknown, now: number): boolean {
    if (!isWantAnswer(msg) || !pageWork.drawing()) {
      this.answerWaitSince = -1;
      return false;
    }
    if (this.answerWaitSince < 0) this.answerWaitSince = now;
    if (now - this.answerWaitSince < ANSWER_WAIT_MS) return true;
    this.answerWaitSince = -1;
    return false;
  }

  /** Apply queued messages for up to the budget; schedule the rest. */
  drain(): void {
    this.scheduled = false;
    if (this.closed) return;
    const q = this.session.queue;
    const t0 = this.clock();
    let head = 0;
    let waiting = false;
    do {
      if (this.answerWaits(q[head].msg, t0)) {
        waiting = true; // it and what came after it (batches apply in order)
        break;
      }
      const { msg, buffers } = q[head++];
      handleMessage(this.session, this.model, msg, buffers);
    } while (head < q.length && this.clock() - t0 < this.budgetMs);
    q.splice(0, head);
    this.session.longestSliceMs = Math.max(this.session.longestSliceMs, this.clock() - t0);
    if (q.length) {
      this.scheduled = true;
      if (waiting) setTimeout(() => this.drain(), ANSWER_POLL_MS);
      else nextTask(() => this.drain());
    }
    if (this.session.lastSeq !== this.ackedSeq && !this.ackScheduled) {
      this.ackScheduled = true;
      setTimeout(() => this.ack(), 0);
    }
  }

  private ack(): void {
    this.ackScheduled = false;
    if (this.closed || this.session.lastSeq === this.ackedSeq) return;
    this.ackedSeq = this.session.lastSeq;
    this.model.send({ type: "ack", seq: this.ackedSeq });
  }
}

/** Create the model's session (idempotent): subscribe to custom messages and say "ready". */
export function attach(model: DashboardModel): Session {
  const existing = sessions.get(model);
  if (existing) return existing;
  const onMsg = (msg: unknown, buffers?: DataView[]) => intake.receive(msg, buffers);
  const session: Session = {
    store: new Store(),
    lastSeq: 0,
    resyncPending: false,
    saved: false,
    queue: [],
    longestSliceMs: 0,
    detach: () => {
      model.off("msg:custom", onMsg);
      intake.close();
      sessions.delete(model);
    },
  };
  const intake = new Intake(session, model);
  sessions.set(model, session);
  const saved = savedCurvesBatch(model.get("_saved_curves") || model.get("_snapshot")); // _snapshot: saved by earlier builds
  if (saved) {
    session.store.apply(saved); // the last state saved with the notebook, until a kernel speaks
    session.saved = true;
  }
  model.on("msg:custom", onMsg);
  model.send({ type: "ready" });
  return session;
}

/** The `_saved_curves` trait (thinned scalar curves saved with the notebook's widget state) as a
 * reset batch, or null when there is none or it cannot be read. A live kernel's first batch is a
 * reset too, so it replaces this. */
export function savedCurvesBatch(text: unknown): Batch | null {
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
      items.push({ kind: "scalars", run: s.run, tag: s.tag, step, wallTime, value });
      events += n;
    }
    const runs = (snap.runs as unknown[]).filter((r): r is string => typeof r === "string");
    return { seq: 0, reset: true, runs, items, events };
  } catch {
    return null;
  }
}
