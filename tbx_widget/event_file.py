"""EventFileWriter: one event file (local, or an object in a bucket), written by a background thread.

It joins two parts, as TensorBoard's writer does: ``event_queue.EventQueue`` (pending items,
the background thread, flush tickets, errors) and a sink holding the file lifecycle:
``event_sink.LocalEventFile`` (exclusive create, header, deleted-file recovery) for a directory,
``remote_sink.RemoteEventFile`` (a local spool uploaded on every flush, rolled past a size or
age limit) for an fsspec URL (``s3://``, ``gs://``, ``az://``, ...).

- File name ``events.out.tfevents.<10-digit unix time>.<host>.<pid>.<counter><suffix>``;
  a local file is opened with O_EXCL, so two writers never share a file.
- The first record is ``Event{wall_time, file_version: "brain.Event:2"}``, written (uploaded)
  before the constructor returns, so the file is a valid event file from the start.
- ``add()`` queues serialized events, or callables that produce them on the background thread
  (serialization, PNG encoding and the like never run on the training loop's thread).
- Bytes reach the OS (the bucket) every ``flush_secs`` (every 0.1 s locally, 1 s remotely, while
  a dashboard in this process follows a directory holding the file) and on ``flush()``, which
  returns only once everything queued before it has been written (uploaded).
- An error on the background thread is raised by the next ``add``/``flush``/``close``; the
  ``add`` that reports it still queues its own item. Bytes that failed to write (upload) stay
  queued and are retried, so nothing is dropped silently.
- ``close()`` is idempotent; an atexit hook closes writers still open, and so does a
  ``multiprocessing`` finalizer in child processes (which skip atexit) and, in such a child, a
  SIGTERM handler when SIGTERM is left at its default (``Pool.terminate()``). A writer inherited
  across ``fork`` neither hangs nor writes into the parent's file: the child starts a new file
  of its own on first use.
"""
from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import weakref
from typing import Any, Mapping

from . import signals
from ._proto import event_pb2
from .event_queue import EventItem, EventQueue
from .event_sink import FILE_VERSION, LocalEventFile, Sink, event_file_name, reset_counter_after_fork
from .storage import is_url

__all__ = ["EventFileWriter", "event_file_name", "EventItem", "FILE_VERSION"]

LIVE_FLUSH_SECS = LocalEventFile.live_secs  # flush interval while a dashboard in this process follows the file's directory

_live: "weakref.WeakSet[EventFileWriter]" = weakref.WeakSet()


