"""Follower: what the browser has been sent, and the batches that bring it up to date.

It owns the dashboard's ``Logs`` (the incremental reader) and a cursor per series: the number
of items already sent. ``poll(emit)`` reads what was appended on disk and emits batches with
only the new items; ``snapshot(emit)`` emits the full state, the first batch marked ``reset``.

Memory stays flat however large the logdir: the logdir is read at most ``read_bytes`` at a
time, and once a series' items are sent they are released from the reader (the event files
remain the source of truth: a snapshot re-reads them). What stays in memory per scalar series
is a preview of at most ``PREVIEW_POINTS`` points, for the static HTML fallback.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from ..reader import Logs, ScalarSeries
from .encode import Batch, BatchBuilder

__all__ = ["Follower", "Preview"]

MAX_BATCH_BYTES = 4 << 20
SCALAR_CHUNK = MAX_BATCH_BYTES // 24  # points per scalar item: three float64 buffers
READ_BYTES = 64 << 20  # event-file bytes read per step of a poll or snapshot
PREVIEW_POINTS = 1000
KINDS = ("scalars", "histograms", "images", "text", "pr_curves", "audio", "hparams", "custom_scalars")
T = TypeVar("T")
Emit = Callable[[Batch], None]


class Preview:
    """An evenly thinned copy of a scalar series (every k-th point, k doubling as it grows),
    plus its last point."""

    __slots__ = ("step", "value", "wall", "stride", "phase", "last")

    def __init__(self) -> None:
        self.step = np.zeros(0, np.int64)
        self.value = np.zeros(0)
        self.wall = np.zeros(0)
        self.stride = 1
        self.phase = 0
        self.last: tuple[int, float, float] | None = None

    def add(self, s: ScalarSeries) -> None:
        n = len(s.step)
        if not n:
            return
        take = np.arange((-self.phase) % self.stride, n, self.stride)
        self.phase = (self.phase + n) % self.stride
        self.step = np.concatenate((self.step, s.step[take]))
        self.value = np.concatenate((self.value, s.value[take]))
        self.wall = np.concatenate((self.wall, s.wall_time[take]))
        self.last = (int(s.step[-1]), float(s.wall_time[-1]), float(s.value[-1]))
        while len(self.step) > 2 * PREVIEW_POINTS:
            self.step, self.value, self.wall = self.step[::2], self.value[::2], self.wall[::2]
            self.stride *= 2

    def series(self) -> ScalarSeries:
        step, wall, value = self.step, self.wall, self.value
        if self.last is not None and (not len(step) or step[-1] != self.last[0]):
            step = np.append(step, self.last[0])
            wall = np.append(wall, self.last[1])
            value = np.append(value, self.last[2])
        return ScalarSeries(step, wall, value)


class _PreviewLogs:
    """The Logs interface ``snapshot_html`` needs, served from previews."""

    def __init__(self, runs: list[str], previews: dict[tuple[str, str], Preview]):
        self.runs = runs
        self._previews = previews

    def tags(self, run: str) -> dict[str, list[str]]:
        return {"scalars": [tag for (r, tag) in self._previews if r == run]}

    def scalars(self, run: str, tag: str) -> ScalarSeries:
        return self._previews[(run, tag)].series()


class _Batches:
    """Accumulates items, emitting a batch whenever the current one is full."""

    def __init__(self, follower: "Follower", runs: Sequence[str], reset: bool, emit: Emit):
        self._follower, self._runs, self._reset, self._emit = follower, list(runs), reset, emit
        self.emitted = 0
        self.builder = BatchBuilder()

    def added(self) -> None:
        if sum(len(b) for b in self.builder.buffers) >= MAX_BATCH_BYTES:
            self.cut()

    def cut(self) -> None:
        first = self.emitted == 0
        if self.builder or (self._reset and first):
            self._follower._seq += 1
            self._emit(self.builder.build(seq=self._follower._seq, reset=self._reset and first, runs=self._runs))
            self.emitted += 1
        self.builder = BatchBuilder()


class Follower:
    """Incremental batches of a logdir for one dashboard."""

    def __init__(self, logdir: str, *, read_bytes: int = READ_BYTES):
        self.logdir = logdir
        self.read_bytes = int(read_bytes)
        self._lock = threading.RLock()
        self._sent: dict[tuple[str, str, str], int] = {}
        self._replace: set[tuple[str, str, str]] = set()
        self._previews: dict[tuple[str, str], Preview] = {}
        self._seq = 0
        self._logs = Logs(logdir)  # tolerates a logdir that does not exist yet

    @property
    def logs(self) -> Logs:
        return self._logs

    def status(self) -> str:
        if not os.path.isdir(self.logdir):
            return "no_logdir"
        return "ok" if self._logs.runs else "no_runs"

    def poll(self, emit: Emit) -> int:
        """Emit batches with everything appended since the last poll; return how many."""
        with self._lock:
            count = 0
            while True:
                changes = self._logs.refresh(max_bytes=self.read_bytes)
                if any(key in self._sent for key in changes.reset):
                    # A purge cut into data already sent (and released): start over from disk.
                    return count + self._snapshot(emit)
                count += self._collect(emit, reset=False)
                if not changes.more:
                    return count

    def snapshot(self, emit: Emit) -> int:
        """Emit the full state; the first batch tells the browser to drop what it had."""
        with self._lock:
            return self._snapshot(emit)

    def _snapshot(self, emit: Emit) -> int:
        self._logs = Logs(self.logdir)
        self._sent.clear()
        self._replace.clear()
        self._previews.clear()
        count, first = 0, True
        while True:
            changes = self._logs.refresh(max_bytes=self.read_bytes)
            count += self._collect(emit, reset=first)
            first = False
            if not changes.more:
                return count

    def with_preview(self, fn: Callable[[Any], T]) -> T:
        """Call ``fn`` with a Logs-like view of the scalar previews (for the static fallback)."""
        with self._lock:
            return fn(_PreviewLogs(self._logs.runs, dict(self._previews)))

    def _collect(self, emit: Emit, *, reset: bool) -> int:
        logs = self._logs
        runs = list(logs.runs)
        out = _Batches(self, runs, reset, emit)
        for run in runs:
            tags = logs.tags(run)
            for kind in KINDS:
                for tag in tags.get(kind, ()):
                    key = (run, kind, tag)
                    start = self._sent.get(key, 0)
                    replace = key in self._replace
                    self._replace.discard(key)
                    sent = start + self._add_series(out, kind, run, tag, start, replace)
                    self._sent[key] = sent
                    logs.release(run, kind, tag, sent)
        out.cut()
        return out.emitted

    def _add_series(self, out: _Batches, kind: str, run: str, tag: str, start: int, replace: bool) -> int:
        """Add the items of one series from index ``start``; return how many were added."""
        logs = self._logs
        if kind == "scalars":
            series = logs.scalars(run, tag, start=start)
            self._previews.setdefault((run, tag), Preview()).add(series)
            n = len(series.step)
            for lo in range(0, n, SCALAR_CHUNK):
                hi = min(n, lo + SCALAR_CHUNK)
                out.builder.add_scalars(
                    run, tag, series.step[lo:hi], series.wall_time[lo:hi], series.value[lo:hi], replace=replace and lo == 0
                )
                out.added()
            return n
        items = logs.items(kind, run, tag, start=start)
        {
            "histograms": out.builder.add_histograms,
            "images": out.builder.add_images,
            "text": out.builder.add_texts,
            "pr_curves": out.builder.add_pr_curves,
            "audio": out.builder.add_audio,
            "hparams": out.builder.add_hparams,
            "custom_scalars": out.builder.add_custom_scalars,
        }[kind](run, tag, items, replace=replace)
        out.added()
        return len(items)
