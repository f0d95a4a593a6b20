"""Prompt GIL hand-offs while live work is pending (issue 19: a busy training loop).

A training loop that holds the GIL (pure-Python or dispatch-bound code) gives it up only when
the interpreter forces a switch, ``sys.getswitchinterval()`` after another thread asked for it
(5 ms by default). A background thread then pays that much every time it blocks and wants the
GIL back: the writer thread framing and flushing events, the dashboard's pump reading, encoding
and sending a batch, each do so dozens of times per flush, so a step costing 15 ms of CPU took
50-350 ms of wall time at 50,000 events a second.

``hold()`` lowers the switch interval to ``HANDOFF_SECS`` until the matching ``release()``
(``handoff()`` is the same as a ``with`` block). Only while live work is pending: the loop is
interrupted more often only when one of those threads actually waits for the GIL, and the
interpreter's own value (or the user's) is back as soon as no holder is left. Holders are
counted across threads; a value that someone else set meanwhile is left as it is. A forked child
(a data-loader worker) starts with the interval given back and no holders.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Iterator

__all__ = ["HANDOFF_SECS", "hold", "release", "handoff", "holders"]

HANDOFF_SECS = 0.001  # the switch interval while live work is pending

_lock = threading.Lock()
_holders = 0
_saved: float | None = None  # the interval before the first holder (None: left as it was)
_set: float | None = None  # the interval the first holder set


def hold() -> None:
    """Lower the interpreter's switch interval to ``HANDOFF_SECS`` (if it is longer) until the
    matching ``release()``. Safe from any thread; calls nest and are counted."""
    global _holders, _saved, _set
    with _lock:
        _holders += 1
        if _holders == 1:
            current = sys.getswitchinterval()
            if current > HANDOFF_SECS:
                sys.setswitchinterval(HANDOFF_SECS)
                _saved, _set = current, sys.getswitchinterval()
            else:
                _saved = _set = None


def release() -> None:
    """End one ``hold()``; the last one restores the interval, unless it was changed meanwhile."""
    global _holders, _saved, _set
    with _lock:
        if _holders <= 0:
            raise RuntimeError("gil.release() without a matching hold()")
        _holders -= 1
        if _holders == 0:
            if _saved is not None and sys.getswitchinterval() == _set:
                sys.setswitchinterval(_saved)
            _saved = _set = None


@contextlib.contextmanager
def handoff() -> Iterator[None]:
    """``hold()`` for the duration of a ``with`` block."""
    hold()
    try:
        yield
    finally:
        release()


def holders() -> int:
    """How many ``hold()`` calls are not yet released."""
    return _holders


def _after_fork_in_child() -> None:
    """A forked child has none of the threads that held: give its interval back, count none."""
    global _holders, _saved, _set, _lock
    _lock = threading.Lock()
    if _holders and _saved is not None and sys.getswitchinterval() == _set:
        sys.setswitchinterval(_saved)
    _holders, _saved, _set = 0, None, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
