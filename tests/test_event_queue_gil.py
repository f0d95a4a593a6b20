"""A followed writer's flush gets the GIL promptly under a busy loop (issue 19): while a dashboard
follows its file, the writer thread holds the short switch interval (gil.py) from its wake-up
through the flush; an unfollowed writer leaves the interpreter's interval alone."""
from __future__ import annotations

import sys
import time

import pytest

from tbx_widget import gil, signals
from tbx_widget.event_queue import EventQueue


class IntervalSink:
    """Records the switch interval in force at each write and flush."""

    live_secs = 0.1
    opened = True
    dirty = False

    def __init__(self, path: str) -> None:
        self.path = path
        self.seen: list[tuple[str, float]] = []

    def open(self) -> None:
        pass

    def write(self, data: bytearray) -> int:
        self.seen.append(("write", sys.getswitchinterval()))
        return len(data)

    def flush(self) -> None:
        self.seen.append(("flush", sys.getswitchinterval()))

    def close(self) -> None:
        pass

    def forget(self) -> None:
        pass


@pytest.fixture(autouse=True)
def default_interval():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    sys.setswitchinterval(before)


def log_for(queue: EventQueue, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        queue.enqueue(b"x" * 16)
        time.sleep(0.005)


def test_a_followed_writer_flushes_with_the_short_interval(tmp_path):
    sink = IntervalSink(str(tmp_path / "run" / "events"))
    listener = lambda path: None  # noqa: E731
    signals.subscribe(listener, root=tmp_path)
    try:
        queue = EventQueue(sink, flush_secs=2.0)
        queue.start()
        log_for(queue, 0.6)
        queue.stop()
    finally:
        signals.unsubscribe(listener)
    flushes = [v for what, v in sink.seen if what == "flush"]
    assert len(flushes) >= 3
    # the first round, before the thread knew a dashboard follows, may use the default
    assert all(v == pytest.approx(gil.HANDOFF_SECS) for v in flushes[1:]), flushes
    assert gil.holders() == 0
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_an_unfollowed_writer_leaves_the_interval_alone(tmp_path):
    sink = IntervalSink(str(tmp_path / "run" / "events"))
    queue = EventQueue(sink, flush_secs=0.1)
    queue.start()
    log_for(queue, 0.4)
    queue.stop()
    assert sink.seen
    assert all(v == pytest.approx(0.005) for _, v in sink.seen)
