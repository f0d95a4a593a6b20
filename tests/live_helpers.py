"""Helpers shared by the tests of the writer thread and the pump (``tests/test_event_queue_*.py``,
``tests/test_pump*.py``, ``tests/test_widget.py``): waiting on a condition, a dashboard following a
directory, a loop logging for a while, a stand-in sink, and a known switch interval per test."""
from __future__ import annotations

import contextlib
import pathlib
import sys
import time
from typing import Any, Callable, Iterator

import pytest

from tbx_widget import signals
from tbx_widget.event_queue import EventQueue


def wait_for(cond: Callable[[], object], timeout: float = 10.0, every: float = 0.01) -> bool:
    """True as soon as ``cond()`` holds, polling every ``every`` seconds; its last answer after
    ``timeout`` seconds otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(every)
    return bool(cond())


@contextlib.contextmanager
def followed(root: str | pathlib.Path) -> Iterator[None]:
    """A dashboard follows ``root`` (a flush listener subscribed to it) for the ``with`` block."""
    listener = lambda path: None  # noqa: E731
    signals.subscribe(listener, root=root)
    try:
        yield
    finally:
        signals.unsubscribe(listener)


def log_for(queue: EventQueue, seconds: float, every: float = 0.005) -> None:
    """A training loop logging a 16-byte item every ``every`` seconds for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        queue.enqueue(b"x" * 16)
        time.sleep(every)


def log_through(sink: Any, seconds: float, flush_secs: float = 2.0) -> None:
    """A writer's queue on ``sink`` (``flush_secs``) started, a loop logging into it for
    ``seconds`` (``log_for``), then stopped (its last flush done)."""
    queue = EventQueue(sink, flush_secs=flush_secs)
    queue.start()
    log_for(queue, seconds)
    queue.stop()


class StubSink:
    """A sink the EventQueue can drive with no file behind it: it takes what it is written and
    does nothing else. Tests subclass it to record writes and flushes."""

    live_secs = 0.1
    opened = True
    dirty = False

    def __init__(self, path: str = "stub") -> None:
        self.path = path

    def open(self) -> None:
        pass

    def write(self, data: bytearray) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def forget(self) -> None:
        pass


@pytest.fixture
def default_interval() -> Iterator[None]:
    """The interpreter's switch interval is 5 ms during the test (given back after). Modules
    import it and use it as ``pytestmark = pytest.mark.usefixtures("default_interval")``."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    sys.setswitchinterval(before)
