"""SeriesFile: the full scalar data of a big logdir, on disk, read back one series at a time.

A dashboard on a big logdir sends the browser each scalar series' overview, and its full data
only when the browser asks for it (a card in view or zoomed; docs/protocol.md, "Full data on
request"). The kernel keeps that full data here: an anonymous temporary file holding, per piece
of a series as the read delivered it, its steps (int64: every step comes back exact), wall
times and values (float64), 24 bytes a point, with an index in memory of where each piece lies
(a few dozen bytes a piece). Memory stays flat however big the logdir; the disk holds about
the encoded size. Data from later polls is appended the same way.
"""
from __future__ import annotations

import os
import tempfile
import weakref
from typing import Any, Iterable

import numpy as np

from ..reader import ScalarSeries

__all__ = ["SeriesFile"]

_POINT = 24  # bytes a point: step (int64), wall time and value (float64)


class SeriesFile:
    """Scalar series appended piece by piece to a temporary file; ``read`` gives one back whole."""

    def __init__(self) -> None:
        self._file: Any = tempfile.TemporaryFile(prefix="tbx_series_", buffering=0)
        # A follower dropped without close() (a widget collected): the file goes with it, quietly.
        self._finalizer = weakref.finalize(self, self._file.close)
        self._end = 0
        self._index: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (run, tag) -> [(offset, points)]

    @property
    def nbytes(self) -> int:
        """Bytes written to the file."""
        return self._end

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def keys(self) -> Iterable[tuple[str, str]]:
        """The (run, tag) of every series held."""
        return self._index.keys()

    def points(self, run: str, tag: str) -> int:
        """Points held of ``run``/``tag`` (0 when none)."""
        return sum(n for _, n in self._index.get((run, tag), ()))

    def append(self, run: str, tag: str, piece: ScalarSeries) -> None:
        """Append the next points of ``run``/``tag`` (in the order they were logged)."""
        if self._file is None:
            raise ValueError("append to a closed SeriesFile")
        n = len(piece.step)
        if n == 0:
            return
        if len(piece.wall_time) != n or len(piece.value) != n:
            raise ValueError(f"scalars {run}/{tag}: {n} steps, {len(piece.wall_time)} wall times, {len(piece.value)} values")
        cols = [np.ascontiguousarray(piece.step, "<i8"), np.ascontiguousarray(piece.wall_time, "<f8"),
                np.ascontiguousarray(piece.value, "<f8")]
        fd = self._file.fileno()
        if hasattr(os, "pwritev"):  # the three columns in one call, without a copy
            written = os.pwritev(fd, cols, self._end)
        else:
            os.lseek(fd, self._end, os.SEEK_SET)
            written = sum(os.write(fd, c) for c in cols)
        if written != _POINT * n:  # a full disk writes short: say so, nothing half indexed
            raise OSError(f"series file: wrote {written} of {_POINT * n} bytes")
        self._index.setdefault((run, tag), []).append((self._end, n))
        self._end += _POINT * n

    def read(self, run: str, tag: str) -> ScalarSeries:
        """Every point held of ``run``/``tag``, in order (steps as int64, as the reader gives them)."""
        if self._file is None:
            raise ValueError("read of a closed SeriesFile")
        pieces = self._index.get((run, tag), [])
        total = sum(n for _, n in pieces)
        step, wall, value = np.empty(total, np.int64), np.empty(total), np.empty(total)
        fd = self._file.fileno()
        at = 0
        for offset, n in pieces:
            raw = _pread(fd, _POINT * n, offset)
            step[at : at + n] = np.frombuffer(raw, "<i8", n)
            wall[at : at + n] = np.frombuffer(raw, "<f8", n, 8 * n)
            value[at : at + n] = np.frombuffer(raw, "<f8", n, 16 * n)
            at += n
        return ScalarSeries(step, wall, value)

    def close(self) -> None:
        """Delete the file (a closed SeriesFile holds nothing)."""
        if self._file is not None:
            self._finalizer()
            self._file = None
        self._index.clear()
        self._end = 0


def _pread(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # (Windows)
    return os.read(fd, size)
