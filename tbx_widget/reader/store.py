"""Where a run's data accumulates: scalar series in numpy blocks, other kinds in lists."""
from __future__ import annotations

from typing import Any

import numpy as np

from .items import ScalarSeries

__all__ = ["ScalarStore", "ItemStore"]

_EMPTY = ScalarSeries(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))


def _readonly(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.flags.writeable = False
    return arrays


class ScalarStore:
    """Append-only scalar series kept as a few numpy blocks of decreasing size.

    Appending adds a block and merges the last blocks while they are of similar size, so the
    number of blocks stays logarithmic and copying stays amortised. Reading from an offset
    concatenates only the blocks that hold it; reading everything consolidates into one block.
    Arrays handed out are read-only and never change afterwards (purges build new arrays).
    """

    __slots__ = ("_blocks", "_n")

    def __init__(self) -> None:
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._n = 0  # points held

    def __len__(self) -> int:
        return self._n

    def append(self, step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
        if len(step) == 0:
            return
        self._blocks.append(_readonly(np.asarray(step, np.int64), np.asarray(wall, np.float64), np.asarray(value, np.float64)))
        self._n += len(step)
        blocks = self._blocks
        while len(blocks) > 1 and len(blocks[-2][0]) <= 2 * len(blocks[-1][0]):
            b = blocks.pop()
            a = blocks.pop()
            blocks.append(_readonly(*(np.concatenate((x, y)) for x, y in zip(a, b))))

    def series(self, start: int = 0) -> ScalarSeries:
        """The points from index ``start`` on."""
        start = max(0, int(start))
        if start >= self._n:
            return _EMPTY
        if start == 0 and len(self._blocks) > 1:
            merged = _readonly(*(np.concatenate(col) for col in zip(*self._blocks)))
            self._blocks = [merged]
        first = 0
        skip = start
        while skip >= len(self._blocks[first][0]):
            skip -= len(self._blocks[first][0])
            first += 1
        wanted = self._blocks[first:]
        if len(wanted) == 1:
            s, w, v = wanted[0]
            return ScalarSeries(s[skip:], w[skip:], v[skip:])
        cols = [np.concatenate([blk[i][skip:] if k == 0 else blk[i] for k, blk in enumerate(wanted)]) for i in range(3)]
        return ScalarSeries(*_readonly(*cols))

    def purge(self, step: int) -> bool:
        """Drop the points whose step is >= ``step``; True when any was dropped."""
        if not self._n:
            return False
        full = self.series(0)
        keep = full.step < step
        if keep.all():
            return False
        self._blocks = [_readonly(full.step[keep], full.wall_time[keep], full.value[keep])]
        self._n = int(keep.sum())
        if not self._n:
            self._blocks = []
        return True


class ItemStore:
    """Append-only list of items, with the same purge rule as ``ScalarStore``."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[Any] = []

    def __len__(self) -> int:
        return len(self.items)

    def extend(self, items: Any) -> None:
        self.items.extend(items)

    def slice(self, start: int = 0) -> list[Any]:
        return self.items[max(0, int(start)) :]

    def purge(self, step: int) -> bool:
        """Drop the items whose step is >= ``step``; True when any was dropped."""
        kept = [it for it in self.items if it.step < step]
        if len(kept) == len(self.items):
            return False
        self.items = kept
        return True
