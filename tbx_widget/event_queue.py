"""The async half of an event writer: a queue of events, a background thread that frames them as
records and hands them to a sink (``event_sink``), flush tickets and error reporting.

- ``enqueue()`` takes serialized events, or callables that produce them on the background thread
  (serialization, PNG encoding and the like never run on the training loop's thread).
- Bytes reach the sink every ``flush_secs`` (every ``sink.live_secs`` while a dashboard in this
  process follows a directory holding the file) and on ``wait_written()``, which returns only
  once everything queued before it has been written and flushed (uploaded, for a remote sink).
  The thread drains what was queued when it woke, then checks the flush deadline, so a training
  loop that logs faster than one drain round still sees its file flushed on time. The periodic
  flushes keep their cadence (a late flush does not push the next ones back), and the interval
  is looked at again on every round, so a dashboard opened on a busy writer speeds it up at once.
- Queued items are framed at most every ``DRAIN_GAP`` (the bursts of a busy loop together, not
  one wake-up and GIL hand-off each), and while a dashboard follows just before each flush.
- Records are framed with a cached header per record length (scalar events all have a few
  lengths): the writer thread, which shares the GIL with a busy training loop, spends about a
  third of the time it used to per record, so its drains and flushes come round sooner.
- While a dashboard in this process follows the file, each round (wake-up, drain, write, flush
  announcement) holds ``gil.hold()``: a busy loop that holds the GIL hands it back within 1 ms,
  not the default 5 ms, each time the thread blocks.
- An error on the background thread is kept until ``raise_error()``. Bytes that failed to write
  stay queued and are retried; a sink whose flush failed (``sink.dirty``) is flushed again at the
  next interval, so nothing is dropped silently.
"""
from __future__ import annotations

import collections
import struct
import threading
import time
from typing import Callable, Iterable, Union

import google_crc32c

from . import gil, signals
from .event_sink import Sink
from .records import masked_crc32c

__all__ = ["EventQueue", "EventItem", "Framed"]


class Framed(bytes):
    """Events already framed as records (``scalar_frames``): written as they are."""


EventItem = Union[bytes, Callable[[], Union[bytes, Iterable[bytes], None]]]
"""A serialized Event, or a callable run on the writer thread that returns one, several or none
(or ``Framed`` records)."""

WRITE_CHUNK = 1 << 20  # write to the sink whenever this much is buffered
MAX_PENDING = 100_000  # queued items before enqueue() waits for the writer thread
BATCH_SECS = 0.25  # flush intervals up to this long (a dashboard follows) frame items just before the flush
DRAIN_GAP = 0.05  # otherwise queued items are framed at most this often (bursts framed together)


_crc32c = google_crc32c.value
_LEN = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_HEADERS: dict[int, bytes] = {}  # record length -> its 12-byte framed header
_MAX_HEADERS = 4096


