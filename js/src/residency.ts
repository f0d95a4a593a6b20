// Which scalar cards (and custom-scalar charts) are in view, told to the store (`Store.show`), and the full data the store
// lacks for them asked of the kernel ({"type": "want", "series": [[run, tag], ...]}; docs/
// protocol.md, "Full data on request"). The browser then holds full resolution for the cards
// in view and those shown recently (up to the store's budget), overviews for the rest.
// Cards are found as they come (MutationObserver) and watched with an IntersectionObserver
// (which honours the scroll containers around the dashboard: JupyterLab's notebook panel).
import type { Store } from "./store";

/** Series named by one "want" message at most. */
export const WANT_CHUNK = 2000;
/** Quiet time (ms) before what is in view is told to the store (scrolling coalesces). */
export const SHOW_DELAY_MS = 100;

let viewers = 0;

const CARD = '[data-tbx-kind="scalars"], [data-tbx-kind="custom_scalars"]';

/** The (run, tag) of a custom-scalar chart's lines, from its `data-tbx-series` hook
 * ([[run, tag, points, last step, last value], ...]; docs/protocol.md, test hooks). */
export function linesOf(hook: string | undefined): [string, string][] {
  if (!hook) return [];
  try {
    const lines = JSON.parse(hook) as unknown;
    if (!Array.isArray(lines)) return [];
    return lines.filter((l): l is [string, string] => Array.isArray(l) && typeof l[0] === "string" && typeof l[1] === "string").map((l) => [l[0], l[1]]);
  } catch {
    return [];
  }
}

/** Watch the scalar cards under `root`; returns a cleanup. Without IntersectionObserver (jsdom)
 * it does nothing: everything the kernel sends in full is kept, as before. */
export function watchResidency(root: HTMLElement, store: Store, send: (msg: unknown) => void): () => void {
  if (typeof IntersectionObserver !== "function" || typeof MutationObserver !== "function") return () => {};
  const viewer = ++viewers;
  const visible = new Set<Element>();
  const watched = new WeakSet<Element>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tell = () => {
    timer = undefined;
    const tags: string[] = [];
    const series: [string, string][] = [];
    for (const el of visible) {
      if (!el.isConnected) continue;
      const data = (el as HTMLElement).dataset;
      if (data.tbxKind === "scalars" && data.tbxTag !== undefined) tags.push(data.tbxTag);
      else if (data.tbxKind === "custom_scalars") series.push(...linesOf(data.tbxSeries));
    }
    const want = store.show(tags, series, viewer);
    for (let i = 0; i < want.length; i += WANT_CHUNK) send({ type: "want", series: want.slice(i, i + WANT_CHUNK) });
  };
  const soon = () => {
    if (timer === undefined) timer = setTimeout(tell, SHOW_DELAY_MS);
  };
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) visible.add(e.target);
      else visible.delete(e.target);
    }
    soon();
  });
  const find = () => {
    for (const el of root.querySelectorAll(CARD)) {
      if (watched.has(el)) continue;
      watched.add(el);
      io.observe(el);
    }
    for (const el of visible) if (!el.isConnected) visible.delete(el);
  };
  const mo = new MutationObserver(() => find());
  mo.observe(root, { childList: true, subtree: true });
  find();
  // New overviews (a card in view whose series the kernel holds) are asked for as they come.
  const unsubscribe = store.subscribe(soon);
  return () => {
    clearTimeout(timer);
    unsubscribe();
    store.forgetViewer(viewer);
    mo.disconnect();
    io.disconnect();
  };
}
