"""Histograms: bucketing values into a ``HistogramProto``.

Default buckets are TensorFlow's: edges ``±1e-12 * 1.1**k`` up to 1e20 and 0, with only the
populated range kept (plus one empty bucket before it, whose right edge is where the data
starts). With those edges the bucket of each value is looked up from its top 16 bits and then
checked against one real edge, instead of a binary search per value.
"""
from __future__ import annotations

import math
import struct
import warnings
from functools import lru_cache
from typing import Any, Callable

import numpy as np

from .._proto import summary_pb2
from ..accel import native as _native  # None where the optional C kernels were not built
from .scalar import varint as _varint

__all__ = ["tensorflow_edges", "histogram_proto", "histogram_raw_proto", "finite_values", "NonFiniteWarning",
           "check_bins", "check_rule_buckets", "subsample_buckets", "MAX_BUCKETS"]

_V0, _RATIO, _TOP = 1e-12, 1.1, 1e20
MAX_BUCKETS = 100_000
"""Most buckets one histogram may have: 65 times TensorFlow's full default set (1,549), a record
under 2 MB. ``bins=10**9`` once ran until the OOM killer struck; now it raises at the call."""


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


_PREFIX_SHIFT = 48  # sign, exponent and the top 4 mantissa bits of a float64 pick a table cell
_CHUNK = 32768  # values per pass: the temporaries of a chunk stay in the CPU cache


@lru_cache(maxsize=1)
def _prefix_table() -> np.ndarray:
    """For each 16-bit float64 prefix, the bucket of the smallest value with that prefix.

    A cell spans a value ratio of at most 1 + 2**-4, less than the edges' 1.1, so it holds at
    most one edge: a value's bucket is the cell's bucket or the next one."""
    prefixes = np.arange(1 << (64 - _PREFIX_SHIFT), dtype=np.uint64)
    lowest_bits = prefixes << np.uint64(_PREFIX_SHIFT)
    negative = (prefixes >> np.uint64(63 - _PREFIX_SHIFT)) == 1
    lowest_bits[negative] |= np.uint64((1 << _PREFIX_SHIFT) - 1)  # largest magnitude = smallest value
    with np.errstate(invalid="ignore"):
        values = lowest_bits.view(np.float64)
    edges = tensorflow_edges()
    idx = np.searchsorted(edges, values, side="right") - 1
    idx = np.where(np.isnan(values), 0, idx)
    return np.clip(idx, 0, len(edges) - 2).astype(np.intp)  # intp: take and bincount use it as is


@lru_cache(maxsize=1)
def _upper_edges() -> np.ndarray:
    """Right edge of each default bucket; the last bucket is open (values beyond the outermost
    edge stay in it)."""
    upper = tensorflow_edges()[1:].copy()
    upper[-1] = np.inf
    return upper


def tensorflow_counts(x: np.ndarray) -> np.ndarray:
    """Counts of finite values ``x`` (any real dtype, 1-D) in the default buckets
    ``[edges[i], edges[i+1])`` (values beyond the outer edges count in the outer buckets)."""
    return _bucket(x)[0]


def _bucket(x: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(counts, min, max) of finite, non-empty, 1-D ``x``: by the compiled kernel when it is
    there and takes ``x`` as is, else by numpy."""
    return _bucket_stats(x)[:3]


def _bucket_stats(x: np.ndarray) -> tuple[np.ndarray, float, float, float | None, float | None]:
    """(counts, min, max, sum, sum of squares) of finite, non-empty, 1-D ``x``; the sums are None
    where the kernel does not give them (``_native_stats``)."""
    stats = _native_stats(x, finite=True)
    if stats is not None:
        return stats
    counts, lo, hi, squares = _numpy_bucket(x)
    return counts, lo, hi, None, squares


DOT_MAX = 10_000
"""Up to this many values the sum of squares is numpy's dot, as the peers compute it (BLAS runs
it on one thread). Beyond, BLAS splits a dot over its threads, which makes its last bits depend
on the thread count, and on a busy machine waiting for those threads cost more than the rest of
``add_histogram``: there numpy's pairwise sum of the squares (``(x * x).sum()`` for float64) is
written instead, by the compiled kernel in its one pass or by numpy (``numpy_sums``)."""

_SUM_SIZES = (1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 1000, 8191, 8192, 8193, 20_000, 100_003)


def numpy_sums(x: np.ndarray, block: int) -> tuple[float, float]:
    """The float64 sum of ``x`` and of its squares as numpy adds them: pairwise, float32 in
    blocks of ``block`` values (numpy's buffer size, for the sum) added in order. The compiled
    kernel's sums must equal these bit for bit."""
    step = len(x) if x.dtype == np.float64 or block < 1 else block
    total = squares = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(x), step):
            chunk = x[start : start + step].astype(np.float64, copy=False)
            total += float(chunk.sum())
            squares += _pairwise_squares(chunk)
    return total, squares


