"""EventFileWriter: one event file, written by a background thread.

- File name ``events.out.tfevents.<10-digit unix time>.<host>.<pid>.<counter><suffix>``,
  opened with O_EXCL, so two writers never share a file (tensorboardX's names collide within
  one second and lose events).
- The first record is ``Event{wall_time, file_version: "brain.Event:2"}``, written before the
  constructor returns, so the file is a valid event file from the start.
- ``add()`` queues serialized events, or callables that produce them on the background thread
  (serialization, PNG encoding and the like never run on the training loop's thread).
- Bytes reach the OS every ``flush_secs`` (every 0.1 s while a dashboard in this process
  follows a directory holding the file) and on ``flush()``, which returns only once
  everything queued before it has been written (tensorboardX's flush does not wait).
- An error on the background thread is raised by the next ``add``/``flush``/``close``; the
  ``add`` that reports it still queues its own item. Bytes that failed to write stay queued and
  are retried, so nothing is dropped silently.
- ``close()`` is idempotent; an atexit hook closes writers still open, and so does a
  ``multiprocessing`` finalizer in child processes (which skip atexit) and, in such a child, a
  SIGTERM handler when SIGTERM is left at its default (``Pool.terminate()``). A writer inherited
  across ``fork`` neither hangs nor writes into the parent's file: the child starts a new file
  of its own on first use.
"""
from __future__ import annotations

import atexit
import collections
import itertools
import os
import signal
import socket
import sys
import threading
import time
import weakref
from typing import Callable, Iterable, Union

from . import signals
from ._proto import event_pb2
from .records import encode_record

__all__ = ["EventFileWriter", "event_file_name", "EventItem"]

EventItem = Union[bytes, Callable[[], Union[bytes, Iterable[bytes], None]]]
"""A serialized Event, or a callable run on the writer thread that returns one, several or none."""

FILE_VERSION = "brain.Event:2"
_WRITE_CHUNK = 1 << 20  # write to the OS whenever this much is buffered
_MAX_PENDING = 100_000  # queued items before add() waits for the writer thread
LIVE_FLUSH_SECS = 0.1  # flush interval while a dashboard in this process follows the file's directory

_counter = itertools.count()
_live: "weakref.WeakSet[EventFileWriter]" = weakref.WeakSet()


def event_file_name(suffix: str = "", *, now: float | None = None, counter: int | None = None) -> str:
    """The torch-style event file name for this host and process."""
    stamp = int(time.time() if now is None else now)
    count = next(_counter) if counter is None else counter
    return f"events.out.tfevents.{stamp:010d}.{socket.gethostname()}.{os.getpid()}.{count}{suffix}"


