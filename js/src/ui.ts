// Shared view plumbing: UI state (filters, smoothing, x axis), DOM helpers, formatting.
import { GROUP_OFF, type Grouping } from "./math/groups";
import { computeFolds } from "./runfold";
import { displayName, distinctColors } from "./runstyle";
import { readTheme, type ThemeColors } from "./theme";
import type { RunInfo, Store } from "./store";

export type XAxis = "step" | "relative" | "wall";

export class UiState {
  runFilter = "";
  tagFilter = "";
  hidden = new Set<string>();
  smoothing = 0.6;
  xAxis: XAxis = "step";
  /** Collapsed sections (`section:<kind>`) and tag groups (`group:<kind>/<group>`). */
  collapsed = new Set<string>();
  /** Run emphasised in every scalar chart (picked in the HParams panel); null for none. */
  highlight: string | null = null;
  /** Run groups drawn as one line with a band in the scalar charts (math/groups.ts). */
  grouping: Grouping = GROUP_OFF;
  /** Pinned cards (`pinKey(kind, tag)`), oldest pin first: shown in the "Pinned" section on top. */
  pinned: string[] = [];
  /** Whether step sliders are linked across cards (off until the user turns it on, as in TensorBoard). */
  stepsLinked = false;
  /**
   * While linked, the step selected across cards (a step slider moved, or a step clicked on a
   * scalar chart): sliders show the nearest step at or before it. null: each its newest step.
   */
  selectedStep: number | null = null;
  version = 0;
  private listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  changed(): void {
    this.version++;
    for (const fn of [...this.listeners]) fn();
  }

  runRegex(): RegExp | null {
    return compileFilter(this.runFilter);
  }

  tagRegex(): RegExp | null {
    return compileFilter(this.tagFilter);
  }

  /** The dashboard's log directory (names the root run "."). */
  logdir = "";
  private foldCache: { store: Store | null; version: number; runs: number; folds: Map<string, string> } =
    { store: null, version: -1, runs: -1, folds: new Map() };
  private shownAs = new Map<string, RunInfo>();
  private selectionCache: { store: Store | null; key: readonly unknown[]; colors: Map<string, string> } = { store: null, key: [], colors: new Map() };

  /** `add_hparams` session runs folded into the run that logged them (see runfold.ts). */
  folds(store: Store): Map<string, string> {
    const c = this.foldCache;
    if (c.store !== store || c.version !== store.version || c.runs !== store.runs.length) {
      this.foldCache = { store, version: store.version, runs: store.runs.length, folds: computeFolds(store) };
    }
    return this.foldCache.folds;
  }

  /** The run a run is listed under: its parent when folded, else itself. */
  entryOf(store: Store, run: string): string {
    return this.folds(store).get(run) ?? run;
  }

  /** Runs listed in the runs panel: every run except folded session runs. */
  entries(store: Store): RunInfo[] {
    const folds = this.folds(store);
    return store.runs.filter((r) => !folds.has(r.name));
  }

  /** Whether the run filter matches a panel entry. */
  entryMatches(name: string): boolean {
    const re = this.runRegex();
    return !re || re.test(name);
  }

  /**
   * Runs shown in charts: those whose panel entry matches the run filter and is not toggled off.
   * A folded session run comes with its parent's colour (same name, so series lookups hold).
   */
  visibleRuns(store: Store): RunInfo[] {
    const folds = this.folds(store);
    const recolor = this.selectionColors(store);
    const out: RunInfo[] = [];
    for (const r of store.runs) {
      const entry = folds.get(r.name);
      const key = entry ?? r.name;
      if (this.hidden.has(key) || !this.entryMatches(key)) continue;
      const parent = entry === undefined ? undefined : store.run(entry);
      const color = recolor.get(key) ?? (parent ? parent.color : r.color);
      if (color === r.color) {
        out.push(r);
        continue;
      }
      let shown = this.shownAs.get(r.name);
      if (!shown || shown.color !== color || shown.index !== r.index) {
        shown = { ...r, color };
        this.shownAs.set(r.name, shown);
      }
      out.push(shown);
    }
    return out;
  }

  /**
   * The colours that tell apart the entries shown at once (runstyle.ts distinctColors): when the
   * filter and the hidden runs leave at most a palette's worth of entries, none shares a colour.
   * Entry name -> its colour where that differs from its own. Kept until the store or this
   * state changes (`version`: every change of the filter or the hidden runs is announced by
   * `changed()`; the hidden set's identity and size, the filter's text besides): runColor is
   * asked once per row of the runs panel and the HParams views, so the check must not walk the
   * hidden runs.
   */
  selectionColors(store: Store): Map<string, string> {
    const key = [store.version, store.runs.length, this.version, this.runFilter, this.hidden, this.hidden.size];
    const c = this.selectionCache;
    if (c.store === store && c.key.length === key.length && key.every((v, i) => v === c.key[i])) return c.colors;
    const shown = this.entries(store).filter((r) => !this.hidden.has(r.name) && this.entryMatches(r.name));
    const colors = distinctColors(shown);
    this.selectionCache = { store, key, colors };
    return colors;
  }

