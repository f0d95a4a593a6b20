// Scalar charts of a sweep (issue 19, "Sweeps at scale"): the tooltip lists the runs nearest the
// cursor when there are many; few runs keep every row.
import { describe, expect, it } from "vitest";
import { TIP_ALL, TIP_TOP_K, renderTip, sortTipRows, topRows, type TipRow } from "../src/chart/tooltip";

const row = (run: string, value: number, dist: number): TipRow => ({ run, label: run, color: "#000", x: 1, value, raw: value, step: null, dist });

describe("tooltip of many runs", () => {
  it("keeps every row up to TIP_ALL runs", () => {
    const rows = Array.from({ length: TIP_ALL }, (_, i) => row(`r${i}`, i, TIP_ALL - i));
    const got = topRows(rows);
    expect(got.more).toBe(0);
    expect(got.rows.map((r) => r.run)).toEqual(rows.map((r) => r.run));
  });

  it("past TIP_ALL lists the k nearest the cursor and counts the rest", () => {
    // 1,000 runs, distance from the cursor scrambled: the nearest are r0..r9 by construction.
    const rows = Array.from({ length: 1000 }, (_, i) => row(`r${i}`, (i * 7919) % 1000, i + 0.5));
    const scrambled = [...rows].sort((a, b) => ((a.value * 31) % 1000) - ((b.value * 31) % 1000));
    const got = topRows(scrambled);
    expect(got.more).toBe(1000 - TIP_TOP_K);
    expect(got.rows.map((r) => r.run).sort()).toEqual(Array.from({ length: TIP_TOP_K }, (_, i) => `r${i}`).sort());
    expect(topRows(scrambled, 3, 3).rows.map((r) => r.run).sort()).toEqual(["r0", "r1", "r2"]);
    expect(() => topRows(rows, 0)).toThrow(/k must be an integer >= 1, got 0/);
    expect(() => topRows(rows, 10, 5)).toThrow(/all must be an integer >= k \(10\), got 5/);
  });

  it("renders the listed rows in the chosen order and an 'and N more' line", () => {
    const rows = Array.from({ length: 200 }, (_, i) => row(`r${i}`, 200 - i, i));
    const listed = topRows(rows);
    const tip = document.createElement("div");
    renderTip(tip, "step 1", sortTipRows(listed.rows, "value"), "r0", String, String, 1, listed.more);
    const runs = [...tip.querySelectorAll("tr[data-tbx-run]")].map((tr) => (tr as HTMLElement).dataset.tbxRun);
    expect(runs).toEqual(Array.from({ length: TIP_TOP_K }, (_, i) => `r${i}`));
    expect(tip.querySelector(".tbx-tip-more")?.textContent).toBe("and 190 more runs");
    expect(tip.querySelector(".tbx-tip-hover")?.getAttribute("data-tbx-run")).toBe("r0");
    const few = document.createElement("div");
    renderTip(few, "step 1", rows.slice(0, 3), "r0", String, String, 1);
    expect(few.querySelector(".tbx-tip-more")).toBeNull();
  });
});
