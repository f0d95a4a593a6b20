// Graphs: scope tree, the graph seen with scopes expanded (merged edges, shapes), search, dagre
// layout (no overlaps, clusters around their children), the wire format, and the card's DOM.
import { describe, expect, it } from "vitest";
import { decodeBatch, type GraphNode, type WireBatch } from "../src/protocol";
import { Store } from "../src/store";
import { UiState } from "../src/ui";
import { graphCard } from "../src/views/graph";
import {
  MAX_LEAVES, indexGraph, initialExpanded, layoutGraph, limitLeaves, representative, reveal, searchNodes, scopesOf, shapeText, visibleGraph,
} from "../src/views/graphmodel";

const n = (name: string, op: string, inputs: string[] = [], shape: number[] | null = null): GraphNode => ({ name, op, inputs, device: "", shape, attr: "" });

// A torch-like graph: input → Net/Linear[fc1] (weight, op) → Net/ReLU → Net/Linear[fc2] → output.
const NODES: GraphNode[] = [
  n("input/x", "IO Node", [], [2, 3]),
  n("Net/Linear[fc1]/weight/w1", "prim::GetAttr"),
  n("Net/Linear[fc1]/h1", "aten::linear", ["input/x", "Net/Linear[fc1]/weight/w1"], [2, 4]),
  n("Net/relu", "aten::relu", ["Net/Linear[fc1]/h1"], [2, 4]),
  n("Net/Linear[fc2]/h2", "aten::linear", ["Net/relu", "missing/node"], [2, 1]),
  n("output/output.1", "IO Node", ["Net/Linear[fc2]/h2"], [2, 1]),
];