def _pairwise_squares(x: np.ndarray) -> float:
    """``(x * x).sum()`` of float64 ``x`` without an array of all the squares (``_pairwise_walk``)."""
    out = np.empty(min(_CHUNK, len(x)), dtype=np.float64)
    with np.errstate(over="ignore"):
        return _pairwise_walk(x, lambda piece: float(np.multiply(piece, piece, out=out[: len(piece)]).sum()))


@lru_cache(maxsize=None)
def _native_sums_are_numpys(dtype: str, bufsize: int) -> bool:
    """Whether the kernel's sums of ``dtype`` values equal ``numpy_sums`` and the sum equals
    ``x.sum(dtype=np.float64)``, bit for bit, tried once per dtype and numpy buffer size on sizes
    around numpy's block and buffer boundaries (so the sums written never depend on the kernel)."""
    rng = np.random.default_rng(15)
    upper = _upper_edges()
    for n in _SUM_SIZES:
        x = (rng.normal(size=n) * 10.0 ** rng.integers(-6, 7, size=n)).astype(dtype)
        got = _native.tf_histogram(x, upper, np.zeros(len(upper), dtype=np.int64), bufsize)[2:]
        want = numpy_sums(x, bufsize)
        if np.array(got).tobytes() != np.array(want).tobytes() or want[0] != float(x.sum(dtype=np.float64)):
            return False
    return True


def _native_stats(x: np.ndarray, *, finite: bool) -> tuple[np.ndarray, float, float, float | None, float | None] | None:
    """(counts, min, max, sum, sum of squares) of non-empty, 1-D ``x`` in one pass of the
    compiled kernel, or None where there is no kernel, it does not take ``x`` as is (only native
    float64 and float32, C-contiguous and aligned), or, unless ``finite`` says all values are, a value may be
    NaN or infinite (the sum is not finite). The sums are None where they might differ from
    numpy's."""
    kernel = getattr(_native, "tf_histogram", None)
    if (kernel is None or x.dtype not in (np.float64, np.float32) or not x.dtype.isnative or not x.flags.c_contiguous
            or not x.flags.aligned):
        return None
    upper = _upper_edges()
    counts = np.zeros(len(upper), dtype=np.int64)
    bufsize = np.getbufsize()
    lo, hi, total, squares = kernel(x, upper, counts, bufsize)
    if not finite and not math.isfinite(total):
        return None  # NaN or Inf among the values (or a sum beyond float64): left out with a warning first
    if not _native_sums_are_numpys(x.dtype.str, bufsize):
        return counts, lo, hi, None, None
    return counts, lo, hi, total, squares


def numpy_counts(x: np.ndarray) -> np.ndarray:
    """``tensorflow_counts`` in numpy: works through ``x`` in chunks so every temporary stays in
    cache, with a table lookup on each value's top 16 bits and one comparison against the real
    edge; no copy of ``x`` is made."""
    return _numpy_bucket(x)[0]


