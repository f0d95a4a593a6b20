// One collapsible section per card kind: keeps a card per tag, grouped by the tag's prefix
// before the first "/" (as TensorBoard does) into collapsible groups; applies the tag filter.
import type { Kind } from "../protocol";
import { CARD_PIN_EVENT, CARD_RESIZE_EVENT, h, pinKey, showPinned, type CardView, type UiState, type ViewContext } from "../ui";
import { linkSteps, selectStep, setStepsLinked } from "./stepslider";
import { LazyUpdates } from "./visibility";

export type CardFactory = (tag: string, ctx: ViewContext) => CardView;

/** How long a card whose tag left the store is kept for the tag's return (ms). */
export const RETIRE_MS = 10_000;

/** A collapsible dashboard section: title with a count, `content`, `data-tbx-section` hook; it
 * calls `onToggle` when opened or closed. With `ui`, its open state is kept in
 * `ui.collapsed` (so it is part of the saved view settings). */
export function sectionShell(title: string, kind: string, content: HTMLElement, onToggle: () => void, ui?: UiState): { el: HTMLDetailsElement; count: HTMLElement } {
  const count = h("span", { class: "tbx-count" });
  const el = h("details", { class: "tbx-section", open: true }, h("summary", { class: "tbx-section-title" }, h("span", { text: title }), count), content);
  el.dataset.tbxSection = kind;
  if (ui) keepOpenState(el, `section:${kind}`, ui);
  el.addEventListener("toggle", onToggle);
  return { el, count };
}

/** Mirror a <details>' open state into `ui.collapsed[key]` (and start from it). */
export function keepOpenState(el: HTMLDetailsElement, key: string, ui: UiState): void {
  el.open = !ui.collapsed.has(key);
  el.addEventListener("toggle", () => {
    if (el.open === !ui.collapsed.has(key)) return; // set from the settings: nothing new
    if (el.open) ui.collapsed.delete(key);
    else ui.collapsed.add(key);
    ui.changed();
  });
}

/** Open or close `el` as `ui.collapsed` says (settings changed in another view). */
export function applyOpenState(el: HTMLDetailsElement, key: string, ui: UiState): void {
  const open = !ui.collapsed.has(key);
  if (el.open !== open) el.open = open;
}

/**
 * The "Pinned" section on top of the dashboard, shared by every KindSection of one UiState: it
 * holds the pinned cards (each section moves its own in and out), in pin order, and leaves the
 * page when none is pinned.
 */
export class PinnedBoard {
  readonly el: HTMLDetailsElement;
  readonly body: HTMLElement;
  private readonly count: HTMLElement;

  constructor(private readonly ui: UiState) {
    this.body = h("div", { class: "tbx-grid" });
    ({ el: this.el, count: this.count } = sectionShell("Pinned", "pinned", this.body, () => undefined, ui));
    this.el.classList.add("tbx-pinned");
  }

  /** Put the board before the first section beside `anchor` (once the sections are on a page). */
  place(anchor: HTMLElement): void {
    const parent = anchor.parentElement;
    if (!parent || this.el.parentElement === parent) return;
    const first = parent.querySelector(":scope > .tbx-section");
    parent.insertBefore(this.el, first);
  }

  /** Order the cards as they were pinned; hide the board when it is empty. */
  arrange(): void {
    applyOpenState(this.el, "section:pinned", this.ui);
    const cards = [...this.body.children] as HTMLElement[];
    const rank = (el: HTMLElement) => this.ui.pinned.indexOf(pinKey(el.dataset.tbxKind ?? "", el.dataset.tbxTag ?? ""));
    const sorted = [...cards].sort((a, b) => rank(a) - rank(b));
    if (sorted.some((c, i) => c !== cards[i])) this.body.append(...sorted);
    this.count.textContent = String(cards.length);
    this.el.hidden = cards.length === 0;
  }
}

/**
 * The bar above the sections shown while steps are linked across cards: which step is selected,
 * a button back to every card's newest step and one to unlink.
 */
export class StepBar {
  readonly el: HTMLElement;
  private readonly text: HTMLElement;

  constructor(private readonly ui: UiState) {
    this.text = h("span");
    const clear = h("button", { type: "button", class: "tbx-btn tbx-stepbar-newest", text: "newest", title: "Every card shows its newest step (still linked)" });
    clear.addEventListener("click", () => selectStep(ui, null));
    const unlink = h("button", { type: "button", class: "tbx-btn tbx-stepbar-unlink", text: "unlink", title: "Each card keeps its own step again" });
    unlink.addEventListener("click", () => setStepsLinked(ui, false));
    this.el = h("div", { class: "tbx-stepbar", role: "status" }, this.text, clear, unlink);
    this.el.hidden = true;
  }