describe("graph model", () => {
  it("builds the scope tree with op counts", () => {
    const idx = indexGraph(NODES);
    expect(scopesOf("a/b/c")).toEqual(["a", "a/b"]);
    expect(idx.roots.sort()).toEqual(["s:Net", "s:input", "s:output"]);
    expect(idx.scopes.get("Net")?.count).toBe(4);
    expect(idx.scopes.get("Net")?.children.sort()).toEqual(["Net/Linear[fc1]", "Net/Linear[fc2]"]);
    expect(idx.scopes.get("Net/Linear[fc1]/weight")?.ops).toEqual(["Net/Linear[fc1]/weight/w1"]);
  });

  it("collapsed scopes are one box; edges merge between boxes and carry the source's shape", () => {
    const idx = indexGraph(NODES);
    const none = visibleGraph(idx, new Set());
    expect(none.leaves.sort()).toEqual(["s:Net", "s:input", "s:output"]);
    expect(none.clusters.size).toBe(0);
    expect(none.edges.map((e) => [e.from, e.to, e.label]).sort()).toEqual([
      ["s:Net", "s:output", "2×1"],
      ["s:input", "s:Net", "2×3"],
    ]);
    const net = visibleGraph(idx, initialExpanded(idx));
    expect(initialExpanded(idx).has("Net")).toBe(true);
    expect(net.leaves.sort()).toEqual(["n:Net/relu", "s:Net/Linear[fc1]", "s:Net/Linear[fc2]", "s:input", "s:output"].sort());
    expect(net.clusters.get("s:Net")).toBe("");
    expect(net.parents.get("n:Net/relu")).toBe("s:Net");
    expect(net.edges.find((e) => e.from === "s:Net/Linear[fc1]" && e.to === "n:Net/relu")?.label).toBe("2×4");
    expect(representative("Net/Linear[fc1]/weight/w1", new Set(["Net"]))).toBe("s:Net/Linear[fc1]");
  });

  it("merges parallel edges with a count and drops inputs naming no node", () => {
    const idx = indexGraph([n("a/x", "Op", [], [1]), n("a/y", "Op", [], [1]), n("b/z", "Op", ["a/x", "a/y", "nowhere"])]);
    const vis = visibleGraph(idx, new Set());
    expect(vis.edges).toEqual([{ from: "s:a", to: "s:b", label: "1 ×2", count: 2 }]);
    expect(shapeText([-1, 4])).toBe("?×4");
    expect(shapeText([])).toBe("scalar");
    expect(shapeText(null)).toBe("");
  });

  it("search finds names case-insensitively and reveal opens their scopes", () => {
    const idx = indexGraph(NODES);
    expect(searchNodes(idx, "LINEAR[FC2]")).toEqual(["Net/Linear[fc2]/h2"]);
    expect(searchNodes(idx, "  ")).toEqual([]);
    const open = reveal("Net/Linear[fc1]/weight/w1", new Set());
    expect([...open].sort()).toEqual(["Net", "Net/Linear[fc1]", "Net/Linear[fc1]/weight"]);
    expect(visibleGraph(idx, open).leaves).toContain("n:Net/Linear[fc1]/weight/w1");
  });

  it("lays out in layers: no two boxes overlap, clusters enclose their children, edges flow down", () => {
    const idx = indexGraph(NODES);
    const open = new Set(["Net", "Net/Linear[fc1]"]);
    const vis = visibleGraph(idx, open);
    const lay = layoutGraph(idx, vis);
    const boxes = [...lay.leaves.values()];
    expect(boxes.length).toBe(vis.leaves.length);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const apart = Math.abs(a.x - b.x) * 2 >= a.width + b.width || Math.abs(a.y - b.y) * 2 >= a.height + b.height;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
    const inside = (c: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) =>
      b.x - b.width / 2 >= c.x - c.width / 2 - 0.5 && b.x + b.width / 2 <= c.x + c.width / 2 + 0.5 &&
      b.y - b.height / 2 >= c.y - c.height / 2 - 0.5 && b.y + b.height / 2 <= c.y + c.height / 2 + 0.5;
    const net = lay.clusters.get("s:Net");
    const fc1 = lay.clusters.get("s:Net/Linear[fc1]");
    expect(net && fc1).toBeTruthy();
    expect(inside(net!, fc1!)).toBe(true);
    expect(inside(fc1!, lay.leaves.get("n:Net/Linear[fc1]/h1")!)).toBe(true);
    expect(inside(net!, lay.leaves.get("n:Net/relu")!)).toBe(true);
    expect(inside(net!, lay.leaves.get("s:input")!)).toBe(false);
    expect(lay.leaves.get("s:input")!.y).toBeLessThan(lay.leaves.get("n:Net/relu")!.y);
    expect(lay.leaves.get("n:Net/relu")!.y).toBeLessThan(lay.leaves.get("s:output")!.y);
    for (const e of lay.edges) expect(e.points.length).toBeGreaterThanOrEqual(2);
  });
});

function graphStore(): Store {
  const msg: WireBatch = {
    type: "batch", protocol: 1, seq: 1, reset: true, runs: ["run1"],
    items: [{ kind: "graphs", run: "run1", tag: "graph_def", items: [{ step: 0, wall_time: 5, source: "graph_def", nodes: NODES }] }],
  };
  const store = new Store();
  const batch = decodeBatch(msg, []);
  expect(batch.events).toBe(1);
  store.apply(batch);
  return store;
}

describe("graph card", () => {
  it("decodes the wire item and draws boxes; clicking a scope expands it; search highlights", () => {
    const store = graphStore();
    expect(store.tags("graphs")).toEqual(["graph_def"]);
    expect(store.get("graphs", "run1", "graph_def")?.entries[0].nodes[2].shape).toEqual([2, 4]);
    const card = graphCard("graph_def", { store, ui: new UiState() });
    document.body.append(card.el);
    card.update();
    const view = card.el.querySelector(".tbx-graph-view") as HTMLElement;
    expect(view.dataset.tbxLeaves).toBe("5"); // input, output, Net/relu, two collapsed Linear scopes
    expect(card.el.querySelectorAll("[data-node]").length).toBe(5);
    expect([...card.el.querySelectorAll(".tbx-graph-edge-label")].map((t) => t.textContent)).toContain("2×4");
    (card.el.querySelector('[data-node="Net/Linear[fc1]"]') as SVGGElement).dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(card.el.querySelector('[data-node="Net/Linear[fc1]/h1"]')).not.toBeNull();
    expect(card.el.querySelector('[data-scope="Net/Linear[fc1]"]')).not.toBeNull();
    const search = card.el.querySelector(".tbx-graph-search") as HTMLInputElement;
    search.value = "h2";
    search.dispatchEvent(new Event("input"));
    const hit = card.el.querySelector(".tbx-graph-hit");
    expect(hit?.getAttribute("data-node")).toBe("Net/Linear[fc2]/h2");
    expect(card.el.querySelector(".tbx-graph-info")?.textContent).toContain("aten::linear");
    card.destroy();
    card.el.remove();
  });
});

