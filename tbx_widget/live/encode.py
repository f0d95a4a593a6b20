"""Pure encoding of dashboard batches (docs/protocol.md, version 1): items → JSON + buffers.

Numeric arrays travel as little-endian binary buffers (anywidget sends ``bytes`` values as
binary frames); the JSON part names each buffer by its index (``*_buf`` fields).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import metadata as md
from ..summary.histogram import merge_buckets

__all__ = ["PROTOCOL_VERSION", "ENCODED_KINDS", "Batch", "BatchBuilder", "mime_of"]

PROTOCOL_VERSION = 1

# What one browser card can take; beyond these the kernel sends less and says so (``note``).
MAX_BUCKETS = 1024  # histogram buckets per step (adjacent buckets are merged)
MAX_IMAGE_PIXELS = 4096 * 4096  # larger images are not sent
MAX_IMAGE_BYTES = 32 << 20
MAX_TEXT_CHARS = 100_000  # longer text is cut
MAX_GRAPH_NODES = 50_000  # a larger graph sends its first nodes and says so
MAX_CURVE_POINTS = 20_000  # points per curve step (every m-th beyond)
MAX_SURFACE_SIDE = 256  # grid cells per side of a surface step (every m-th row/column beyond)
MAX_MESH_VERTICES = 100_000  # vertices per mesh step (beyond: every m-th, as points)
MAX_EMBEDDING_VALUES = 2_000_000  # points x dimensions per embedding (beyond: every m-th point)

# Estimated JSON bytes of an item (beyond its run and tag) and of one entry of a list item:
# batches are cut by size, and the JSON of many small items counts as much as their buffers.
ITEM_JSON_BYTES = 128
ENTRY_JSON_BYTES = 128


def mime_of(encoded: bytes) -> str:
    """Image MIME type from its magic bytes (PNG, JPEG, GIF; PNG when unknown)."""
    if encoded[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if encoded[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return "image/png"


def _f64(values: Any) -> bytes:
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def _jsonable(value: Any) -> Any:
    """Plain JSON: tuples to lists, numpy scalars to Python ones, non-finite floats to None
    (JSON has no NaN)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class _Histogram:
    step: int
    wall_time: float
    bucket_limits: Any
    bucket_counts: Any
    min: float
    max: float
    num: float
    sum: float
    sum_squares: float


def _rebucket(h: Any) -> Any:
    """At most ``MAX_BUCKETS`` buckets: runs of adjacent buckets merged (counts add up, each
    merged bucket keeps the right edge of its last member). Totals are unchanged."""
    k = len(h.bucket_limits)
    if k <= MAX_BUCKETS:
        return h
    right = np.asarray(h.bucket_limits, dtype=np.float64)
    # merge_buckets takes every edge: the first left edge (irrelevant here) then the right ones.
    merged, edges = merge_buckets(np.asarray(h.bucket_counts, dtype=np.float64), np.concatenate((right[:1], right)), MAX_BUCKETS)
    return _Histogram(h.step, h.wall_time, edges[1:], merged, h.min, h.max, h.num, h.sum, h.sum_squares)


@dataclass
class Batch:
    """One message: ``content`` (JSON-able dict) plus its binary ``buffers``."""

    content: dict[str, Any]
    buffers: list[bytes]
    events: int  # data events carried (scalar points + histogram steps + images + texts)


def _finite(value: Any) -> float | None:
    """A float for JSON: non-finite values become None (JSON has no NaN or Infinity)."""
    x = float(value)
    return x if math.isfinite(x) else None


def _json_size(entries: Any) -> int:
    """Bytes of ``entries`` as strict JSON; raises ValueError if they are not JSON-able."""
    return len(json.dumps(entries, allow_nan=False, ensure_ascii=False))


