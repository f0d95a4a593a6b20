"""Static exports of a ``Logs``: long pandas DataFrames and Altair charts."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from . import metadata as md

if TYPE_CHECKING:
    from .reader import Logs

__all__ = ["smooth", "to_pandas", "chart"]


def smooth(values: Any, weight: float = 0.6) -> np.ndarray:
    """TensorBoard's debiased exponential moving average.

    ``last = last * w + (1 - w) * y`` from ``last = 0``, shown as ``last / (1 - w**n)`` with ``n``
    the number of finite points so far; non-finite points pass through unchanged.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {weight!r}")
    y = np.asarray(values, dtype=np.float64)
    out = y.copy()
    last, n = 0.0, 0
    for i, v in enumerate(y.tolist()):
        if not np.isfinite(v):
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out[i] = last / (1 - weight**n) if weight else v
    return out


def _pandas():
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - exercised without pandas
        raise ImportError("to_pandas needs pandas: pip install pandas") from None
    return pd


def to_pandas(logs: "Logs", kind: str = md.scalar.KIND, *, runs: Iterable[str] | None = None, group: Any = None):
    """A long DataFrame of one kind over ``runs`` (all by default).

    scalars: run, tag, step, wall_time, value. histograms: run, tag, step, wall_time, min, max,
    num, sum, sum_squares, bucket_limits, bucket_counts. images: run, tag, step, wall_time,
    index, width, height, encoded. text: run, tag, step, wall_time, text. curves: run, tag, step,
    wall_time, series, x, y (a row per point). surfaces: run, tag, step, wall_time, x, y, z (a
    row per grid cell). hparams: one row per
    session with its hyperparameters and final metrics as columns. With ``group`` (a grouping,
    see ``tbx_widget.groups``) a ``group`` column after ``run`` names each row's run group.
    """
    pd = _pandas()
    names = list(runs) if runs is not None else logs.runs
    if group is not None:
        out = to_pandas(logs, kind, runs=names)
        if "run" not in out.columns:
            return out
        key = {run: g for g, members in logs.run_groups(group, names).items() for run in members}
        out.insert(1, "group", [key[r] for r in out["run"]] if len(out) else [])
        return out
    if kind == md.hparams.KIND:
        rows = [{"run": r["run"], **r["hparams"], **r["metrics"]} for r in logs.hparams_table() if r["run"] in names]
        return pd.DataFrame(rows)
    if kind == md.scalar.KIND:
        frames = []
        for run in names:
            for tag in logs.tags(run)[md.scalar.KIND]:
                s = logs.scalars(run, tag)
                frames.append(pd.DataFrame({
                    "run": pd.Categorical([run] * len(s)) if len(s) else [],
                    "tag": [tag] * len(s), "step": s.step, "wall_time": s.wall_time, "value": s.value,
                }))
        if not frames:
            return pd.DataFrame({"run": [], "tag": [], "step": np.zeros(0, np.int64), "wall_time": [], "value": []})
        out = pd.concat(frames, ignore_index=True)
        out["run"] = out["run"].astype(str)
        return out
    if kind in (md.curve.KIND, md.surface.KIND):
        return _points_frame(logs, kind, names)
    getters = {md.histogram.KIND: logs.histograms, md.image.KIND: logs.images, md.text.KIND: logs.texts,
               md.pr_curve.KIND: logs.pr_curves, md.audio.KIND: logs.audio}
    if kind not in getters:
        raise ValueError(f"kind must be one of {['scalars', 'hparams', 'curves', 'surfaces', *getters]}, got {kind!r}")
    rows = []
    for run in names:
        for tag in logs.tags(run)[kind]:
            for item in getters[kind](run, tag):
                rows.append({"run": run, "tag": tag, **{f: getattr(item, f) for f in item.__dataclass_fields__}})
    return pd.DataFrame(rows)


def _points_frame(logs: "Logs", kind: str, names: list[str]):
    """One row per point: curves give run, tag, step, wall_time, series, x, y; surfaces give
    run, tag, step, wall_time, x, y, z (one row per grid cell, NaN cells included)."""
    pd = _pandas()
    cols = ("series", "x", "y") if kind == md.curve.KIND else ("x", "y", "z")
    frames = []
    for run in names:
        for tag in logs.tags(run)[kind]:
            for it in logs.items(kind, run, tag):
                if kind == md.curve.KIND:
                    k, n = it.y.shape
                    data = {"series": np.repeat(it.names, n), "x": np.tile(it.x, k), "y": it.y.reshape(-1)}
                else:
                    gx, gy = np.meshgrid(it.x, it.y)
                    data = {"x": gx.reshape(-1), "y": gy.reshape(-1), "z": it.z.reshape(-1)}
                size = len(data["x"])
                frames.append(pd.DataFrame({"run": [run] * size, "tag": [tag] * size, "step": np.full(size, it.step, np.int64),
                                            "wall_time": np.full(size, it.wall_time), **data}))
    if not frames:
        return pd.DataFrame({c: [] for c in ("run", "tag", "step", "wall_time", *cols)})
    return pd.concat(frames, ignore_index=True)


def chart(logs: "Logs", tag: str, *, runs: Iterable[str] | None = None, smoothing: float = 0.6,
          x: str = "step", width: int = 480, height: int = 280, max_points: int = 2000):
    """An Altair line chart of scalar ``tag``: each run a colour, raw faint, smoothed bold.

    Smoothing uses every point; at most ``max_points`` evenly spaced points per run are drawn
    (first and last included), which keeps the chart within Altair's default 5000 rows."""
    import altair as alt

    if x not in ("step", "wall_time"):
        raise ValueError(f"x must be 'step' or 'wall_time', got {x!r}")
    names = [r for r in (list(runs) if runs is not None else logs.runs) if tag in logs.tags(r)[md.scalar.KIND]]
    if not names:
        raise KeyError(f"no run has a scalar tag {tag!r}")
    records = []
    for run in names:
        s = logs.scalars(run, tag)
        smoothed = smooth(s.value, smoothing)
        xs = s.step if x == "step" else s.wall_time * 1000.0
        keep = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), max_points)).round().astype(np.int64))
        for xv, raw, sm in zip(xs[keep].tolist(), s.value[keep].tolist(), smoothed[keep].tolist()):
            records.append({"run": run, x: xv, "raw": _json_number(raw), "smoothed": _json_number(sm)})
    data = alt.Data(values=records)
    x_enc = alt.X(f"{x}:Q", title="step") if x == "step" else alt.X(f"{x}:T", title="wall time")
    base = alt.Chart(data).encode(x=x_enc, color=alt.Color("run:N", title="run"))
    raw = base.mark_line(opacity=0.25, strokeWidth=1).encode(y=alt.Y("raw:Q", title=tag))
    bold = base.mark_line(strokeWidth=2).encode(
        y="smoothed:Q", tooltip=["run:N", f"{x}:{'Q' if x == 'step' else 'T'}", "raw:Q", "smoothed:Q"]
    )
    return (raw + bold).properties(title=tag, width=width, height=height)


def _json_number(v: float) -> float | None:
    """NaN and infinities have no JSON form: Vega-Lite gets null (a gap in the line)."""
    return v if np.isfinite(v) else None
