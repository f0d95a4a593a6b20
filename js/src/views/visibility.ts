// Redraw only what can be seen: a card off screen skips redraws while data pours in and catches
// up when it scrolls into view, once the data has been quiet for a moment, or at the latest
// MAX_STALE_MS after it went stale (one card per task, so every card ends up current without
// holding the page). Without IntersectionObserver (jsdom) every card redraws at once, as before.
import type { CardView } from "../ui";

/** Quiet time (ms) after the last request before off-screen cards catch up. */
export const CATCH_UP_MS = 1000;
/** Longest time (ms) an off-screen card stays behind while data keeps coming. */
export const MAX_STALE_MS = 5000;

const clock = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

export class LazyUpdates {
  private readonly observer: IntersectionObserver | null;
  private readonly onScreen = new Set<Element>();
  private readonly stale = new Map<Element, CardView>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private staleSince = -1;

  constructor(private readonly quietMs: number = CATCH_UP_MS, private readonly maxStaleMs: number = MAX_STALE_MS) {
    this.observer = typeof IntersectionObserver === "function"
      ? new IntersectionObserver((entries) => this.seen(entries), { rootMargin: "200px" })
      : null;
  }

  watch(card: CardView): void {
    this.observer?.observe(card.el);
  }

  unwatch(card: CardView): void {
    this.observer?.unobserve(card.el);
    this.onScreen.delete(card.el);
    this.stale.delete(card.el);
  }

  /** Redraw `card` now if it can be seen, else when it can (or when the data is quiet). */
  update(card: CardView): void {
    if (!this.observer || this.onScreen.has(card.el)) {
      this.stale.delete(card.el);
      card.update();
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
    return this.stale.size;
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.observer?.disconnect();
    this.stale.clear();
    this.onScreen.clear();
  }

  private seen(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      if (!e.isIntersecting) {
        this.onScreen.delete(e.target);
        continue;
      }
      this.onScreen.add(e.target);
      const card = this.stale.get(e.target);
      if (card) {
        this.stale.delete(e.target);
        card.update();
      }
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
    if (el.isConnected) card.update();
    if (this.stale.size) this.timer = setTimeout(() => this.catchUp(), 0);
    else this.staleSince = -1;
  }
}
