// A virtualised list: of many equal-height rows, only those in view of a scroll container (and a
// margin either side) are in the DOM, with room (spacers or margins) standing for the rest. Rows
// that stay in view are neither rebuilt nor moved, so a focused row keeps its focus. Used by the
// runs panel (a <ul>) and the HParams table (a <tbody>).

/** Row height (px) assumed until a row has been measured (jsdom never lays out). */
const DEFAULT_ROW_PX = 20;
/** Rows kept in the DOM above and below the visible ones. */
export const OVERSCAN = 10;
/** Rows rendered when the container has no height yet (hidden or not laid out). */
const UNMEASURED_ROWS = 40;

/**
 * The rows `[first, last)` a list of `count` rows of `rowPx` each should render when scrolled to
 * `scrollTop` in a viewport `viewPx` high, with `overscan` extra rows either side.
 */
export function visibleWindow(count: number, scrollTop: number, viewPx: number, rowPx: number, overscan = OVERSCAN): [number, number] {
  if (!(rowPx > 0)) throw new RangeError(`rowPx must be a positive number, got ${rowPx}`);
  const inView = viewPx > 0 ? Math.ceil(viewPx / rowPx) + 1 : UNMEASURED_ROWS;
  const top = Math.max(0, Math.floor(Math.max(0, scrollTop) / rowPx));
  const first = Math.max(0, Math.min(top, count - inView) - overscan);
  const last = Math.min(count, top + inView + overscan);
  return [first, Math.max(first, last)];
}

export interface VirtualListOptions<T> {
  /** The scrolling element (its height and scroll position decide which rows are in view). */
  scroller: HTMLElement;
  /** The element rows go into: right after `after` when given (holding nothing else but what
   *  comes before `after` or after the rows). */
  parent: HTMLElement;
  after?: HTMLElement;
  /** Make room for the rows not in the DOM: `above` px before the rows, `below` px after. */
  pad(above: number, below: number): void;
  /** A row's identity: a row keeps its element while its key stays in view (a key of the
   *  position, `(_, i) => i`, keeps the elements in place and refills them instead). */
  key(item: T, index: number): string | number;
  /** A new row element for `item`. */
  make(item: T): HTMLElement;
  /** Bring a row element up to date with `item` (after `make`, and on `update(items, true)`). */
  fill(el: HTMLElement, item: T): void;
  /** Keep elements of rows that left the view to refill for rows that enter it. */
  recycle?: boolean;
}

export class VirtualList<T> {
  private items: readonly T[] = [];
  private readonly rows = new Map<string | number, HTMLElement>();
  private readonly spare: HTMLElement[] = [];
  private rowPx = 0;
  private queued = false;
  private readonly onScroll = () => {
    if (this.queued) return;
    this.queued = true;
    const run = () => {
      this.queued = false;
      this.render(false);
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(run);
    else setTimeout(run, 0);
  };

  constructor(private readonly o: VirtualListOptions<T>) {
    o.scroller.addEventListener("scroll", this.onScroll);
  }

  /** Show `items`; `refill` brings the rows that stay up to date too (else only new rows are filled). */
  update(items: readonly T[], refill: boolean): void {
    this.items = items;
    this.render(refill);
  }

  /** The row elements in the DOM, by key. */
  rendered(): ReadonlyMap<string | number, HTMLElement> {
    return this.rows;
  }

  /** Stop following the scroller. */
  destroy(): void {
    this.o.scroller.removeEventListener("scroll", this.onScroll);
  }

  private render(refill: boolean): void {
    const { parent, key } = this.o;
    const items = this.items;
    const px = this.rowPx || DEFAULT_ROW_PX;
    const [first, last] = visibleWindow(items.length, this.o.scroller.scrollTop, this.o.scroller.clientHeight, px);
    this.o.pad(first * px, (items.length - last) * px);
    const want = new Map<string | number, T>();
    for (let i = first; i < last; i++) want.set(key(items[i], i), items[i]);
    for (const [k, el] of this.rows) {
      if (!want.has(k)) {
        el.remove();
        this.rows.delete(k);
        if (this.o.recycle) this.spare.push(el);
      }
    }
    let cursor: ChildNode | null = this.o.after ? this.o.after.nextSibling : parent.firstChild;
    for (const [k, item] of want) {
      let el = this.rows.get(k);
      const fresh = el === undefined;
      if (!el) {
        el = this.spare.pop() ?? this.o.make(item);
        this.rows.set(k, el);
      }
      if (fresh || refill) this.o.fill(el, item);
      if (cursor === el) cursor = cursor.nextSibling;
      else parent.insertBefore(el, cursor);
    }
    if (!this.rowPx) {
      const sample = this.rows.values().next().value;
      const measured = sample ? sample.getBoundingClientRect().height : 0;
      if (measured > 0) {
        this.rowPx = measured;
        this.render(false); // again with the real row height
      }
    }
  }
}
