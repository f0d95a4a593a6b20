/// <reference types="vite/client" />
// Run groups: the shared cases of tests/fixtures/groups_cases.json (also checked by
// tests/test_groups.py against tbx_widget/groups.py and reader/aggregate.py).
import { beforeAll, describe, expect, it } from "vitest";
import uPlot from "uplot";
import { groupingFrom } from "../src/groupcontrol";
import widget from "../src/index";
import { aggregateSeries, groupKey, groupRuns, parseGrouping, type Grouping } from "../src/math/groups";
import { attach } from "../src/session";
import { parseSettings, settingsOf, applySettings } from "../src/settings";
import { UiState } from "../src/ui";
import { BatchBuilder, FakeModel, fakeCanvas } from "./helpers";
import { setControl } from "./controls";

interface Shared {
  cases: { group: Grouping; hparams?: Record<string, Record<string, unknown>>; keys: Record<string, string> }[];
  aggregate: { members: { step: number[]; value: (number | null)[] }[]; want: Record<string, (number | null)[]> }[];
}
const files = import.meta.glob<Shared>("../../tests/fixtures/groups_cases.json", { eager: true, import: "default" });
const shared = Object.values(files)[0];
const nan = (xs: (number | null)[]) => xs.map((x) => (x === null ? NaN : x));

describe("groupKey (shared cases with groups.py)", () => {
  for (const c of shared.cases) {
    it(JSON.stringify(c.group), () => {
      const g = parseGrouping(c.group);
      expect(g).not.toBeNull();
      const got = Object.fromEntries(Object.keys(c.keys).map((run) => [run, groupKey(run, g!, c.hparams?.[run])]));
      expect(got).toEqual(c.keys);
    });
  }
});

