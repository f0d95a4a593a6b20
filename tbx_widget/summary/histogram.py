"""Histograms: bucketing values into a ``HistogramProto``.

Default buckets are TensorFlow's: edges ``±1e-12 * 1.1**k`` up to 1e20 and 0, with only the
populated range kept (plus one empty bucket before it, whose right edge is where the data
starts). With those edges the bucket of each value is computed from its logarithm and then
checked against the real edges, instead of a binary search per value.
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from .._proto import summary_pb2

__all__ = ["tensorflow_edges", "histogram_proto", "histogram_raw_proto", "NonFiniteWarning"]

_V0, _RATIO, _TOP = 1e-12, 1.1, 1e20


class NonFiniteWarning(UserWarning):
    """NaN or infinite values were left out of a histogram."""


@lru_cache(maxsize=1)
def tensorflow_edges() -> np.ndarray:
    """TensorFlow's default bucket edges (negative mirror, 0, positive), increasing."""
    pos = []
    v = _V0
    while v < _TOP:
        pos.append(v)
        v *= _RATIO
    pos_arr = np.array(pos)
    return np.concatenate((-pos_arr[::-1], [0.0], pos_arr))


_PREFIX_SHIFT = 44  # sign, exponent and the top 8 mantissa bits of a float64 pick a table cell


@lru_cache(maxsize=1)
def _prefix_table() -> np.ndarray:
    """For each 20-bit float64 prefix, the bucket of the smallest value with that prefix.

    A cell spans a value ratio of at most 1 + 2**-8, less than the edges' 1.1, so a value's
    bucket is the cell's bucket or the next one."""
    prefixes = np.arange(1 << (64 - _PREFIX_SHIFT), dtype=np.uint64)
    lowest_bits = prefixes << np.uint64(_PREFIX_SHIFT)
    negative = (prefixes >> np.uint64(63 - _PREFIX_SHIFT)) == 1
    lowest_bits[negative] |= np.uint64((1 << _PREFIX_SHIFT) - 1)  # largest magnitude = smallest value
    with np.errstate(invalid="ignore"):
        values = lowest_bits.view(np.float64)
    edges = tensorflow_edges()
    idx = np.searchsorted(edges, values, side="right") - 1
    idx = np.where(np.isnan(values), 0, idx)
    return np.clip(idx, 0, len(edges) - 2).astype(np.intp)  # intp: bincount takes it as is


def _tensorflow_bucket_index(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Index i of the bucket [edges[i], edges[i+1]) holding each finite value (values beyond
    the outer edges go to the outer buckets)."""
    idx = _prefix_table()[x.view(np.uint64) >> np.uint64(_PREFIX_SHIFT)]
    idx += x >= _upper_edges()[idx]
    return idx


@lru_cache(maxsize=1)
def _upper_edges() -> np.ndarray:
    """Right edge of each default bucket; the last bucket is open (values beyond the outermost
    edge stay in it)."""
    upper = tensorflow_edges()[1:].copy()
    upper[-1] = np.inf
    return upper


def _merge(counts: np.ndarray, limits: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_bins`` buckets: adjacent buckets merged in groups (edges kept at group ends)."""
    n = len(counts)
    group = -(-n // max_bins)
    pad = (-n) % group
    merged = np.concatenate((counts, np.zeros(pad))).reshape(-1, group).sum(axis=1)
    edges = np.concatenate((limits[:-1:group], limits[-1:]))
    return merged, edges


def _finite(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    x = np.ascontiguousarray(arr.reshape(-1), dtype=np.float64)
    finite = np.isfinite(x)
    if not finite.all():
        dropped = int((~finite).sum())
        x = x[finite]
        if len(x) == 0:
            raise ValueError(f"{name} has no finite values (all {dropped} are NaN or infinite)")
        warnings.warn(f"{name}: left out {dropped} NaN or infinite values of {dropped + len(x)}", NonFiniteWarning, stacklevel=4)
    if len(x) == 0:
        raise ValueError(f"{name} is empty: a histogram needs at least one value")
    return x


def check_bins(bins: Any) -> Any:
    """Validate ``bins`` early (on the caller's thread): "tensorflow", a numpy bin rule, an int
    or increasing edges."""
    if isinstance(bins, str):
        if bins != "tensorflow" and bins not in ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt"):
            raise ValueError(f"bins must be 'tensorflow', a numpy rule ('auto', 'fd', 'sturges', ...), an int or edges, got {bins!r}")
        return bins
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"bins must be a positive number of buckets, got {bins}")
        return int(bins)
    edges = np.asarray(bins, dtype=np.float64) if not isinstance(bins, bool) else None
    if edges is None or edges.ndim != 1 or len(edges) < 2 or not np.all(np.diff(edges) > 0) or not np.isfinite(edges).all():
        raise ValueError(f"bins as edges must be at least two finite, increasing numbers, got {bins!r}")
    return edges


def histogram_proto(values: Any, bins: Any = "tensorflow", max_bins: int | None = None, name: str = "values",
                    *, checked: bool = False) -> summary_pb2.HistogramProto:
    """Bucket ``values`` (NaN/Inf left out with a warning). ``checked``: ``values`` is already a
    non-empty, finite, contiguous float64 vector (the writer checks on the caller's thread)."""
    x = values if checked else _finite(values, name)
    if isinstance(bins, str) and bins == "tensorflow":
        edges = tensorflow_edges()
        counts = np.bincount(_tensorflow_bucket_index(x, edges), minlength=len(edges) - 1).astype(np.float64)
    else:
        counts, edges = np.histogram(x, bins=bins)
        counts = counts.astype(np.float64)
    nonzero = np.flatnonzero(counts)
    first, last = int(nonzero[0]), int(nonzero[-1])
    if first > 0:
        counts = counts[first - 1 : last + 1]
        limits = edges[first : last + 2]
    else:
        counts = np.concatenate(([0.0], counts[: last + 1]))
        limits = np.concatenate(([edges[0]], edges[1 : last + 2]))
    if max_bins is not None and len(counts) > max_bins:
        counts, limits = _merge(counts, np.concatenate(([edges[max(first - 1, 0)]], limits)), max_bins)
        limits = limits[1:]
    return summary_pb2.HistogramProto(
        min=float(x.min()), max=float(x.max()), num=float(len(x)), sum=float(x.sum()),
        sum_squares=float(np.dot(x, x)), bucket_limit=limits.tolist(), bucket=counts.tolist(),
    )


def histogram_raw_proto(min: float, max: float, num: float, sum: float, sum_squares: float,
                        bucket_limits: Any, bucket_counts: Any) -> summary_pb2.HistogramProto:
    """A histogram from precomputed statistics (``add_histogram_raw``)."""
    limits = np.asarray(bucket_limits, dtype=np.float64).reshape(-1)
    counts = np.asarray(bucket_counts, dtype=np.float64).reshape(-1)
    if len(limits) != len(counts):
        raise ValueError(f"bucket_limits and bucket_counts must have the same length, got {len(limits)} and {len(counts)}")
    if len(limits) == 0:
        raise ValueError("bucket_limits must not be empty")
    if np.any(np.diff(limits) < 0):
        raise ValueError("bucket_limits must be increasing")
    return summary_pb2.HistogramProto(
        min=float(min), max=float(max), num=float(num), sum=float(sum), sum_squares=float(sum_squares),
        bucket_limit=limits.tolist(), bucket=counts.tolist(),
    )
