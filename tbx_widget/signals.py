"""A tiny in-process hub: event-file writers announce "this file grew", dashboards listen.

It keeps the writer independent of the dashboard (nothing lower imports anything higher):
``event_file`` publishes after each flush to the OS, ``live`` subscribes. A subscriber names the
directory it follows (``root``): it hears only about files under it, and only writers of such
files switch to the fast flush interval (``has_listeners(path)``); a subscriber without a root
hears about every file and speeds up every writer. Callbacks run on the writer's background
thread, so they must be quick; an exception in one is reported through ``warnings`` and never
reaches the writer.
"""
from __future__ import annotations

import os
import threading
import warnings
from typing import Callable

__all__ = ["Listener", "subscribe", "unsubscribe", "publish", "has_listeners"]

Listener = Callable[[str], None]
"""Called with the path of an event file that has just been flushed."""

_lock = threading.Lock()
_listeners: tuple[tuple[Listener, str | None], ...] = ()  # (listener, root + os.sep or None for all)


def _root(path: str | os.PathLike[str]) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"root must be a path (str or os.PathLike), got {type(path).__name__}")
    return os.path.join(os.path.abspath(os.fspath(path)), "")  # with a trailing separator


def _under(path: str, root: str | None) -> bool:
    return root is None or os.path.abspath(path).startswith(root)


def subscribe(listener: Listener, root: str | os.PathLike[str] | None = None) -> None:
    """Call ``listener(path)`` after every flush of a writer in this process whose file is under
    the directory ``root`` (any file when ``root`` is None). Subscribing a listener again
    replaces its root."""
    global _listeners
    entry = (listener, None if root is None else _root(root))
    with _lock:
        _listeners = tuple(x for x in _listeners if x[0] is not listener and x[0] != listener) + (entry,)


def unsubscribe(listener: Listener) -> None:
    """Stop calling ``listener``; unknown listeners are ignored."""
    global _listeners
    with _lock:
        _listeners = tuple(x for x in _listeners if x[0] is not listener and x[0] != listener)


def publish(path: str) -> None:
    """Tell every listener following ``path`` that it grew. Never raises."""
    for listener, root in _listeners:  # a tuple snapshot: subscribe/unsubscribe may run concurrently
        if not _under(path, root):
            continue
        try:
            listener(path)
        except Exception as exc:  # a broken dashboard must never stop a training run
            warnings.warn(f"tbx_widget flush listener {listener!r} failed: {exc!r}", RuntimeWarning)


def has_listeners(path: str | None = None) -> bool:
    """True while someone follows ``path`` (any file when ``path`` is None): its writer then
    flushes more often for a live view."""
    listeners = _listeners
    if path is None:
        return bool(listeners)
    return any(_under(path, root) for _, root in listeners)
