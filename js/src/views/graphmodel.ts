// Graph model for the Graphs section (pure, no DOM): name scopes as a tree, the graph one sees
// with some scopes expanded (collapsed scopes are single boxes, edges merged between them), and
// its layered layout (dagre, compound: an expanded scope is a box around its children).
import dagre from "@dagrejs/dagre";
import type { GraphNode } from "../protocol";

/** A name scope: `path` is its slash-separated name; `count` the ops inside, at any depth. */
export interface Scope {
  path: string;
  children: string[];
  ops: string[];
  count: number;
}

export interface GraphIndex {
  nodes: Map<string, GraphNode>;
  scopes: Map<string, Scope>;
  /** Top-level scopes and ops (scope ids are "s:<path>", op ids "n:<name>"). */
  roots: string[];
}

export const scopeId = (path: string): string => `s:${path}`;
export const opId = (name: string): string => `n:${name}`;

/** The scopes a node name lives in, outermost first: "a/b/c" → ["a", "a/b"]. */
export function scopesOf(name: string): string[] {
  const parts = name.split("/");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

export function indexGraph(nodes: readonly GraphNode[]): GraphIndex {
  const byName = new Map<string, GraphNode>();
  for (const n of nodes) byName.set(n.name, n);
  const scopes = new Map<string, Scope>();
  const roots: string[] = [];
  const scope = (path: string): Scope => {
    let s = scopes.get(path);
    if (!s) {
      s = { path, children: [], ops: [], count: 0 };
      scopes.set(path, s);
      const parents = scopesOf(path);
      const parent = parents[parents.length - 1];
      if (parent === undefined) roots.push(scopeId(path));
      else scope(parent).children.push(path);
    }
    return s;
  };
  for (const n of byName.values()) {
    const chain = scopesOf(n.name);
    if (chain.length === 0) {
      roots.push(opId(n.name));
      continue;
    }
    for (const p of chain) scope(p).count += 1;
    scope(chain[chain.length - 1]).ops.push(n.name);
  }
  return { nodes: byName, scopes, roots };
}

/** The id an op is seen as: its outermost collapsed scope, or the op itself. */
export function representative(name: string, expanded: ReadonlySet<string>): string {
  for (const p of scopesOf(name)) if (!expanded.has(p)) return scopeId(p);
  return opId(name);
}

export interface VisibleEdge {
  from: string;
  to: string;
  /** Shape of the tensor carried ("2×5"), "" if unknown; with "×k" edges merged when k > 1. */
  label: string;
  count: number;
}

export interface VisibleGraph {
  /** Leaf boxes: ops and collapsed scopes. */
  leaves: string[];
  /** Expanded scopes (clusters), each with its parent cluster ("" at the top). */
  clusters: Map<string, string>;
  /** Parent cluster of each leaf ("" at the top). */
  parents: Map<string, string>;
  edges: VisibleEdge[];
}

export function shapeText(shape: readonly number[] | null): string {
  if (!shape) return "";
  if (shape.length === 0) return "scalar";
  return shape.map((d) => (d < 0 ? "?" : String(d))).join("×");
}

/** The graph seen with `expanded` scopes open. Inputs naming no node are left out. */
export function visibleGraph(index: GraphIndex, expanded: ReadonlySet<string>): VisibleGraph {
  const leaves = new Set<string>();
  const clusters = new Map<string, string>();
  const parents = new Map<string, string>();
  const parentOf = (name: string): string => {
    const chain = scopesOf(name);
    return chain.length ? scopeId(chain[chain.length - 1]) : "";
  };
  for (const name of index.nodes.keys()) {
    const rep = representative(name, expanded);
    if (leaves.has(rep)) continue;
    leaves.add(rep);
    const repName = rep.slice(2); // an op's name, or a collapsed scope's path
    parents.set(rep, parentOf(repName));
    for (const p of scopesOf(repName)) {
      if (expanded.has(p) && !clusters.has(scopeId(p))) clusters.set(scopeId(p), parentOf(p));
    }
  }
  const merged = new Map<string, VisibleEdge>();
  for (const node of index.nodes.values()) {
    const to = representative(node.name, expanded);
    for (const input of node.inputs) {
      const src = index.nodes.get(input);
      if (!src) continue;
      const from = representative(input, expanded);
      if (from === to) continue;
      const key = `${from}\u0000${to}`;
      const e = merged.get(key);
      if (e) e.count += 1;
      else merged.set(key, { from, to, label: shapeText(src.shape), count: 1 });
    }
  }
  const edges = [...merged.values()].map((e) => ({ ...e, label: e.count > 1 ? `${e.label}${e.label ? " " : ""}×${e.count}` : e.label }));
  return { leaves: [...leaves], clusters, parents, edges };
}

/** The most boxes laid out at once: dagre takes seconds beyond a few hundred and overflows the
 * call stack on chains of about 2,000. */
export const MAX_LEAVES = 500;

/** `vis` cut to its first `max` boxes (in graph order, `keep` among them), the clusters holding
 * them and the edges between them; `dropped` says how many boxes were left out. */
export function limitLeaves(vis: VisibleGraph, max = MAX_LEAVES, keep = ""): VisibleGraph & { dropped: number } {
  if (vis.leaves.length <= max) return { ...vis, dropped: 0 };
  const leaves = vis.leaves.slice(0, max);
  if (keep && vis.leaves.includes(keep) && !leaves.includes(keep)) leaves[max - 1] = keep; // a search hit is always drawn
  const kept = new Set(leaves);
  const parents = new Map(leaves.map((id) => [id, vis.parents.get(id) ?? ""]));
  const clusters = new Map<string, string>();
  for (const id of leaves) {
    for (let c = parents.get(id) ?? ""; c && !clusters.has(c); c = vis.clusters.get(c) ?? "") clusters.set(c, vis.clusters.get(c) ?? "");
  }
  const edges = vis.edges.filter((e) => kept.has(e.from) && kept.has(e.to));
  return { leaves, clusters, parents, edges, dropped: vis.leaves.length - max };
}

/** Scopes to open so that node `name` is seen (its enclosing scopes). */
export function reveal(name: string, expanded: ReadonlySet<string>): Set<string> {
  const out = new Set(expanded);
  for (const p of scopesOf(name)) out.add(p);
  return out;
}

/** Node names containing `query` (case-insensitive), in graph order; at most `limit`. */
export function searchNodes(index: GraphIndex, query: string, limit = 50): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const out: string[] = [];
  for (const name of index.nodes.keys()) {
    if (name.toLowerCase().includes(q)) {
      out.push(name);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** The scopes opened at first: the top-level scope holding more than half of the ops (a torch
 * or Keras model's own name), so one sees its modules or layers rather than a single box. */
export function initialExpanded(index: GraphIndex): Set<string> {
  const out = new Set<string>();
  for (const r of index.roots) {
    const s = r.startsWith("s:") ? index.scopes.get(r.slice(2)) : undefined;
    if (s && s.count * 2 > index.nodes.size) out.add(s.path);
  }
  return out;
}

export interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  leaves: Map<string, Box>;
  clusters: Map<string, Box>;
  edges: { from: string; to: string; label: string; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

const CHAR_W = 7;
export const LEAF_H = 26;
/** Height of the band at the top of a cluster that holds its name. */
export const CLUSTER_LABEL_H = 12;
const MIN_RANKSEP = 2 * CLUSTER_LABEL_H;

/** The last part of a node or scope name: what its box shows. */
export function shortName(id: string): string {
  const path = id.slice(2);
  const i = path.lastIndexOf("/");
  return i >= 0 ? path.slice(i + 1) : path;
}

export function leafLabel(id: string, index: GraphIndex): string {
  if (id.startsWith("s:")) return `${shortName(id)} (${index.scopes.get(id.slice(2))?.count ?? 0})`;
  const node = index.nodes.get(id.slice(2));
  return node ? `${shortName(id)}: ${node.op}` : shortName(id);
}

/** Layered top-to-bottom layout of the visible graph. Coordinates are box centres (dagre's). */
export function layoutGraph(index: GraphIndex, vis: VisibleGraph): Layout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  // dagre puts 2 × depth + 1 ranks between two boxes inside clusters nested `depth` deep (rows for
  // the cluster borders): the rank gap is divided by that so boxes stay close, but kept at least
  // MIN_RANKSEP: a cluster's top is then MIN_RANKSEP / 2 (CLUSTER_LABEL_H) above its first row and
  // as much below its parent's top, a band that holds its name.
  let depth = 0;
  for (const id of vis.clusters.keys()) {
    let d = 0;
    for (let c: string | undefined = id; c; c = vis.clusters.get(c)) d += 1;
    depth = Math.max(depth, d);
  }
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: Math.max(MIN_RANKSEP, 40 / (2 * depth + 1)), edgesep: 10, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of vis.leaves) {
    const width = Math.min(260, Math.max(60, leafLabel(id, index).length * CHAR_W + 16));
    g.setNode(id, { width, height: LEAF_H });
  }
  for (const id of vis.clusters.keys()) g.setNode(id, { label: shortName(id), paddingTop: 22 });
  for (const [id, parent] of vis.clusters) if (parent && vis.clusters.has(parent)) g.setParent(id, parent);
  for (const [id, parent] of vis.parents) if (parent && vis.clusters.has(parent)) g.setParent(id, parent);
  // Labels are drawn at each edge's middle point by the view: sized labels would make dagre
  // double every rank for the label's own row.
  for (const e of vis.edges) g.setEdge(e.from, e.to, {});
  dagre.layout(g);
  const box = (id: string): Box => {
    const n = g.node(id) as unknown as { x: number; y: number; width: number; height: number };
    return { id, x: n.x, y: n.y, width: n.width, height: n.height };
  };
  const leaves = new Map(vis.leaves.map((id) => [id, box(id)]));
  const clusters = new Map([...vis.clusters.keys()].map((id) => [id, box(id)]));
  const edges = vis.edges.map((e) => {
    const le = g.edge(e.from, e.to) as unknown as { points?: { x: number; y: number }[] };
    return { from: e.from, to: e.to, label: e.label, points: le.points ?? [] };
  });
  const graph = g.graph() as { width?: number; height?: number };
  return { leaves, clusters, edges, width: graph.width ?? 0, height: graph.height ?? 0 };
}
