// Redraw only what can be seen, one card per task: a card on screen is redrawn in its own task
// (so a slow chart never holds the page for more than itself), the next one 3x that redraw's
// cost later (requests meanwhile coalesce), so redraws take at most about a quarter of the main
// thread however fast data arrives; a card off screen skips redraws
// while data pours in and catches up when it scrolls into view, once the data has been quiet for
// a moment, or at the latest MAX_STALE_MS after it went stale, each catch-up spaced by three
// times the previous one's cost; except a card that lets go of its data out of view (`release`:
// a scalar chart), which is drawn only when it comes into view, so the heap holds what is drawn
// on screen, not every tag's chart. Cards that scroll into view (all those in view when the page
// first shows data) are drawn a slice at a time: cards one after another until ENTER_SLICE_MS
// have gone, then the rest in a later task, so no task holds the page for more than one card
// past the slice (issue 19: frame gaps). Without IntersectionObserver (jsdom) every card redraws
// at once, as before.
import { nextTask } from "../tasks";
import type { CardView } from "../ui";

/** Quiet time (ms) after the last request before off-screen cards catch up. */
export const CATCH_UP_MS = 1000;
/** Longest time (ms) an off-screen card stays behind while data keeps coming. */
export const MAX_STALE_MS = 10_000;

/** Time (ms) spent drawing cards that came into view before the rest wait for a later task. */
export const ENTER_SLICE_MS = 8;

const clock = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** A card that can let go of what it keeps only to redraw (its data's columns) while out of
 * view: `LazyUpdates` calls `release` when it leaves the screen (issue 19: the heap follows
 * what is drawn). */
export interface ReleasableCard extends CardView {
  /** Let go; true: what it shows must be drawn again when it comes back into view. */
  release?(): boolean;
}

export class LazyUpdates {
  private readonly observer: IntersectionObserver | null;
  private readonly onScreen = new Set<Element>();
  private readonly cards = new Map<Element, ReleasableCard>();
  /** Cards released off screen (or never drawn there: they can let go): drawn when they come
   * into view, not caught up before. */
  private readonly released = new Set<Element>();
  private readonly stale = new Map<Element, CardView>();
  private readonly due = new Set<CardView>();
  private readonly entering = new Map<Element, CardView>();
  private enterScheduled = false; // a task to draw the cards entering the screen is coming
  private dueTimer: ReturnType<typeof setTimeout> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private staleSince = -1;
  private catchUpCost = 0;
  private nextDueAt = 0;

  constructor(private readonly quietMs: number = CATCH_UP_MS, private readonly maxStaleMs: number = MAX_STALE_MS) {
    this.observer = typeof IntersectionObserver === "function"
      ? new IntersectionObserver((entries) => this.seen(entries), { rootMargin: "200px" })
      : null;
  }

  watch(card: ReleasableCard): void {
    if (this.observer) this.cards.set(card.el, card);
    this.observer?.observe(card.el);
  }

  unwatch(card: CardView): void {
    this.observer?.unobserve(card.el);
    this.cards.delete(card.el);
    this.released.delete(card.el);
    this.onScreen.delete(card.el);
    this.stale.delete(card.el);
    this.entering.delete(card.el);
    this.due.delete(card);
  }

  /** Redraw `card` soon if it can be seen, else when it can (or when the data is quiet). */
  update(card: CardView): void {
    if (!this.observer) {
      card.update();
      return;
    }
    if (this.onScreen.has(card.el)) {
      if (this.entering.has(card.el)) return; // its coming draw shows the data as it is then
      this.stale.delete(card.el);
      this.due.add(card);
      if (this.dueTimer === undefined) {
        this.dueTimer = setTimeout(() => this.drainDue(), Math.max(0, this.nextDueAt - clock()));
      }
      return;
    }
    if (this.released.has(card.el)) return; // drawn when it comes back into view
    if (this.cards.get(card.el)?.release) {
      // A card that lets go of its data out of view is drawn only in view: caught up off
      // screen, it would hold data no one sees (issue 19: the heap follows what is drawn).
      this.released.add(card.el);
      this.stale.delete(card.el);
      return;
    }
    this.stale.set(card.el, card);
    const now = clock();
    if (this.staleSince < 0) this.staleSince = now;
    clearTimeout(this.timer);
    const wait = Math.min(this.quietMs, Math.max(0, this.staleSince + this.maxStaleMs - now));
    this.timer = setTimeout(() => this.catchUp(), wait);
  }

  /** Cards waiting for a redraw (a test hook). */
  get pending(): number {
    return this.stale.size + this.due.size + this.entering.size;
  }

  destroy(): void {
    clearTimeout(this.timer);
    clearTimeout(this.dueTimer);
    this.observer?.disconnect();
    this.stale.clear();
    this.entering.clear();
    this.due.clear();
    this.onScreen.clear();
    this.cards.clear();
    this.released.clear();
  }

  private drainDue(): void {
    this.dueTimer = undefined;
    const next = this.due.values().next();
    if (next.done) return;
    this.due.delete(next.value);
    const t0 = clock();
    if (next.value.el.isConnected) next.value.update();
    const cost = clock() - t0;
    const gap = cost > 16 ? Math.min(this.maxStaleMs, 3 * cost) : 0;
    this.nextDueAt = t0 + cost + gap;
    if (this.due.size) this.dueTimer = setTimeout(() => this.drainDue(), gap);
  }

  private seen(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      if (!e.isIntersecting) {
        // leaving the screen (not the first report of a card that was never on it)
        const leaving = this.onScreen.delete(e.target) ? this.cards.get(e.target) : undefined;
        // a redraw it waited for on screen waits for it to come back (or to catch up off screen)
        const wasDue = leaving !== undefined && this.due.delete(leaving);
        if (leaving?.release?.()) {
          this.released.add(e.target);
          this.stale.delete(e.target);
        } else if (wasDue) this.update(leaving!);
        const waiting = this.entering.get(e.target);
        if (waiting) { // scrolled away before its turn: waits as any card out of view
          this.entering.delete(e.target);
          this.update(waiting);
        }
        continue;
      }
      this.onScreen.add(e.target);
      const back = this.released.delete(e.target) ? this.cards.get(e.target) : undefined;
      if (back) {
        this.entering.set(e.target, back);
        continue;
      }
      const card = this.stale.get(e.target);
      if (card) {
        this.stale.delete(e.target);
        this.entering.set(e.target, card);
      }
    }
    if (this.entering.size && !this.enterScheduled) {
      this.enterScheduled = true;
      nextTask(() => this.drainEntering());
    }
  }

  /** Draw cards that came into view, in order, for up to ENTER_SLICE_MS (at least one). */
  private drainEntering(): void {
    this.enterScheduled = false;
    const t0 = clock();
    for (const [el, card] of this.entering) {
      this.entering.delete(el);
      if (el.isConnected) card.update();
      if (clock() - t0 >= ENTER_SLICE_MS) break;
    }
    if (this.entering.size) {
      this.enterScheduled = true;
      nextTask(() => this.drainEntering());
    }
  }

  private catchUp(): void {
    const next = this.stale.entries().next();
    if (next.done) {
      this.staleSince = -1;
      return;
    }
    const [el, card] = next.value;
    this.stale.delete(el);
    const t0 = clock();
    if (el.isConnected) card.update();
    this.catchUpCost = clock() - t0;
    if (this.stale.size) this.timer = setTimeout(() => this.catchUp(), Math.min(this.maxStaleMs, 3 * this.catchUpCost));
    else this.staleSince = -1;
  }
}

