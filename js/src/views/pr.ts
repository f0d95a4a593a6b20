// PR curves: a card per tag. At the selected step, one curve per visible run, as precision
// against recall or (the ROC toggle) true against false positive rate with its area; a
// threshold slider picks the point shown in each run's confusion matrix. Hovering the plot shows
// the nearest threshold's counts.
import { Memo } from "../chart/memo";
import { confusionAt, rocCurve, thresholdAt, thresholdIndex, type Confusion } from "../math/roc";
import type { PrStep } from "../protocol";
import type { RunInfo } from "../store";
import { onThemeChange } from "../theme";
import {
  canvasAvailable, cardShell, fmtNum, h, niceTicks, sizeCanvas, swatch, themeColors, toggleButton,
  type CardView, type ViewContext,
} from "../ui";
import { StepSlider, stepData } from "./stepslider";

const PLOT_HEIGHT = 240;
const PAD = { left: 48, right: 10, top: 8, bottom: 30 };

interface Curve {
  run: RunInfo;
  rec: PrStep;
  /** Plot coordinates (x, y in [0, 1]) and the threshold index of each point. */
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  index: ArrayLike<number>;
  auc: number;
  /** The chosen threshold's index among this record's thresholds, and the matrix there. */
  at: number;
  matrix: Confusion;
}

/** The record of `step` in a run (the last one logged at that step), or undefined. */
function recordAt(entries: readonly PrStep[], step: number | null): PrStep | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].step === step) return entries[i];
  return undefined;
}

/** Precision-recall points, skipping thresholds where precision is undefined (nothing predicted). */
function prPoints(rec: PrStep): { xs: number[]; ys: number[]; index: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  const index: number[] = [];
  for (let t = 0; t < rec.tp.length; t++) {
    if (!(rec.tp[t] + rec.fp[t] > 0)) continue;
    xs.push(rec.recall[t]);
    ys.push(rec.precision[t]);
    index.push(t);
  }
  return { xs, ys, index };
}

