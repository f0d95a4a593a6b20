"""The pump wakes on flush notices under its logdir, rate-limits, and survives errors; the pacer
bounds the bytes in flight to the browser."""
from __future__ import annotations

import os
import threading
import time

import pytest

from live_helpers import wait_for  # tests/live_helpers.py
from tbx_widget import signals
from tbx_widget.live.pacing import Pacer
from tbx_widget.live.pump import Pump


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


# -- pacing: bytes in flight bounded by acks, a paced rate when acks are held back ------------


class FakeClock:
    """A clock that only moves when the pacer waits (or the test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, _cond, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def fake_pacer(**kwargs) -> tuple[Pacer, FakeClock, list[tuple[float, int, int]]]:
    clock = FakeClock()
    sent: list[tuple[float, int, int]] = []  # (time, seq, bytes) of each send, as the fake send saw it
    pacer = Pacer(clock=clock, wait=clock.wait, **kwargs)
    return pacer, clock, sent


def test_sends_freely_within_the_window_and_waits_beyond_it():
    pacer, clock, sent = fake_pacer(window_bytes=100, ack_timeout=1.0, paced_rate=50)
    for seq, n in ((1, 60), (2, 40)):
        assert pacer.send(seq, n, lambda seq=seq, n=n: sent.append((clock.now, seq, n)))
    assert clock.waits == [] and pacer.in_flight == 100
    # Full: room comes after the ack timeout, at the paced rate (10 bytes at 50 B/s).
    assert pacer.delay(10) == pytest.approx(1.2)
    pacer.ack(1)
    assert pacer.in_flight == 40 and pacer.delay(60) == 0
    pacer.ack(2)
    assert pacer.in_flight == 0
    # Nothing in flight: a batch larger than the window still goes, alone.
    assert pacer.send(3, 500, lambda: sent.append((clock.now, 3, 500)))
    assert clock.waits == [] and pacer.delay(1) > 0


def test_an_ack_releases_a_waiting_send_at_once():
    pacer = Pacer(window_bytes=100, ack_timeout=60, paced_rate=1)  # real clock: only an ack can help
    pacer.send(1, 100, lambda: None)
    done = threading.Event()
    worker = threading.Thread(target=lambda: pacer.send(2, 100, done.set), daemon=True)
    worker.start()
    time.sleep(0.2)
    assert not done.is_set()  # blocked: the window is full and the timeout is a minute away
    t0 = time.monotonic()
    pacer.ack(1)
    assert done.wait(2.0) and time.monotonic() - t0 < 1.0
    worker.join(1.0)
    assert pacer.acks == 1 and pacer.in_flight == 100


def test_without_acks_the_rate_is_bounded_and_never_stops():
    window, timeout, rate = 100, 1.0, 50.0
    pacer, clock, sent = fake_pacer(window_bytes=window, ack_timeout=timeout, paced_rate=rate)
    for seq in range(1, 41):
        assert pacer.send(seq, 25, lambda seq=seq: sent.append((clock.now, seq, 25)))
    assert [s for _, s, _ in sent] == list(range(1, 41))  # all went out, in order, none dropped
    total = 0
    for when, _seq, n in sent:
        total += n
        # Never more than the window plus what the paced rate allows after the timeout.
        assert total <= window + max(0.0, when - timeout) * rate + 1e-6
    # ...and not slower than that either: 1,000 bytes, 100 at once, the rest at 50 B/s after 1 s.
    assert sent[-1][0] == pytest.approx(timeout + (40 * 25 - window) / rate)


def test_an_ack_after_the_fallback_restores_full_speed():
    pacer, clock, sent = fake_pacer(window_bytes=100, ack_timeout=1.0, paced_rate=10)
    pacer.send(1, 100, lambda: None)
    clock.now = 3.0  # two seconds of paced drain: 20 bytes
    assert pacer.in_flight == pytest.approx(80)
    pacer.ack(1)  # the cell ended; the browser's held-back ack arrives
    assert pacer.in_flight == 0
    for seq in (2, 3, 4, 5):
        pacer.send(seq, 25, lambda: None)
    assert clock.waits == []  # a whole window again, without waiting


def test_slow_acks_never_pace_below_the_paced_rate():
    """An ack only frees what it covers: the older batches still waiting keep draining at the
    paced rate (a page busy drawing acks late, yet applies batches cheaply)."""
    pacer, clock, sent = fake_pacer(window_bytes=100, ack_timeout=1.0, paced_rate=50)
    for seq in (1, 2, 3, 4):
        pacer.send(seq, 25, lambda: None)
    clock.now = 0.9
    pacer.ack(1)
    pacer.send(5, 25, lambda: sent.append((clock.now, 5, 25)))  # fits: the ack freed 25 bytes
    pacer.send(6, 25, lambda: sent.append((clock.now, 6, 25)))
    # Batch 2 has waited since t=0: the drain starts at t=1.0, 25 bytes at 50 B/s take 0.5 s.
    assert [round(t, 6) for t, _, _ in sent] == [0.9, 1.5]


def test_close_releases_a_waiting_send_without_sending():
    pacer = Pacer(window_bytes=10, ack_timeout=60, paced_rate=1)
    pacer.send(1, 10, lambda: None)
    called, result = [], []
    worker = threading.Thread(target=lambda: result.append(pacer.send(2, 10, lambda: called.append(1))), daemon=True)
    worker.start()
    time.sleep(0.1)
    pacer.close()
    worker.join(2.0)
    assert result == [False] and called == []


@pytest.mark.parametrize(
    "kwargs, name",
    [({"window_bytes": 0}, "window_bytes"), ({"ack_timeout": -1}, "ack_timeout"), ({"paced_rate": "fast"}, "paced_rate")],
)
def test_pacer_arguments_are_checked(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Pacer(**kwargs)


def test_no_paced_fallback_while_acks_can_arrive():
    """A kernel that is idle gets acks as soon as the page sends them: a late ack means a slow
    page, so the kernel waits for it instead of queueing more bytes in front of the pings."""
    busy = [False]
    pacer, clock, sent = fake_pacer(window_bytes=100, ack_timeout=1.0, paced_rate=50, held_back=lambda: busy[0])
    pacer.send(1, 100, lambda: None)
    clock.now = 30.0
    assert pacer.in_flight == 100  # thirty seconds, no drain: the kernel was idle
    assert 0 < pacer.delay(10) <= 0.25  # it only re-checks
    busy[0] = True  # a cell starts: acks are held back now
    clock.now = 31.0
    assert pacer.in_flight == 100  # the drain clock restarts at the switch...
    clock.now = 32.0
    assert pacer.in_flight == pytest.approx(50)  # ...then drains at the paced rate
    pacer.reset()  # a new page said "ready": nothing it could acknowledge is in flight
    assert pacer.in_flight == 0 and pacer.delay(100) == 0


def test_an_idle_kernel_with_no_page_trickles_after_a_long_silence():
    """No ack for a long time on an idle kernel means no page (nbconvert, a closed tab): the
    bytes trickle out at an eighth of the paced rate so the kernel never stalls for good."""
    pacer, clock, sent = fake_pacer(window_bytes=100, ack_timeout=1.0, paced_rate=80, held_back=lambda: False, idle_ack_timeout=30.0)
    for seq in range(1, 5):
        pacer.send(seq, 100, lambda seq=seq: sent.append((clock.now, seq, 100)))
    times = [t for t, _, _ in sent]
    assert times[0] == 0 and times[1] >= 30  # nothing until the silence is long enough
    # ...then 100 bytes each at 10 B/s (checked every 0.25 s): about 10 s apart.
    assert 9.5 <= times[2] - times[1] <= 10.5 and 9.5 <= times[3] - times[2] <= 10.5
