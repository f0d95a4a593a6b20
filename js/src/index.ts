// Entry point of the tbx_widget front end (anywidget ESM module): `initialize` attaches the
// model's session (messages, store) before any view exists; `render` builds the dashboard.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import type { AnyWidget } from "@anywidget/types";
import { attach, pageWork } from "./session";
import { watchResidency } from "./residency";
import { createRunsPanel } from "./runspanel";
import { bindSettings } from "./settings";
import { createToolbar } from "./toolbar";
import type { DashboardModel, Traits } from "./traits";
import { UiState, h, isolateKeys } from "./ui";
import { audioCard } from "./views/audio";
import { curveCard } from "./views/curves";
import { CustomScalarsSection } from "./views/customscalars";
import { distributionCard } from "./views/distributions";
import { embeddingCard } from "./views/embeddings";
import { graphCard } from "./views/graph";
import { HparamsSection } from "./views/hparams";
import { histogramCard } from "./views/histograms";
import { imageCard } from "./views/images";
import { meshCard } from "./views/meshes";
import { prCard } from "./views/pr";
import { scalarCard } from "./views/scalars";
import { surfaceCard } from "./views/surfaces";
import { KindSection } from "./views/section";
import { textCard } from "./views/text";
import { frameSlices, taskSlices } from "./views/visibility";

// Answers to "want" wait (briefly) for the charts being drawn (session.ts ANSWER_WAIT_MS).
pageWork.drawing = () => frameSlices.pending > 0 || taskSlices.pending > 0;

/** What the dashboard asks of each of its sections. */
interface Section {
  readonly el: HTMLElement;
  /** Cards shown after the filters, and cards in all. */
  shown: number;
  total: number;
  update(): void;
  destroy(): void;
}

function initialize({ model }: { model: DashboardModel }): () => void {
  const session = attach(model);
  return () => session.detach();
}

function statusMessage(status: string, logdir: string): string {
  if (status === "no_logdir") {
    return `The log directory ${logdir || "(none)"} does not exist yet. Create it by logging: SummaryWriter("${logdir}").add_scalar("loss", 0.5, 0).`;
  }
  if (status === "no_runs") {
    return `No event files in ${logdir} yet. Log something, e.g. writer.add_scalar("loss", 0.5, step); the dashboard picks it up within a second.`;
  }
  return "";
}

/** The header's status line: the follower's state and the corrupt records the reader skipped. */
export function statusLine(status: string, skipped: number): string {
  const parts: string[] = [];
  if (status === "no_logdir") parts.push("no log directory");
  else if (status === "no_runs") parts.push("no runs yet");
  else if (status !== "ok") parts.push(status);
  if (Number.isFinite(skipped) && skipped > 0) {
    parts.push(`${skipped} corrupt record${skipped === 1 ? "" : "s"} skipped`);
  }
  return parts.join(" · ");
}