  /** A run's colour as the charts draw it (a folded session run takes its parent's; an entry
   * shown beside others of its colour, the one selectionColors gives it). */
  runColor(store: Store, run: string): string {
    const entry = this.entryOf(store, run);
    const info = store.run(entry);
    return this.selectionColors(store).get(entry) ?? info?.color ?? "#888";
  }

  /** A run's label: its panel entry's display name (the root run "." named after the logdir). */
  runLabel(store: Store, run: string): string {
    return displayName(this.entryOf(store, run), this.logdir);
  }

  /**
   * Whether `run` belongs to the highlighted session: the run itself, a run it was logged under
   * (tensorboardX's `add_hparams` writes the session to a child of the training run) or one of
   * its group sub-runs (Keras writes `<run>/train` and `<run>/validation`).
   */
  isHighlighted(run: string): boolean {
    const h = this.highlight;
    if (h === null) return false;
    return run === h || (run !== "." && h.startsWith(`${run}/`)) || run.startsWith(`${h}/`);
  }

  tagVisible(tag: string): boolean {
    const re = this.tagRegex();
    return !re || re.test(tag);
  }
}

/** Case-insensitive regex from a filter box; null for "match all" (empty or invalid). */
export function compileFilter(text: string): RegExp | null {
  if (!text) return null;
  try {
    return new RegExp(text, "i");
  } catch {
    return null;
  }
}

export function isValidRegex(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

/** Everything a card needs. */
export interface ViewContext {
  store: Store;
  ui: UiState;
}

export interface CardView {
  el: HTMLElement;
  /** Redraw if what it shows changed. */
  update(): void;
  destroy(): void;
}

// ---- DOM ----

type Attrs = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/** A small toggle button with aria-pressed. */
export function toggleButton(label: string, title: string, initial: boolean, onChange: (on: boolean) => void): HTMLButtonElement {
  const b = h("button", { type: "button", class: "tbx-btn", title, "aria-pressed": String(initial), text: label });
  b.addEventListener("click", () => {
    const on = b.getAttribute("aria-pressed") !== "true";
    b.setAttribute("aria-pressed", String(on));
    onChange(on);
  });
  return b;
}

export function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = h("button", { type: "button", class: "tbx-btn", title, text: label });
  b.addEventListener("click", onClick);
  return b;
}

/** Card shell: `data-tbx-kind`/`data-tbx-tag` hooks, a title (textContent), tools and a body. */
export function cardShell(kind: string, tag: string): { el: HTMLElement; tools: HTMLElement; body: HTMLElement } {
  const el = h("div", { class: "tbx-card" });
  el.dataset.tbxKind = kind;
  el.dataset.tbxTag = tag;
  const title = h("div", { class: "tbx-card-title", title: tag, text: tag });
  const tools = h("div", { class: "tbx-card-tools" });
  const body = h("div", { class: "tbx-card-body" });
  el.append(h("div", { class: "tbx-card-head" }, title, tools, pinButton(el), expandButton(el)), body);
  return { el, tools, body };
}

/** The key of a pinned card in `UiState.pinned` (and the saved view settings). */
export function pinKey(kind: string, tag: string): string {
  return `${kind}/${tag}`;
}

/** Dispatched (bubbling) by a card's pin button; its section pins or unpins the card. */
export const CARD_PIN_EVENT = "tbx-card-pin";

/** The pin toggle of a card; its pressed state is set by the section from `UiState.pinned`. */
function pinButton(card: HTMLElement): HTMLButtonElement {
  // Hidden until a section that can pin shows it (showPinned): cards outside one have no pin.
  const b = h("button", { type: "button", class: "tbx-btn tbx-card-pin", title: "Pin to the top", "aria-pressed": "false", "aria-label": "keep at the top", hidden: true }); // no "pin" in the name: the curve card has a "pin" (step) button
  b.append(pinIcon());
  b.addEventListener("click", () => card.dispatchEvent(new CustomEvent(CARD_PIN_EVENT, { bubbles: true })));
  return b;
}

/** A push-pin drawn in SVG (an emoji shows as a blank box where no emoji font is installed). */
function pinIcon(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "12");
  svg.setAttribute("height", "12");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  // head, body widening to a plate, then the needle
  path.setAttribute("d", "M5 1h6v1.5l-1 .5v4l3 3v1.5H9L8 15l-1-3.5H3V10l3-3V3l-1-.5z");
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

