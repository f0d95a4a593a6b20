// The Dashboard model's synced traits (tbx_widget/widget.py; docs/protocol.md, "Synced traits"),
// typed with anywidget's own model type, so a misspelt trait name is a compile error.
import type { AnyModel } from "@anywidget/types";

export interface Traits {
  logdir: string;
  height: number;
  tag_filter: string;
  run_filter: string;
  /** Set by the browser (js/src/settings.ts). */
  view_settings: object;
  status: string;
  error: string;
  skipped: number;
  _sent_seq: number;
  /** The saved curves (JSON), stored with the notebook's widget state. */
  _saved_curves: string;
  /** The saved curves' former name, still read from notebooks saved by earlier builds. */
  _snapshot?: string;
}

/** Every trait the kernel syncs (tests/test_widget.py checks it against the Python widget). */
export const TRAIT_NAMES = [
  "logdir", "height", "tag_filter", "run_filter", "view_settings", "status", "error", "skipped", "_sent_seq", "_saved_curves",
] as const satisfies readonly (keyof Traits)[];

// Compile-time: TRAIT_NAMES names every trait but the legacy `_snapshot`.
type Missing = Exclude<keyof Traits, (typeof TRAIT_NAMES)[number] | "_snapshot">;
export const traitsComplete: Missing extends never ? true : Missing = true;

/** The part of anywidget's model the dashboard uses, keyed by its traits. */
export type DashboardModel = Pick<AnyModel<Traits>, "get" | "on" | "off" | "send">;
