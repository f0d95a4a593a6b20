"""The pump: a background thread that turns new data on disk into batches for the browser.

It wakes when a writer in this process announces a flush of a file under the watched logdir
(``signals``), and otherwise every ``poll_interval`` seconds to catch other processes
(scripts, DDP ranks, TensorFlow). It sends at most one batch every ``min_gap`` seconds
(20 a second by default), so bursts of flushes coalesce into one message. With a
``latency_factor`` k (remote logdirs) the next poll waits max(poll_interval, k x the last poll's
duration), so a slow store is polled less often instead of being polled back to back. A step
that fails is retried with a growing wait, the error and the wait reported through ``on_error``.

Under a training loop that holds the GIL, every time the pump thread blocks it waits a whole
switch interval (5 ms) for the GIL back, dozens of times per step: from a flush notice (or a
``wake()``) until shortly after its step ends the pump holds ``gil.hold()`` (a 1 ms interval); a
timed poll holds nothing, so a step of 15 ms CPU no longer takes
50-350 ms (issue 19, 50,000 events/s: kernel-side median 215-580 -> 85-100 ms).
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from typing import Callable

from .. import gil, signals

__all__ = ["Pump"]

LINGER = 0.05  # seconds the short switch interval is kept after a step (its sends leave meanwhile)


class Pump:
    """Runs ``step()`` on a daemon thread when woken or every ``poll_interval`` seconds."""

    def __init__(
        self,
        step: Callable[[], None],
        logdir: str,
        *,
        poll_interval: float = 0.5,
        min_gap: float = 0.05,
        on_error: Callable[[str], None] | None = None,
        latency_factor: float = 0.0,
    ):
        self._step = step
        self.latency_factor = float(latency_factor)
        self.last_duration = 0.0  # seconds the last step took
        self._root = os.path.abspath(logdir) + os.sep
        self.poll_interval = float(poll_interval)
        self.min_gap = float(min_gap)
        self._on_error = on_error
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.linger = LINGER
        self._held = False  # this pump holds gil.hold(): a step is due or running (or just ended)
        self._held_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tbx_widget-dashboard-pump", daemon=True)
        signals.subscribe(self._on_flush, root=self._root)
        self._thread.start()

    def _on_flush(self, path: str) -> None:
        if os.path.abspath(path).startswith(self._root):
            self._hold()  # from the flush on: the wake-up and the step get the GIL promptly
            self._wake.set()

    def _hold(self) -> None:
        with self._held_lock:
            if not self._held and not self._stop.is_set():  # a notice racing stop() holds nothing
                gil.hold()
                self._held = True

    def _release(self) -> None:
        with self._held_lock:
            if self._held:
                self._held = False
                gil.release()

    def wake(self) -> None:
        """Run a step as soon as the rate limit allows (with the short switch interval: someone
        waits for it, a new dashboard or a browser's request)."""
        self._hold()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        signals.unsubscribe(self._on_flush)
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._release()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._release()

    def _loop(self) -> None:
        last = 0.0
        failures = 0
        while not self._stop.is_set():
            wait = self.next_wait(failures)
            linger = min(self.linger, wait)
            # The batches just sent still have to leave through the kernel's IOPub thread, which
            # needs the GIL too: keep the short interval a little longer (or through the next step).
            if not self._wake.wait(linger):
                self._release()
                self._wake.wait(wait - linger)
            self._wake.clear()
            if self._stop.is_set():
                return
            # Only a step asked for (a flush notice, wake()) holds the short interval: a timed poll
            # (an idle dashboard, another process's writer) leaves the interpreter alone.
            gap = self.min_gap - (time.monotonic() - last)
            if gap > 0:
                time.sleep(gap)  # coalesce: flushes arriving meanwhile ride along
                self._wake.clear()
            last = time.monotonic()
            try:
                self._step()
                failures = 0
            except Exception:  # keep following; show the error instead of dying silently
                failures += 1
                self.last_duration = time.monotonic() - last
                if self._on_error is not None:
                    self._on_error(f"{traceback.format_exc(limit=5)}(retrying in {self.next_wait(failures):.1f} s, attempt {failures + 1})")
            finally:
                self.last_duration = time.monotonic() - last

    def next_wait(self, failures: int = 0) -> float:
        """Seconds until the next poll: ``poll_interval``, or k x the last poll's duration when
        that is longer (``latency_factor`` k), growing after consecutive failures."""
        wait = max(self.poll_interval, self.latency_factor * self.last_duration)
        return min(wait, max(self.poll_interval, 60.0)) * (1 + min(failures, 10))
