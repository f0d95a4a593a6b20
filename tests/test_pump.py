"""The pump wakes on flush notices under its logdir, rate-limits, and survives errors."""
from __future__ import annotations

import os
import threading
import time

from tbx_widget import signals
from tbx_widget.live.pump import Pump


def wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_wakes_on_flush_under_logdir_only(tmp_path):
    calls = []
    pump = Pump(lambda: calls.append(time.monotonic()), str(tmp_path), poll_interval=30, min_gap=0.01)
    try:
        signals.publish(os.path.join(str(tmp_path) + "-other", "events"))  # sibling dir: ignored
        time.sleep(0.2)
        assert calls == []
        signals.publish(os.path.join(tmp_path, "run", "events.out.tfevents.1"))
        assert wait_for(lambda: len(calls) == 1)
    finally:
        pump.stop()
    assert not pump.running


def test_polls_without_notices(tmp_path):
    calls = []
    pump = Pump(lambda: calls.append(1), str(tmp_path), poll_interval=0.05, min_gap=0.01)
    try:
        assert wait_for(lambda: len(calls) >= 3)
    finally:
        pump.stop()


def test_rate_limit_coalesces_bursts(tmp_path):
    calls = []
    pump = Pump(lambda: calls.append(time.monotonic()), str(tmp_path), poll_interval=30, min_gap=0.2)
    try:
        for _ in range(200):
            pump.wake()
            time.sleep(0.002)
        time.sleep(0.5)
    finally:
        pump.stop()
    assert 1 <= len(calls) <= 5
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert all(g >= 0.19 for g in gaps)


def test_errors_are_reported_and_the_thread_keeps_going(tmp_path):
    errors, calls = [], []
    lock = threading.Lock()

    def step():
        with lock:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("boom")

    pump = Pump(step, str(tmp_path), poll_interval=0.02, min_gap=0.0, on_error=errors.append)
    try:
        assert wait_for(lambda: len(calls) >= 2)
    finally:
        pump.stop()
    assert len(errors) == 1 and "RuntimeError: boom" in errors[0]
