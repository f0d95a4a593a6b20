"""What a dashboard shows without a live kernel: previews and the curves saved with the notebook.

Words (docs/architecture.md): a *preview* is the evenly thinned copy of a scalar series that the
follower keeps in memory (``Preview``); the *saved curves* are those previews as JSON in the
widget's ``_saved_curves`` trait (``saved_curves_json``), stored with the notebook's widget state
and drawn by a view that opens with no kernel; ``CurvesLogs`` serves either to the *snapshot*
(``snapshot.snapshot_html``, the static SVG fallback) through the part of the ``Logs`` interface
it reads. None of this imports the widget.
"""
from __future__ import annotations

import json
import math
from typing import Any, Callable, Mapping

import numpy as np

from . import metadata as md
from .reader import ScalarSeries

__all__ = ["Preview", "CurvesLogs", "saved_curves_json", "read_saved_curves",
           "PREVIEW_POINTS", "SAVED_CURVES_POINTS"]

PREVIEW_POINTS = 1000  # per scalar series, when there are few (the follower lowers it for many)
SAVED_CURVES_POINTS = 200_000  # points kept in the saved curves, over all series


class Preview:
    """An evenly thinned copy of a scalar series (every k-th point, k doubling as it grows),
    plus its last point."""

    __slots__ = ("step", "value", "wall", "stride", "seen", "last")

    def __init__(self) -> None:
        self.step = np.zeros(0, np.int64)
        self.value = np.zeros(0)
        self.wall = np.zeros(0)
        self.stride = 1  # the points kept are those whose index is a multiple of it
        self.seen = 0  # points added so far
        self.last: tuple[int, float, float] | None = None

    def add(self, s: ScalarSeries, limit: int = PREVIEW_POINTS) -> None:
        """Take ``s`` (the points after those already added), keeping at most ``2 * limit``."""
        n = len(s.step)
        if not n:
            return
        # Thin what is kept to the stride the total will need first, then take only the new
        # points at that stride: the same points as appending every point and then shrinking.
        self._thin_for(self.seen + n, limit)
        take = slice((-self.seen) % self.stride, n, self.stride)  # a view: no index array
        self.seen += n
        self.step = np.concatenate((self.step, s.step[take]))
        self.value = np.concatenate((self.value, s.value[take]))
        self.wall = np.concatenate((self.wall, s.wall_time[take]))
        self.last = (int(s.step[-1]), float(s.wall_time[-1]), float(s.value[-1]))

    def shrink(self, limit: int) -> None:
        """Double the stride (halving the points kept) until at most ``2 * limit`` remain."""
        self._thin_for(self.seen, limit)

    def _thin_for(self, total: int, limit: int) -> None:
        """Raise the stride until ``total`` points keep at most ``2 * limit`` (the points at its
        multiples: ceil(total / stride) of them), and thin what is kept to it."""
        stride = self.stride
        while -(-total // stride) > 2 * limit:
            stride *= 2
        if stride != self.stride:
            thin = slice(None, None, stride // self.stride)
            self.step, self.value, self.wall = self.step[thin], self.value[thin], self.wall[thin]
            self.stride = stride

    def series(self) -> ScalarSeries:
        """The kept points and the last point, as a ``ScalarSeries``."""
        step, wall, value = self.step, self.wall, self.value
        if self.last is not None and (not len(step) or step[-1] != self.last[0]):
            step = np.append(step, self.last[0])
            wall = np.append(wall, self.last[1])
            value = np.append(value, self.last[2])
        return ScalarSeries(step, wall, value)


class CurvesLogs:
    """The part of the ``Logs`` interface the snapshot and ``saved_curves_json`` read (``runs``,
    ``tags(run)``, ``scalars(run, tag)``), over scalar curves only.

    Args:
        runs: run names, in order.
        curves: ``(run, tag)`` -> a function returning that series (called on each read).
    """

    def __init__(self, runs: list[str], curves: Mapping[tuple[str, str], Callable[[], ScalarSeries]]):
        self.runs = list(runs)
        self._curves = dict(curves)

    @classmethod
    def of_previews(cls, runs: list[str], previews: Mapping[tuple[str, str], Preview]) -> "CurvesLogs":
        """A view of the follower's previews."""
        return cls(runs, {key: p.series for key, p in previews.items()})

    def tags(self, run: str) -> dict[str, list[str]]:
        return {md.scalar.KIND: [tag for (r, tag) in self._curves if r == run]}

    def scalars(self, run: str, tag: str) -> ScalarSeries:
        return self._curves[(run, tag)]()


def saved_curves_json(logs: Any, max_points: int = SAVED_CURVES_POINTS) -> str:
    """The scalar curves of ``logs`` (a ``Logs`` or ``CurvesLogs``) as the ``_saved_curves`` JSON
    (docs/protocol.md): every series, thinned evenly (ends kept) to about ``max_points`` in all;
    a non-finite value is ``null``."""
    series = []
    for run in logs.runs:
        for tag in logs.tags(run)[md.scalar.KIND]:
            s = logs.scalars(run, tag)
            series.append({"run": run, "tag": tag, "step": s.step.tolist(), "wall_time": s.wall_time.tolist(),
                           "value": [v if math.isfinite(v) else None for v in s.value.tolist()]})
    total = sum(len(x["step"]) for x in series)
    if total > max_points:
        keep = max(2, max_points // max(1, len(series)))
        for x in series:
            if len(x["step"]) > keep:
                idx = sorted({round(i * (len(x["step"]) - 1) / (keep - 1)) for i in range(keep)})
                for key in ("step", "wall_time", "value"):
                    x[key] = [x[key][i] for i in idx]
    return json.dumps({"runs": list(logs.runs), "series": series}, separators=(",", ":"))


def _saved_series(s: dict[str, Any]) -> ScalarSeries:
    n = len(s["step"])
    wall = s.get("wall_time") or [None] * n
    step = np.asarray(s["step"])
    if step.dtype.kind not in "iu":  # steps are ints as saved; anything else is read as numbers
        step = _floats(s["step"])
    return ScalarSeries(step.astype(np.int64) if step.dtype.kind in "iu" else step, _floats(wall), _floats(s["value"]))


def _floats(xs: list[Any]) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in xs], dtype=float)


def read_saved_curves(text: str) -> CurvesLogs:
    """The curves of a ``_saved_curves`` JSON text (as ``saved_curves_json`` writes it).

    Raises ValueError when ``text`` is not that JSON."""
    if not isinstance(text, str):
        raise TypeError(f"text must be the saved curves' JSON string, got {type(text).__name__}")
    try:
        saved = json.loads(text)
        runs = [str(r) for r in saved.get("runs", [])]
        curves = {(str(s["run"]), str(s["tag"])): (lambda s=s: _saved_series(s)) for s in saved.get("series", [])}
    except (ValueError, AttributeError, KeyError, TypeError) as exc:
        raise ValueError(f"text is not saved curves JSON ({{'runs': [...], 'series': [...]}}): {exc}") from None
    return CurvesLogs(runs, curves)