export function prCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("pr_curves", tag);
  let roc = false;
  const memo = new Memo(); // what is drawn: data, step, ROC or PR, threshold, width
  const stepsMemo = new Memo(); // the data the slider's steps come from
  let threshold = 0.5;
  let curves: Curve[] = [];
  let width = 0;
  const slider = new StepSlider(() => redraw());
  const rocBtn = toggleButton("ROC", "Show the ROC curve (true against false positive rate) and its area", false, (on) => {
    roc = on;
    redraw();
  });
  tools.append(slider.el, rocBtn);

  const canvas = h("canvas", { class: "tbx-canvas", role: "img", "aria-label": `${tag} curves` });
  const tip = h("div", { class: "tbx-tip", role: "tooltip" });
  tip.hidden = true;
  const plot = h("div", { class: "tbx-plot" }, canvas, tip);
  const legend = h("div", { class: "tbx-legend" });
  const thRange = h("input", { type: "range", min: 0, max: 1, step: 0.01, value: threshold, class: "tbx-step-range", "aria-label": "threshold" });
  const thLabel = h("span", { class: "tbx-step-label" });
  const matrices = h("div", { class: "tbx-matrices" });
  body.append(plot, legend, h("div", { class: "tbx-step" }, h("span", { class: "tbx-step-label", text: "threshold" }), thRange, thLabel), matrices);
  thRange.addEventListener("input", () => {
    threshold = Number(thRange.value);
    redraw();
  });
  canvas.addEventListener("mousemove", (e) => hover(e));
  canvas.addEventListener("mouseleave", () => {
    tip.hidden = true;
  });

  function redraw(): void {
    memo.invalidate();
    update();
  }
  const unsubscribeTheme = onThemeChange(redraw); // the canvas takes the new theme's colours

  function update(): void {
    const { byRun, runs, sig: dataSig, steps } = stepData(ctx, "pr_curves", tag);
    if (stepsMemo.changed(dataSig)) slider.setSteps(steps());
    width = Math.max(240, Math.floor(body.clientWidth) || 480);
    const sig = [dataSig, slider.value, roc, threshold, width].join(";");
    if (!memo.changed(sig)) return;

    curves = [];
    for (const run of runs) {
      const rec = recordAt(byRun.get(run.name)?.entries ?? [], slider.value);
      if (!rec) continue;
      const r = rocCurve(rec.tp, rec.fp, rec.tn, rec.fn);
      const at = thresholdIndex(threshold, rec.tp.length);
      const matrix = confusionAt(rec.tp, rec.fp, rec.tn, rec.fn, at);
      const points = roc ? { xs: r.fpr, ys: r.tpr, index: r.index } : prPoints(rec);
      curves.push({ run, rec, ...points, auc: r.auc, at, matrix });
    }
    renderLegend();
    renderMatrices();
    // Test hook: per run, [step, thresholds, ROC AUC, [TP, FP, TN, FN] at the chosen threshold].
    el.dataset.tbxCurves = JSON.stringify(Object.fromEntries(curves.map(({ run, rec, auc, matrix: m }) =>
      [run.name, [rec.step, rec.tp.length, Number.isFinite(auc) ? auc : null, [m.tp, m.fp, m.tn, m.fn]]])));
    draw();
  }

  function renderLegend(): void {
    legend.textContent = "";
    if (curves.length === 0) {
      legend.append(h("div", { class: "tbx-card-note", text: "No visible run has a PR curve at this step." }));
      return;
    }
    for (const c of curves) {
      const auc = Number.isFinite(c.auc) ? fmtNum(Number(c.auc.toFixed(4))) : "undefined (one class only)";
      legend.append(h("span", { class: "tbx-legend-item" }, swatch(c.run.color), h("span", { text: `${ctx.ui.runLabel(ctx.store, c.run.name)}: ROC AUC ${auc}` })));
    }
  }

  function renderMatrices(): void {
    matrices.textContent = "";
    const first = curves[0];
    thLabel.textContent = fmtNum(first ? first.matrix.threshold : threshold);
    for (const c of curves) matrices.append(confusionTable(c.run, ctx.ui.runLabel(ctx.store, c.run.name), c.matrix));
  }

  function draw(): void {
    if (!canvasAvailable()) return;
    const g = sizeCanvas(canvas, width, PLOT_HEIGHT);
    if (!g) return;
    const { fg, grid, muted } = themeColors(el);
    const x0 = PAD.left, x1 = width - PAD.right, y0 = PAD.top, y1 = PLOT_HEIGHT - PAD.bottom;
    const sx = (v: number) => x0 + v * (x1 - x0);
    const sy = (v: number) => y1 - v * (y1 - y0);
    g.clearRect(0, 0, width, PLOT_HEIGHT);
    g.font = "10px sans-serif";
    g.lineWidth = 1;
    for (const t of niceTicks(0, 1, 5)) {
      g.strokeStyle = grid;
      g.beginPath();
      g.moveTo(sx(t), y0);
      g.lineTo(sx(t), y1);
      g.moveTo(x0, sy(t));
      g.lineTo(x1, sy(t));
      g.stroke();
      g.fillStyle = fg;
      g.fillText(fmtNum(t), sx(t) - 6, y1 + 12);
      g.fillText(fmtNum(t), 20, sy(t) + 3);
    }
    g.fillStyle = muted;
    g.fillText(roc ? "false positive rate" : "recall", (x0 + x1) / 2 - 30, PLOT_HEIGHT - 4);
    g.save();
    g.translate(10, (y0 + y1) / 2 + 30);
    g.rotate(-Math.PI / 2);
    g.fillText(roc ? "true positive rate" : "precision", 0, 0);
    g.restore();
    if (roc) {
      g.setLineDash([4, 4]);
      g.strokeStyle = muted;
      g.beginPath();
      g.moveTo(sx(0), sy(0));
      g.lineTo(sx(1), sy(1));
      g.stroke();
      g.setLineDash([]);
    }
    for (const c of curves) {
      g.strokeStyle = c.run.color;
      g.lineWidth = 2;
      g.beginPath();
      for (let i = 0; i < c.xs.length; i++) {
        if (i === 0) g.moveTo(sx(c.xs[i]), sy(c.ys[i]));
        else g.lineTo(sx(c.xs[i]), sy(c.ys[i]));
      }
      g.stroke();
      // The chosen threshold's point.
      for (let i = 0; i < c.index.length; i++) {
        if (c.index[i] !== c.at) continue;
        g.fillStyle = c.run.color;
        g.beginPath();
        g.arc(sx(c.xs[i]), sy(c.ys[i]), 4, 0, 2 * Math.PI);
        g.fill();
      }
    }
  }

  function hover(e: MouseEvent): void {
    const box = canvas.getBoundingClientRect();
    const px = e.clientX - box.left;
    const py = e.clientY - box.top;
    const x0 = PAD.left, x1 = width - PAD.right, y0 = PAD.top, y1 = PLOT_HEIGHT - PAD.bottom;
    let best: { c: Curve; i: number; d: number } | null = null;
    for (const c of curves) {
      for (let i = 0; i < c.xs.length; i++) {
        if (c.index[i] < 0) continue;
        const dx = x0 + c.xs[i] * (x1 - x0) - px;
        const dy = y1 - c.ys[i] * (y1 - y0) - py;
        const d = dx * dx + dy * dy;
        if (!best || d < best.d) best = { c, i, d };
      }
    }
    if (!best || best.d > 30 * 30) {
      tip.hidden = true;
      return;
    }
    const { c, i } = best;
    const t = c.index[i];
    const r = c.rec;
    tip.textContent = "";
    tip.append(
      h("div", { class: "tbx-run-label" }, swatch(c.run.color), h("span", { text: ctx.ui.runLabel(ctx.store, c.run.name) })),
      h("div", { text: `threshold ${fmtNum(thresholdAt(t, r.tp.length))}` }),
      h("div", { text: `precision ${fmtNum(r.precision[t])} · recall ${fmtNum(r.recall[t])}` }),
      h("div", { text: `TP ${fmtNum(r.tp[t])} · FP ${fmtNum(r.fp[t])} · TN ${fmtNum(r.tn[t])} · FN ${fmtNum(r.fn[t])}` }),
    );
    tip.hidden = false;
    tip.style.left = `${Math.min(px + 12, width - 200)}px`;
    tip.style.top = `${Math.max(0, py - 10)}px`;
  }

  return { el, update, destroy: unsubscribeTheme };
}

