// A dashboard rendered into the document with a fake model: the start of the tests that drive the
// whole widget (scalars, sweep charts).
import widget from "../src/index";
import { FakeModel } from "./helpers";

/** The traits of a dashboard that has found its runs: logdir "runs", 400 px high, no filters. */
export const OK_TRAITS: Readonly<Record<string, unknown>> = { logdir: "runs", height: 400, status: "ok", error: "", tag_filter: "", run_filter: "" };

export interface Rendered {
  model: FakeModel;
  /** The element the dashboard is rendered into (appended to `document.body`). */
  el: HTMLDivElement;
  /** What `render` returned: takes the dashboard down. */
  cleanup: () => void;
}

/** A dashboard rendered with OK_TRAITS (and `traits` over them) into a new element of the page. */
export function renderDashboard(traits: Record<string, unknown> = {}): Rendered {
  const model = new FakeModel({ ...OK_TRAITS, ...traits });
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { model, el, cleanup };
}
