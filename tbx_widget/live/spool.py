"""Spool: encoded batches kept in a temporary file, to be emitted later in the order put.

The follower encodes a big logdir's full data during the same read that gathers its overviews
(follower.py), but must send the overviews first: the batches wait here, on disk, with one
batch in memory at a time. ``full`` says when the next batch would take the file past
``max_bytes`` (the caller then gives up spooling).
"""
from __future__ import annotations

import pickle
import tempfile
from typing import Iterator

from .encode import Batch

__all__ = ["Spool"]


class Spool:
    """Batches written to an anonymous temporary file; ``replay`` yields them back once."""

    def __init__(self, max_bytes: int) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be an integer >= 1, got {max_bytes!r}")
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.count = 0
        self.full = False  # a batch was refused: the spool is incomplete
        self._file = tempfile.TemporaryFile(prefix="tbx_spool_")

    def put(self, batch: Batch) -> None:
        """Append ``batch`` (refused, and ``full`` set, once it would pass ``max_bytes``)."""
        if self._file is None:
            raise ValueError("put on a closed spool")
        if self.full:
            return
        size = sum(len(b) for b in batch.buffers)
        if self.nbytes + size > self.max_bytes:
            self.full = True
            return
        pickle.dump((batch.content, batch.buffers, batch.events), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.nbytes += size
        self.count += 1

    def replay(self) -> Iterator[Batch]:
        """Every batch put, in order, read back one at a time."""
        if self._file is None:
            raise ValueError("replay of a closed spool")
        if self.full:
            raise ValueError("replay of an incomplete spool (a batch was refused)")
        self._file.flush()
        self._file.seek(0)
        for _ in range(self.count):
            content, buffers, events = pickle.load(self._file)
            yield Batch(content, buffers, events)

    def close(self) -> None:
        """Delete the file (a closed spool takes no more batches)."""
        if self._file is not None:
            self._file.close()
            self._file = None
