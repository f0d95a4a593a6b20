// The toolbar's "group runs" control: off, per-rank (gpu_0, rank_1, ... as one group), a regex
// with a capture (one group per captured text), a run-name prefix (up to the last separator) or
// an hparam's value;
// then how a group is drawn: mean or median, a min–max or ±std band, members faint or not.
import { compileGroupRegex, type GroupBand, type GroupBy, type Grouping, type GroupStat } from "./math/groups";
import { h, type UiState } from "./ui";

export interface GroupControl {
  readonly el: HTMLElement;
  /** Show the UiState's grouping. */
  sync(): void;
}

const PLACEHOLDER: Partial<Record<GroupBy, string>> = { regex: "regex, e.g. (lr=[^,]+)", prefix: "separator, e.g. /", hparam: "hparam name, e.g. lr" };
const hasText = (by: GroupBy) => by === "regex" || by === "prefix" || by === "hparam";

/** The grouping the inputs describe, or null when the regex does not compile. */
export function groupingFrom(by: GroupBy, text: string, stat: GroupStat, band: GroupBand, members: boolean): Grouping | null {
  const look = { stat, band, members };
  if (by === "off") return { by: "off" };
  if (by === "regex") return text !== "" && compileGroupRegex(text) ? { by, pattern: text, ...look } : null;
  if (by === "prefix") return { by, sep: text === "" ? "/" : text, ...look };
  if (by === "hparam") return text !== "" ? { by, name: text, ...look } : null;
  return { by, ...look };
}

export function createGroupControl(ui: UiState): GroupControl {
  const bySelect = h("select", { class: "tbx-select tbx-group-by", "aria-label": "group runs" },
    h("option", { value: "off", text: "off" }), h("option", { value: "ranks", text: "per rank" }),
    h("option", { value: "regex", text: "regex" }), h("option", { value: "prefix", text: "prefix" }), h("option", { value: "hparam", text: "hparam" }));
  const text = h("input", { type: "text", class: "tbx-input tbx-group-text", "aria-label": "group pattern" });
  const statSelect = h("select", { class: "tbx-select tbx-group-stat", "aria-label": "group line" },
    h("option", { value: "mean", text: "mean" }), h("option", { value: "median", text: "median" }));
  const bandSelect = h("select", { class: "tbx-select tbx-group-band", "aria-label": "group band" },
    h("option", { value: "minmax", text: "min–max" }), h("option", { value: "std", text: "±std" }), h("option", { value: "none", text: "no band" }));
  const members = h("input", { type: "checkbox", class: "tbx-group-members", "aria-label": "show member runs" });
  const look = h("span", { class: "tbx-field tbx-group-look" }, statSelect, bandSelect, h("label", { class: "tbx-field", title: "Draw the member runs faint underneath" }, members, h("span", { text: "members" })));
  const el = h("label", { class: "tbx-field tbx-group" }, h("span", { text: "group runs" }), bySelect, text, look);

  const apply = () => {
    const by = bySelect.value as GroupBy;
    const g = groupingFrom(by, text.value, statSelect.value as GroupStat, bandSelect.value as GroupBand, members.checked);
    text.classList.toggle("tbx-invalid", g === null);
    text.hidden = !hasText(by);
    text.placeholder = PLACEHOLDER[by] ?? "";
    look.hidden = by === "off";
    if (g === null || JSON.stringify(g) === JSON.stringify(ui.grouping)) return;
    ui.grouping = g;
    ui.changed();
  };
  bySelect.addEventListener("change", () => {
    const by = bySelect.value as GroupBy;
    text.value = by === "prefix" ? "/" : by === "regex" ? (ui.grouping.pattern ?? "") : by === "hparam" ? (ui.grouping.name ?? "") : "";
    apply();
  });
  text.addEventListener("input", apply);
  statSelect.addEventListener("change", apply);
  bandSelect.addEventListener("change", apply);
  members.addEventListener("change", apply);

  const sync = () => {
    const g = ui.grouping;
    if (bySelect.value !== g.by) bySelect.value = g.by;
    const t = g.by === "regex" ? g.pattern ?? "" : g.by === "prefix" ? g.sep ?? "/" : g.by === "hparam" ? g.name ?? "" : "";
    if (document.activeElement !== text && text.value !== t) text.value = t;
    statSelect.value = g.stat ?? "mean";
    bandSelect.value = g.band ?? "minmax";
    members.checked = g.members ?? false;
    text.hidden = !hasText(g.by);
    text.placeholder = PLACEHOLDER[g.by] ?? "";
    text.classList.remove("tbx-invalid");
    look.hidden = g.by === "off";
  };
  sync();
  return { el, sync };
}