describe("graph layout spacing", () => {
  it("keeps boxes in nested scopes about as close as boxes at the top level", () => {
    const deep: GraphNode[] = [n("a/b/c/x", "Op", [], [1]), n("a/b/c/y", "Op", ["a/b/c/x"]), n("top1", "Op", [], [1]), n("top2", "Op", ["top1"])];
    const idx = indexGraph(deep);
    const lay = layoutGraph(idx, visibleGraph(idx, new Set(["a", "a/b", "a/b/c"])));
    const gapDeep = lay.leaves.get("n:a/b/c/y")!.y - lay.leaves.get("n:a/b/c/x")!.y;
    const gapTop = lay.leaves.get("n:top2")!.y - lay.leaves.get("n:top1")!.y;
    expect(gapDeep).toBeLessThan(200); // dagre's default spacing put them 264 px apart
    expect(gapTop).toBeLessThan(200);
    expect(gapDeep).toBeGreaterThan(26); // never overlapping
    // each cluster's top edge leaves room for its name above its first row
    expect(lay.leaves.get("n:a/b/c/x")!.y - 13 - (lay.clusters.get("s:a/b/c")!.y - lay.clusters.get("s:a/b/c")!.height / 2)).toBeGreaterThanOrEqual(12);
    expect(lay.clusters.get("s:a/b/c")!.y - lay.clusters.get("s:a/b/c")!.height / 2 - (lay.clusters.get("s:a/b")!.y - lay.clusters.get("s:a/b")!.height / 2)).toBeGreaterThanOrEqual(12);
  });
});

describe("big graphs", () => {
  it("lays out at most MAX_LEAVES boxes (a 2,000-op flat chain overflowed dagre's stack), keeping a search hit", () => {
    const nodes: GraphNode[] = [];
    for (let i = 0; i < 2000; i++) nodes.push(n(`op${i}`, "Add", i ? [`op${i - 1}`] : [], [2]));
    const idx = indexGraph(nodes);
    const all = visibleGraph(idx, initialExpanded(idx));
    expect(all.leaves.length).toBe(2000);
    const cut = limitLeaves(all, MAX_LEAVES, "n:op1999");
    expect(cut.leaves.length).toBe(MAX_LEAVES);
    expect(cut.dropped).toBe(2000 - MAX_LEAVES);
    expect(cut.leaves).toContain("n:op1999");
    expect(cut.edges.every((e) => cut.leaves.includes(e.from) && cut.leaves.includes(e.to))).toBe(true);
    const lay = layoutGraph(idx, cut);
    expect(lay.leaves.size).toBe(MAX_LEAVES);
    const small = limitLeaves(visibleGraph(idx, new Set()), 5000);
    expect(small.dropped).toBe(0);
  }, 60_000);

  it("keeps the clusters of the boxes it keeps", () => {
    const idx = indexGraph([n("a/x", "Op"), n("a/y", "Op", ["a/x"]), n("b/z", "Op", ["a/y"])]);
    const cut = limitLeaves(visibleGraph(idx, new Set(["a", "b"])), 2);
    expect(cut.leaves).toEqual(["n:a/x", "n:a/y"]);
    expect([...cut.clusters.keys()]).toEqual(["s:a"]);
    expect(cut.edges.map((e) => [e.from, e.to])).toEqual([["n:a/x", "n:a/y"]]);
  });
});
