"""What holds a benchmark page's JS heap: a V8 heap snapshot taken through the Chrome DevTools
Protocol (``HeapProfiler.takeHeapSnapshot``, after a GC), summarised by what each object is
(its type and constructor name; typed arrays' backing stores appear as
``native: system / JSArrayBufferData``) and, for the biggest of those, by what holds them (the
first retainer's type and name and the edge's name).

``breakdown(page)`` returns the summary; ``format_breakdown`` prints it as a Markdown table.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

MiB = 2**20


def snapshot(page: Any) -> dict[str, Any]:
    """A heap snapshot of ``page`` (a Playwright page) as parsed JSON, taken after a GC."""
    cdp = page.context.new_cdp_session(page)
    chunks: list[str] = []
    cdp.on("HeapProfiler.addHeapSnapshotChunk", lambda e: chunks.append(e["chunk"]))
    cdp.send("HeapProfiler.enable")
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.takeHeapSnapshot", {"reportProgress": False})
    cdp.detach()
    return json.loads("".join(chunks))


def summarise(snap: dict[str, Any], top: int = 20, holders: int = 6) -> dict[str, Any]:
    """The snapshot's bytes by (type, name): ``{"total": bytes, "rows": [{what, bytes, count,
    held_by: [[retainer, edge, bytes], ...]}]}``, biggest first, ``top`` rows, ``holders``
    retainer groups for each."""
    meta = snap["snapshot"]["meta"]
    nf = meta["node_fields"]
    ef = meta["edge_fields"]
    node_types = meta["node_types"][0]
    edge_types = meta["edge_types"][0]
    strings = snap["strings"]
    nodes = snap["nodes"]
    edges = snap["edges"]
    n_len, e_len = len(nf), len(ef)
    i_type, i_name, i_size, i_edges = nf.index("type"), nf.index("name"), nf.index("self_size"), nf.index("edge_count")
    j_type, j_name, j_to = ef.index("type"), ef.index("name_or_index"), ef.index("to_node")
    count = len(nodes) // n_len

    def what(k: int) -> str:
        t = node_types[nodes[k * n_len + i_type]]
        name = strings[nodes[k * n_len + i_name]]
        if t in ("string", "concatenated string", "sliced string"):
            name = ""
        elif t == "code" or t == "closure":
            name = "" if t == "code" else name
        name = re.sub(r" @\d+$", "", name)
        return f"{t}: {name[:60]}" if name else t

    by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kind = [""] * count
    total = 0
    for k in range(count):
        size = nodes[k * n_len + i_size]
        total += size
        w = what(k)
        kind[k] = w
        row = by[w]
        row[0] += size
        row[1] += 1
    rows = sorted(by.items(), key=lambda kv: -kv[1][0])[:top]
    wanted = {w for w, _ in rows}
    # The first (non-weak) retainer of every node, and the edge's name.
    first = [-1] * count
    edge_of: list[str] = [""] * count
    e = 0
    for k in range(count):
        ne = nodes[k * n_len + i_edges]
        for _ in range(ne):
            to = edges[e + j_to] // n_len
            et = edge_types[edges[e + j_type]]
            if et != "weak" and first[to] < 0:
                first[to] = k
                nm = edges[e + j_name]
                edge_of[to] = strings[nm] if et in ("context", "property", "internal", "shortcut") else "[]"
            e += e_len
    held: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for to in range(count):
        if kind[to] in wanted:
            held[kind[to]][owner(to, first, edge_of, kind)] += nodes[to * n_len + i_size]
    out = []
    for w, (size, n) in rows:
        hs = sorted(held[w].items(), key=lambda kv: -kv[1])[:holders]
        out.append({"what": w, "bytes": size, "count": n, "held_by": [[r, edge, b] for (r, edge), b in hs]})
    return {"total": total, "rows": out}


TYPED = ("Float64Array", "Float32Array", "Int32Array", "Uint32Array", "Uint8Array", "Uint8ClampedArray", "Int8Array",
         "Int16Array", "Uint16Array", "BigInt64Array", "DataView")


def buffers(snap: dict[str, Any]) -> list[list[Any]]:
    """Typed arrays' data (ArrayBuffer backing stores) by who holds them: a buffer is "store"
    when a ScalarSeries (or the store's shared columns) holds a view of it, else named by the
    property names that hold its views (e.g. "smoothed", "x", "[]": an array element) and the
    holders' constructor. Returns [[owner, bytes, buffers], ...], biggest first."""
    meta = snap["snapshot"]["meta"]
    nf, ef = meta["node_fields"], meta["edge_fields"]
    node_types, edge_types = meta["node_types"][0], meta["edge_types"][0]
    strings, nodes, edges = snap["strings"], snap["nodes"], snap["edges"]
    n_len, e_len = len(nf), len(ef)
    i_type, i_name, i_size, i_edges = nf.index("type"), nf.index("name"), nf.index("self_size"), nf.index("edge_count")
    j_type, j_name, j_to = ef.index("type"), ef.index("name_or_index"), ef.index("to_node")
    count = len(nodes) // n_len
    name = [strings[nodes[k * n_len + i_name]] for k in range(count)]
    ntype = [node_types[nodes[k * n_len + i_type]] for k in range(count)]
    retainers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    e = 0
    for k in range(count):
        for _ in range(nodes[k * n_len + i_edges]):
            to = edges[e + j_to] // n_len
            et = edge_types[edges[e + j_type]]
            if et != "weak" and (name[to] in TYPED or name[to] == "ArrayBuffer" or name[to] == "system / JSArrayBufferData"):
                nm = edges[e + j_name]
                retainers[to].append((k, strings[nm] if et in ("context", "property", "internal", "shortcut") else "[]"))
            e += e_len
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for k in range(count):
        if name[k] != "system / JSArrayBufferData" or ntype[k] != "native":
            continue
        views: list[int] = []
        for ab, _ in retainers.get(k, []):
            for v, edge in retainers.get(ab, []):
                if name[v] in TYPED and edge == "buffer":
                    views.append(v)
        labels: dict[str, int] = defaultdict(int)
        store = False
        for v in views:
            for holder, edge in retainers.get(v, []):
                hn = name[holder]
                if hn == "ScalarSeries" or edge in ("ov", "wallTime", "value"):
                    store = True
                hn = re.sub(r" @\d+$", "", hn)
                labels[f"{hn}.{edge}"] += 1
        if store:
            label = "store (a ScalarSeries holds a view)"
        elif labels:
            label = max(labels.items(), key=lambda kv: kv[1])[0]
        else:
            label = "(no typed array: " + "/".join(sorted({name[ab] for ab, _ in retainers.get(k, [])})) + ")"
        row = out[label]
        row[0] += nodes[k * n_len + i_size]
        row[1] += 1
    return sorted(([w, b, n] for w, (b, n) in out.items()), key=lambda r: -r[1])


# Wrappers climbed through to name what holds a node (a typed array's data: its ArrayBuffer, the
# typed array, the JS array holding it).
WRAPPERS = ("native: system / JSArrayBufferData", "object: ArrayBuffer", "array: (object elements)", "object: Array",
            "array: (object properties)", "object: system / Context", "array")


def owner(k: int, first: list[int], edge_of: list[str], kind: list[str], hops: int = 3) -> tuple[str, str]:
    """What holds node ``k``: up to ``hops`` named steps up its first-retainer chain (skipping
    wrappers, typed arrays after the first), as ("holder", "edge <- edge ...")."""
    path: list[str] = []
    holder = ""
    node = k
    for _ in range(12):
        parent = first[node]
        if parent < 0:
            break
        edge = edge_of[node]
        pk = kind[parent]
        if edge != "[]" and edge not in ("backing_store", "buffer", "elements", "properties", "context"):
            path.append(edge)
            holder = pk
            if len(path) >= hops:
                break
        elif not any(pk.startswith(w) for w in WRAPPERS) and not pk.endswith("Array") and not pk.startswith("object: system / Context"):
            holder = pk
            path.append(edge)
            if len(path) >= hops:
                break
        node = parent
    return holder, ".".join(reversed(path))


def breakdown(page: Any, top: int = 20, save: str | None = None) -> dict[str, Any]:
    """``summarise`` and ``buffers`` of ``snapshot(page)`` (``buffers`` under the key
    "buffers"); ``save``: also write the snapshot there (a .heapsnapshot DevTools opens)."""
    snap = snapshot(page)
    if save:
        with open(save, "w") as f:
            json.dump(snap, f)
    out = summarise(snap, top)
    out["buffers"] = buffers(snap)
    return out


def format_breakdown(s: dict[str, Any], title: str) -> str:
    """A Markdown table of ``summarise``'s result."""
    lines = [f"{title}: heap snapshot {s['total'] / MiB:.0f} MiB (self sizes; typed arrays' data included)\n",
             "| what | MiB | objects | held mostly by (retainer, edge: MiB) |", "| --- | ---: | ---: | --- |"]
    for r in s["rows"]:
        hs = "; ".join(f"{h[0]} .{h[1]}: {h[2] / MiB:.1f}" for h in r["held_by"][:3])
        lines.append(f"| {r['what']} | {r['bytes'] / MiB:.1f} | {r['count']:,} | {hs} |")
    if s.get("buffers"):
        lines += ["", "Typed arrays' data by holder:\n", "| held by | MiB | buffers |", "| --- | ---: | ---: |"]
        lines += [f"| {w} | {b / MiB:.1f} | {n:,} |" for w, b, n in s["buffers"][:15]]
    return "\n".join(lines)
