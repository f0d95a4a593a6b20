"""Follower: what the browser has been sent, and the batches that bring it up to date.

It owns the dashboard's ``Logs`` (the incremental reader) and a cursor per series: the number
of items already sent. ``poll()`` reads what was appended on disk and returns batches with only
the new items; ``snapshot()`` forgets the cursors and returns the full state (``reset``).
Batches are capped in size so a large logdir streams in several messages instead of one huge
one. Kernel memory: the reader's arrays hold the data once; the follower keeps only cursors.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Sequence, TypeVar

from .encode import Batch, BatchBuilder

__all__ = ["Follower"]

MAX_BATCH_BYTES = 4 << 20
SCALAR_CHUNK = MAX_BATCH_BYTES // 24  # points per scalar item: three float64 buffers
KINDS = ("scalars", "histograms", "images", "text")
T = TypeVar("T")


class _Batches:
    """Accumulates items, cutting a new batch whenever the current one is full."""

    def __init__(self, follower: "Follower", runs: Sequence[str], reset: bool):
        self._follower, self._runs, self._reset = follower, list(runs), reset
        self.done: list[Batch] = []
        self.builder = BatchBuilder()
        self._bytes = 0

    def added(self) -> None:
        self._bytes = sum(len(b) for b in self.builder.buffers)
        if self._bytes >= MAX_BATCH_BYTES:
            self.cut()

    def cut(self) -> None:
        first = not self.done
        if self.builder or (self._reset and first):
            self._follower._seq += 1
            self.done.append(
                self.builder.build(seq=self._follower._seq, reset=self._reset and first, runs=self._runs)
            )
        self.builder = BatchBuilder()
        self._bytes = 0


class Follower:
    """Incremental batches of a logdir for one dashboard."""

    def __init__(self, logdir: str):
        self.logdir = logdir
        self._lock = threading.RLock()
        self._sent: dict[tuple[str, str, str], int] = {}
        self._replace: set[tuple[str, str, str]] = set()
        self._seq = 0
        self._logs: Any = None

    @property
    def logs(self):
        """The dashboard's ``Logs`` (created on first use)."""
        if self._logs is None:
            from ..reader import Logs

            self._logs = Logs(self.logdir)  # tolerates a logdir that does not exist yet
        return self._logs

    def status(self) -> str:
        if not os.path.isdir(self.logdir):
            return "no_logdir"
        return "ok" if self.logs.runs else "no_runs"

    def poll(self) -> list[Batch]:
        """Batches with everything appended since the last poll (empty list when nothing)."""
        with self._lock:
            self._refresh()
            return self._collect(reset=False)

    def _refresh(self) -> None:
        changes = self.logs.refresh()
        for run, kind, tag in changes.reset:
            key = (run, kind, tag)
            if self._sent.pop(key, None) is not None:
                self._replace.add(key)  # purged on disk: send that series again, whole

    def with_logs(self, fn: Callable[[Any], T]) -> T:
        """Read what is new, then call ``fn(logs)`` while no poll can run."""
        with self._lock:
            self._refresh()
            return fn(self.logs)

    def snapshot(self) -> list[Batch]:
        """Batches with the full state; the first one tells the browser to drop what it had."""
        with self._lock:
            self._refresh()
            self._sent.clear()
            self._replace.clear()
            return self._collect(reset=True)

    def _collect(self, *, reset: bool) -> list[Batch]:
        logs = self.logs
        runs = list(logs.runs)
        out = _Batches(self, runs, reset)
        for run in runs:
            tags = logs.tags(run)
            for kind in KINDS:
                for tag in tags.get(kind, ()):
                    key = (run, kind, tag)
                    start = self._sent.get(key, 0)
                    replace = key in self._replace
                    self._replace.discard(key)
                    self._sent[key] = start + _add_series(out, logs, kind, run, tag, start, replace)
        out.cut()
        return out.done


def _add_series(out: _Batches, logs: Any, kind: str, run: str, tag: str, start: int, replace: bool) -> int:
    """Add the items of one series from index ``start``; return how many were added."""
    if kind == "scalars":
        series = logs.scalars(run, tag, start=start)
        n = len(series.step)
        if n == 0 and replace:
            out.builder.add_scalars(run, tag, series.step, series.wall_time, series.value, replace=True)
        for lo in range(0, n, SCALAR_CHUNK):
            hi = min(n, lo + SCALAR_CHUNK)
            out.builder.add_scalars(
                run, tag, series.step[lo:hi], series.wall_time[lo:hi], series.value[lo:hi], replace=replace and lo == 0
            )
            out.added()
        return n
    if kind == "histograms":
        items = logs.histograms(run, tag, start=start)
        out.builder.add_histograms(run, tag, items, replace=replace)
    elif kind == "images":
        items = logs.images(run, tag, start=start)
        out.builder.add_images(run, tag, items, replace=replace)
    else:
        items = logs.texts(run, tag, start=start)
        out.builder.add_texts(run, tag, items, replace=replace)
    out.added()
    return len(items)
