"""One run: its event files, how far each has been read, and the data read so far."""
from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from .. import metadata as md
from ..records import Pending, pread, probe_pending
from .decode import UndecodableError, decode_event
from .fast_scalars import fast_scalars
from .items import KINDS, ScalarSeries
from .spans import scan_spans
from .store import ItemStore, ScalarStore, _readonly

if TYPE_CHECKING:
    from ..storage import Storage

__all__ = ["RunReader", "is_event_file"]

_DIGITS = re.compile(r"(\d+)")
CHUNK = 4 << 20  # bytes read at a time: bounds the reader's temporary memory


def is_event_file(name: str) -> bool:
    """TensorBoard's rule: a file whose name contains "tfevents"."""
    return "tfevents" in name


def file_order(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for the event files of one run: the order they were created in. Numbers in the
    name compare as numbers, so torch's unpadded counter puts ``...pid.9`` before ``...pid.10``."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(name) if part)


class RunReader:
    """Reads the event files of one run directory incrementally.

    After each ``refresh()`` (until ``take_changes()``): ``delta`` maps (kind, tag) to the data that refresh added and kept
    (a ``ScalarSeries`` for scalars, a list of items otherwise, in record order) and ``truncated``
    maps (kind, tag) to the step from which a purge dropped data delivered by earlier refreshes.
    With ``retain`` the data also accumulates in ``scalars``/``items``; without it only the tags
    and, per series, the largest step delivered (to detect purges) are kept.
    """

    def __init__(self, name: str, directory: str, *, chunk_size: int = CHUNK, retain: bool = True, storage: Storage | None = None):
        self.name = name
        self.directory = directory
        # a remote logdir's storage (None: local files, read through file descriptors)
        self.storage = storage if storage is not None and storage.remote else None
        self.sizes: dict[str, int] = {}  # remote: file name -> size when last listed
        self.prefetched: dict[str, tuple[int, bytes]] = {}  # remote: name -> (offset, bytes) fetched for the next refresh
        self.chunk_size = int(chunk_size)
        self.retain = bool(retain)
        self.offsets: dict[str, int] = {}  # file name -> bytes consumed
        self.skipped_bytes = 0
        self.skipped_records = 0
        self.plugins: dict[str, str] = {}
        self.scalars: dict[str, ScalarStore] = {}
        self.items: dict[str, dict[str, ItemStore]] = {k: {} for k in KINDS if k != md.scalar.KIND}
        self.known: dict[str, dict[str, int | None]] = {k: {} for k in KINDS}  # kind -> tag -> max step held
        self.delta: dict[tuple[str, str], Any] = {}
        self.truncated: dict[tuple[str, str], int] = {}
        self._pending: dict[tuple[str, str], list[Any]] = {}
        self._waiting: dict[str, Pending] = {}  # file name -> the record its reading waits for

    def take_changes(self) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], int]]:
        """The last refresh's ``delta`` and ``truncated``, handed over: the run keeps no reference."""
        delta, truncated = self.delta, self.truncated
        self.delta, self.truncated = {}, {}
        return delta, truncated

    # -- reading ------------------------------------------------------------------------------

    def files(self, listed: Iterable[str] | None = None) -> list[str]:
        """The event files to read: those known, then new ones in name order. ``listed`` is the
        directory's event files when the caller has just listed it (discovery does)."""
        if listed is None:
            try:
                listed = [n for n in os.listdir(self.directory) if is_event_file(n)]
            except OSError:
                listed = []
            listed = [n for n in listed if n not in self.offsets and os.path.isfile(os.path.join(self.directory, n))]
        known = list(self.offsets)
        new = sorted((n for n in listed if n not in self.offsets), key=file_order)
        return known + new

    def quiet(self, listed: Iterable[str]) -> bool:
        """True when a refresh would find nothing: every file of ``listed`` (the directory's
        event files) is known and none has grown past what was consumed. One stat per file."""
        offsets = self.offsets
        if any(n not in offsets for n in listed):
            return False
        if self.storage is not None:  # a remote run's listing carries the sizes: no request
            return all(size <= offsets[n] for n, size in dict(listed).items())
        for name, offset in offsets.items():
            try:
                if os.stat(self.directory + os.sep + name).st_size > offset:
                    return False
            except OSError:
                continue  # gone: nothing to read from it
        return True

    def unread_bytes(self) -> int | None:
        """Bytes of this local run's event files not consumed yet (one stat per file); None for
        a remote run, whose sizes come only from a listing."""
        if self.storage is not None:
            return None
        total = 0
        for name in self.files():
            try:
                size = os.stat(os.path.join(self.directory, name)).st_size
            except OSError:
                continue
            total += max(0, size - self.offsets.get(name, 0))
        return total

    def refresh(self, budget: float = float("inf"), listed: Iterable[str] | None = None) -> tuple[int, int, bool]:
        """Read what was appended to every file (and new files), about ``budget`` bytes at
        most; ``listed`` as for ``files()`` (for a remote run: a dict name -> size, from the
        listing, which is all a remote run learns of its files). Returns (bytes skipped as
        corrupt, bytes consumed, whether bytes remain). If a read fails (a network error), what
        was read before it is still delivered (``take_changes()``) before the error propagates."""
        self.delta = {}
        self.truncated = {}
        self._pending = {}
        if self.storage is not None:
            if not isinstance(listed, dict):
                raise TypeError(f"a remote run needs its listing as a dict name -> size, got {type(listed).__name__}")
            self.sizes = dict(listed)
        skipped = used = 0
        more = False
        try:
            for name in self.files(listed):
                if used >= budget:
                    more = True
                    break
                s, u, m = self._read_file(name, budget - used)
                skipped, used, more = skipped + s, used + u, more or m
        finally:
            self.prefetched = {}
            self.skipped_bytes += skipped
            self._deliver()
        return skipped, used, more

    def _read_file(self, name: str, budget: float) -> tuple[int, int, bool]:
        offset = self.offsets.setdefault(name, 0)
        fd: Any
        if self.storage is not None:
            # An object replaced by a longer upload is continued from ``offset``: ranged reads
            # of the new bytes only. Its size comes from the listing: no request when idle.
            size = self.sizes.get(name, 0)
            if size <= offset:
                return 0, 0, False
            start, data = self.prefetched.pop(name, (offset, b""))
            fd = self.storage.ranged(self.directory + "/" + name, start, data, size)
        else:
            path = self.directory + os.sep + name
            try:
                if os.stat(path).st_size <= offset:
                    return 0, 0, False  # nothing appended: one stat, no open (idle polls of many runs)
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            except OSError:
                return 0, 0, False
        skipped = used = 0
        try:
            if self.storage is None:
                size = os.fstat(fd).st_size
            def chunk() -> int:
                return int(min(self.chunk_size, max(budget - used, 4096)))

            want = chunk()
            while offset < size:
                if used >= budget:
                    return skipped, used, True
                pending = self._waiting.get(name)
                if pending is not None:
                    found = probe_pending(fd, pending, size)
                    if found < 0:
                        break  # still pending: nothing re-read, nothing allocated
                    if found != pending.stop:  # a complete record follows: the length was corrupt
                        skipped += found - offset
                        used += found - offset
                        offset = self.offsets[name] = found
                    del self._waiting[name]
                buf = pread(fd, min(size - offset, want), offset)
                scan = scan_spans(buf)
                if scan.end == 0 and scan.need > size - offset:
                    # A sound header whose record runs past the end of the file: wait for it
                    # (the bytes after it may already show its length corrupt: probe them).
                    self._waiting[name] = Pending.at(offset, scan.need)
                    continue
                if scan.end == 0 and len(buf) < size - offset:
                    # No whole record in this read, but it is complete on disk: read it all.
                    want = max(scan.need, 2 * want, 16)
                    continue
                if len(scan.starts):
                    self._ingest(buf, scan.starts, scan.lengths)
                skipped += scan.skipped
                used += scan.end
                offset += scan.end
                want = chunk()
                self.offsets[name] = offset
                if scan.end == 0:
                    break  # the rest is a record still being written
        finally:
            if self.storage is None:
                os.close(fd)
        return skipped, used, False

    # -- decoding and committing --------------------------------------------------------------

    def _ingest(self, buf: bytes, starts: np.ndarray, lengths: np.ndarray) -> None:
        arr = np.frombuffer(buf, dtype=np.uint8)
        fast = fast_scalars(arr, starts, lengths)
        # Everything the fast path did not take goes through protobuf, in record order.
        slow_scalars: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)
        items: dict[tuple[str, str], list[tuple[int, Any]]] = defaultdict(list)
        purges: list[tuple[int, int]] = []
        for i in np.flatnonzero(~fast.taken).tolist():
            s = int(starts[i])
            try:
                decoded = decode_event(buf[s : s + int(lengths[i])], self.plugins)
            except UndecodableError:
                self.skipped_records += 1  # costs this record alone
                continue
            if decoded.purge is not None:
                purges.append((i, decoded.purge))
            for tag, step, wall, value in decoded.scalars:
                slow_scalars[tag].append((i, step, wall, value))
            for kind, tag, item in decoded.items:
                items[(kind, tag)].append((i, item))
        series = _scalar_columns(fast, slow_scalars)
        bounds = [p[0] for p in purges] + [len(starts)]
        lo = 0
        for k, hi in enumerate(bounds):
            self._commit(series, items, lo, hi)
            if k < len(purges):
                self._purge(purges[k][1])
            lo = hi

    def _commit(self, series: dict[str, tuple[np.ndarray, ...]], items: dict[tuple[str, str], list[tuple[int, Any]]], lo: int, hi: int) -> None:
        """Add the records ``lo``..``hi`` (indices into the chunk) to this refresh's pending data."""
        for tag, (order, step, wall, value) in series.items():
            a, b = np.searchsorted(order, lo), np.searchsorted(order, hi)
            if b > a:
                self._pending.setdefault((md.scalar.KIND, tag), []).append((step[a:b], wall[a:b], value[a:b]))
        for (kind, tag), entries in items.items():
            keys = [e[0] for e in entries]
            a, b = bisect_left(keys, lo), bisect_left(keys, hi)
            if b > a:
                self._pending.setdefault((kind, tag), []).append([e[1] for e in entries[a:b]])

    def _purge(self, step: int) -> None:
        """SessionLog START at ``step``: drop what was logged before with step >= ``step``."""
        for key, chunks in self._pending.items():
            if key[0] == md.scalar.KIND:
                chunks[:] = [(s[s < step], w[s < step], v[s < step]) for s, w, v in chunks]
            else:
                chunks[:] = [[it for it in chunk if it.step < step] for chunk in chunks]
        for kind, by_tag in self.known.items():
            for tag, held in by_tag.items():
                if self.retain:
                    store = self.scalars[tag] if kind == md.scalar.KIND else self.items[kind][tag]
                    cut = store.purge(step)
                else:  # only the largest step is known: an upper bound once a purge cut below it
                    cut = held is not None and held >= step
                    if cut:
                        by_tag[tag] = step - 1
                if cut:
                    key = (kind, tag)
                    self.truncated[key] = min(step, self.truncated.get(key, step))

    def _deliver(self) -> None:
        """Turn this refresh's pending chunks into ``delta`` (and the stores, when retaining).
        Each series' chunks are let go once joined, so a refresh's peak memory is its data plus
        one series joined, not its data twice."""
        pending, self._pending = self._pending, {}
        for kind, tag in list(pending):  # in order: tags keep their order of first appearance
            chunks = pending.pop((kind, tag))
            if kind == md.scalar.KIND:
                cols = [np.concatenate(c) if len(chunks) > 1 else np.asarray(c[0]) for c in zip(*chunks)]
                if not len(cols[0]):
                    continue
                step, wall, value = _readonly(np.asarray(cols[0], np.int64), np.asarray(cols[1], np.float64), np.asarray(cols[2], np.float64))
                data: Any = ScalarSeries(step, wall, value)
                if self.retain:
                    self.scalars.setdefault(tag, ScalarStore()).append(step, wall, value)
                top = int(step.max())
            else:
                data = [it for chunk in chunks for it in chunk]
                if not data:
                    continue
                if self.retain:
                    self.items[kind].setdefault(tag, ItemStore()).extend(data)
                top = max(it.step for it in data)
            held = self.known[kind].get(tag)
            self.known[kind][tag] = top if held is None else max(held, top)
            self.delta[(kind, tag)] = data

    # -- queries ------------------------------------------------------------------------------

    def tags(self) -> dict[str, list[str]]:
        """Kind -> tags, in order of first appearance."""
        return {kind: list(by_tag) for kind, by_tag in self.known.items()}


def _scalar_columns(fast: Any, slow: dict[str, list[tuple[int, int, float, float]]]) -> dict[str, tuple[np.ndarray, ...]]:
    """Per tag (order, step, wall_time, value) arrays in record order, from both paths."""
    out: dict[str, tuple[np.ndarray, ...]] = {}
    for tag, rows in fast.by_tag():
        out[tag] = (rows, fast.step[rows], fast.wall_time[rows], fast.value[rows])
    for tag, points in slow.items():
        order = np.array([p[0] for p in points], dtype=np.int64)
        step = np.array([p[1] for p in points], dtype=np.int64)
        wall = np.array([p[2] for p in points], dtype=np.float64)
        value = np.array([p[3] for p in points], dtype=np.float64)
        if tag in out:
            cols = [np.concatenate((a, b)) for a, b in zip(out[tag], (order, step, wall, value))]
            by = np.argsort(cols[0], kind="stable")
            out[tag] = tuple(c[by] for c in cols)
        else:
            out[tag] = (order, step, wall, value)
    return dict(sorted(out.items(), key=lambda kv: int(kv[1][0][0])))  # tags in order of first use