function render({ model, el }: { model: DashboardModel; el: HTMLElement }): () => void {
  const session = attach(model);
  const { store } = session;
  const ui = new UiState();
  ui.runFilter = String(model.get("run_filter") ?? "");
  ui.tagFilter = String(model.get("tag_filter") ?? "");
  const ctx = { store, ui };
  const cleanups: (() => void)[] = [];
  cleanups.push(bindSettings(model, ui));

  // ---- header ----
  const logdirEl = h("span", { class: "tbx-logdir" });
  const statusEl = h("div", { class: "tbx-status" });
  const errorEl = h("div", { class: "tbx-error", role: "alert" });
  const header = h("div", { class: "tbx-header" }, h("span", { class: "tbx-brand", text: "tbx" }), logdirEl, statusEl);

  ui.logdir = String(model.get("logdir") ?? "");
  const toolbar = createToolbar(ui);
  const runsPanel = createRunsPanel(ctx);

  // ---- sections ----
  const sections: Section[] = [
    new KindSection("Scalars", "scalars", "scalars", scalarCard, ctx),
    new HparamsSection(ctx),
    new CustomScalarsSection(ctx),
    new KindSection("Histograms", "histograms", "histograms", histogramCard, ctx),
    new KindSection("Distributions", "distributions", "histograms", distributionCard, ctx),
    new KindSection("Images", "images", "images", imageCard, ctx),
    new KindSection("Audio", "audio", "audio", audioCard, ctx),
    new KindSection("Text", "text", "text", textCard, ctx),
    new KindSection("PR curves", "pr_curves", "pr_curves", prCard, ctx),
    new KindSection("Curves", "curves", "curves", curveCard, ctx),
    new KindSection("Surfaces", "surfaces", "surfaces", surfaceCard, ctx),
    new KindSection("Meshes", "meshes", "meshes", meshCard, ctx),
    new KindSection("Embeddings", "embeddings", "embeddings", embeddingCard, ctx),
    new KindSection("Graphs", "graphs", "graphs", graphCard, ctx),
  ];
  const emptyEl = h("div", { class: "tbx-empty" });
  const main = h("div", { class: "tbx-main" }, emptyEl, ...sections.map((s) => s.el));
  const body = h("div", { class: "tbx-body" }, runsPanel.el, main);

  const root = h("div", { class: "tbx-dashboard" }, header, errorEl, toolbar.el, body);
  root.dataset.tbxEvents = String(store.events);
  // For tests and benchmarks: the bytes the store's scalar series hold.
  (root as unknown as { tbxScalarBytes: () => number }).tbxScalarBytes = () => store.scalarBytes();
  el.append(root);
  cleanups.push(isolateKeys(root));

  // ---- behaviour ----
  const applyHeight = () => {
    const px = Number(model.get("height"));
    root.style.height = Number.isFinite(px) && px > 0 ? `${px}px` : "";
  };
  const applyHeader = () => {
    const logdir = String(model.get("logdir") ?? "");
    logdirEl.textContent = logdir;
    logdirEl.title = logdir;
    const error = String(model.get("error") ?? "");
    const problem = [error, store.problem].filter(Boolean).join(" · ");
    errorEl.textContent = problem;
    errorEl.hidden = problem === "";
    statusEl.textContent = statusLine(String(model.get("status") ?? "ok"), Number(model.get("skipped") ?? 0));
  };

  const renderEmpty = () => {
    const status = String(model.get("status") ?? "ok");
    const logdir = String(model.get("logdir") ?? "");
    let text = "";
    if (store.isEmpty()) {
      text = statusMessage(status, logdir) || `Waiting for data from ${logdir || "the log directory"}…`;
    } else if (sections.every((s) => s.shown === 0)) {
      text = `No tags match the filter /${ui.tagFilter}/. Clear the tag filter to see all ${sections.reduce((a, s) => a + s.total, 0)} cards.`;
    }
    emptyEl.textContent = text;
    emptyEl.hidden = text === "";
  };

  const sync = () => {
    root.dataset.tbxEvents = String(store.events);
    root.dataset.tbxSliceMs = String(Math.round(session.longestSliceMs));
    ui.logdir = String(model.get("logdir") ?? "");
    toolbar.sync();
    runsPanel.sync();
    for (const s of sections) s.update();
    applyHeader();
    renderEmpty();
  };

  cleanups.push(ui.subscribe(sync));
  cleanups.push(store.subscribe(sync));
  // Full resolution for the scalar cards in view, overviews for the rest (a big logdir).
  cleanups.push(watchResidency(root, store, (msg) => model.send(msg)));
  const onHeader = () => {
    applyHeader();
    renderEmpty();
  };
  for (const ev of ["change:error", "change:status", "change:logdir", "change:skipped"]) {
    model.on(ev, onHeader);
    cleanups.push(() => model.off(ev, onHeader));
  }
  model.on("change:height", applyHeight);
  cleanups.push(() => model.off("change:height", applyHeight));

  applyHeight();
  sync();

  return () => {
    for (const fn of cleanups) fn();
    for (const s of sections) s.destroy();
    root.remove();
  };
}

// Only the default export: anywidget warns about (and ignores `initialize` next to) a direct
// `render` export.
export default { initialize, render } satisfies AnyWidget<Traits>;