describe("aggregateSeries (shared cases with aggregate.py)", () => {
  shared.aggregate.forEach((c, i) => {
    it(`case ${i}`, () => {
      const members = c.members.map((m) => ({ step: m.step, value: nan(m.value), n: m.step.length }));
      const got = aggregateSeries(members);
      expect(Array.from(got.step)).toEqual(c.want.step);
      expect(Array.from(got.count)).toEqual(c.want.count);
      for (const stat of ["mean", "median", "min", "max", "std"] as const) {
        const want = nan(c.want[stat]);
        const have = Array.from(got[stat]);
        expect(have.length).toBe(want.length);
        have.forEach((v, j) => (Number.isNaN(want[j]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(want[j], 12)));
      }
    });
  });
});

describe("parseGrouping and groupRuns", () => {
  it("rejects what is not a grouping and keeps the drawing options", () => {
    expect(parseGrouping(null)).toBeNull();
    expect(parseGrouping({ by: "rank" })).toBeNull();
    expect(parseGrouping({ by: "regex", pattern: "(" })).toBeNull();
    expect(parseGrouping({ by: "regex", pattern: "" })).toBeNull();
    expect(parseGrouping({ by: "hparam" })).toBeNull();
    expect(parseGrouping({ by: "prefix" })).toEqual({ by: "prefix", sep: "/" });
    expect(parseGrouping({ by: "ranks", stat: "median", band: "std", members: true, junk: 1 })).toEqual({ by: "ranks", stat: "median", band: "std", members: true });
    expect(parseGrouping({ by: "ranks", stat: "mode", band: 3 })).toEqual({ by: "ranks" });
  });

  it("groups in order of first member; unplaced runs stand alone", () => {
    const got = groupRuns(["gpu_0", "cpu", "gpu_1", "x/gpu_0"], { by: "ranks" });
    expect([...got.entries()]).toEqual([["gpu_*", ["gpu_0", "gpu_1"]], ["cpu", ["cpu"]], ["x/gpu_*", ["x/gpu_0"]]]);
  });

  it("aggregates many members with unsorted, repeated steps like a direct computation", () => {
    const members = Array.from({ length: 7 }, (_, m) => {
      const step = Array.from({ length: 40 }, (_, i) => (i * 7 + m * 3) % 50);
      const value = step.map((s, i) => Math.sin(s + m) * 10 + i * 0.01);
      return { step, value, n: step.length };
    });
    const got = aggregateSeries(members);
    for (let p = 0; p < got.n; p++) {
      const s = got.step[p];
      const vs: number[] = [];
      for (const m of members) {
        let last: number | undefined;
        m.step.forEach((x, i) => {
          if (x === s) last = m.value[i];
        });
        if (last !== undefined) vs.push(last);
      }
      vs.sort((a, b) => a - b);
      const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
      expect(got.count[p]).toBe(vs.length);
      expect(got.mean[p]).toBeCloseTo(mean, 10);
      expect(got.min[p]).toBe(vs[0]);
      expect(got.max[p]).toBe(vs[vs.length - 1]);
      expect(got.median[p]).toBeCloseTo(vs.length % 2 ? vs[(vs.length - 1) / 2] : (vs[vs.length / 2 - 1] + vs[vs.length / 2]) / 2, 12);
    }
  });
});

describe("grouping settings and control", () => {
  it("keeps the grouping in view_settings only when it is on; stored settings without it mean off", () => {
    const ui = new UiState();
    expect("group" in settingsOf(ui)).toBe(false);
    applySettings(ui, parseSettings({ group: { by: "regex", pattern: "(lr=[^,]+)", band: "std" } }));
    expect(settingsOf(ui).group).toEqual({ by: "regex", pattern: "(lr=[^,]+)", band: "std" });
    applySettings(ui, parseSettings({ smoothing: 0.5 }));
    expect(ui.grouping.by).toBe("off");
  });

  it("reads the control's inputs into a grouping; an invalid regex is none", () => {
    expect(groupingFrom("regex", "(", "mean", "minmax", false)).toBeNull();
    expect(groupingFrom("regex", "", "mean", "minmax", false)).toBeNull();
    expect(groupingFrom("prefix", "", "median", "std", true)).toEqual({ by: "prefix", sep: "/", stat: "median", band: "std", members: true });
    expect(groupingFrom("off", "x", "mean", "minmax", true)).toEqual({ by: "off" });
  });
});

describe("grouped scalar charts", () => {
  beforeAll(fakeCanvas);

  it("draws 4 per-rank runs as one mean line with a min-max band, counts per step, and back to 4 lines when off", () => {
    const model = new FakeModel({ logdir: "runs", height: 400, status: "ok", error: "", tag_filter: "", run_filter: "", view_settings: { smoothing: 0, group: { by: "ranks" } } });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const b = new BatchBuilder();
    // gpu_3 stops early: step 2 is aggregated over three ranks.
    for (let r = 0; r < 4; r++) b.scalars(`gpu_${r}`, "loss", r === 3 ? [0, 1] : [0, 1, 2], r === 3 ? [r, r + 1] : [r, r + 1, r + 2]);
    const { msg, buffers } = b.build(1, true, ["gpu_0", "gpu_1", "gpu_2", "gpu_3"]);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
    expect(JSON.parse(card.dataset.tbxGroups ?? "{}")).toEqual({ "gpu_*": ["gpu_0", "gpu_1", "gpu_2", "gpu_3"] });
    const chart = () => (card as unknown as { tbxChart: uPlot }).tbxChart;
    const u = chart();
    // x, centre raw, centre smoothed, band lower, band upper, member count
    expect(u.data).toHaveLength(6);
    expect(Array.from(u.data[0])).toEqual([0, 1, 2]);
    expect(u.data[2]).toEqual([1.5, 2.5, 3]); // mean of 0..3, 1..4, and 2, 3, 4 at step 2
    expect(u.data[3]).toEqual([0, 1, 2]);
    expect(u.data[4]).toEqual([3, 4, 4]);
    expect(u.data[5]).toEqual([4, 4, 3]);
    expect((u as unknown as { bands?: unknown[] }).bands).toHaveLength(1);
    expect([...card.querySelectorAll(".tbx-legend-item")].map((e) => e.textContent)).toEqual(["gpu_* (4 runs)"]);
    expect(card.querySelector(".tbx-card-note")?.textContent).toContain("4 runs in 1 line (1 group)");

    // median with a ±std band, members faint underneath
    const control = el.querySelector(".tbx-group") as HTMLElement;
    setControl(control, 'select[aria-label="group line"]', "median");
    setControl(control, 'select[aria-label="group band"]', "std");
    setControl(control, 'input[aria-label="show member runs"]', true);
    const v = chart();
    expect(v.data).toHaveLength(6 + 4);
    expect(v.data[2]).toEqual([1.5, 2.5, 3]);
    const sd = Math.sqrt(1.25); // population std of 0, 1, 2, 3
    expect((v.data[3] as number[])[0]).toBeCloseTo(1.5 - sd, 12);
    expect((v.data[4] as number[])[0]).toBeCloseTo(1.5 + sd, 12);

    setControl(control, 'select[aria-label="group runs"]', "off");
    const w = chart();
    expect(w.data).toHaveLength(1 + 2 * 4);
    expect((w as unknown as { bands?: unknown[] }).bands ?? []).toHaveLength(0);
    expect(JSON.parse(card.dataset.tbxGroups ?? "{}")).toEqual({});
    cleanup();
  });

  it("groups by an hparam, a training run taking the session add_hparams wrote to its child run", () => {
    const START = (lr: number) => [
      { record: "experiment", data: { hparams: [{ name: "lr", type: "DATA_TYPE_FLOAT64" }], metrics: [{ tag: "hparam/acc", group: "" }] } },
      { record: "session_start", data: { hparams: { lr }, group_name: "" } },
    ];
    const model = new FakeModel({ logdir: "runs", height: 400, status: "ok", error: "", tag_filter: "", run_filter: "", view_settings: { smoothing: 0 } });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const b = new BatchBuilder();
    const runs: string[] = [];
    ["a", "b", "c"].forEach((name, i) => {
      const lr = i < 2 ? 0.00001 : 0.1;
      b.scalars(name, "loss", [0, 1], [i, i + 1]).hparams(`${name}/17330000${i}.5`, START(lr)).scalars(`${name}/17330000${i}.5`, "hparam/acc", [0], [0.5]);
      runs.push(name, `${name}/17330000${i}.5`);
    });
    const { msg, buffers } = b.build(1, true, runs);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    const control = el.querySelector(".tbx-group") as HTMLElement;
    setControl(control, 'select[aria-label="group runs"]', "hparam");
    const text = control.querySelector('input[aria-label="group pattern"]') as HTMLInputElement;
    expect(text.hidden).toBe(false);
    text.value = "lr";
    text.dispatchEvent(new Event("input"));
    const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]') as HTMLElement;
    expect(JSON.parse(card.dataset.tbxGroups ?? "{}")).toEqual({ "lr=0.00001": ["a", "b"] });
    const u = (card as unknown as { tbxChart: uPlot }).tbxChart;
    expect(u.data[3]).toEqual([0.5, 1.5]); // lines: the group, then c; smoothed centre of the group
    cleanup();
  });

  it("groups by a regex capture typed into the control and stores it in view_settings", async () => {
    const model = new FakeModel({ logdir: "runs", height: 400, status: "ok", error: "", tag_filter: "", run_filter: "", view_settings: {} });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const b = new BatchBuilder();
    for (const run of ["lr=0.1,s=1", "lr=0.1,s=2", "lr=0.2,s=1"]) b.scalars(run, "acc", [0, 1], [1, 2]);
    const { msg, buffers } = b.build(1, true, ["lr=0.1,s=1", "lr=0.1,s=2", "lr=0.2,s=1"]);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    const control = el.querySelector(".tbx-group") as HTMLElement;
    setControl(control, 'select[aria-label="group runs"]', "regex");
    const text = setControl(control, 'input[aria-label="group pattern"]', "(lr=[^,", "input");
    expect(text.classList.contains("tbx-invalid")).toBe(true);
    setControl(control, 'input[aria-label="group pattern"]', "(lr=[^,]+)", "input");
    const card = el.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="acc"]') as HTMLElement;
    expect(JSON.parse(card.dataset.tbxGroups ?? "{}")).toEqual({ "lr=0.1": ["lr=0.1,s=1", "lr=0.1,s=2"] });
    expect([...card.querySelectorAll(".tbx-legend-item")].map((e) => e.textContent)).toEqual(["lr=0.1 (2 runs)", "lr=0.2,s=1"]);
    await new Promise((r) => setTimeout(r, 400));
    expect((model.get("view_settings") as { group?: unknown }).group).toEqual({ by: "regex", pattern: "(lr=[^,]+)", stat: "mean", band: "minmax", members: false });
    cleanup();
  });
});