  place(anchor: HTMLElement): void {
    const parent = anchor.parentElement;
    if (!parent || this.el.parentElement === parent) return;
    parent.insertBefore(this.el, parent.querySelector(":scope > .tbx-section"));
  }

  sync(): void {
    const step = this.ui.stepsLinked ? this.ui.selectedStep : null;
    this.el.hidden = !this.ui.stepsLinked;
    const text = step === null
      ? "Steps linked across cards: each shows its newest step (move a slider or click a scalar chart to pick one)"
      : `Steps linked: step ${step} selected, each card shows the nearest step at or before it`;
    if (this.text.textContent !== text) this.text.textContent = text;
    this.el.dataset.tbxStep = step === null ? "" : String(step);
  }
}

/** `make(ui)` made once per dashboard (UiState) and kept while the dashboard lives. */
function perDashboard<T>(make: (ui: UiState) => T): (ui: UiState) => T {
  const made = new WeakMap<UiState, T>();
  return (ui) => {
    let v = made.get(ui);
    if (v === undefined) {
      v = make(ui);
      made.set(ui, v);
    }
    return v;
  };
}

/** The selected-step bar of a dashboard (one per UiState). */
export const stepBar: (ui: UiState) => StepBar = perDashboard((ui) => new StepBar(ui));

/** The step under a click on a scalar chart (the data step nearest the cursor); null off the data. */
function clickedStep(card: HTMLElement): number | null {
  const u = (card as unknown as { tbxChart?: { cursor: { idx?: number | null }; data: ArrayLike<ArrayLike<number | null>> } | null }).tbxChart;
  const i = u?.cursor.idx;
  if (!u || i === null || i === undefined) return null;
  const x = u.data[0]?.[i];
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}

/** While steps are linked, clicking (not dragging) a step on a scalar chart selects it (x axis: step). */
function selectOnClick(card: HTMLElement, ui: UiState): void {
  let down: { x: number; y: number } | null = null;
  card.addEventListener("mousedown", (e) => {
    down = (e.target as Element | null)?.closest(".u-over") ? { x: e.clientX, y: e.clientY } : null;
  });
  card.addEventListener("click", (e) => {
    const from = down;
    down = null;
    if (!from || !ui.stepsLinked || Math.hypot(e.clientX - from.x, e.clientY - from.y) > 4 || ui.xAxis !== "step") return;
    const step = clickedStep(card);
    if (step !== null) selectStep(ui, step);
  });
}

/** The Pinned section of a dashboard (one per UiState). */
export const pinnedBoard: (ui: UiState) => PinnedBoard = perDashboard((ui) => new PinnedBoard(ui));

/** Pin `key` (last) or unpin it; tells the UiState's listeners. */
export function togglePin(ui: UiState, key: string): void {
  const i = ui.pinned.indexOf(key);
  if (i >= 0) ui.pinned.splice(i, 1);
  else ui.pinned.push(key);
  ui.changed();
}

export function tagGroup(tag: string): string {
  const i = tag.indexOf("/");
  return i > 0 ? tag.slice(0, i) : tag;
}

export class KindSection {
  readonly el: HTMLDetailsElement;
  private readonly count: HTMLElement;
  private readonly content: HTMLElement;
  private readonly cards = new Map<string, CardView>();
  private readonly groups = new Map<string, { el: HTMLDetailsElement; body: HTMLElement; label: HTMLElement }>();
  private readonly lazy = new LazyUpdates();
  private readonly retired = new Map<string, { card: CardView; since: number }>();
  /** Tags shown after the last update (after the tag filter). */
  shown = 0;
  /** Tags of this kind in the store. */
  total = 0;

  constructor(
    readonly title: string,
    readonly cardKind: string,
    private readonly source: Kind,
    private readonly factory: CardFactory,
    private readonly ctx: ViewContext,
  ) {
    this.content = h("div", { class: "tbx-section-body" });
    ({ el: this.el, count: this.count } = sectionShell(title, cardKind, this.content, () => this.update(), ctx.ui));
    this.board = pinnedBoard(ctx.ui);
    this.bar = stepBar(ctx.ui);
    linkSteps(this.el, ctx.ui);
    linkSteps(this.board.el, ctx.ui);
  }

  private readonly board: PinnedBoard;
  private readonly bar: StepBar;

  private pinned(tag: string): boolean {
    return this.ctx.ui.pinned.includes(pinKey(this.cardKind, tag));
  }

