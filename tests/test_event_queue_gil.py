"""A followed writer's flush gets the GIL promptly under a busy loop (issue 19): while a dashboard
follows its file, the writer thread holds the short switch interval (gil.py) from its wake-up
through the flush; an unfollowed writer leaves the interpreter's interval alone."""
from __future__ import annotations

import sys

import pytest

from live_helpers import StubSink, default_interval, followed, log_through  # noqa: F401  (tests/live_helpers.py)
from tbx_widget import gil

pytestmark = pytest.mark.usefixtures("default_interval")


class IntervalSink(StubSink):
    """Records the switch interval in force at each write and flush."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.seen: list[tuple[str, float]] = []

    def write(self, data: bytearray) -> int:
        self.seen.append(("write", sys.getswitchinterval()))
        return len(data)

    def flush(self) -> None:
        self.seen.append(("flush", sys.getswitchinterval()))


def test_a_followed_writer_flushes_with_the_short_interval(tmp_path):
    sink = IntervalSink(str(tmp_path / "run" / "events"))
    with followed(tmp_path):
        log_through(sink, 0.6)
    flushes = [v for what, v in sink.seen if what == "flush"]
    assert len(flushes) >= 3
    # the first round, before the thread knew a dashboard follows, may use the default
    assert all(v == pytest.approx(gil.HANDOFF_SECS) for v in flushes[1:]), flushes
    assert gil.holders() == 0
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_an_unfollowed_writer_leaves_the_interval_alone(tmp_path):
    sink = IntervalSink(str(tmp_path / "run" / "events"))
    log_through(sink, 0.4, flush_secs=0.1)
    assert sink.seen
    assert all(v == pytest.approx(0.005) for _, v in sink.seen)