/** Show a card's pin button as pressed (pinned) or not. */
export function showPinned(card: HTMLElement, pinned: boolean): void {
  const b = card.querySelector<HTMLButtonElement>(":scope > .tbx-card-head > .tbx-card-pin");
  if (!b) return;
  b.hidden = false;
  if (b.getAttribute("aria-pressed") === String(pinned)) return;
  b.setAttribute("aria-pressed", String(pinned));
  b.title = pinned ? "Unpin (back to its section)" : "Pin to the top";
  card.classList.toggle("tbx-card-pinned", pinned);
}

/** Dispatched (bubbling) by a card whose width changed by the user's hand; sections redraw it. */
export const CARD_RESIZE_EVENT = "tbx-card-resize";

/** The "full width" toggle of a card: the card spans every column of its grid while pressed. */
function expandButton(card: HTMLElement): HTMLButtonElement {
  const b = toggleButton("⤢", "Expand to the full width (click again to restore)", false, (on) => {
    card.classList.toggle("tbx-card-wide", on);
    b.title = on ? "Back to the grid" : "Expand to the full width (click again to restore)";
    card.dispatchEvent(new CustomEvent(CARD_RESIZE_EVENT, { bubbles: true }));
  });
  b.classList.add("tbx-card-expand");
  b.setAttribute("aria-label", "full width");
  return b;
}

export function swatch(color: string): HTMLElement {
  const s = h("span", { class: "tbx-swatch" });
  s.style.background = color;
  return s;
}

/** Download a Blob under a file name (a temporary object URL, revoked right after). */
export function download(blob: Blob, name: string): void {
  if (typeof URL.createObjectURL !== "function") return;
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function safeFileName(text: string): string {
  return text.replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "") || "tag";
}

// ---- canvas ----

let canvasSupport: boolean | null = null;

/** True when 2D canvas works (false in jsdom without the canvas package). */
export function canvasAvailable(): boolean {
  if (canvasSupport === null) {
    try {
      const c = document.createElement("canvas");
      canvasSupport = typeof c.getContext === "function" && c.getContext("2d") !== null && typeof matchMedia === "function";
    } catch {
      canvasSupport = false;
    }
  }
  return canvasSupport;
}

/** The theme's colours as the element sees it (for canvas axes); see theme.ts. */
export function themeColors(el: Element): ThemeColors {
  return readTheme(el);
}

/** `#rrggbb` → `rgba(r,g,b,a)`. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

/** A canvas sized for the device pixel ratio; returns its context (null without canvas). */
export function sizeCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const ratio = typeof devicePixelRatio === "number" && devicePixelRatio > 0 ? devicePixelRatio : 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  if (!canvasAvailable()) return null;
  const ctx = canvas.getContext("2d");
  if (ctx) ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/** Round tick positions covering [min, max] (whole numbers only when `integer`). */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

// ---- formatting ----

export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined) return "–";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(3).replace(/\.?0+e/, "e"); // 1e-4, not 1.000e-4
  return String(Number(v.toPrecision(5)));
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? "-" : "";
  if (s < 60) return `${sign}${Number(s.toPrecision(3))}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${sign}${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

export function fmtWall(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";
  const d = new Date(seconds * 1000);
  return d.toLocaleString();
}

// ---- keyboard ----

/** Whether a key press inside the dashboard is left to the host page (notebook-wide chords). */
function hostKey(e: KeyboardEvent): boolean {
  return e.ctrlKey || e.metaKey || e.altKey || e.key === "Escape" || (e.key === "Enter" && e.shiftKey);
}

/**
 * Keep key presses inside the widget from the host page: JupyterLab and Notebook 7 handle
 * keydown on the document (command-mode shortcuts such as the arrow keys, `a`, `b`, `d d`) and
 * cancel the default action, so sliders and inputs would not see them. JupyterLab listens in the
 * bubbling phase (stopped at the root here); Notebook 7 in the capture phase, before the event
 * reaches the widget, so a window capture listener (which runs first) marks the focused element
 * with Lumino's `data-lm-suppress-shortcuts` for that key press. Chords that mean something to the notebook as a
 * whole (Ctrl/Cmd/Alt combinations, Shift+Enter, Escape) still pass. Returns a function removing
 * the listeners.
 */
export function isolateKeys(root: HTMLElement): () => void {
  const onCapture = (e: KeyboardEvent) => {
    const target = e.target;
    if (!(target instanceof Element) || !root.contains(target)) return;
    // On the target itself: Lumino stops looking for a matching shortcut at the first element
    // carrying the attribute, and a focused input matches selectors such as `... :focus` itself.
    if (hostKey(e)) target.removeAttribute("data-lm-suppress-shortcuts");
    else target.setAttribute("data-lm-suppress-shortcuts", "true");
  };
  const onKey = (e: KeyboardEvent) => {
    if (!hostKey(e)) e.stopPropagation();
  };
  window.addEventListener("keydown", onCapture, true);
  root.addEventListener("keydown", onKey);
  return () => {
    window.removeEventListener("keydown", onCapture, true);
    root.removeEventListener("keydown", onKey);
  };
}
