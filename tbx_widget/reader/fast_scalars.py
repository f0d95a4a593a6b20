"""The vectorised path for the bulk of every logdir: ``Event{wall_time, step, summary{value{tag,
simple_value}}}`` records, as tensorboardX, torch and tbx_widget write them.

Records of one length are stacked into a byte matrix; a record takes this path only if every
framing byte sits where that layout puts it (field keys, single-byte lengths that add up to the
record's length). Anything else, including metadata, tensor scalars and several values per
event, is left for the protobuf path, so the two paths never disagree. Where the optional
compiled kernel is built, it checks and decodes the same layout in one pass instead.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np

from .spans import gather_rows

from ..accel import native as _native  # None where the optional C kernels were not built

__all__ = ["FastScalars", "fast_scalars"]

_WALL, _STEP, _SUMMARY, _VALUE, _TAG, _SIMPLE = 0x09, 0x10, 0x2A, 0x0A, 0x0A, 0x15


class FastScalars(NamedTuple):
    """Scalar points decoded in bulk. ``taken`` marks the records decoded; ``step``,
    ``wall_time``, ``value`` and ``tag_id`` hold an entry per input span (meaningful where
    taken); ``order`` holds the taken spans' indices grouped by tag, tag ``t``'s in input order
    at ``order[bounds[t]:bounds[t + 1]]`` (``by_tag``)."""

    taken: np.ndarray  # bool, one per input span
    order: np.ndarray  # int64 indices of the taken spans, grouped by tag
    tag_id: np.ndarray  # int64 index into ``tags``
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    tags: list[str]
    bounds: np.ndarray  # int64, len(tags) + 1

    def by_tag(self) -> Iterator[tuple[str, np.ndarray]]:
        """Each tag with points, and the indices of its spans (in input order)."""
        bounds = self.bounds.tolist()
        for t, tag in enumerate(self.tags):
            if bounds[t + 1] > bounds[t]:
                yield tag, self.order[bounds[t] : bounds[t + 1]]


def _grouped(taken: np.ndarray, tag_id: np.ndarray, ntags: int) -> tuple[np.ndarray, np.ndarray]:
    """The indices of the taken records grouped by tag (each tag's in input order), and the
    bounds of each tag's group."""
    if _native is not None and hasattr(_native, "group_rows"):
        perm = np.empty(len(tag_id), dtype=np.int64)
        bounds = np.empty(ntags + 1, dtype=np.int64)
        count = _native.group_rows(np.ascontiguousarray(tag_id, np.int64), np.ascontiguousarray(taken, bool), perm, bounds)
        return perm[:count], bounds
    rows = np.flatnonzero(taken)
    ids = tag_id[rows]
    small = ids.astype(np.int16) if ntags <= np.iinfo(np.int16).max else ids  # radix sort
    perm = rows[np.argsort(small, kind="stable")]
    bounds = np.zeros(ntags + 1, dtype=np.int64)
    np.cumsum(np.bincount(ids, minlength=ntags), out=bounds[1:])
    return perm, bounds


def _varint_len(rows: np.ndarray, col: int) -> np.ndarray:
    """Length in bytes of the varint starting at ``col`` of each row (0 where none ends)."""
    n, width = rows.shape
    out = np.zeros(n, dtype=np.int64)
    open_ = np.ones(n, dtype=bool)
    for k in range(min(10, width - col)):
        ends = open_ & (rows[:, col + k] < 0x80)
        out[ends] = k + 1
        open_ &= ~ends
    return out


def _group(rows: np.ndarray, length: int, o: int, v: int) -> tuple[np.ndarray, ...] | None:
    """Decode the rows whose summary starts at column ``o`` (after a ``v``-byte step varint)."""
    summary_len, value_len, tag_len = length - o - 2, length - o - 4, length - o - 11
    if not (0 <= tag_len and summary_len < 0x80):
        return None
    ok = (
        (rows[:, o] == _SUMMARY)
        & (rows[:, o + 1] == summary_len)
        & (rows[:, o + 2] == _VALUE)
        & (rows[:, o + 3] == value_len)
        & (rows[:, o + 4] == _TAG)
        & (rows[:, o + 5] == tag_len)
        & (rows[:, length - 5] == _SIMPLE)
    )
    sel = np.flatnonzero(ok)
    if len(sel) == 0:
        return None
    r = rows[sel]
    wall = np.ascontiguousarray(r[:, 1:9]).view("<f8")[:, 0]
    step = np.zeros(len(sel), dtype=np.uint64)
    for k in range(v):
        step |= (r[:, 10 + k].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * k)
    value = np.ascontiguousarray(r[:, length - 4 :]).view("<f4")[:, 0].astype(np.float64)
    tag_bytes = np.ascontiguousarray(r[:, o + 6 : length - 5])
    return sel, wall, step.view(np.int64), value, tag_bytes


_HASH_MULT = np.uint64(0x9E3779B97F4A7C15)
_FEW_TAGS = 32


def _row_keys(tag_bytes: np.ndarray) -> np.ndarray:
    """A uint64 key per row: the bytes themselves for tags up to 8 bytes, else a hash."""
    n, width = tag_bytes.shape
    padded = np.zeros((n, -(-width // 8) * 8 or 8), dtype=np.uint8)
    padded[:, :width] = tag_bytes
    words = padded.view("<u8")
    if words.shape[1] == 1:
        return words[:, 0].copy()
    key = np.full(n, width, dtype=np.uint64)
    for j in range(words.shape[1]):
        key = (key ^ words[:, j]) * _HASH_MULT
    return key


def _tag_ids(tag_bytes: np.ndarray, names: dict[bytes, int]) -> np.ndarray:
    """Map each row of tag bytes to an id in ``names`` (extended as new tags appear)."""
    n = len(tag_bytes)
    keys = _row_keys(tag_bytes)
    ids = np.full(n, -1, dtype=np.int64)
    groups: list[tuple[int, np.ndarray]] = []  # (representative row, rows)
    open_rows = np.arange(n)
    while len(open_rows) and len(groups) < _FEW_TAGS:  # few tags: one comparison pass per tag
        rep = int(open_rows[0])
        same = keys[open_rows] == keys[rep]
        groups.append((rep, open_rows[same]))
        open_rows = open_rows[~same]
    if len(open_rows):  # many tags: sort once
        _, firsts, inverse = np.unique(keys[open_rows], return_index=True, return_inverse=True)
        order = np.argsort(inverse.reshape(-1), kind="stable")
        bounds = np.cumsum(np.bincount(inverse.reshape(-1)))[:-1]
        for first, rows in zip(firsts.tolist(), np.split(open_rows[order], bounds)):
            groups.append((int(open_rows[first]), rows))
    for rep, rows in groups:
        raw = tag_bytes[rep]
        exact = (tag_bytes[rows] == raw).all(axis=1)
        if not exact.all():  # a hash collision: settle those rows one by one
            for r in rows[~exact].tolist():
                ids[r] = names.setdefault(tag_bytes[r].tobytes(), len(names))
            rows = rows[exact]
        ids[rows] = names.setdefault(raw.tobytes(), len(names))
    return ids


def fast_scalars(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> FastScalars:
    """Decode the simple-value scalar records among the spans ``arr[starts:starts+lengths]``."""
    if _native is not None and np.little_endian:
        got = _compiled(arr, starts, lengths)
        if got is not None:
            return got
    return _numpy(arr, starts, lengths)


def _compiled(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> FastScalars | None:
    """``fast_scalars`` by the compiled kernel; None when it declines (very many tags)."""
    n = len(starts)
    taken = np.empty(n, dtype=bool)
    step, tag_id = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    wall, value = np.empty(n), np.empty(n)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    spans = _native.scalar_events(arr, starts, lengths, taken, step, wall, value, tag_id)
    if spans is None:
        return None
    tags = [arr[s : s + k].tobytes().decode("utf-8", errors="replace") for s, k in spans]
    order, bounds = _grouped(taken, tag_id, len(tags))
    return FastScalars(taken, order, tag_id, step, wall, value, tags, bounds)


def _numpy(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> FastScalars:
    taken = np.zeros(len(starts), dtype=bool)
    parts: list[tuple[np.ndarray, ...]] = []
    names: dict[bytes, int] = {}
    for length in np.unique(lengths).tolist():
        if length < 16 or length > 200:
            continue
        idx = np.flatnonzero(lengths == length)
        rows = gather_rows(arr, starts[idx], length)
        head = rows[:, 0] == _WALL
        with_step = head & (rows[:, 9] == _STEP)
        no_step = head & (rows[:, 9] == _SUMMARY)
        vlen = np.where(with_step, _varint_len(rows, 10), 0)
        for v in np.unique(vlen[with_step]).tolist() + ([0] if no_step.any() else []):
            mask = (with_step & (vlen == v)) if v else no_step
            if v == 0 and not no_step.any():
                continue
            sub = np.flatnonzero(mask)
            got = _group(rows[sub], length, 10 + v if v else 9, v)
            if got is None:
                continue
            sel, wall, step, value, tag_bytes = got
            records = idx[sub[sel]]
            taken[records] = True
            parts.append((records, _tag_ids(tag_bytes, names), step, wall, value))
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        n = len(starts)
        return FastScalars(taken, z, np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n), np.zeros(n), [], np.zeros(1, np.int64))
    # Scatter by record index; group the taken records by tag.
    n = len(starts)
    columns = []
    for j, dtype in enumerate((np.int64, np.int64, np.float64, np.float64)):
        full = np.zeros(n, dtype=dtype)
        for part in parts:
            full[part[0]] = part[j + 1]
        columns.append(full)
    tags = [b.decode("utf-8", errors="replace") for b in names]
    order, bounds = _grouped(taken, columns[0], len(tags))
    return FastScalars(taken, order, *columns, tags, bounds)
