"""The normalised items the reader returns, one dataclass per kind, and the scalar series.

Every item carries ``step`` (int) and ``wall_time`` (float seconds since the epoch). Arrays are
numpy; encoded media stay the bytes that were stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import metadata

__all__ = [
    "KINDS",
    "ScalarSeries",
    "HistogramItem",
    "ImageItem",
    "TextItem",
    "PrCurveItem",
    "AudioItem",
    "HParamsItem",
    "CustomScalarsItem",
    "CurveItem",
    "SurfaceItem",
    "MeshItem",
]

KINDS = metadata.KINDS
"""The kinds ``Logs.tags(run)`` reports, in this order (``tbx_widget.metadata.KINDS``)."""


@dataclass(frozen=True)
class ScalarSeries:
    """One scalar tag of one run: parallel arrays ``step`` (int64), ``wall_time`` and ``value``
    (float64), in the order they were logged (after purges)."""

    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True, slots=True)
class HistogramItem:
    """A histogram at one step. ``bucket_limits`` are right edges (the first bucket starts at
    ``min``); ``bucket_counts`` the count in each bucket."""

    step: int
    wall_time: float
    bucket_limits: np.ndarray
    bucket_counts: np.ndarray
    min: float
    max: float
    num: float
    sum: float
    sum_squares: float


@dataclass(frozen=True, slots=True)
class ImageItem:
    """One encoded image (PNG, JPEG or GIF bytes as stored); ``index`` orders several images
    logged at the same step."""

    step: int
    wall_time: float
    index: int
    width: int
    height: int
    encoded: bytes


@dataclass(frozen=True, slots=True)
class TextItem:
    """A text entry (Markdown as logged; invalid UTF-8 is replaced, never raised)."""

    step: int
    wall_time: float
    text: str


@dataclass(frozen=True, slots=True)
class PrCurveItem:
    """A precision-recall curve at one step: arrays over ``len(thresholds)`` thresholds
    (``thresholds[i] = i / (n - 1)``), counts as float64."""

    step: int
    wall_time: float
    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    tn: np.ndarray
    fn: np.ndarray
    precision: np.ndarray
    recall: np.ndarray


@dataclass(frozen=True, slots=True)
class AudioItem:
    """One encoded audio clip (WAV bytes as stored)."""

    step: int
    wall_time: float
    index: int
    encoded: bytes
    sample_rate: float
    num_channels: int
    length_frames: int
    content_type: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class HParamsItem:
    """One hparams plugin record: ``kind`` is "experiment", "session_start" or "session_end";
    ``data`` its content as plain Python (see ``decode.hparams_data``)."""

    step: int
    wall_time: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CustomScalarsItem:
    """A custom-scalars layout: ``categories`` is a list of dicts
    ``{"title", "closed", "charts": [{"title", "kind": "multiline"|"margin", "tags" | "series"}]}``."""

    step: int
    wall_time: float
    categories: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class CurveItem:
    """A curve at one step (``add_curve``): ``x`` (n,) and ``y`` (k, n) float64, one row per
    series named by ``names`` (NaN in y: a gap)."""

    step: int
    wall_time: float
    x: np.ndarray
    y: np.ndarray
    names: list[str]

    def series(self, name: str) -> np.ndarray:
        """The y values of the series ``name``."""
        if name not in self.names:
            raise KeyError(f"no series {name!r}; this curve has {self.names}")
        return self.y[self.names.index(name)]


@dataclass(frozen=True, slots=True)
class SurfaceItem:
    """A surface at one step (``add_surface``): ``z`` (ny, nx) float64 over increasing ``x`` (nx)
    and ``y`` (ny); ``z[i, j]`` is at ``(x[j], y[i])``, NaN where there is no value."""

    step: int
    wall_time: float
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray


@dataclass(frozen=True, slots=True)
class MeshItem:
    """A mesh or point cloud at one step (``add_mesh``, TensorBoard's mesh plugin): ``vertices``
    (B, N, 3) float32, ``faces`` (B, F, 3) vertex indices or None, ``colors`` (B, N, 3) RGB 0..255
    or None, and the ``config`` dict logged with it."""

    step: int
    wall_time: float
    vertices: np.ndarray
    faces: np.ndarray | None
    colors: np.ndarray | None
    config: dict[str, Any] = field(default_factory=dict)