export interface Stat {
  name: string;
  /** The value, or null where it is undefined (0/0) ... */
  value: number | null;
  /** ... and why, in words. */
  reason: string;
}

/**
 * Accuracy, precision, recall and F1 of a confusion matrix; a ratio with nothing to divide by is
 * null with the reason (not NaN). F1 is 2TP / (2TP + FP + FN): defined (0) when nothing is
 * predicted positive but positives exist.
 */
export function confusionStats(m: Pick<Confusion, "tp" | "fp" | "tn" | "fn">): Stat[] {
  const { tp, fp, tn, fn } = m;
  const ratio = (num: number, den: number, reason: string): number | string => (den > 0 ? num / den : reason);
  const stat = (name: string, v: number | string): Stat => (typeof v === "number" ? { name, value: v, reason: "" } : { name, value: null, reason: v });
  return [
    stat("accuracy", ratio(tp + tn, tp + fp + tn + fn, "no examples")),
    stat("precision", ratio(tp, tp + fp, "no predicted positives at this threshold")),
    stat("recall", ratio(tp, tp + fn, "no actual positives")),
    stat("F1", ratio(2 * tp, 2 * tp + fp + fn, "no actual or predicted positives")),
  ];
}

/** A run's 2 x 2 confusion matrix with accuracy, precision, recall and F1. */
function confusionTable(run: RunInfo, label: string, m: Confusion): HTMLElement {
  const cell = (v: number, cls: string) => h("td", { class: cls, text: fmtNum(v) });
  const table = h("table", { class: "tbx-confusion" },
    h("thead", {}, h("tr", {}, h("th", { text: "" }), h("th", { text: "predicted +" }), h("th", { text: "predicted −" }))),
    h("tbody", {},
      h("tr", {}, h("th", { text: "actual +" }), cell(m.tp, "tbx-good"), cell(m.fn, "tbx-bad")),
      h("tr", {}, h("th", { text: "actual −" }), cell(m.fp, "tbx-bad"), cell(m.tn, "tbx-good"))));
  const stats = h("div", { class: "tbx-card-note tbx-pr-stats" });
  confusionStats(m).forEach((st, i) => {
    if (i > 0) stats.append(" · ");
    const item = h("span", { text: `${st.name} ${st.value === null ? "–" : fmtNum(st.value)}` });
    if (st.reason) {
      item.title = st.reason;
      item.append(h("span", { class: "tbx-why", text: ` (${st.reason})` }));
    }
    stats.append(item);
  });
  const box = h("div", { class: "tbx-matrix" },
    h("div", { class: "tbx-run-label" }, swatch(run.color), h("span", { text: label })),
    table,
    stats);
  box.dataset.tbxRun = run.name;
  return box;
}