@dataclass
class BatchBuilder:
    """Collects items for one batch; ``build`` freezes them into a ``Batch``.

    ``nbytes`` is the batch's size so far (buffers plus an estimate of its JSON), kept as items
    are added so that checking it costs nothing. Each ``add_*`` either adds its whole item or,
    when it raises, leaves the builder as it was; ``add`` drops only the items that fail.
    """

    items: list[dict[str, Any]] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=list)
    events: int = 0
    nbytes: int = 0

    def _buf(self, data: bytes) -> int:
        self.buffers.append(data)
        self.nbytes += len(data)
        return len(self.buffers) - 1

    def _item(self, item: dict[str, Any], events: int, json_bytes: int = 0) -> None:
        self.items.append(item)
        self.events += events
        self.nbytes += ITEM_JSON_BYTES + len(item["run"]) + len(item["tag"]) + json_bytes

    def _buffered_item(self, kind: str, run: str, tag: str, entries: list[dict[str, Any]], bufs: list[bytes]) -> None:
        """An item whose every entry has one data buffer (``data_buf``); none when ``entries`` is empty."""
        if not entries:
            return
        for entry, b in zip(entries, bufs):
            entry["data_buf"] = self._buf(b)
        self._item({"kind": kind, "run": run, "tag": tag, "items": entries}, len(entries), _json_size(entries))

    def __bool__(self) -> bool:
        return bool(self.items)

    def _adder(self, kind: str) -> Callable[[str, str, Any], None]:
        try:
            name = _ADDERS[kind]
        except KeyError:
            raise ValueError(f"kind must be one of {list(_ADDERS)}, got {kind!r}") from None
        return getattr(self, name)

    def add(self, kind: str, run: str, tag: str, data: Any) -> int:
        """Add one series' new data of ``kind`` (a ``ScalarSeries`` for scalars, a list of items
        otherwise). Items that cannot be encoded (a histogram whose limits and counts differ in
        length, a value of the wrong type, ...) are dropped and the rest is added; returns how
        many were dropped."""
        adder = self._adder(kind)
        mark = self._mark()
        try:
            adder(run, tag, data)
            return 0
        except Exception:
            self._rollback(mark)
        if kind == md.scalar.KIND:
            return len(data.step)  # three numeric columns: nothing to salvage item by item
        good = []
        for it in data:
            try:
                BatchBuilder()._adder(kind)(run, tag, [it])
            except Exception:
                continue
            good.append(it)
        adder(run, tag, good)
        return len(data) - len(good)

    def _mark(self) -> tuple[int, int, int, int]:
        return len(self.items), len(self.buffers), self.events, self.nbytes

    def _rollback(self, mark: tuple[int, int, int, int]) -> None:
        del self.items[mark[0] :]
        del self.buffers[mark[1] :]
        self.events, self.nbytes = mark[2], mark[3]

    def add_scalars(self, run: str, tag: str, step: Any, wall_time: Any, value: Any, *, overview: bool = False,
                    on_request: bool = False, whole: bool = False) -> None:
        """One scalar item; ``overview``: a decimated overview of the whole series, which the
        browser shows until the full data replaces it (``"overview": true``, no events counted);
        ``on_request`` (with ``overview``): the full data comes when the browser asks for it
        (``"on_request": true``); ``whole``: full data that starts the series over, the answer to
        such a request (``"whole": true``: the browser drops the full points it had)."""
        n = len(step)
        if n == 0:
            return
        if len(wall_time) != n or len(value) != n:
            raise ValueError(f"scalars {run}/{tag}: {n} steps, {len(wall_time)} wall times, {len(value)} values")
        bufs = [_f64(step), _f64(wall_time), _f64(value)]
        item = {
            "kind": md.scalar.KIND, "run": run, "tag": tag, "n": n,
            "step_buf": self._buf(bufs[0]), "wall_time_buf": self._buf(bufs[1]), "value_buf": self._buf(bufs[2]),
        }
        if overview:
            item["overview"] = True
            if on_request:
                item["on_request"] = True
        elif whole:
            item["whole"] = True
        self._item(item, 0 if overview else n)

    def _add_scalar_series(self, run: str, tag: str, series: Any) -> None:
        self.add_scalars(run, tag, series.step, series.wall_time, series.value)

    def add_histograms(self, run: str, tag: str, items: Sequence[Any]) -> None:
        """``items`` have .step .wall_time .bucket_limits .bucket_counts .min .max .num .sum .sum_squares."""
        n = len(items)
        if n == 0:
            return
        for h in items:
            if len(h.bucket_limits) != len(h.bucket_counts):
                raise ValueError(
                    f"histogram {run}/{tag} step {h.step}: {len(h.bucket_limits)} bucket limits but "
                    f"{len(h.bucket_counts)} counts"
                )
        items = [_rebucket(h) for h in items]
        offsets = np.zeros(n + 1, dtype="<i4")
        np.cumsum([len(h.bucket_limits) for h in items], out=offsets[1:])
        limits = np.concatenate([np.asarray(h.bucket_limits, dtype="<f8") for h in items])
        counts = np.concatenate([np.asarray(h.bucket_counts, dtype="<f8") for h in items])
        stats = np.array([(h.min, h.max, h.num, h.sum, h.sum_squares) for h in items], dtype="<f8").reshape(-1)
        bufs = [_f64([h.step for h in items]), _f64([h.wall_time for h in items]), offsets.tobytes(), _f64(limits), _f64(counts), stats.tobytes()]
        names = ("step_buf", "wall_time_buf", "offsets_buf", "limits_buf", "counts_buf", "stats_buf")
        item = {"kind": md.histogram.KIND, "run": run, "tag": tag, "n": n}
        item.update({name: self._buf(b) for name, b in zip(names, bufs)})
        self._item(item, n)

    def add_images(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .index .width .height .encoded."""
        entries, data = [], []
        for im in items:
            width, height, encoded = int(im.width), int(im.height), bytes(im.encoded)
            entry: dict[str, Any] = {
                "step": int(im.step), "wall_time": _finite(im.wall_time), "index": int(im.index),
                "width": width, "height": height, "mime": mime_of(encoded),
            }
            if width * height > MAX_IMAGE_PIXELS or len(encoded) > MAX_IMAGE_BYTES:
                entry["note"] = (
                    f"image not shown: {width}x{height} pixels, {len(encoded):,} bytes "
                    f"(the dashboard shows up to {MAX_IMAGE_PIXELS:,} pixels and {MAX_IMAGE_BYTES >> 20} MiB)"
                )
                data.append(None)
            else:
                data.append(encoded)
            entries.append(entry)
        if entries:
            for entry, encoded in zip(entries, data):
                if encoded is not None:
                    entry["data_buf"] = self._buf(encoded)
            self._item({"kind": md.image.KIND, "run": run, "tag": tag, "items": entries}, len(entries), ENTRY_JSON_BYTES * len(entries))

    def add_texts(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .text (untrusted: the browser sanitises it)."""
        entries = []
        size = 0
        for t in items:
            text = str(t.text)
            entry = {"step": int(t.step), "wall_time": _finite(t.wall_time), "text": text[:MAX_TEXT_CHARS]}
            if len(text) > MAX_TEXT_CHARS:
                entry["note"] = f"text cut to its first {MAX_TEXT_CHARS:,} of {len(text):,} characters"
            entries.append(entry)
            size += ENTRY_JSON_BYTES + len(entry["text"])
        if entries:
            self._item({"kind": md.text.KIND, "run": run, "tag": tag, "items": entries}, len(entries), size)

    def add_pr_curves(self, run: str, tag: str, items: Sequence[Any]) -> None:
        """``items`` have .step .wall_time .tp .fp .tn .fn .precision .recall (one array each)."""
        n = len(items)
        if n == 0:
            return
        offsets = np.zeros(n + 1, dtype="<i4")
        np.cumsum([len(p.tp) for p in items], out=offsets[1:])
        data = np.concatenate([np.stack([p.tp, p.fp, p.tn, p.fn, p.precision, p.recall]).reshape(-1) for p in items])
        bufs = [_f64([p.step for p in items]), _f64([p.wall_time for p in items]), offsets.tobytes(), _f64(data)]
        names = ("step_buf", "wall_time_buf", "offsets_buf", "data_buf")
        item = {"kind": md.pr_curve.KIND, "run": run, "tag": tag, "n": n}
        item.update({name: self._buf(b) for name, b in zip(names, bufs)})
        self._item(item, n)

    def add_audio(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .index .sample_rate .num_channels .length_frames
        .content_type .label .encoded."""
        entries = [
            (
                {
                    "step": int(a.step), "wall_time": _finite(a.wall_time), "index": int(a.index),
                    "sample_rate": _finite(a.sample_rate), "num_channels": int(a.num_channels),
                    "length_frames": int(a.length_frames), "mime": str(a.content_type or md.audio.ENCODING),
                    "label": str(a.label),
                },
                bytes(a.encoded),
            )
            for a in items
        ]
        if entries:
            for entry, encoded in entries:
                entry["data_buf"] = self._buf(encoded)
            out = [entry for entry, _ in entries]
            self._item({"kind": md.audio.KIND, "run": run, "tag": tag, "items": out}, len(out), ENTRY_JSON_BYTES * len(out))

    def add_hparams(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .kind .data (``reader.decode.hparams_data``'s record and
        data); each is sent as the protocol defines it (``metadata.hparams.wire_record``)."""
        entries = [
            {"step": int(h.step), "wall_time": _finite(h.wall_time), **md.hparams.wire_record(h.kind, h.data)}
            for h in items
        ]
        if entries:
            self._item({"kind": md.hparams.KIND, "run": run, "tag": tag, "items": entries}, len(entries), _json_size(entries))

    def add_custom_scalars(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .categories."""
        entries = [
            {"step": int(c.step), "wall_time": _finite(c.wall_time), "categories": _jsonable(c.categories)}
            for c in items
        ]
        if entries:
            self._item({"kind": md.custom_scalar.KIND, "run": run, "tag": tag, "items": entries}, len(entries), _json_size(entries))

    def add_graphs(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .source .nodes (each .name .op .inputs .device .shape .attr)."""
        entries = []
        for g in items:
            nodes = [
                {"name": str(n.name), "op": str(n.op), "inputs": [str(i) for i in n.inputs], "device": str(n.device),
                 "shape": None if n.shape is None else [int(d) for d in n.shape], "attr": str(n.attr)}
                for n in g.nodes[:MAX_GRAPH_NODES]
            ]
            entry = {"step": int(g.step), "wall_time": _finite(g.wall_time), "source": str(g.source), "nodes": nodes}
            if len(g.nodes) > MAX_GRAPH_NODES:
                entry["note"] = f"graph cut to its first {MAX_GRAPH_NODES:,} of {len(g.nodes):,} nodes"
            entries.append(entry)
        if entries:
            self._item({"kind": md.graph.KIND, "run": run, "tag": tag, "items": entries}, len(entries), _json_size(entries))

    def add_curves(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .x (n,) .y (k, n) .names; a curve of more than
        ``MAX_CURVE_POINTS`` points sends every m-th point and says so."""
        entries, bufs = [], []
        for c in items:
            x = np.asarray(c.x, dtype=np.float64)
            y = np.asarray(c.y, dtype=np.float64).reshape(-1, len(x))
            if len(c.names) != y.shape[0]:
                raise ValueError(f"curve has {y.shape[0]} series and {len(c.names)} names")
            n = len(x)
            stride = -(-n // MAX_CURVE_POINTS) if n > MAX_CURVE_POINTS else 1
            data = np.vstack([x[None, :], y])[:, ::stride]
            entry = {"step": int(c.step), "wall_time": _finite(c.wall_time), "names": [str(s) for s in c.names],
                     "points": int(data.shape[1])}
            if stride > 1:
                entry["note"] = f"every {stride}th of {n:,} points shown"
            entries.append(entry)
            bufs.append(_f64(data))
        self._buffered_item(md.curve.KIND, run, tag, entries, bufs)

    def add_surfaces(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .x (nx,) .y (ny,) .z (ny, nx); a grid beyond
        ``MAX_SURFACE_SIDE`` cells a side sends every m-th row/column and says so."""
        entries, bufs = [], []
        for sf in items:
            x = np.asarray(sf.x, dtype=np.float64)
            y = np.asarray(sf.y, dtype=np.float64)
            z = np.asarray(sf.z, dtype=np.float64).reshape(len(y), len(x))
            sx = -(-len(x) // MAX_SURFACE_SIDE) if len(x) > MAX_SURFACE_SIDE else 1
            sy = -(-len(y) // MAX_SURFACE_SIDE) if len(y) > MAX_SURFACE_SIDE else 1
            x, y, z = x[::sx], y[::sy], z[::sy, ::sx]
            entry = {"step": int(sf.step), "wall_time": _finite(sf.wall_time), "nx": len(x), "ny": len(y)}
            if sx > 1 or sy > 1:
                entry["note"] = f"grid thinned to {len(y)} x {len(x)} of {len(sf.y)} x {len(sf.x)}"
            entries.append(entry)
            bufs.append(_f64(np.concatenate([x, y, z.reshape(-1)])))
        self._buffered_item(md.surface.KIND, run, tag, entries, bufs)

    def add_meshes(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` have .step .wall_time .vertices (B, N, 3) .faces .colors (or None): the first
        of the B sends; beyond ``MAX_MESH_VERTICES`` every m-th vertex as points, without faces."""
        entries, bufs = [], []
        for m in items:
            v = np.asarray(m.vertices, dtype=np.float64)
            v = v.reshape(-1, v.shape[-2], 3)
            c = None if m.colors is None else np.asarray(m.colors, dtype=np.float64).reshape(v.shape[0], -1, 3)[0]
            f = None if m.faces is None else np.asarray(m.faces, dtype=np.float64).reshape(v.shape[0], -1, 3)[0]
            notes = [f"the first of {v.shape[0]} meshes shown"] if v.shape[0] > 1 else []
            v = v[0]
            if len(v) > MAX_MESH_VERTICES:
                stride = -(-len(v) // MAX_MESH_VERTICES)
                notes.append(f"every {stride}th of {len(v):,} vertices shown as points")
                v, c, f = v[::stride], None if c is None else c[::stride], None
            if c is not None and c.shape != v.shape:
                raise ValueError(f"mesh colors {c.shape} do not match its vertices {v.shape}")
            entry = {"step": int(m.step), "wall_time": _finite(m.wall_time), "vertices": len(v),
                     "faces": 0 if f is None else len(f), "colors": c is not None}
            if notes:
                entry["note"] = "; ".join(notes)
            entries.append(entry)
            bufs.append(_f64(np.concatenate([v.reshape(-1)] + ([] if c is None else [c.reshape(-1)]) + ([] if f is None else [f.reshape(-1)]))))
        self._buffered_item(md.mesh.KIND, run, tag, entries, bufs)

    def add_embeddings(self, run: str, tag: str, items: Iterable[Any]) -> None:
        """``items`` are ``EmbeddingItem``s (.step .tensors (N, D) .header .metadata .sprite
        .sprite_dim); beyond ``MAX_EMBEDDING_VALUES`` values every m-th point is sent (``stride``:
        point j is the logged point j * stride, for its metadata and sprite thumbnail)."""
        entries, bufs = [], []
        for e in items:
            t = np.asarray(e.tensors, dtype=np.float64)
            if t.ndim != 2:
                raise ValueError(f"embedding tensors must be 2-D, got shape {t.shape}")
            n, d = t.shape
            stride = -(-n * d // MAX_EMBEDDING_VALUES) if n * d > MAX_EMBEDDING_VALUES else 1
            rows = [[str(c) for c in r] for r in e.metadata[::stride]]
            entry: dict[str, Any] = {"step": int(e.step), "wall_time": None, "points": len(t[::stride]), "dims": int(d),
                                     "stride": stride, "header": [str(h) for h in e.header], "metadata": rows}
            if rows and len(rows) != entry["points"]:
                raise ValueError(f"embedding has {len(rows)} metadata rows for {entry['points']} points")
            if stride > 1:
                entry["note"] = f"every {stride}th of {n:,} points shown"
            if e.sprite is not None and e.sprite_dim is not None:
                entry["sprite_dim"] = [int(e.sprite_dim[0]), int(e.sprite_dim[1])]
                entry["sprite_mime"] = mime_of(e.sprite)
            entries.append(entry)
            bufs.append((_f64(t[::stride]), e.sprite if "sprite_dim" in entry else None))
        if not entries:
            return
        for entry, (data, sprite) in zip(entries, bufs):
            entry["data_buf"] = self._buf(data)
            if sprite is not None:
                entry["sprite_buf"] = self._buf(bytes(sprite))
        self._item({"kind": md.embedding.KIND, "run": run, "tag": tag, "items": entries}, len(entries), _json_size(entries))

    def build(self, *, seq: int, reset: bool, runs: Sequence[str], overviews_done: bool = False) -> Batch:
        """The batch of what was added. ``overviews_done``: the last batch of overviews of a read
        (docs/protocol.md, "Overviews"): the browser redraws at once, without waiting for a pause."""
        content: dict[str, Any] = {
            "type": "batch", "protocol": PROTOCOL_VERSION, "seq": seq, "reset": reset,
            "runs": list(runs), "items": self.items,
        }
        if overviews_done:
            content["overviews_done"] = True
        return Batch(content, self.buffers, self.events)


_ADDERS = {  # kind (as the reader names it: reader.KINDS) -> BatchBuilder method
    md.scalar.KIND: "_add_scalar_series",
    md.histogram.KIND: "add_histograms",
    md.image.KIND: "add_images",
    md.text.KIND: "add_texts",
    md.pr_curve.KIND: "add_pr_curves",
    md.hparams.KIND: "add_hparams",
    md.audio.KIND: "add_audio",
    md.custom_scalar.KIND: "add_custom_scalars",
    md.graph.KIND: "add_graphs",
    md.curve.KIND: "add_curves",
    md.surface.KIND: "add_surfaces",
    md.mesh.KIND: "add_meshes",
}
ENCODED_KINDS = tuple(_ADDERS)  # the kinds a batch can carry; the follower skips any other