def _frame_into(buffer: bytearray, data: bytes) -> None:
    """Append ``data`` framed as a TFRecord to ``buffer``: the bytes of ``records.encode_record``,
    with the header (length and its masked crc) cached per length."""
    n = len(data)
    head = _HEADERS.get(n)
    if head is None:
        raw = _LEN.pack(n)
        head = raw + _CRC.pack(masked_crc32c(raw))
        if len(_HEADERS) < _MAX_HEADERS:
            _HEADERS[n] = head
    crc = _crc32c(data)
    buffer += head
    buffer += data
    buffer += _CRC.pack(((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF)


class EventQueue:
    """Pending events, the thread writing them to ``sink``, flush tickets and the last error."""

    def __init__(self, sink: Sink, flush_secs: float):
        self.sink = sink
        self.flush_secs = flush_secs
        self._cond = threading.Condition(threading.Lock())
        self._pending: collections.deque[EventItem] = collections.deque()
        self._buffer = bytearray()
        self._requested = 0  # flush tickets handed out
        self._done = 0  # flush tickets completed
        self._error: BaseException | None = None
        self._error_lock = threading.Lock()  # set on the writer thread, taken on the caller's
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the background thread was started (and not yet stopped)."""
        return self._thread is not None

    def start(self) -> None:
        """Start the background thread."""
        self._thread = threading.Thread(target=self._run, name="tbx_widget-event-writer", daemon=True)
        self._thread.start()

    def enqueue(self, item: EventItem) -> None:
        """Queue ``item``; waits for the thread when too many items are pending."""
        pending = self._pending
        pending.append(item)
        n = len(pending)
        if n == 1:
            with self._cond:
                self._cond.notify_all()
        elif n > MAX_PENDING:
            self.wait_written()  # backpressure: let the writer thread catch up

    def report(self, error: BaseException) -> None:
        """Keep ``error`` for the next ``raise_error()``."""
        with self._error_lock:
            self._error = error

    def raise_error(self) -> None:
        """Raise (once) the error met since the last report, if any."""
        if self._error is None:  # the common case, without the lock
            return
        with self._error_lock:
            err, self._error = self._error, None
        if err is not None:
            raise err

    def wait_written(self) -> None:
        """Block until everything queued so far has been written and flushed (or failed)."""
        with self._cond:
            self._requested += 1
            ticket = self._requested
            self._cond.notify_all()
            while self._done < ticket:
                if self._thread is None or not self._thread.is_alive():
                    raise RuntimeError("tbx_widget event writer thread is not running")
                self._cond.wait(0.5)

    def stop(self) -> None:
        """Write what is queued, then end the thread (its last flush's error is kept)."""
        if self._thread is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join()
        self._thread = None

    # -- the background thread ----------------------------------------------------------------

    def _interval(self) -> float:
        """Seconds between periodic flushes: ``flush_secs``, or the sink's live interval while a
        dashboard in this process follows the file."""
        sink = self.sink
        if signals.has_listeners(sink.path):
            return min(self.flush_secs, sink.live_secs)
        return self.flush_secs

    def _run(self) -> None:
        cond, sink = self._cond, self.sink
        next_flush = None  # monotonic deadline for the periodic flush, when bytes are waiting
        lead = 0.0  # how long the last pre-flush drain took: the next one starts that much early
        batch = False  # frame items just before each flush (the interval is at most BATCH_SECS)
        drained = float("-inf")  # when the last drain ended
        while True:
            with cond:
                while self._requested == self._done and not self._stopping:
                    # While a dashboard follows (a short interval), what is queued is framed just
                    # before each flush, not as it comes: the thread wakes once per flush instead
                    # of once per logging burst, leaving the GIL to the loop and the dashboard.
                    # Otherwise items are framed at most every DRAIN_GAP, so the bursts of a
                    # busy loop are framed together, not one wake-up (and GIL hand-off) each.
                    wake = None if next_flush is None else next_flush - lead
                    if self._pending and not (batch and next_flush is not None):
                        wake = drained + DRAIN_GAP if wake is None else min(wake, drained + DRAIN_GAP)
                    timeout = None if wake is None else wake - time.monotonic()
                    if timeout is not None and timeout <= 0:
                        break
                    cond.wait(timeout)
                ticket = self._requested
                stopping = self._stopping
            # While a dashboard follows, the flush it waits for gets the GIL promptly from a busy
            # loop (gil.py): a 1 ms switch interval from this wake-up through the announcement.
            urgent = batch and signals.has_listeners(sink.path)
            if urgent:
                gil.hold()
            try:
                started = time.monotonic()
                self._drain()
                now = drained = time.monotonic()
                periodic = next_flush is not None and now >= next_flush - lead
                interval = self._interval()
                batch = interval <= BATCH_SECS
                if periodic:
                    lead = min(now - started, 0.5 * interval) if batch else 0.0
                    # What the loop logged during that drain is little when the drain was short: take
                    # it into this flush too (else it waits a whole interval more).
                    for _ in range(2):
                        if not (batch and self._pending and time.monotonic() - started < 0.25 * interval):
                            break
                        self._drain()
                    now = time.monotonic()
                due = ticket != self._done or stopping or periodic
                wrote = due and bool(self._buffer)
                if due or len(self._buffer) >= WRITE_CHUNK:
                    self._write_buffer(announce=due)
            finally:
                if urgent:
                    gil.release()
            # A followed writer keeps its cadence through a moment with nothing queued (a busy
            # loop often leaves the queue empty right after a flush): the next flush stays one
            # interval on. Dropping the deadline made it a drain gap plus a whole interval later.
            # Only after a flush that wrote something, so an idle writer stops waking.
            if self._buffer or self._pending or sink.dirty or (periodic and batch and wrote):
                if periodic:  # keep the cadence: a late flush does not push the next ones back
                    # (but the next comes at least half an interval after it: no flush a few ms
                    # after a very late one, which would only wake the dashboard for nothing)
                    next_flush = max(next_flush + interval, now + 0.5 * interval)
                elif due or next_flush is None:
                    next_flush = now + interval
                else:  # a dashboard that came meanwhile shortens the interval at once
                    next_flush = min(next_flush, now + interval)
            else:
                next_flush = None
            if ticket != self._done:
                with cond:
                    self._done = ticket
                    cond.notify_all()
            if stopping and not self._pending:
                return

    def _drain(self) -> None:
        """Frame the items queued when the drain started (not those queued meanwhile: under a
        sustained load the queue never empties, and the periodic flush must still come round)."""
        pending, buffer = self._pending, self._buffer
        for _ in range(len(pending)):
            item = pending.popleft()
            try:
                if callable(item):
                    item = item()
                    if item is None:
                        continue
                if isinstance(item, Framed):
                    buffer += item
                elif isinstance(item, (bytes, bytearray, memoryview)):
                    _frame_into(buffer, bytes(item))
                else:
                    for data in item:
                        _frame_into(buffer, data)
            except Exception as exc:  # a bad item must not kill the thread: report it
                self.report(exc)
            if len(buffer) >= WRITE_CHUNK:
                self._write_buffer(announce=False)

    def _write_buffer(self, *, announce: bool) -> None:
        """Hand the buffer to the sink; with ``announce`` flush the sink (also when only an
        earlier flush is left to retry)."""
        sink = self.sink
        if self._buffer:
            try:
                written = sink.write(self._buffer)
            except OSError as exc:
                del self._buffer[: getattr(exc, "tbx_written", 0)]
                self.report(exc)  # the rest stays buffered and is retried at the next flush
                return
            del self._buffer[:written]
        elif not sink.dirty:
            return
        if announce:
            try:
                sink.flush()
            except Exception as exc:
                self.report(exc)