class EventFileWriter:
    """Writes serialized ``Event`` protos to a new event file in ``logdir`` (a directory or an
    fsspec URL; ``storage_options`` are the fsspec filesystem's, for a URL only)."""

    def __init__(self, logdir: str | os.PathLike[str], *, filename_suffix: str = "", flush_secs: float = 2.0,
                 storage_options: Mapping[str, Any] | None = None):
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
        if storage_options is not None and not isinstance(storage_options, Mapping):
            raise TypeError(f"storage_options must be a dict, got {type(storage_options).__name__}")
        self.logdir = os.fspath(logdir)
        self.flush_secs = flush_secs
        if is_url(self.logdir):
            from .remote_sink import RemoteEventFile

            self._sink: Sink = RemoteEventFile(self.logdir, filename_suffix, storage_options)
        else:
            if storage_options:
                raise ValueError(f"storage_options are for URL logdirs (s3://, gs://, ...); {self.logdir!r} is a local path")
            self._sink = LocalEventFile(self.logdir, filename_suffix)
        self._closed = False
        self._close_lock = threading.Lock()  # close() may run on two threads (exit path, SIGTERM)
        self._queue = EventQueue(self._sink, flush_secs)
        self._open_file()
        _live.add(self)
        if not isinstance(self._sink, LocalEventFile):
            _close_before_backends_at_exit()

    # -- public API -------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """Path (URL) of the event file being written (a forked child gets its own on first use;
        a remote writer rolls to a new object past its size or age limit)."""
        return self._sink.path

    @property
    def closed(self) -> bool:
        return self._closed

    def add(self, item: EventItem) -> None:
        """Queue one serialized event (or a callable producing events on the writer thread),
        then raise any error the background thread met earlier: the item stays queued either
        way, so the call that reports an old error never loses its own event."""
        self.enqueue(item)
        self._queue.raise_error()

    def enqueue(self, item: EventItem) -> None:
        """Queue ``item`` without reporting earlier background errors (see ``raise_error``).
        Raises only when the item could not be queued (closed writer, file not creatable)."""
        if self._closed:
            raise ValueError("cannot write to a closed EventFileWriter")
        if not self._sink.opened:  # first use in a forked child: a file of its own
            self._open_file()
        self._queue.enqueue(item)

    def raise_error(self) -> None:
        """Raise (once) the error the background thread met since the last report, if any."""
        self._queue.raise_error()

    def report(self, error: BaseException) -> None:
        """Record ``error`` to be raised by the next ``add``/``flush``/``close`` (for producers
        running on the writer thread that keep part of their output)."""
        self._queue.report(error)

    def add_event(self, event: event_pb2.Event) -> None:
        """Queue an ``Event`` proto; it is serialized on the writer thread (do not mutate it after)."""
        self.add(event.SerializeToString)

    def flush(self) -> None:
        """Return once everything queued before this call has been handed to the OS (for a
        URL: uploaded, and acknowledged by the server)."""
        if self._closed:
            return
        self._queue.raise_error()
        if not self._sink.opened:
            return
        self._queue.wait_written()
        self._queue.raise_error()

    def close(self) -> None:
        """Flush and close the file (upload the rest). Safe to call more than once, and from
        several threads (the second waits for the first)."""
        if self._closed:
            return
        with self._close_lock:
            self._close()

    def _close(self) -> None:
        if self._closed:
            return
        try:
            if self._sink.opened:
                self.flush()
        finally:
            self._closed = True
            _live.discard(self)
            if self._sink.opened:
                self._queue.stop()
                self._sink.close()  # its error (events it could not upload) wins over an earlier one
        self._queue.raise_error()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<EventFileWriter {self.path!r} ({state})>"

    # -- internals --------------------------------------------------------------------------

    def _open_file(self) -> None:
        self._sink.open()
        _close_at_process_exit()
        self._queue.start()
        signals.publish(self._sink.path)

    def _after_fork_in_child(self) -> None:
        # The parent's thread does not exist here and its lock may be held: start from scratch.
        # Queued items belong to the parent (it writes them); the file is the parent's.
        self._sink.forget()
        self._queue = EventQueue(self._sink, self.flush_secs)
        self._close_lock = threading.Lock()


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


_sigterm_seen = False


def _on_sigterm(signum: int, frame: object) -> None:
    # The main thread, interrupted here, may hold a writer's lock (it may be closing the writers
    # itself, on multiprocessing's exit path): so the writers are closed on a thread of their own
    # and this handler returns at once, letting the main thread release its locks. That thread
    # sends the signal again when the writers are closed (or after SIGTERM_GRACE_SECS): the
    # second delivery ends the process as the default action would have.
    global _sigterm_seen
    if _sigterm_seen:
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)
        return
    _sigterm_seen = True
    threading.Thread(target=_close_then_signal, args=(signum,), name="tbx_widget-close-on-sigterm",
                     daemon=True).start()


def _close_then_signal(signum: int) -> None:
    closer = threading.Thread(target=_close_all, name="tbx_widget-close-writers", daemon=True)
    closer.start()
    closer.join(SIGTERM_GRACE_SECS)
    os.kill(os.getpid(), signum)


def _after_fork_in_child() -> None:
    global _sigterm_seen
    _sigterm_seen = False
    reset_counter_after_fork()
    for writer in list(_live):
        writer._after_fork_in_child()


def _close_remote() -> None:
    for writer in list(_live):
        if not isinstance(writer._sink, LocalEventFile):
            try:
                writer.close()
            except Exception:
                pass  # at interpreter exit there is nobody left to tell


_remote_exit_hook = False


def _close_before_backends_at_exit() -> None:
    """Upload what remote writers hold at exit while their backends still work.

    fsspec backends close their HTTP sessions in ``weakref.finalize`` callbacks, whose atexit hook
    is registered when the first one is made (often by the remote writer's first upload, after
    this module registered ``_close_all``; atexit runs hooks last-in first-out, so it is
    registered again). And before any atexit hook, interpreter shutdown stops
    ``concurrent.futures`` from taking work, which Azure's client needs to resolve host names: so
    remote writers are closed in a ``threading`` exit hook that runs before that one."""
    global _remote_exit_hook
    atexit.unregister(_close_all)
    atexit.register(_close_all)
    register = getattr(threading, "_register_atexit", None)
    if register is not None and not _remote_exit_hook:
        try:
            register(_close_remote)
            _remote_exit_hook = True
        except RuntimeError:
            pass  # already shutting down


atexit.register(_close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
