"""Pure encoding of dashboard batches (docs/protocol.md, version 1): items → JSON + buffers.

Numeric arrays travel as little-endian binary buffers (anywidget sends ``bytes`` values as
binary frames); the JSON part names each buffer by its index (``*_buf`` fields).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

__all__ = ["PROTOCOL_VERSION", "Batch", "BatchBuilder", "mime_of"]

PROTOCOL_VERSION = 1

# What one browser card can take; beyond these the kernel sends less and says so (``note``).
MAX_BUCKETS = 1024  # histogram buckets per step (adjacent buckets are merged)
MAX_IMAGE_PIXELS = 4096 * 4096  # larger images are not sent
MAX_IMAGE_BYTES = 32 << 20
MAX_TEXT_CHARS = 100_000  # longer text is cut


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
    """Plain JSON: tuples to lists, non-finite floats to None (JSON has no NaN)."""
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
    """At most ``MAX_BUCKETS`` buckets: merge runs of adjacent buckets (counts add up, each
    merged bucket keeps the right edge of its last member). Totals are unchanged."""
    k = len(h.bucket_limits)
    if k <= MAX_BUCKETS:
        return h
    group = -(-k // MAX_BUCKETS)
    counts = np.asarray(h.bucket_counts, dtype=np.float64)
    pad = (-k) % group
    merged = np.concatenate((counts, np.zeros(pad))).reshape(-1, group).sum(axis=1)
    limits = np.asarray(h.bucket_limits, dtype=np.float64)[group - 1 :: group]
    if len(limits) < len(merged):
        limits = np.append(limits, h.bucket_limits[-1])
    return _Histogram(h.step, h.wall_time, limits, merged, h.min, h.max, h.num, h.sum, h.sum_squares)


@dataclass
class Batch:
    """One message: ``content`` (JSON-able dict) plus its binary ``buffers``."""

    content: dict[str, Any]
    buffers: list[bytes]
    events: int  # data events carried (scalar points + histogram steps + images + texts)


@dataclass
class BatchBuilder:
    """Collects items for one batch; ``build`` freezes them into a ``Batch``."""

    items: list[dict[str, Any]] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=list)
    events: int = 0

    def _buf(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def add_scalars(self, run: str, tag: str, step: Any, wall_time: Any, value: Any, *, replace: bool = False) -> None:
        n = len(step)
        if n == 0 and not replace:
            return
        self.items.append(
            {
                "kind": "scalars", "run": run, "tag": tag, "replace": replace, "n": n,
                "step_buf": self._buf(_f64(step)),
                "wall_time_buf": self._buf(_f64(wall_time)),
                "value_buf": self._buf(_f64(value)),
            }
        )
        self.events += n

    def add_histograms(self, run: str, tag: str, items: Sequence[Any], *, replace: bool = False) -> None:
        """``items`` have .step .wall_time .bucket_limits .bucket_counts .min .max .num .sum .sum_squares."""
        n = len(items)
        if n == 0 and not replace:
            return
        items = [_rebucket(h) for h in items]
        sizes = [len(h.bucket_limits) for h in items]
        offsets = np.zeros(n + 1, dtype="<i4")
        np.cumsum(sizes, out=offsets[1:])
        limits = np.concatenate([np.asarray(h.bucket_limits, dtype="<f8") for h in items]) if n else np.zeros(0)
        counts = np.concatenate([np.asarray(h.bucket_counts, dtype="<f8") for h in items]) if n else np.zeros(0)
        stats = np.array([(h.min, h.max, h.num, h.sum, h.sum_squares) for h in items], dtype="<f8").reshape(-1)
        self.items.append(
            {
                "kind": "histograms", "run": run, "tag": tag, "replace": replace, "n": n,
                "step_buf": self._buf(_f64([h.step for h in items])),
                "wall_time_buf": self._buf(_f64([h.wall_time for h in items])),
                "offsets_buf": self._buf(offsets.tobytes()),
                "limits_buf": self._buf(_f64(limits)),
                "counts_buf": self._buf(_f64(counts)),
                "stats_buf": self._buf(stats.tobytes()),
            }
        )
        self.events += n

    def add_images(self, run: str, tag: str, items: Iterable[Any], *, replace: bool = False) -> None:
        """``items`` have .step .wall_time .index .width .height .encoded."""
        entries = []
        for im in items:
            entry = {
                "step": int(im.step), "wall_time": float(im.wall_time), "index": int(im.index),
                "width": int(im.width), "height": int(im.height), "mime": mime_of(im.encoded),
            }
            if int(im.width) * int(im.height) > MAX_IMAGE_PIXELS or len(im.encoded) > MAX_IMAGE_BYTES:
                entry["note"] = (
                    f"image not shown: {int(im.width)}x{int(im.height)} pixels, {len(im.encoded):,} bytes "
                    f"(the dashboard shows up to {MAX_IMAGE_PIXELS:,} pixels and {MAX_IMAGE_BYTES >> 20} MiB)"
                )
            else:
                entry["data_buf"] = self._buf(bytes(im.encoded))
            entries.append(entry)
        if entries or replace:
            self.items.append({"kind": "images", "run": run, "tag": tag, "replace": replace, "items": entries})
            self.events += len(entries)

    def add_texts(self, run: str, tag: str, items: Iterable[Any], *, replace: bool = False) -> None:
        """``items`` have .step .wall_time .text (untrusted: the browser sanitises it)."""
        entries = []
        for t in items:
            text = str(t.text)
            entry = {"step": int(t.step), "wall_time": float(t.wall_time), "text": text[:MAX_TEXT_CHARS]}
            if len(text) > MAX_TEXT_CHARS:
                entry["note"] = f"text cut to its first {MAX_TEXT_CHARS:,} of {len(text):,} characters"
            entries.append(entry)
        if entries or replace:
            self.items.append({"kind": "text", "run": run, "tag": tag, "replace": replace, "items": entries})
            self.events += len(entries)

    def add_pr_curves(self, run: str, tag: str, items: Sequence[Any], *, replace: bool = False) -> None:
        """``items`` have .step .wall_time .tp .fp .tn .fn .precision .recall (one array each)."""
        n = len(items)
        if n == 0 and not replace:
            return
        offsets = np.zeros(n + 1, dtype="<i4")
        np.cumsum([len(p.tp) for p in items], out=offsets[1:])
        data = (
            np.concatenate([np.stack([p.tp, p.fp, p.tn, p.fn, p.precision, p.recall]).reshape(-1) for p in items])
            if n else np.zeros(0)
        )
        self.items.append(
            {
                "kind": "pr_curves", "run": run, "tag": tag, "replace": replace, "n": n,
                "step_buf": self._buf(_f64([p.step for p in items])),
                "wall_time_buf": self._buf(_f64([p.wall_time for p in items])),
                "offsets_buf": self._buf(offsets.tobytes()),
                "data_buf": self._buf(_f64(data)),
            }
        )
        self.events += n

    def add_audio(self, run: str, tag: str, items: Iterable[Any], *, replace: bool = False) -> None:
        """``items`` have .step .wall_time .index .sample_rate .num_channels .length_frames
        .content_type .label .encoded."""
        entries = [
            {
                "step": int(a.step), "wall_time": float(a.wall_time), "index": int(a.index),
                "sample_rate": float(a.sample_rate), "num_channels": int(a.num_channels),
                "length_frames": int(a.length_frames), "mime": a.content_type or "audio/wav",
                "label": str(a.label), "data_buf": self._buf(bytes(a.encoded)),
            }
            for a in items
        ]
        if entries or replace:
            self.items.append({"kind": "audio", "run": run, "tag": tag, "replace": replace, "items": entries})
            self.events += len(entries)

    def add_hparams(self, run: str, tag: str, items: Iterable[Any], *, replace: bool = False) -> None:
        """``items`` have .step .wall_time .kind .data (plain JSON-able dicts)."""
        entries = [
            {"step": int(h.step), "wall_time": float(h.wall_time), "record": h.kind, "data": _jsonable(h.data)}
            for h in items
        ]
        if entries or replace:
            self.items.append({"kind": "hparams", "run": run, "tag": tag, "replace": replace, "items": entries})
            self.events += len(entries)

    def add_custom_scalars(self, run: str, tag: str, items: Iterable[Any], *, replace: bool = False) -> None:
        """``items`` have .step .wall_time .categories."""
        entries = [
            {"step": int(c.step), "wall_time": float(c.wall_time), "categories": _jsonable(c.categories)}
            for c in items
        ]
        if entries or replace:
            self.items.append({"kind": "custom_scalars", "run": run, "tag": tag, "replace": replace, "items": entries})
            self.events += len(entries)

    def build(self, *, seq: int, reset: bool, runs: Sequence[str]) -> Batch:
        content = {
            "type": "batch", "protocol": PROTOCOL_VERSION, "seq": seq, "reset": reset,
            "runs": list(runs), "items": self.items,
        }
        return Batch(content, self.buffers, self.events)
