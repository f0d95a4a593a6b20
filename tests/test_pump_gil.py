"""The pump gets the GIL promptly under a busy training loop (issue 19): from a flush notice
(on the writer's thread) until its step ends the switch interval is lowered, then given back."""
from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from live_helpers import default_interval, wait_for  # noqa: F401  (tests/live_helpers.py)
from tbx_widget import gil, signals
from tbx_widget.live.pump import Pump

pytestmark = pytest.mark.usefixtures("default_interval")


def test_flush_notice_lowers_the_interval_until_the_step_ends(tmp_path):
    seen, release = [], threading.Event()

    def step():
        seen.append(sys.getswitchinterval())
        release.wait(5)

    pump = Pump(step, str(tmp_path), poll_interval=30, min_gap=0.0)
    try:
        assert wait_for(lambda: not pump._held)  # nothing due yet: the interval is the interpreter's
        assert sys.getswitchinterval() == pytest.approx(0.005)
        # Publishing is synchronous: the interval is lowered on the notifying thread, before the
        # pump thread has even woken (a woken thread first has to win the GIL back).
        signals.publish(os.path.join(tmp_path, "run", "events.out.tfevents.1"))
        assert sys.getswitchinterval() == pytest.approx(gil.HANDOFF_SECS)
        assert wait_for(lambda: len(seen) == 1)
        assert seen[0] == pytest.approx(gil.HANDOFF_SECS)  # the step runs with it
        assert sys.getswitchinterval() == pytest.approx(gil.HANDOFF_SECS)
        release.set()
        assert wait_for(lambda: sys.getswitchinterval() == pytest.approx(0.005))  # given back after
    finally:
        release.set()
        pump.stop()
    assert gil.holders() == 0


def test_notices_for_other_directories_change_nothing(tmp_path):
    pump = Pump(lambda: None, str(tmp_path / "followed"), poll_interval=30, min_gap=0.0)
    try:
        assert wait_for(lambda: not pump._held)
        signals.publish(os.path.join(tmp_path, "other", "events.out.tfevents.1"))
        assert sys.getswitchinterval() == pytest.approx(0.005)
    finally:
        pump.stop()


def test_stop_gives_the_interval_back(tmp_path):
    started = threading.Event()

    def step():
        started.set()
        time.sleep(0.1)

    pump = Pump(step, str(tmp_path), poll_interval=30, min_gap=0.0)
    pump.wake()  # as a new dashboard does
    assert started.wait(5)
    assert gil.holders() == 1  # the step holds it
    pump.stop()
    assert not pump.running
    assert gil.holders() == 0
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_a_notice_after_stop_holds_nothing(tmp_path):
    pump = Pump(lambda: None, str(tmp_path), poll_interval=30, min_gap=0.0)
    pump.stop()
    pump._on_flush(os.path.join(tmp_path, "run", "events.out.tfevents.1"))  # a publish racing stop()
    assert gil.holders() == 0
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_the_interval_stays_short_a_little_after_the_step(tmp_path):
    """The batches a step sent still leave through the kernel's IOPub thread, which needs the GIL:
    the short interval lasts ``linger`` seconds past the step, then is given back."""
    ended = []

    pump = Pump(lambda: ended.append(time.monotonic()), str(tmp_path), poll_interval=30, min_gap=0.0)
    pump.linger = 0.3
    try:
        pump.wake()
        assert wait_for(lambda: ended)
        time.sleep(0.1)
        assert sys.getswitchinterval() == pytest.approx(gil.HANDOFF_SECS)  # within the linger
        assert wait_for(lambda: sys.getswitchinterval() == pytest.approx(0.005))
        assert time.monotonic() - ended[0] >= 0.29
    finally:
        pump.stop()


def test_a_timed_poll_leaves_the_interval_alone(tmp_path):
    """An idle dashboard polls on a timer (other processes' writers): those steps hold nothing, so
    a dashboard left open does not keep lowering the interpreter's switch interval."""
    seen = []

    def step():
        seen.append((sys.getswitchinterval(), gil.holders()))

    pump = Pump(step, str(tmp_path), poll_interval=0.05, min_gap=0.0)
    try:
        assert wait_for(lambda: len(seen) >= 4)
    finally:
        pump.stop()
    assert all(interval == pytest.approx(0.005) and holders == 0 for interval, holders in seen), seen
