"""The writer thread under a sustained load: the periodic flush comes round even when the training
loop keeps the queue from ever emptying (issue 19, live latency when the loop is busy)."""
from __future__ import annotations

import threading
import time

from live_helpers import StubSink, followed, log_for, log_through  # tests/live_helpers.py
from tbx_widget.event_queue import EventQueue


class TimedSink(StubSink):
    """Keeps what it is given and the monotonic time of each flush."""

    def __init__(self, path: str = "timed") -> None:
        super().__init__(path)
        self.data = bytearray()
        self.flushes: list[float] = []

    def write(self, data: bytearray) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        self.flushes.append(time.monotonic())


def test_periodic_flush_while_the_queue_never_empties():
    """Each item queues the next before the writer thread is done with it, as a loop logging
    faster than the thread drains would: flushes must still arrive about every flush_secs."""
    sink = TimedSink()
    queue = EventQueue(sink, flush_secs=0.05)
    queue.start()
    total, done = 300, threading.Event()

    def item(i: int):
        def produce() -> bytes:
            time.sleep(0.002)  # serialization work
            if i + 1 < total:
                queue.enqueue(item(i + 1))
            else:
                done.set()
            return b"x" * 16

        return produce

    start = time.monotonic()
    queue.enqueue(item(0))
    assert done.wait(30)
    end = time.monotonic()
    flushed = [t for t in sink.flushes if t < end]
    queue.wait_written()
    queue.stop()
    assert end - start > 0.5  # the chain ran long enough for several flush intervals
    # before the fix the thread drained until the queue was empty: no flush until the chain ended
    assert len(flushed) >= 3, f"{len(flushed)} flushes in {end - start:.2f} s of sustained logging"
    gaps = [b - a for a, b in zip([start, *flushed], flushed)]
    assert max(gaps) < 0.5, f"longest wait for a flush {max(gaps):.2f} s (flush_secs 0.05)"
    assert len(sink.data) == total * (16 + 16)  # every record framed (12-byte header + 4-byte crc)


def test_periodic_flushes_keep_their_cadence_when_each_comes_late():
    """Serializing an item takes 60 ms, so each periodic flush comes up to 60 ms after its
    deadline. Before the fix the next deadline was counted from that late flush (gaps of
    100-160 ms for a 100 ms interval); now the deadlines stay on their grid."""
    sink = TimedSink()
    queue = EventQueue(sink, flush_secs=0.1)
    queue.start()
    stop = threading.Event()

    def item() -> bytes:
        time.sleep(0.06)
        if not stop.is_set():
            queue.enqueue(item)
        return b"x" * 16

    queue.enqueue(item)
    time.sleep(2.5)
    stop.set()
    queue.wait_written()
    queue.stop()
    flushes = sink.flushes[:-1]  # the last answers wait_written
    gaps = [b - a for a, b in zip(flushes, flushes[1:])]
    assert len(gaps) >= 10
    mean = sum(gaps) / len(gaps)
    assert mean < 0.112, f"mean gap between periodic flushes {mean * 1000:.0f} ms for a 100 ms interval"
    # and a very late flush is not followed by another a few ms later
    assert min(gaps) > 0.045, f"two periodic flushes {min(gaps) * 1000:.0f} ms apart"


def test_a_followed_writer_frames_items_once_per_flush_not_once_per_burst(tmp_path):
    """While a dashboard follows the file (interval 0.1 s), the thread frames what was queued just
    before each flush: it wakes about once per flush, not once per logging burst, and leaves the
    GIL to a busy training loop in between. Every item is still flushed within an interval or so."""
    sink = TimedSink(str(tmp_path / "run" / "events"))
    with followed(tmp_path):
        queue = EventQueue(sink, flush_secs=2.0)
        queue.start()
        calls: list[tuple[float, float]] = []

        def item(queued: float):
            def produce() -> bytes:
                calls.append((queued, time.monotonic()))
                return b"x" * 16

            return produce

        end = time.monotonic() + 1.0
        while time.monotonic() < end:  # a burst every 5 ms, each finding the queue empty
            queue.enqueue(item(time.monotonic()))
            time.sleep(0.005)
        queue.wait_written()
        queue.stop()
    assert len(calls) >= 50
    wakes = 1 + sum(1 for a, b in zip(calls, calls[1:]) if b[1] - a[1] > 0.003)  # groups framed together
    assert wakes <= 25, f"the writer thread framed items in {wakes} separate wake-ups for {len(calls)} bursts"
    flushes = sink.flushes
    late = [q for q, _ in calls if not any(q <= f <= q + 0.35 for f in flushes)]
    assert not late, f"{len(late)} of {len(calls)} items waited more than 0.35 s for a flush"