def _numpy_bucket(x: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(counts, min, max, sum of squares) of finite, non-empty, 1-D ``x`` by numpy, in pieces
    that stay in cache: for float64 the pieces numpy's pairwise sum halves ``x`` into, for other
    dtypes numpy's buffers (so the sum of squares is ``numpy_sums``'s, as the kernel's is)."""
    pieces = _Pieces(len(x))
    if x.dtype == np.float64:
        squares = _pairwise_walk(x, pieces.take)
    else:
        step, squares = np.getbufsize(), 0.0
        for start in range(0, len(x), step):
            squares += pieces.take(x[start : start + step].astype(np.float64))
    return pieces.counts, pieces.lo, pieces.hi, squares


def _pairwise_walk(x: np.ndarray, take: Callable[[np.ndarray], float]) -> float:
    """``take`` each piece of float64 ``x`` as numpy's pairwise sum halves it (at a multiple of
    8, down to at most ``_CHUNK`` values), in order, and add what it returns (the piece's sum of
    squares) as that sum adds: ``(x * x).sum()`` without an array of all the squares."""
    if len(x) <= _CHUNK:
        return take(x)
    half = len(x) // 2
    half -= half % 8
    return _pairwise_walk(x[:half], take) + _pairwise_walk(x[half:], take)


class _Pieces:
    """Counts, extremes and squares of float64 pieces of at most ``_CHUNK`` values, with
    temporaries reused from piece to piece."""

    def __init__(self, n: int) -> None:
        size = min(_CHUNK, n)
        self.table, self.upper = _prefix_table(), _upper_edges()
        self.counts = np.zeros(len(self.upper), dtype=np.intp)
        self.lo, self.hi = math.inf, -math.inf
        self.cell = np.empty(size, dtype=np.uint64)
        self.idx = np.empty(size, dtype=np.intp)
        self.edge = np.empty(size, dtype=np.float64)
        self.above = np.empty(size, dtype=bool)

    def take(self, chunk: np.ndarray) -> float:
        """Count ``chunk`` (a table lookup on each value's top 16 bits, one comparison with the
        real edge) and note its extremes; returns the sum of its squares."""
        k = len(chunk)
        cell, idx, edge, above = self.cell[:k], self.idx[:k], self.edge[:k], self.above[:k]
        np.right_shift(chunk.view(np.uint64), np.uint64(_PREFIX_SHIFT), out=cell)
        np.take(self.table, cell, out=idx, mode="clip")  # "clip": unbuffered; cells are in range
        np.take(self.upper, idx, out=edge, mode="clip")
        np.greater_equal(chunk, edge, out=above)
        np.add(idx, above, out=idx)
        self.counts += np.bincount(idx, minlength=len(self.upper))
        self.lo, self.hi = min(self.lo, float(chunk.min())), max(self.hi, float(chunk.max()))
        with np.errstate(over="ignore"):  # squares past float64 are inf, as in the sum
            return float(np.multiply(chunk, chunk, out=edge).sum())


def merge_buckets(counts: np.ndarray, limits: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_bins`` buckets: runs of adjacent buckets merged (counts add up, totals are
    unchanged). ``limits`` are the ``len(counts) + 1`` bucket edges; the merged edges are those at
    group ends. The dashboard's per-card bound (``live.encode``); the writer's ``max_bins``
    follows the peers instead (``subsample_buckets``)."""
    n = len(counts)
    group = -(-n // max_bins)
    pad = (-n) % group
    merged = np.concatenate((counts, np.zeros(pad))).reshape(-1, group).sum(axis=1)
    edges = np.concatenate((limits[:-1:group], limits[-1:]))
    return merged, edges


def subsample_buckets(counts: np.ndarray, edges: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``max_bins`` as tensorboardX and torch apply it: all ``len(counts)`` buckets (before the
    empty ends are trimmed) merged in groups of ``len(counts) // max_bins``, the last group padded
    with empty buckets. The result can have a few more than ``max_bins`` buckets (10 buckets with
    ``max_bins=3`` give 4); the peers' events are matched bucket for bucket."""
    group = len(counts) // max_bins
    pad = (-len(counts)) % group
    merged = np.concatenate((counts, np.zeros(pad))).reshape(-1, group).sum(axis=1)
    return merged, np.concatenate((edges[:-1:group], edges[-1:]))


def finite_values(values: Any, name: str, *, label: str | None = None, stacklevel: int = 1) -> np.ndarray:
    """``values`` as a 1-D float vector without NaN and Inf, which are left out with a
    ``NonFiniteWarning`` that names ``label`` (default: ``name``). Raises TypeError or ValueError
    naming ``name`` when the values are not numeric, empty or all non-finite. ``stacklevel`` is
    that of the warning as seen from the caller of this function."""
    return _finite_and_sum(values, name, label, stacklevel + 1)[0]


def _finite_and_sum(values: Any, name: str, label: str | None, stacklevel: int) -> tuple[np.ndarray, float | None]:
    """``finite_values`` and the float64 sum of the vector returned, when the check found it
    (None when values were left out)."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a histogram needs at least one value")
    x = arr.reshape(-1)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        total = x.sum(dtype=np.float64)
    if np.isfinite(total):  # one cheap pass; a NaN or Inf shows in the sum
        return x, float(total)
    finite = np.isfinite(x)
    dropped = int(x.size - np.count_nonzero(finite))
    if dropped == x.size:
        raise ValueError(f"{name} has no finite values (all {dropped} are NaN or infinite)")
    if not dropped:  # a sum can also overflow with every value finite
        return x, float(total)
    warnings.warn(f"{label or name}: left out {dropped} NaN or infinite values of {x.size}", NonFiniteWarning,
                  stacklevel=stacklevel + 1)
    return x[finite], None


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
        if bins > MAX_BUCKETS:
            raise ValueError(f"bins must be at most {MAX_BUCKETS} buckets, got {bins}")
        return int(bins)
    try:
        edges = np.asarray(bins, dtype=np.float64) if not isinstance(bins, bool) else None
    except (TypeError, ValueError):
        edges = None
    if edges is None or edges.ndim != 1 or len(edges) < 2 or not np.all(np.diff(edges) > 0) or not np.isfinite(edges).all():
        raise ValueError(f"bins as edges must be at least two finite, increasing numbers, got {bins!r}")
    if len(edges) > MAX_BUCKETS + 1:
        raise ValueError(f"bins as edges may give at most {MAX_BUCKETS} buckets, got {len(edges)} edges")
    return edges


def check_rule_buckets(x: np.ndarray, bins: Any) -> None:
    """Raise ValueError naming ``bins`` when numpy could not bucket the finite values ``x`` with
    ``bins`` (a count or a rule): their range overflows float64, or a rule would give more than
    ``MAX_BUCKETS`` buckets (checked before numpy allocates them). Only the rules whose width can
    shrink independently of the count can ("fd", "auto" through "fd", "scott"): the others give
    at most about sqrt(len(x)) buckets."""
    if isinstance(bins, np.ndarray) or bins == "tensorflow" or x.size < 2:
        return  # explicit edges and the default buckets take any finite values
    lo, hi = float(x.min()), float(x.max())
    with np.errstate(over="ignore"):
        span = hi - lo
    if not math.isfinite(span):
        raise ValueError(f"bins={bins!r} needs max(values) - min(values) to fit in a float64, got {lo!r} to {hi!r}; "
                         "use the default bins='tensorflow' or explicit edges")
    if span == 0 or not isinstance(bins, str) or bins not in ("fd", "auto", "scott"):
        return  # one bucket; or a count, or a rule giving at most about sqrt(len(x)) buckets
    n = x.size
    with np.errstate(over="ignore", invalid="ignore"):
        if bins == "scott":
            width = (24.0 * math.pi**0.5 / n) ** (1.0 / 3.0) * float(np.std(x))
        else:
            q75, q25 = np.percentile(x, [75, 25])
            width = 2.0 * float(q75 - q25) * n ** (-1.0 / 3.0)
            if bins == "auto":
                sturges = span / (math.log2(n) + 1.0)
                width = min(width, sturges) if width > 0 else sturges
    if not math.isfinite(width):
        raise ValueError(f"bins={bins!r} cannot size buckets for these values: their spread overflows float64; "
                         "pass a number of buckets or explicit edges instead")
    if width > 0 and span / width > MAX_BUCKETS:
        raise ValueError(f"bins={bins!r} would make about {span / width:.3g} buckets for these values (at most "
                         f"{MAX_BUCKETS}): their range is wide against their spread; pass a number of buckets instead")


def histogram_proto(values: Any, bins: Any = "tensorflow", max_bins: int | None = None, name: str = "values",
                    *, checked: bool = False, label: str | None = None, stacklevel: int = 1) -> summary_pb2.HistogramProto:
    """Bucket ``values``: NaN and Inf are left out with a ``NonFiniteWarning`` naming ``label``
    (default ``name``; ``stacklevel`` as seen from the caller), and bad values or ``bins`` for
    them raise naming ``name`` or ``bins`` (``finite_values``, ``check_rule_buckets``).
    ``checked``: ``values`` is already a non-empty, finite, 1-D float vector.

    With the default bins and the compiled kernel, a float64 or float32 array is read once
    (buckets, min, max, sums and the finite check together) and not copied. The sum of squares
    is numpy's dot up to ``DOT_MAX`` values, numpy's pairwise sum of squares beyond."""
    default_bins = isinstance(bins, str) and bins == "tensorflow"
    stats = None
    if default_bins:
        flat = values if checked else _float_vector(values)
        if flat is not None:
            stats = _native_stats(flat, finite=checked)
    squares = None
    if stats is not None:
        x, (counts, lo, hi, total, squares) = flat, stats
        edges = tensorflow_edges()
    else:
        x, total = (values, None) if checked else _finite_and_sum(values, name, label, stacklevel + 1)
        if not checked:
            check_rule_buckets(x, bins)
        if default_bins:
            edges = tensorflow_edges()
            counts, lo, hi, kernel_total, squares = _bucket_stats(x)
            total = total if total is not None else kernel_total
        else:
            counts, edges = np.histogram(x, bins=bins)
            lo, hi = float(x.min()), float(x.max())
    counts = counts.astype(np.float64)
    if max_bins is not None and len(counts) > max_bins:
        counts, edges = subsample_buckets(counts, np.asarray(edges, dtype=np.float64), max_bins)
    nonzero = np.flatnonzero(counts)
    first, last = int(nonzero[0]), int(nonzero[-1])
    if first > 0:
        counts = counts[first - 1 : last + 1]
        limits = edges[first : last + 2]
    else:
        counts = np.concatenate(([0.0], counts[: last + 1]))
        limits = np.concatenate(([edges[0]], edges[1 : last + 2]))
    if total is None:
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(x.sum(dtype=np.float64))
    if squares is None or len(x) <= DOT_MAX:
        squares = _sum_squares(x)
    return _histogram_message(lo, hi, float(len(x)), total, squares, limits, counts)


_STATS = struct.Struct("<BdBdBdBdBd")


def _histogram_message(lo: float, hi: float, num: float, total: float, squares: float, limits: np.ndarray,
                       counts: np.ndarray) -> summary_pb2.HistogramProto:
    """The HistogramProto, parsed from its wire form written here: fields 1-5 as doubles, the
    limits (6) and counts (7) packed straight from the arrays (six times faster than handing
    protobuf two lists of Python floats: a histogram of 1,000 values took 60 us, most of it there)."""
    lb = np.ascontiguousarray(limits, dtype="<f8").tobytes()
    cb = np.ascontiguousarray(counts, dtype="<f8").tobytes()
    wire = b"".join((_STATS.pack(0x09, lo, 0x11, hi, 0x19, num, 0x21, total, 0x29, squares),
                     b"\x32", _varint(len(lb)), lb, b"\x3a", _varint(len(cb)), cb))
    return summary_pb2.HistogramProto.FromString(wire)


def _float_vector(values: Any) -> np.ndarray | None:
    """``values`` as a plain 1-D float array (a view where it can be) when they are a non-empty
    float array (of any ndarray subclass), else None."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f" and values.size:
        return np.asarray(values).reshape(-1)
    return None


def _sum_squares(x: np.ndarray) -> float:
    """Sum of squares (inf, without a warning, when it overflows float64, as the sum may): numpy's
    dot up to ``DOT_MAX`` values, beyond it the pairwise sum the kernel gives (``numpy_sums``)."""
    if len(x) > DOT_MAX:
        return numpy_sums(x, np.getbufsize())[1]
    with np.errstate(over="ignore", invalid="ignore"):
        if x.dtype == np.float64:
            return float(np.dot(x, x))
        return float(sum(np.dot(c, c) for c in (x[i : i + _CHUNK].astype(np.float64) for i in range(0, len(x), _CHUNK))))


def histogram_raw_proto(min: float, max: float, num: float, sum: float, sum_squares: float,
                        bucket_limits: Any, bucket_counts: Any) -> summary_pb2.HistogramProto:
    """A histogram from precomputed statistics (``add_histogram_raw``)."""
    limits = np.asarray(bucket_limits, dtype=np.float64).reshape(-1)
    counts = np.asarray(bucket_counts, dtype=np.float64).reshape(-1)
    if len(limits) != len(counts):
        raise ValueError(f"bucket_limits and bucket_counts must have the same length, got {len(limits)} and {len(counts)}")
    if len(limits) == 0:
        raise ValueError("bucket_limits must not be empty")
    if len(limits) > MAX_BUCKETS:
        raise ValueError(f"bucket_limits may have at most {MAX_BUCKETS} buckets, got {len(limits)}")
    if np.isnan(limits).any():
        raise ValueError("bucket_limits must not be NaN")
    if np.any(np.diff(limits) < 0):
        raise ValueError("bucket_limits must be increasing")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("bucket_counts must be finite and non-negative")
    return summary_pb2.HistogramProto(
        min=float(min), max=float(max), num=float(num), sum=float(sum), sum_squares=float(sum_squares),
        bucket_limit=limits.tolist(), bucket=counts.tolist(),
    )