/**
 * Jobs run at the next animation frames, in the order first asked, ENTER_SLICE_MS worth per
 * frame (at least one job a frame): cards that all want to draw at once (the first width each
 * learns from its ResizeObserver, a theme change) share the frames instead of holding the page
 * for all of them in one (issue 19: frame gaps). A job asked again before it ran runs once.
 * With `when` "task", the slices run in tasks of their own (setTimeout) instead of animation
 * frames: work that need not wait for a frame (building a chart's data, a picture painted in
 * pieces; also cards out of view) goes on between frames, not inside them.
 */
export class FrameSlices {
  private readonly jobs = new Map<object, () => void>();
  private scheduled = false;

  constructor(private readonly sliceMs: number = ENTER_SLICE_MS, private readonly when: "frame" | "task" = "frame") {
    if (!(sliceMs >= 0) || !Number.isFinite(sliceMs)) throw new RangeError(`FrameSlices: sliceMs must be a finite number >= 0, got ${String(sliceMs)}`);
    if (when !== "frame" && when !== "task") throw new RangeError(`FrameSlices: when must be "frame" or "task", got ${String(when)}`);
  }

  /** Run `job` (under `key`: one pending job per key, the latest) at a coming frame (or task). */
  request(key: object, job: () => void): void {
    this.jobs.set(key, job);
    if (this.scheduled) return;
    this.scheduled = true;
    this.later();
  }

  private later(): void {
    const run = () => this.run();
    if (this.when === "frame" && typeof requestAnimationFrame === "function") requestAnimationFrame(run);
    else if (this.when === "task") nextTask(run);
    else setTimeout(run, 16);
  }

  /** Forget `key`'s pending job. */
  cancel(key: object): void {
    this.jobs.delete(key);
  }

  /** Jobs waiting (a test hook). */
  get pending(): number {
    return this.jobs.size;
  }

  private run(): void {
    this.scheduled = false;
    const t0 = clock();
    for (const [key, job] of this.jobs) {
      this.jobs.delete(key);
      job();
      if (clock() - t0 >= this.sliceMs) break;
    }
    if (this.jobs.size && !this.scheduled) {
      this.scheduled = true;
      this.later();
    }
  }
}

/** The page's frame slices for chart cards. */
export const frameSlices = new FrameSlices();

/** The page's task slices for chart cards: a sweep chart's drawing, a slice a task. */
export const taskSlices = new FrameSlices(ENTER_SLICE_MS, "task");