def test_a_dashboard_opened_on_a_busy_writer_shortens_its_flush_interval_at_once(tmp_path):
    """The flush deadline set with flush_secs=2 is pulled in as soon as a dashboard follows the file
    (before the fix, the first fast flush came only after the 2 s deadline)."""
    sink = TimedSink(str(tmp_path / "run" / "events"))
    queue = EventQueue(sink, flush_secs=2.0)
    queue.start()
    try:
        queue.enqueue(b"a" * 8)
        time.sleep(0.2)
        assert sink.flushes == []
        with followed(tmp_path):
            subscribed = time.monotonic()
            end = subscribed + 1.0
            while time.monotonic() < end and not sink.flushes:
                queue.enqueue(b"b" * 8)  # the logging goes on
                time.sleep(0.02)
            assert sink.flushes, "no flush within 1 s of the dashboard opening (flush_secs 2)"
            assert sink.flushes[0] - subscribed < 0.6
    finally:
        queue.wait_written()
        queue.stop()


def test_items_queued_during_the_pre_flush_drain_ride_along_with_that_flush(tmp_path):
    """While a dashboard follows, what the loop logs while the thread frames the items due for a
    flush goes out with that flush (before the fix it waited a whole interval more)."""
    class CountingSink(TimedSink):
        def __init__(self, path: str) -> None:
            super().__init__(path)
            self.sizes: list[int] = []

        def flush(self) -> None:
            super().flush()
            self.sizes.append(len(self.data))

    sink = CountingSink(str(tmp_path / "run" / "events"))
    queue = EventQueue(sink, flush_secs=2.0)
    try:
        with followed(tmp_path):
            queue.start()
            queue.enqueue(b"a" * 8)  # drained at once; the 0.1 s flush cadence starts
            time.sleep(0.02)
            produced = threading.Event()

            def a_with_follower() -> bytes:
                time.sleep(0.01)
                queue.enqueue(b"c" * 8)  # logged while the thread frames the batch due for the flush
                produced.set()
                return b"b" * 8

            queue.enqueue(a_with_follower)
            assert produced.wait(5)
            deadline = time.monotonic() + 2
            while not sink.sizes and time.monotonic() < deadline:
                time.sleep(0.01)
            assert sink.sizes, "no periodic flush"
            assert sink.sizes[0] == 3 * (8 + 16), f"the first flush carried {sink.sizes[0]} bytes, not all three records"
    finally:
        queue.wait_written()
        queue.stop()


def test_an_unfollowed_writer_frames_bursts_together():
    """Without a dashboard (flush_secs 2) queued items are framed at most every DRAIN_GAP: a loop
    logging a burst every 5 ms wakes the thread about 20 times a second, not 200 (each wake-up is
    a GIL hand-off the training loop pays for). Nothing is lost and wait_written still writes all."""
    sink = TimedSink()
    queue = EventQueue(sink, flush_secs=2.0)
    queue.start()
    calls: list[float] = []

    def item() -> bytes:
        calls.append(time.monotonic())
        return b"x" * 16

    end = time.monotonic() + 1.0
    sent = 0
    while time.monotonic() < end:
        queue.enqueue(item)
        sent += 1
        time.sleep(0.005)
    queue.wait_written()
    queue.stop()
    assert len(calls) == sent and len(sink.data) == sent * 32
    wakes = 1 + sum(1 for a, b in zip(calls, calls[1:]) if b - a > 0.003)
    assert wakes <= 1.0 / 0.05 + 8, f"{wakes} separate wake-ups for {sent} bursts in 1 s"


def test_a_followed_writer_keeps_its_cadence_when_each_flush_empties_the_queue(tmp_path):
    """A loop logging every few ms finds the queue empty right after each flush. The next flush
    must still come one interval after the last (before: the emptied queue dropped the deadline, so
    the next came a drain gap plus a whole interval later, 150 ms apart at a 100 ms interval)."""
    sink = TimedSink(str(tmp_path / "run" / "events"))
    with followed(tmp_path):
        log_through(sink, 1.6)
    gaps = sorted(b - a for a, b in zip(sink.flushes, sink.flushes[1:-1]))  # the last one is stop()'s
    assert len(gaps) >= 8
    median = gaps[len(gaps) // 2]
    assert median < 0.125, f"flushes {median * 1000:.0f} ms apart (median) at a 100 ms interval"


def test_a_followed_writer_stops_waking_once_the_loop_stops_logging(tmp_path):
    sink = TimedSink(str(tmp_path / "run" / "events"))
    with followed(tmp_path):
        queue = EventQueue(sink, flush_secs=2.0)
        rounds: list[float] = []
        drain = queue._drain

        def counted() -> None:
            rounds.append(time.monotonic())
            drain()

        queue._drain = counted  # type: ignore[method-assign]
        queue.start()
        log_for(queue, 0.5)
        end = time.monotonic()
        time.sleep(1.0)
        late = [t for t in rounds if t > end + 0.3]  # one cadence round may follow the last flush
        queue.stop()
    assert sink.flushes and sink.flushes[-1] > end - 0.2  # the last items were flushed
    assert late == [], f"{len(late)} rounds of the writer thread after the loop stopped logging"
