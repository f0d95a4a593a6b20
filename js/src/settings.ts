// View settings kept in the widget's state (the synced `view_settings` trait): smoothing, x axis,
// tag and run filters, runs toggled off, collapsed sections and groups, pinned cards. A re-rendered view of the same widget, another view of
// it, or a reopened notebook with saved widget state starts from them; views of one widget stay
// in step with each other.
import { GROUP_OFF, parseGrouping, type Grouping } from "./math/groups";
import type { AnyModel } from "@anywidget/types";
import type { DashboardModel, Traits } from "./traits";
import type { UiState, XAxis } from "./ui";

export const SETTINGS_TRAIT = "view_settings";

export interface ViewSettings {
  smoothing: number;
  x_axis: XAxis;
  tag_filter: string;
  run_filter: string;
  hidden_runs: string[];
  /** Collapsed sections and tag groups (see UiState.collapsed). */
  collapsed: string[];
  /** Run groups (math/groups.ts); absent when grouping is off. */
  group?: Grouping;
  /** Pinned cards (`kind/tag`, oldest pin first); absent when none is pinned. */
  pinned?: string[];
}

/** The widget model as far as settings need it: `set` and `save_changes` may be missing (a
 * read-only model, as in the static HTML export), and then settings are only read. */
export type SettingsModel = DashboardModel & Partial<Pick<AnyModel<Traits>, "set" | "save_changes">>;

const X_AXES: readonly XAxis[] = ["step", "relative", "wall"];

/**
 * The valid fields of a stored settings object; anything missing, of the wrong type or out of
 * range is left out (so a hand-edited or older state never breaks the view).
 */
export function parseSettings(raw: unknown): Partial<ViewSettings> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return {};
  const r = raw as Record<string, unknown>;
  const out: Partial<ViewSettings> = {};
  if (typeof r.smoothing === "number" && Number.isFinite(r.smoothing) && r.smoothing >= 0 && r.smoothing <= 0.999) out.smoothing = r.smoothing;
  if (typeof r.x_axis === "string" && (X_AXES as readonly string[]).includes(r.x_axis)) out.x_axis = r.x_axis as XAxis;
  if (typeof r.tag_filter === "string") out.tag_filter = r.tag_filter;
  if (typeof r.run_filter === "string") out.run_filter = r.run_filter;
  if (Array.isArray(r.hidden_runs) && r.hidden_runs.every((x) => typeof x === "string")) out.hidden_runs = [...(r.hidden_runs as string[])];
  if (Array.isArray(r.collapsed) && r.collapsed.every((x) => typeof x === "string")) out.collapsed = [...(r.collapsed as string[])];
  const group = parseGrouping(r.group);
  if (group) out.group = group;
  if (Array.isArray(r.pinned) && r.pinned.every((x) => typeof x === "string")) out.pinned = [...new Set(r.pinned as string[])];
  return out;
}

export function settingsOf(ui: UiState): ViewSettings {
  const group = ui.grouping.by === "off" ? {} : { group: { ...ui.grouping } };
  const pinned = ui.pinned.length === 0 ? {} : { pinned: [...ui.pinned] };
  return { ...group, ...pinned, smoothing: ui.smoothing, x_axis: ui.xAxis, tag_filter: ui.tagFilter, run_filter: ui.runFilter, hidden_runs: [...ui.hidden].sort(), collapsed: [...ui.collapsed].sort() };
}

/** Copy settings into the UiState; true when anything changed. */
export function applySettings(ui: UiState, s: Partial<ViewSettings>): boolean {
  const before = JSON.stringify(settingsOf(ui));
  if (s.smoothing !== undefined) ui.smoothing = s.smoothing;
  if (s.x_axis !== undefined) ui.xAxis = s.x_axis;
  if (s.tag_filter !== undefined) ui.tagFilter = s.tag_filter;
  if (s.run_filter !== undefined) ui.runFilter = s.run_filter;
  if (s.hidden_runs !== undefined) ui.hidden = new Set(s.hidden_runs);
  if (s.collapsed !== undefined) ui.collapsed = new Set(s.collapsed);
  ui.grouping = s.group ?? GROUP_OFF; // stored settings leave the group out when it is off
  ui.pinned = s.pinned ? [...s.pinned] : []; // and the pins when there are none
  return JSON.stringify(settingsOf(ui)) !== before;
}

/** How long settings changes gather before one is sent to the kernel (a slider drag is many). */
export const SAVE_DELAY_MS = 250;

/**
 * Start `ui` from the model's stored settings, store its changes back (debounced), and follow
 * changes made by other views. Returns the function that stops it.
 */
export function bindSettings(model: SettingsModel, ui: UiState): () => void {
  applySettings(ui, parseSettings(model.get(SETTINGS_TRAIT)));
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stored = () => JSON.stringify(parseSettings(model.get(SETTINGS_TRAIT)));
  const save = () => {
    timer = null;
    const now = settingsOf(ui);
    if (JSON.stringify(now) === stored() || typeof model.set !== "function") return;
    model.set(SETTINGS_TRAIT, now);
    if (typeof model.save_changes === "function") model.save_changes();
  };
  const unsubscribe = ui.subscribe(() => {
    if (JSON.stringify(settingsOf(ui)) === stored()) return;
    if (timer === null) timer = setTimeout(save, SAVE_DELAY_MS);
  });
  const onModel = () => {
    if (timer !== null) return; // our own newer change is on its way
    if (applySettings(ui, parseSettings(model.get(SETTINGS_TRAIT)))) ui.changed();
  };
  model.on(`change:${SETTINGS_TRAIT}`, onModel);
  return () => {
    if (timer !== null) {
      clearTimeout(timer);
      save();
    }
    unsubscribe();
    model.off(`change:${SETTINGS_TRAIT}`, onModel);
  };
}
