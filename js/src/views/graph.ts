// Graphs: a card per graph tag ("graph_def" for TensorFlow/torch/add_graph, "keras" for Keras
// model configs). One run's newest graph at a time, drawn as SVG: a layered layout (dagre), name
// scopes as boxes (click to expand or collapse), tensor shapes on edges, drag to pan, wheel to
// zoom, search by node name (the first match is revealed, highlighted and centred).
import type { GraphEntry } from "../protocol";
import { Memo } from "../chart/memo";
import { cardShell, h, type CardView, type ViewContext } from "../ui";
import {
  CLUSTER_LABEL_H, LEAF_H, MAX_LEAVES, indexGraph, limitLeaves, initialExpanded, layoutGraph, leafLabel, reveal, searchNodes, visibleGraph,
  type GraphIndex, type Layout,
} from "./graphmodel";

const SVG = "http://www.w3.org/2000/svg";
const VIEW_H = 640;
const MIN_VIEW_H = 160;
const MIN_FIT_ZOOM = 0.5;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

const STYLE = `
.tbx-graph-view { position: relative; height: ${VIEW_H}px; resize: vertical; border: 1px solid var(--tbx-border); background: var(--tbx-panel); overflow: hidden; cursor: grab; touch-action: none; }
.tbx-graph-view.tbx-dragging { cursor: grabbing; }
.tbx-graph-view svg { width: 100%; height: 100%; display: block; user-select: none; }
.tbx-graph-op rect { fill: var(--tbx-bg); stroke: var(--tbx-muted); stroke-width: 1; }
.tbx-graph-scope rect { fill: var(--tbx-bg); stroke: var(--tbx-accent); stroke-width: 1.5; }
.tbx-graph-scope { cursor: pointer; }
.tbx-graph-cluster > rect { fill: rgba(128, 128, 128, 0.08); stroke: var(--tbx-accent); stroke-dasharray: 4 3; }
.tbx-graph-cluster > text { cursor: pointer; font-size: 10px !important; }
.tbx-graph-view text { fill: var(--tbx-fg); font-size: 11px; font-family: var(--jp-code-font-family, monospace); }
.tbx-graph-edge { fill: none; stroke: var(--tbx-muted); stroke-width: 1; }
.tbx-graph-edge-label { fill: var(--tbx-muted) !important; font-size: 10px !important; }
.tbx-graph-hit rect { stroke: #e65100 !important; stroke-width: 3 !important; }
.tbx-graph-info { white-space: pre-wrap; font-family: var(--jp-code-font-family, monospace); font-size: 11px; max-height: 120px; overflow: auto; color: var(--tbx-muted); }
.tbx-graph-search { width: 14em; }
`;

/** Pan and zoom of the drawing: screen = world × k + (x, y). */
interface View {
  x: number;
  y: number;
  k: number;
}