class EventFileWriter:
    """Writes serialized ``Event`` protos to a new event file in ``logdir``."""

    def __init__(self, logdir: str | os.PathLike[str], *, filename_suffix: str = "", flush_secs: float = 2.0):
        if not isinstance(filename_suffix, str):
            raise TypeError(f"filename_suffix must be a str, got {type(filename_suffix).__name__}")
        if "/" in filename_suffix or os.sep in filename_suffix:
            raise ValueError(f"filename_suffix must not contain a path separator, got {filename_suffix!r}")
        for value, name in ((logdir, "logdir"), (filename_suffix, "filename_suffix")):
            try:
                os.fsencode(value)
            except UnicodeEncodeError as exc:
                raise ValueError(f"{name} cannot be a file name on this system, got {os.fspath(value)!r}: {exc.reason}") from None
        flush_secs = float(flush_secs)
        if not flush_secs > 0:
            raise ValueError(f"flush_secs must be a positive number of seconds, got {flush_secs!r}")
        self.logdir = os.fspath(logdir)
        self.flush_secs = flush_secs
        self._suffix = filename_suffix
        self._closed = False
        self._init_state()
        self._open_file()
        _live.add(self)

    # -- public API -------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """Path of the event file being written (a forked child gets its own on first use)."""
        return self._path

    @property
    def closed(self) -> bool:
        return self._closed

    def add(self, item: EventItem) -> None:
        """Queue one serialized event (or a callable producing events on the writer thread),
        then raise any error the background thread met earlier: the item stays queued either
        way, so the call that reports an old error never loses its own event."""
        self.enqueue(item)
        self._raise_error()

    def enqueue(self, item: EventItem) -> None:
        """Queue ``item`` without reporting earlier background errors (see ``raise_error``).
        Raises only when the item could not be queued (closed writer, file not creatable)."""
        if self._closed:
            raise ValueError("cannot write to a closed EventFileWriter")
        if self._fd is None:  # first use in a forked child: a file of its own
            self._open_file()
        pending = self._pending
        pending.append(item)
        n = len(pending)
        if n == 1:
            with self._cond:
                self._cond.notify_all()
        elif n > _MAX_PENDING:
            self._wait_written()  # backpressure: let the writer thread catch up

    def raise_error(self) -> None:
        """Raise (once) the error the background thread met since the last report, if any."""
        self._raise_error()

    def report(self, error: BaseException) -> None:
        """Record ``error`` to be raised by the next ``add``/``flush``/``close`` (for producers
        running on the writer thread that keep part of their output)."""
        self._set_error(error)

    def add_event(self, event: event_pb2.Event) -> None:
        """Queue an ``Event`` proto; it is serialized on the writer thread (do not mutate it after)."""
        self.add(event.SerializeToString)

    def flush(self) -> None:
        """Return once everything queued before this call has been handed to the OS."""
        if self._closed:
            return
        self._raise_error()
        if self._fd is None:
            return
        self._wait_written()
        self._raise_error()

    def _wait_written(self) -> None:
        """Block until everything queued so far has been handed to the OS (or failed)."""
        with self._cond:
            self._requested += 1
            ticket = self._requested
            self._cond.notify_all()
            while self._done < ticket:
                if not self._thread.is_alive():
                    raise RuntimeError("tbx_widget event writer thread is not running")
                self._cond.wait(0.5)

    def close(self) -> None:
        """Flush and close the file. Safe to call more than once."""
        if self._closed:
            return
        try:
            if self._fd is not None:
                self.flush()
        finally:
            self._closed = True
            _live.discard(self)
            if self._fd is not None:
                with self._cond:
                    self._stopping = True
                    self._cond.notify_all()
                self._thread.join()
                os.close(self._fd)
                self._fd = None
        self._raise_error()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<EventFileWriter {self._path!r} ({state})>"

    # -- internals --------------------------------------------------------------------------

    def _init_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._pending: collections.deque[EventItem] = collections.deque()
        self._buffer = bytearray()
        self._requested = 0  # flush tickets handed out
        self._done = 0  # flush tickets completed
        self._error: BaseException | None = None
        self._error_lock = threading.Lock()  # set on the writer thread, taken on the caller's
        self._stopping = False
        self._fd: int | None = None
        self._path = ""
        self._thread: threading.Thread | None = None

    def _create_file(self) -> tuple[int, str]:
        """A new event file in the logdir (created if needed), its header record written."""
        os.makedirs(self.logdir, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            path = os.path.join(self.logdir, event_file_name(self._suffix))
            try:
                fd = os.open(path, flags, 0o644)
                break
            except FileExistsError:
                continue  # same second, host, pid and counter: take the next counter
        first = event_pb2.Event(wall_time=time.time(), file_version=FILE_VERSION)
        try:
            _write_all(fd, encode_record(first.SerializeToString()))
        except BaseException:
            os.close(fd)
            raise
        return fd, path

    def _open_file(self) -> None:
        self._fd, self._path = self._create_file()
        _close_at_process_exit()
        self._thread = threading.Thread(target=self._run, name="tbx_widget-event-writer", daemon=True)
        self._thread.start()
        signals.publish(self._path)

    def _set_error(self, error: BaseException) -> None:
        with self._error_lock:
            self._error = error

    def _raise_error(self) -> None:
        if self._error is None:  # the common case, without the lock
            return
        with self._error_lock:
            err, self._error = self._error, None
        if err is not None:
            raise err

    def _run(self) -> None:
        cond = self._cond
        next_flush = None  # monotonic deadline for the periodic flush, when bytes are waiting
        while True:
            with cond:
                while not self._pending and self._requested == self._done and not self._stopping:
                    timeout = None if next_flush is None else next_flush - time.monotonic()
                    if timeout is not None and timeout <= 0:
                        break
                    cond.wait(timeout)
                ticket = self._requested
                stopping = self._stopping
            self._drain()
            now = time.monotonic()
            due = ticket != self._done or stopping or (next_flush is not None and now >= next_flush)
            if due or len(self._buffer) >= _WRITE_CHUNK:
                self._write_buffer(announce=due)
            if self._buffer or self._pending:
                if next_flush is None or due:
                    interval = self.flush_secs
                    if signals.has_listeners(self._path):
                        interval = min(interval, LIVE_FLUSH_SECS)
                    next_flush = now + interval
            else:
                next_flush = None
            if ticket != self._done:
                with cond:
                    self._done = ticket
                    cond.notify_all()
            if stopping and not self._pending:
                return

    def _drain(self) -> None:
        pending, buffer = self._pending, self._buffer
        while pending:
            item = pending.popleft()
            try:
                if callable(item):
                    item = item()
                    if item is None:
                        continue
                if isinstance(item, (bytes, bytearray, memoryview)):
                    buffer += encode_record(bytes(item))
                else:
                    for data in item:
                        buffer += encode_record(data)
            except Exception as exc:  # a bad item must not kill the thread: report it
                self._set_error(exc)
            if len(buffer) >= _WRITE_CHUNK:
                self._write_buffer(announce=False)

    def _write_buffer(self, *, announce: bool) -> None:
        if not self._buffer:
            return
        try:
            written = _write_all(self._fd, self._buffer)
        except OSError as exc:
            written = getattr(exc, "tbx_written", 0)
            del self._buffer[:written]
            self._set_error(exc)  # the rest stays buffered and is retried at the next flush
            return
        del self._buffer[:written]
        if announce:
            self._check_not_deleted()
            signals.publish(self._path)

    def _check_not_deleted(self) -> None:
        """A file deleted under us (its logdir removed) still accepts writes that nobody will
        ever read. Say so, and go on in a new file in the (re-created) logdir."""
        try:
            if os.fstat(self._fd).st_nlink > 0:
                return
        except OSError:
            return
        old_fd, old_path = self._fd, self._path
        self._set_error(FileNotFoundError(
            f"the event file {old_path} was deleted while being written (was its logdir removed?); "
            "events logged since its last flush are lost; writing continues in a new file"
        ))
        try:
            fd, path = self._create_file()
        except OSError as exc:
            self._set_error(exc)
            return
        self._fd, self._path = fd, path
        try:
            os.close(old_fd)
        except OSError:
            pass

    def _after_fork_in_child(self) -> None:
        # The parent's thread does not exist here and its lock may be held: start from scratch.
        # Queued items belong to the parent (it writes them); the fd copy is the parent's file.
        fd, path = self._fd, self._path
        self._init_state()
        self._path = path
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


def _write_all(fd: int, data: bytes | bytearray) -> int:
    done = 0
    with memoryview(data) as view:  # released on exit, so the buffer can be resized after
        try:
            while done < len(view):
                with view[done:] as rest:
                    done += os.write(fd, rest)
        except OSError as exc:
            exc.tbx_written = done  # type: ignore[attr-defined]
            raise
    return done


def _close_all() -> None:
    for writer in list(_live):
        try:
            writer.close()
        except Exception:
            pass  # at interpreter exit there is nobody left to tell


_finalizer_pid: int | None = None  # the process whose multiprocessing exit runs _close_all
SIGTERM_GRACE_SECS = 5.0  # longest a terminated multiprocessing child spends closing its writers


def _close_at_process_exit() -> None:
    """Close open writers when a ``multiprocessing`` child exits, once per process.

    Pool workers and other ``multiprocessing`` children leave through ``os._exit``, so atexit
    never runs in them (a forked ``Pool`` worker lost every event it logged); ``multiprocessing``
    runs its own finalizers before that exit. Registered when a file is opened, which in a child
    happens after ``multiprocessing`` has reset its finalizer registry (it does at process start).
    Without ``multiprocessing`` imported there is no such child, and atexit suffices.

    ``Pool.terminate()`` (which leaving ``with Pool(...)`` calls) ends workers with SIGTERM
    instead: in a ``multiprocessing`` child whose SIGTERM is untouched (the default action), a
    handler closes the writers (for at most ``SIGTERM_GRACE_SECS``), then dies of the signal as
    it would have."""
    global _finalizer_pid
    util = sys.modules.get("multiprocessing.util")
    pid = os.getpid()
    if util is None or _finalizer_pid == pid:
        return
    _finalizer_pid = pid
    util.Finalize(None, _close_all, exitpriority=100)  # before multiprocessing's own (priority 0 and below)
    mp = sys.modules.get("multiprocessing")
    if mp is not None and mp.parent_process() is not None:
        _close_on_sigterm()


def _close_on_sigterm() -> None:
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set a handler
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        pass


def _on_sigterm(signum: int, frame: object) -> None:
    # On a thread of its own with a time limit: the main thread, interrupted here, may hold a
    # writer's lock, and a terminated process must die whatever happens.
    closer = threading.Thread(target=_close_all, name="tbx_widget-close-on-sigterm", daemon=True)
    closer.start()
    closer.join(SIGTERM_GRACE_SECS)
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def _after_fork_in_child() -> None:
    global _counter
    _counter = itertools.count()
    for writer in list(_live):
        writer._after_fork_in_child()


atexit.register(_close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
