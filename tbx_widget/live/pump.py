"""The pump: a background thread that turns new data on disk into batches for the browser.

It wakes when a writer in this process announces a flush of a file under the watched logdir
(``signals``), and otherwise every ``poll_interval`` seconds to catch other processes
(scripts, DDP ranks, TensorFlow). It sends at most one batch every ``min_gap`` seconds
(20 a second by default), so bursts of flushes coalesce into one message.
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from typing import Callable

from .. import signals

__all__ = ["Pump"]


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
    ):
        self._step = step
        self._root = os.path.abspath(logdir) + os.sep
        self.poll_interval = float(poll_interval)
        self.min_gap = float(min_gap)
        self._on_error = on_error
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tbx_widget-dashboard-pump", daemon=True)
        signals.subscribe(self._on_flush, root=self._root)
        self._thread.start()

    def _on_flush(self, path: str) -> None:
        if os.path.abspath(path).startswith(self._root):
            self._wake.set()

    def wake(self) -> None:
        """Run a step as soon as the rate limit allows."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        signals.unsubscribe(self._on_flush)
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        last = 0.0
        failures = 0
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval * (1 + min(failures, 10)))
            self._wake.clear()
            if self._stop.is_set():
                return
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
                if self._on_error is not None:
                    self._on_error(traceback.format_exc(limit=5))