  /** The card of `tag`; the first time, made (with its resize, pin and click hooks) and watched. */
  private cardFor(tag: string): CardView {
    const known = this.cards.get(tag);
    if (known) return known;
    const card = this.factory(tag, this.ctx);
    // A card toggled to full width (or back) redraws at its new width at once.
    card.el.addEventListener(CARD_RESIZE_EVENT, () => card.update());
    card.el.addEventListener(CARD_PIN_EVENT, () => togglePin(this.ctx.ui, pinKey(this.cardKind, tag)));
    if (this.source === "scalars") selectOnClick(card.el, this.ctx.ui);
    this.cards.set(tag, card);
    this.lazy.watch(card);
    return card;
  }

  update(): void {
    const { store, ui } = this.ctx;
    applyOpenState(this.el, `section:${this.cardKind}`, ui);
    const tags = store.tags(this.source);
    this.total = tags.length;
    const live = new Set(tags);
    // A tag gone from the store retires its card: kept (its step, toggles, full width) for
    // RETIRE_MS in case the data is being resent in parts (a resync), destroyed after that.
    const now = Date.now();
    for (const [tag, card] of this.cards) {
      if (!live.has(tag)) {
        this.lazy.unwatch(card);
        card.el.remove();
        this.cards.delete(tag);
        this.retired.set(tag, { card, since: now });
      }
    }
    for (const [tag, r] of this.retired) {
      if (live.has(tag)) {
        this.retired.delete(tag);
        this.cards.set(tag, r.card);
        this.lazy.watch(r.card);
      } else if (now - r.since > RETIRE_MS) {
        this.retired.delete(tag);
        r.card.destroy();
      }
    }
    // Pinned cards go to the Pinned section (whatever the tag filter says); the rest stay here.
    this.bar.place(this.el);
    this.bar.sync();
    this.board.place(this.el);
    let pinnedHere = 0;
    for (const tag of tags) {
      if (!this.pinned(tag)) continue;
      pinnedHere++;
      const card = this.cardFor(tag);
      showPinned(card.el, true);
      if (card.el.parentElement !== this.board.body) this.board.body.append(card.el);
      if (this.board.el.open) this.lazy.update(card);
    }
    const visible = tags.filter((t) => ui.tagVisible(t) && !this.pinned(t));
    this.shown = visible.length + pinnedHere;
    this.count.textContent = tags.length === this.shown ? String(tags.length) : `${this.shown} of ${tags.length}`;
    this.el.hidden = tags.length === 0;

    const byGroup = new Map<string, string[]>();
    for (const tag of visible) {
      const g = tagGroup(tag);
      const list = byGroup.get(g);
      if (list) list.push(tag);
      else byGroup.set(g, [tag]);
    }
    for (const [name, g] of this.groups) {
      if (!byGroup.has(name)) {
        g.el.remove();
        this.groups.delete(name);
      }
    }
    // Cards of tags filtered out stay alive (cheap) but leave the DOM.
    for (const [tag, card] of this.cards) if (!ui.tagVisible(tag) && !this.pinned(tag)) card.el.remove();

    const names = [...byGroup.keys()].sort();
    let prevGroup: HTMLElement | null = null;
    for (const name of names) {
      let g = this.groups.get(name);
      if (!g) {
        const label = h("span", { class: "tbx-count" });
        const body = h("div", { class: "tbx-grid" });
        const el = h("details", { class: "tbx-group", open: true }, h("summary", { class: "tbx-group-title" }, h("span", { text: name }), label), body);
        keepOpenState(el, this.groupKey(name), ui);
        el.addEventListener("toggle", () => this.update());
        g = { el, body, label };
        this.groups.set(name, g);
      } else {
        applyOpenState(g.el, this.groupKey(name), ui);
      }
      if (g.el.previousElementSibling !== prevGroup || g.el.parentElement !== this.content) {
        if (prevGroup) prevGroup.after(g.el);
        else this.content.prepend(g.el);
      }
      prevGroup = g.el;
      const list = byGroup.get(name) ?? [];
      g.label.textContent = String(list.length);
      let prevCard: HTMLElement | null = null;
      for (const tag of list) {
        const card = this.cardFor(tag);
        showPinned(card.el, false);
        if (card.el.parentElement !== g.body || card.el.previousElementSibling !== prevCard) {
          if (prevCard) prevCard.after(card.el);
          else g.body.prepend(card.el);
        }
        prevCard = card.el;
        // Only draw what can be seen (collapsed sections and groups wait until opened).
        if (this.el.open && g.el.open) this.lazy.update(card);
      }
    }
    this.board.arrange();
  }

  private groupKey(name: string): string {
    return `group:${this.cardKind}/${name}`;
  }

  destroy(): void {
    this.lazy.destroy();
    for (const card of this.cards.values()) card.destroy();
    for (const r of this.retired.values()) r.card.destroy();
    this.cards.clear();
    this.retired.clear();
    this.groups.clear();
    this.el.remove();
    this.board.arrange();
    if (this.board.body.childElementCount === 0) this.board.el.remove();
    this.bar.el.remove();
  }
}
