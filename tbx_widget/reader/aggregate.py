"""Aggregate scalar series of several runs step by step: mean, median, min, max, std, count.

Steps are the union of the members' steps; at each step the statistics are over the members
that logged a (non-NaN) value there, and ``count`` says how many did: a step only some ranks
reached is aggregated over those, not padded. A run that logged one step twice counts with its
last value. ``std`` is the population standard deviation (ddof=0; 0 for one member).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["Aggregate", "aggregate"]


@dataclass(frozen=True)
class Aggregate:
    """Per-step statistics of a group of runs (parallel numpy arrays, by increasing step).
    Statistics are NaN at a step where every member logged NaN (``count`` 0)."""

    step: np.ndarray  # int64
    mean: np.ndarray
    median: np.ndarray
    min: np.ndarray
    max: np.ndarray
    std: np.ndarray
    count: np.ndarray  # int64: members with a value at the step
    runs: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.step)


def _last_per_step(step: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each step once, with the value logged last for it."""
    rev = step[::-1]
    uniq, first_in_rev = np.unique(rev, return_index=True)
    return uniq, value[::-1][first_in_rev]


def aggregate(series: Sequence[tuple[np.ndarray, np.ndarray]], runs: Sequence[str] = ()) -> Aggregate:
    """Aggregate ``(step, value)`` pairs of arrays, one per member run, over the members."""
    steps, values = [], []
    for i, pair in enumerate(series):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"series[{i}] must be a (step, value) tuple of arrays, got {type(pair).__name__}")
        s = np.asarray(pair[0])
        v = np.asarray(pair[1], dtype=np.float64)
        if s.ndim != 1 or v.shape != s.shape:
            raise ValueError(f"series[{i}]: step and value must be 1-d arrays of one length, got shapes {s.shape} and {v.shape}")
        if len(s) and not np.issubdtype(s.dtype, np.integer):
            raise ValueError(f"series[{i}]: steps must be integers, got dtype {s.dtype}")
        s, v = _last_per_step(s.astype(np.int64, copy=False), v)
        steps.append(s)
        values.append(v)
    all_steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    all_values = np.concatenate(values) if values else np.zeros(0, np.float64)
    ustep = np.unique(all_steps)
    n = len(ustep)
    stats = {k: np.full(n, np.nan) for k in ("mean", "median", "min", "max", "std")}
    count = np.zeros(n, np.int64)
    keep = ~np.isnan(all_values)
    s, v = all_steps[keep], all_values[keep]
    if len(s):
        order = np.lexsort((v, s))  # by step, then value
        s, v = s[order], v[order]
        at, start, cnt = np.unique(s, return_index=True, return_counts=True)
        where = np.searchsorted(ustep, at)
        count[where] = cnt
        with np.errstate(invalid="ignore", over="ignore"):
            mean = np.add.reduceat(v, start) / cnt
            dev = v - np.repeat(mean, cnt)
            std = np.sqrt(np.add.reduceat(dev * dev, start) / cnt)
            lo, hi = start + (cnt - 1) // 2, start + cnt // 2
            median = np.where(lo == hi, v[lo], (v[lo] + v[hi]) / 2)
        stats["mean"][where] = mean
        stats["std"][where] = std
        stats["median"][where] = median
        stats["min"][where] = v[start]
        stats["max"][where] = v[start + cnt - 1]
    return Aggregate(step=ustep, count=count, runs=tuple(runs), **stats)
