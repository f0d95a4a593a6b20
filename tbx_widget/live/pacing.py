"""Pacing: how many batch bytes may be on their way to the browser before the kernel waits.

The browser acknowledges each batch once it has applied it (``{"type": "ack", "seq": n}``,
cumulative: it covers every batch up to ``n``). The kernel keeps at most ``window_bytes``
unacknowledged, so a big logdir arrives as fast as the page can take it and never as one
flood that blocks the page (and with it JupyterLab's websocket pings).

Browser → kernel messages wait while a cell runs, so an ack can be held back for a long time
through no fault of the page. So once the oldest unacknowledged batch has waited ``ack_timeout``
seconds, unacknowledged bytes are taken to drain at ``paced_rate`` bytes a second: live updates
keep flowing at a bounded rate instead of stopping until the cell ends. That fallback applies
only while ``held_back()`` says acks cannot arrive (the kernel's main thread is busy): when the
kernel is idle, a late ack means a slow page, and sending more would only queue bytes in the
server in front of its websocket pings (which drops the connection). Only when an idle kernel
has had no ack for ``idle_ack_timeout`` (no page at all: nbconvert, a closed tab) do the bytes
trickle out at an eighth of the paced rate, so the saved-notebook snapshot still gets made.
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Callable

__all__ = ["Pacer", "WINDOW_BYTES", "ACK_TIMEOUT", "PACED_RATE"]

WINDOW_BYTES = 16 << 20  # unacknowledged bytes allowed in flight
ACK_TIMEOUT = 2.0  # seconds without an ack before falling back to the paced rate
PACED_RATE = 8 << 20  # bytes a second while acks are held back
RECHECK = 0.25  # seconds between looks at ``held_back`` while waiting for an ack
IDLE_ACK_TIMEOUT = 30.0  # seconds without an ack on an idle kernel before trickling


def _positive(name: str, value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number of {what}, got {value!r}")
    return float(value)


class Pacer:
    """Bounds the bytes sent and not yet acknowledged (thread-safe).

    ``send(seq, nbytes, fn)`` waits until the batch fits in the window (a batch larger than the
    window goes alone), then calls ``fn``. ``ack(seq)`` frees every batch up to ``seq``.
    ``clock`` and ``wait`` (called as ``wait(condition, seconds)`` with the condition's lock
    held) are injectable for tests.
    """

    def __init__(
        self,
        *,
        window_bytes: int = WINDOW_BYTES,
        ack_timeout: float = ACK_TIMEOUT,
        paced_rate: float = PACED_RATE,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[threading.Condition, float], object] | None = None,
        held_back: Callable[[], bool] = lambda: True,
        idle_ack_timeout: float = IDLE_ACK_TIMEOUT,
    ) -> None:
        self.window_bytes = int(_positive("window_bytes", window_bytes, "bytes"))
        self.ack_timeout = _positive("ack_timeout", ack_timeout, "seconds")
        self.paced_rate = _positive("paced_rate", paced_rate, "bytes a second")
        self._clock = clock
        self._wait = wait or (lambda cond, seconds: cond.wait(seconds))
        self._held_back = held_back
        self._was_held = True
        self.idle_ack_timeout = _positive("idle_ack_timeout", idle_ack_timeout, "seconds")
        self._cond = threading.Condition()
        self._pending: collections.deque[list[float]] = collections.deque()  # [seq, bytes left, sent at]
        self._in_flight = 0.0
        self._drained_to = clock()  # the paced drain has been counted up to here
        self._silent_since = self._drained_to  # first send after all was acked, or the last ack
        self._drained_out = False  # the drain (not an ack) emptied the window last
        self._closed = False
        self.acks = 0
        self.waited = 0.0  # seconds spent waiting for room, in all

    # -- state --------------------------------------------------------------------------------

    @property
    def in_flight(self) -> float:
        """Bytes sent and neither acknowledged nor drained by the paced fallback."""
        with self._cond:
            self._drain(self._clock())
            return self._in_flight

    def delay(self, nbytes: int) -> float:
        """Seconds to wait before ``nbytes`` more may be sent (0 when they fit now), if no ack
        comes meanwhile (the paced fallback always makes room eventually)."""
        with self._cond:
            return self._delay(nbytes, self._clock())

    # -- kernel side --------------------------------------------------------------------------

    def send(self, seq: int, nbytes: int, fn: Callable[[], None]) -> bool:
        """Wait for room, record the batch as in flight and call ``fn`` (outside the lock).
        Returns False without calling ``fn`` when the pacer was closed meanwhile. When ``fn``
        raises, the batch is not in flight and the exception propagates."""
        with self._cond:
            while not self._closed:
                now = self._clock()
                d = self._delay(nbytes, now)
                if d <= 0:
                    break
                self._wait(self._cond, d)
                self.waited += max(0.0, self._clock() - now)
            if self._closed:
                return False
            now = self._clock()
            if not self._pending:
                self._drained_to = now
                if not self._drained_out:
                    self._silent_since = now
            entry = [seq, float(nbytes), now]
            self._pending.append(entry)
            self._in_flight += nbytes
        try:
            fn()
        except BaseException:
            self._forget(entry)  # not sent: it will never be acknowledged
            raise
        return True

    def _forget(self, entry: list[float]) -> None:
        with self._cond:
            for i, e in enumerate(self._pending):
                if e is entry:
                    del self._pending[i]
                    self._in_flight -= e[1]
                    break
            if not self._pending:
                self._in_flight = 0.0
            self._cond.notify_all()

    def reset(self) -> None:
        """Forget what is in flight (a new page said ready, or one asked for a resync: the
        batches sent before will never be acknowledged)."""
        with self._cond:
            self._pending.clear()
            self._in_flight = 0.0
            self._drained_to = self._silent_since = self._clock()
            self._drained_out = False
            self._cond.notify_all()

    def close(self) -> None:
        """Release any waiting ``send`` (the widget is going away)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- browser side (called when its "ack" message arrives) ---------------------------------

    def ack(self, seq: int) -> None:
        """The browser has applied every batch up to ``seq``."""
        with self._cond:
            now = self._clock()
            self._drain(now)
            while self._pending and self._pending[0][0] <= seq:
                self._in_flight -= self._pending.popleft()[1]
            if not self._pending:
                self._in_flight = 0.0
            self._silent_since = now
            self._drained_out = False
            self.acks += 1
            self._cond.notify_all()

    # -- internals (lock held) ----------------------------------------------------------------

    def _drain(self, now: float) -> None:
        """Count the paced fallback's drain: once the oldest unacknowledged batch is
        ``ack_timeout`` old, unacknowledged bytes leave the window at ``paced_rate``, oldest first."""
        if not self._pending:
            return
        timeout, rate = self._mode(now)
        start = max(self._drained_to, self._since() + timeout)
        if now <= start:
            return
        budget = (now - start) * rate
        self._drained_to = now
        while self._pending and budget > 0:
            head = self._pending[0]
            take = min(head[1], budget)
            head[1] -= take
            budget -= take
            self._in_flight -= take
            if head[1] <= 0:
                self._pending.popleft()
        if not self._pending:
            self._in_flight = 0.0
            self._drained_out = True

    def _since(self) -> float:
        """When the wait that the timeout measures began: while acks are held back, the oldest
        unacknowledged batch's send; on an idle kernel, the last ack (or first send after)."""
        return self._pending[0][2] if self._was_held else self._silent_since

    def _mode(self, now: float) -> tuple[float, float]:
        """(timeout, drain rate): the paced fallback while acks are held back, else a trickle
        after a long silence. A switch restarts the drain clock."""
        held = self._held_back()
        if held != self._was_held:
            self._was_held = held
            self._drained_to = now
        return (self.ack_timeout, self.paced_rate) if held else (self.idle_ack_timeout, self.paced_rate / 8)

    def _delay(self, nbytes: int, now: float) -> float:
        self._drain(now)
        excess = self._in_flight + nbytes - self.window_bytes
        if excess <= 0 or not self._pending:
            return 0.0
        # Room comes from an ack (wakes the wait) or from the paced drain, whichever is first.
        timeout, rate = self._mode(now)
        excess = min(excess, self._in_flight)
        start = max(now, self._since() + timeout)
        delay = (start - now) + excess / rate
        return delay if self._was_held else min(delay, RECHECK)  # re-check a busy/idle switch
