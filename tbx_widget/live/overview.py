"""Overviews: a few hundred points per scalar series that keep every bucket's extremes.

A dashboard opened on a big logdir (a sweep of 1,000 runs x 10 tags x 1,000 steps) first gets
each scalar series as an overview, so every card can draw the whole sweep at once; the full data
follows and replaces it (docs/protocol.md, "Overviews"). An overview keeps, per bucket of
consecutive points, the point of the smallest and of the largest finite value, plus the first
and last point: no spike is lost. ``Overviews`` gathers them from the pieces a streaming read
delivers, holding at most a few times ``buckets`` points per series.
"""
from __future__ import annotations

from typing import Collection, Iterator, Sequence

import numpy as np

from ..accel import native as _native
from ..reader import ScalarSeries

__all__ = ["OVERVIEW_BUCKETS", "minmax_indices", "Overviews"]

OVERVIEW_BUCKETS = 100  # buckets per series: at most 2 * 100 + 2 points


def minmax_indices(value: np.ndarray, buckets: int) -> np.ndarray:
    """Sorted indices into ``value``: per bucket of consecutive points the finite minimum and
    maximum, plus the first and last point; every index when there are few points."""
    if isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)) or buckets < 1:
        raise ValueError(f"buckets must be an integer >= 1, got {buckets!r}")
    v = np.asarray(value, dtype=np.float64)
    n = len(v)
    if n <= 2 * buckets + 2:
        return np.arange(n)
    k = -(-n // buckets)  # points per bucket
    nb = -(-n // k)
    if _native is not None:  # the same picks in one pass (tbx_widget/_native.c)
        out = np.empty(2 * nb + 2, dtype=np.int64)
        count = _native.minmax_picks(np.ascontiguousarray(v), k, out)
        return out[:count]
    finite = np.isfinite(v)
    lo = np.full(nb * k, np.inf)
    hi = np.full(nb * k, -np.inf)
    lo[:n] = np.where(finite, v, np.inf)
    hi[:n] = np.where(finite, v, -np.inf)
    base = np.arange(nb) * k
    picks = np.concatenate(([0, n - 1], base + lo.reshape(nb, k).argmin(1), base + hi.reshape(nb, k).argmax(1)))
    picks.sort()  # a few hundred indices: sorting and dropping repeats beats np.unique's hashing
    keep = np.empty(len(picks), dtype=bool)
    keep[0] = True
    np.not_equal(picks[1:], picks[:-1], out=keep[1:])
    return picks[keep]


def _take(s: ScalarSeries, idx: np.ndarray) -> ScalarSeries:
    return ScalarSeries(s.step[idx], s.wall_time[idx], s.value[idx])


def _concat(parts: Sequence[ScalarSeries]) -> ScalarSeries:
    if len(parts) == 1:
        return parts[0]
    return ScalarSeries(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("step", "wall_time", "value")))


class Overviews:
    """The overviews of the scalar series of a streaming read, gathered piece by piece."""

    def __init__(self, buckets: int = OVERVIEW_BUCKETS) -> None:
        minmax_indices(np.zeros(0), buckets)  # validates
        self.buckets = int(buckets)
        self._parts: dict[tuple[str, str], list[ScalarSeries]] = {}
        self._points: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self._parts)

    def add(self, run: str, tag: str, piece: ScalarSeries) -> None:
        """Take the next points of series ``run``/``tag`` (in the order they were logged)."""
        if not len(piece.step):
            return
        key = (run, tag)
        parts = self._parts.setdefault(key, [])
        parts.append(_take(piece, minmax_indices(piece.value, self.buckets)))
        self._points[key] = self._points.get(key, 0) + len(parts[-1].step)
        if self._points[key] > 4 * (self.buckets + 1):  # merge what is held: bounded per series
            merged = self.series(run, tag)
            self._parts[key] = [merged]
            self._points[key] = len(merged.step)

    def drop_from(self, run: str, tag: str, step: int) -> None:
        """Forget the points of ``run``/``tag`` at ``step`` or later (a purge)."""
        key = (run, tag)
        if key not in self._parts:
            return
        kept = [_take(p, np.flatnonzero(p.step < step)) for p in self._parts[key]]
        self._parts[key] = [p for p in kept if len(p.step)]
        self._points[key] = sum(len(p.step) for p in self._parts[key])

    def series(self, run: str, tag: str) -> ScalarSeries:
        """The overview of ``run``/``tag`` so far."""
        whole = _concat(self._parts[(run, tag)]) if self._parts.get((run, tag)) else ScalarSeries(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        if len(whole.step) <= 2 * self.buckets + 2:
            return whole  # few enough: every point is kept (minmax_indices would take them all)
        return _take(whole, minmax_indices(whole.value, self.buckets))

    def ordered(self, runs: Sequence[str], only: Collection[tuple[str, str]] | None = None) -> Iterator[tuple[str, str, ScalarSeries]]:
        """Every overview (or those of the (run, tag) in ``only``), tag by tag (a card is a tag:
        the first cards fill first), runs in ``runs`` order within a tag (runs not listed last)."""
        rank = {r: i for i, r in enumerate(runs)}
        keys = self._parts if only is None else [k for k in only if k in self._parts]
        for run, tag in sorted(keys, key=lambda k: (k[1], rank.get(k[0], len(rank)), k[0])):
            s = self.series(run, tag)
            if len(s.step):
                yield run, tag, s