export function graphCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("graphs", tag);
  el.classList.add("tbx-card-wide");
  const runSelect = h("select", { class: "tbx-input", "aria-label": "run" });
  const search = h("input", { type: "search", class: "tbx-input tbx-graph-search", placeholder: "search nodes", "aria-label": "search nodes" });
  const fit = h("button", { class: "tbx-btn", type: "button", text: "fit", title: "Fit the graph in view" });
  tools.append(runSelect, search, fit);
  const style = h("style", { text: STYLE });
  const status = h("div", { class: "tbx-card-note" });
  const limitNote = h("div", { class: "tbx-card-note tbx-graph-limit" });
  const view = h("div", { class: "tbx-graph-view" });
  const svgEl = svg("svg");
  const world = svg("g", { class: "tbx-graph-world" });
  svgEl.append(world);
  view.append(svgEl);
  const info = h("div", { class: "tbx-graph-info" });
  body.append(style, status, limitNote, view, info);

  let run = "";
  let entry: GraphEntry | null = null;
  let index: GraphIndex | null = null;
  let expanded = new Set<string>();
  let layout: Layout | null = null;
  let hit = "";
  let pan: View = { x: 0, y: 0, k: 1 };
  const memo = new Memo(); // the run and graph version shown

  function applyView(): void {
    world.setAttribute("transform", `translate(${pan.x},${pan.y}) scale(${pan.k})`);
    view.dataset.tbxZoom = pan.k.toFixed(3);
  }

  /** Fit the graph's width (never above 1:1 nor below a readable MIN_FIT_ZOOM) and make the view
   * as tall as the graph then needs, within MIN_VIEW_H..VIEW_H; a taller graph is panned. */
  function fitView(): void {
    if (!layout) return;
    const w = view.clientWidth || 800;
    const k = Math.min(1, Math.max(MIN_FIT_ZOOM, (w - 16) / Math.max(1, layout.width)));
    view.style.height = `${Math.round(Math.min(VIEW_H, Math.max(MIN_VIEW_H, layout.height * k + 16)))}px`;
    pan = { k, x: Math.max(8, (w - layout.width * k) / 2), y: 8 };
    applyView();
  }

  function centreOn(id: string): void {
    const b = layout?.leaves.get(id);
    if (!b) return;
    const w = view.clientWidth || 800;
    const hgt = view.clientHeight || VIEW_H;
    pan = { k: Math.max(pan.k, 0.8), x: 0, y: 0 };
    pan.x = w / 2 - b.x * pan.k;
    pan.y = hgt / 2 - b.y * pan.k;
    applyView();
  }

  function toggle(path: string): void {
    if (expanded.has(path)) {
      for (const p of [...expanded]) if (p === path || p.startsWith(`${path}/`)) expanded.delete(p);
    } else {
      expanded.add(path);
    }
    draw();
  }

  function showInfo(id: string): void {
    if (!index) return;
    const name = id.slice(2);
    if (id.startsWith("s:")) {
      const s = index.scopes.get(name);
      info.textContent = `${name}: name scope of ${s?.count ?? 0} ops (click to ${expanded.has(name) ? "collapse" : "expand"})`;
      return;
    }
    const n = index.nodes.get(name);
    if (!n) return;
    const lines = [`${n.name}  (${n.op})`];
    if (n.device) lines.push(`device: ${n.device}`);
    if (n.shape) lines.push(`shape: [${n.shape.join(", ")}]`);
    if (n.inputs.length) lines.push(`inputs: ${n.inputs.join(", ")}`);
    if (n.attr) lines.push(n.attr);
    info.textContent = lines.join("\n");
  }

  function draw(): void {
    world.textContent = "";
    if (!index) return;
    const vis = limitLeaves(visibleGraph(index, expanded), MAX_LEAVES, hit);
    layout = layoutGraph(index, vis);
    limitNote.textContent = vis.dropped
      ? `${vis.dropped.toLocaleString()} more boxes at this level are not drawn (at most ${MAX_LEAVES} at once): collapse a scope or search for a node to see it.`
      : "";
    view.dataset.tbxLeaves = String(layout.leaves.size);
    const clusters = [...layout.clusters.values()].sort((a, b) => b.width * b.height - a.width * a.height);
    for (const c of clusters) {
      const path = c.id.slice(2);
      const g = svg("g", { class: "tbx-graph-cluster", "data-scope": path });
      g.append(svg("rect", { x: c.x - c.width / 2, y: c.y - c.height / 2, width: c.width, height: c.height, rx: 6 }));
      const label = svg("text", { class: "tbx-graph-cluster-label", x: c.x - c.width / 2 + 6, y: c.y - c.height / 2 + CLUSTER_LABEL_H - 2 });
      label.textContent = `− ${path.slice(path.lastIndexOf("/") + 1)}`;
      label.addEventListener("click", (e) => {
        e.stopPropagation();
        toggle(path);
      });
      g.append(label);
      world.append(g);
    }
    for (const e of layout.edges) {
      if (e.points.length < 2) continue;
      const d = e.points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("");
      world.append(svg("path", { class: "tbx-graph-edge", d, "marker-end": "url(#tbx-graph-arrow)", "data-from": e.from.slice(2), "data-to": e.to.slice(2) }));
      if (e.label) {
        const mid = e.points[Math.floor(e.points.length / 2)];
        const t = svg("text", { class: "tbx-graph-edge-label", x: mid.x + 4, y: mid.y });
        t.textContent = e.label;
        world.append(t);
      }
    }
    const defs = svg("defs");
    const marker = svg("marker", { id: "tbx-graph-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
    const tip = svg("path", { d: "M0,0L10,5L0,10z" });
    tip.style.fill = "var(--tbx-muted)";
    marker.append(tip);
    defs.append(marker);
    world.prepend(defs);
    for (const b of layout.leaves.values()) {
      const isScope = b.id.startsWith("s:");
      const g = svg("g", { class: isScope ? "tbx-graph-scope" : "tbx-graph-op", "data-node": b.id.slice(2) });
      if (b.id === hit) g.classList.add("tbx-graph-hit");
      g.append(svg("rect", { x: b.x - b.width / 2, y: b.y - LEAF_H / 2, width: b.width, height: LEAF_H, rx: isScope ? 8 : 3 }));
      const t = svg("text", { x: b.x, y: b.y + 4, "text-anchor": "middle" });
      const label = leafLabel(b.id, index);
      t.textContent = isScope ? `+ ${label}` : label.length > 36 ? `${label.slice(0, 35)}…` : label;
      g.append(t);
      const title = svg("title");
      title.textContent = b.id.slice(2);
      g.append(title);
      g.addEventListener("click", (e) => {
        e.stopPropagation();
        if (isScope) toggle(b.id.slice(2));
        showInfo(b.id);
      });
      world.append(g);
    }
  }

  function runSearch(): void {
    if (!index) return;
    const matches = searchNodes(index, search.value);
    view.dataset.tbxMatches = String(matches.length);
    if (matches.length === 0) {
      hit = "";
      draw();
      return;
    }
    expanded = reveal(matches[0], expanded);
    hit = `n:${matches[0]}`;
    draw();
    centreOn(hit);
    showInfo(hit);
  }

  function load(next: GraphEntry | null, nextRun: string): void {
    entry = next;
    run = nextRun;
    index = entry ? indexGraph(entry.nodes) : null;
    expanded = index ? initialExpanded(index) : new Set();
    hit = "";
    info.textContent = "";
    draw();
    fitView();
    if (search.value) runSearch();
  }

  function update(): void {
    const byRun = ctx.store.byTag("graphs", tag);
    const runs = ctx.ui.visibleRuns(ctx.store).filter((r) => (byRun.get(r.name)?.entries.length ?? 0) > 0);
    const names = runs.map((r) => r.name);
    if (runSelect.options.length !== names.length || names.some((n, i) => runSelect.options[i]?.value !== n)) {
      runSelect.textContent = "";
      for (const r of runs) runSelect.append(h("option", { value: r.name, text: ctx.ui.runLabel(ctx.store, r.name) }));
    }
    const chosen = names.includes(run) ? run : names[0] ?? "";
    runSelect.value = chosen;
    const series = byRun.get(chosen);
    const latest = series?.entries[series.entries.length - 1] ?? null;
    const sig = `${chosen}:${series?.version ?? 0}`;
    if (!memo.changed(sig)) return;
    view.hidden = !latest;
    status.textContent = latest
      ? `${latest.nodes.length} nodes · ${latest.source === "keras" ? "Keras model" : "graph"} at step ${latest.step}${latest.note ? ` · ${latest.note}` : ""} · click a box to expand or collapse it, drag to pan, wheel to zoom`
      : "No visible run has this graph.";
    if (latest !== entry || chosen !== run) load(latest, chosen);
  }

  runSelect.addEventListener("change", () => {
    run = runSelect.value;
    memo.invalidate();
    update();
  });
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", (e) => e.stopPropagation());
  fit.addEventListener("click", fitView);

  // Pan: drag; zoom: wheel about the pointer.
  let drag: { x: number; y: number; px: number; py: number } | null = null;
  view.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y };
    view.classList.add("tbx-dragging");
  });
  const endDrag = (): void => {
    drag = null;
    view.classList.remove("tbx-dragging");
  };
  view.addEventListener("pointermove", (e) => {
    if (!drag) return;
    pan.x = drag.px + e.clientX - drag.x;
    pan.y = drag.py + e.clientY - drag.y;
    applyView();
  });
  view.addEventListener("pointerup", endDrag);
  view.addEventListener("pointerleave", endDrag);
  view.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const rect = view.getBoundingClientRect();
      const mx = e.clientX - rect.left;
      const my = e.clientY - rect.top;
      const k = Math.min(4, Math.max(0.05, pan.k * Math.exp(-e.deltaY * 0.0015)));
      pan.x = mx - ((mx - pan.x) * k) / pan.k;
      pan.y = my - ((my - pan.y) * k) / pan.k;
      pan.k = k;
      applyView();
    },
    { passive: false },
  );

  return {
    el,
    update,
    destroy() {
      world.textContent = "";
    },
  };
}
