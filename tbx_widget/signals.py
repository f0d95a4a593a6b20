"""A tiny in-process hub: event-file writers announce "this file grew", dashboards listen.

It keeps the writer independent of the dashboard (nothing lower imports anything higher):
``event_file`` publishes after each flush to the OS, ``live`` subscribes. Callbacks run on
the writer's background thread, so they must be quick; an exception in one is reported
through ``warnings`` and never reaches the writer.
"""
from __future__ import annotations

import threading
import warnings
from typing import Callable

__all__ = ["Listener", "subscribe", "unsubscribe", "publish", "has_listeners"]

Listener = Callable[[str], None]
"""Called with the path of an event file that has just been flushed."""

_lock = threading.Lock()
_listeners: tuple[Listener, ...] = ()


def subscribe(listener: Listener) -> None:
    """Call ``listener(path)`` after every flush of any writer in this process."""
    global _listeners
    with _lock:
        if listener not in _listeners:
            _listeners = _listeners + (listener,)


def unsubscribe(listener: Listener) -> None:
    """Stop calling ``listener``; unknown listeners are ignored."""
    global _listeners
    with _lock:
        _listeners = tuple(x for x in _listeners if x is not listener and x != listener)


def publish(path: str) -> None:
    """Tell every listener that ``path`` grew. Never raises."""
    for listener in _listeners:  # a tuple snapshot: subscribe/unsubscribe may run concurrently
        try:
            listener(path)
        except Exception as exc:  # a broken dashboard must never stop a training run
            warnings.warn(f"tbx_widget flush listener {listener!r} failed: {exc!r}", RuntimeWarning)


def has_listeners() -> bool:
    """True while a dashboard is following: writers then flush more often for a live view."""
    return bool(_listeners)
