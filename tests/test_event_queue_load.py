"""The writer thread under a sustained load: the periodic flush comes round even when the training
loop keeps the queue from ever emptying (issue 19, live latency when the loop is busy)."""
from __future__ import annotations

import threading
import time

from tbx_widget.event_queue import EventQueue


class TimedSink:
    """Keeps what it is given and the monotonic time of each flush."""

    live_secs = 0.1

    def __init__(self) -> None:
        self.path = "timed"
        self.data = bytearray()
        self.flushes: list[float] = []

    opened = True
    dirty = False

    def open(self) -> None:
        pass

    def write(self, data: bytearray) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        self.flushes.append(time.monotonic())

    def close(self) -> None:
        pass

    def forget(self) -> None:
        pass


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
