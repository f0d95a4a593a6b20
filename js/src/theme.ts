// The host's theme as canvases need it. CSS follows a theme by itself; a canvas keeps the colours
// it was drawn with, so charts read them here when drawing and redraw when `onThemeChange` fires.
// Sources, in order: JupyterLab/Notebook 7 (--jp-*), VS Code notebooks (--vscode-*), Colab
// (--colab-*), then fallbacks; style.css resolves them into the dashboard's --tbx-* variables.

export interface ThemeColors {
  /** Text, tick labels. */
  fg: string;
  /** Secondary text. */
  muted: string;
  /** Grid lines. */
  grid: string;
  /** Background behind the charts. */
  bg: string;
  /** Card borders. */
  border: string;
}

const FALLBACK: ThemeColors = { fg: "#222", muted: "#666", grid: "rgba(128,128,128,0.2)", bg: "#fff", border: "#ddd" };

function prop(style: CSSStyleDeclaration, names: readonly string[]): string {
  for (const n of names) {
    const v = style.getPropertyValue(n).trim();
    if (v) return v;
  }
  return "";
}

/** The theme's colours as `el` sees them (its --tbx-* variables, else the hosts' own). */
export function readTheme(el: Element): ThemeColors {
  if (typeof getComputedStyle !== "function") return { ...FALLBACK };
  const style = getComputedStyle(el);
  return {
    fg: prop(style, ["--tbx-fg", "--jp-ui-font-color1", "--vscode-editor-foreground", "--colab-primary-text-color"]) || style.color || FALLBACK.fg,
    muted: prop(style, ["--tbx-muted", "--jp-ui-font-color2", "--vscode-descriptionForeground", "--colab-secondary-text-color"]) || FALLBACK.muted,
    grid: prop(style, ["--tbx-grid"]) || FALLBACK.grid,
    bg: prop(style, ["--tbx-bg", "--jp-layout-color0", "--vscode-editor-background", "--colab-primary-surface-color"]) || FALLBACK.bg,
    border: prop(style, ["--tbx-border", "--jp-border-color2", "--vscode-panel-border", "--colab-border-color"]) || FALLBACK.border,
  };
}

/** A fingerprint of the page's theme (what a theme switch changes). */
function pageSignature(): string {
  const body = document.body;
  if (!body || typeof getComputedStyle !== "function") return "";
  const s = getComputedStyle(body);
  return [
    body.getAttribute("data-jp-theme-light"), body.getAttribute("data-jp-theme-name"), body.className,
    document.documentElement.className, document.documentElement.getAttribute("style") ?? "",
    s.getPropertyValue("--jp-ui-font-color1"), s.getPropertyValue("--jp-layout-color0"),
    s.getPropertyValue("--vscode-editor-foreground"), s.getPropertyValue("--colab-primary-text-color"), s.color, s.backgroundColor,
  ].join("|");
}

type Listener = () => void;
const listeners = new Set<Listener>();
let observer: MutationObserver | null = null;
let media: MediaQueryList | null = null;
let lastSig = "";
let timers: ReturnType<typeof setTimeout>[] = [];

function notify(): void {
  lastSig = pageSignature();
  for (const fn of [...listeners]) {
    try {
      fn();
    } catch (err) {
      console.error("tbx_widget: theme listener failed", err);
    }
  }
}

/** A theme attribute changed: notify now, and again if the colours change once the new theme's
 * stylesheet has loaded (JupyterLab may switch the attribute and the CSS at different times). */
function onMutation(): void {
  for (const t of timers) clearTimeout(t);
  notify();
  timers = [100, 400, 1500].map((ms) =>
    setTimeout(() => {
      if (pageSignature() !== lastSig) notify();
    }, ms),
  );
}

const ATTRIBUTES = ["data-jp-theme-light", "data-jp-theme-name", "class", "style", "data-theme"];

function start(): void {
  if (observer || typeof MutationObserver !== "function" || typeof document === "undefined") return;
  observer = new MutationObserver(onMutation);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ATTRIBUTES });
  if (document.body) observer.observe(document.body, { attributes: true, attributeFilter: ATTRIBUTES });
  if (typeof matchMedia === "function") {
    media = matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener?.("change", onMutation);
  }
  lastSig = pageSignature();
}

function stop(): void {
  observer?.disconnect();
  observer = null;
  media?.removeEventListener?.("change", onMutation);
  media = null;
  for (const t of timers) clearTimeout(t);
  timers = [];
}

/** Call `fn` whenever the page's theme changes; returns the unsubscribe function. */
export function onThemeChange(fn: Listener): () => void {
  if (typeof fn !== "function") throw new TypeError(`onThemeChange: fn must be a function, got ${typeof fn}`);
  listeners.add(fn);
  start();
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0) stop();
  };
}
