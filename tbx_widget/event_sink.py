"""The file lifecycle of an event writer: where the bytes of one event file go.

A sink is what ``EventQueue`` writes to (``open``/``write``/``flush``/``close``). ``LocalEventFile``
is a file on disk:

- File name ``events.out.tfevents.<10-digit unix time>.<host>.<pid>.<counter><suffix>``,
  opened with O_EXCL, so two writers never share a file (tensorboardX's names collide within
  one second and lose events).
- The first record is ``Event{wall_time, file_version: "brain.Event:2"}``, written by ``open()``,
  so the file is a valid event file from the start.
- ``flush()`` announces the file (``signals``) and notices a file deleted under the writer (its
  logdir removed): it says so (raises ``FileNotFoundError``) after going on in a new file.
- ``forget()`` (in a forked child) drops the parent's file without touching it.

``remote_sink.RemoteEventFile`` is the same for an object store.
"""
from __future__ import annotations

import itertools
import os
import socket
import time
from typing import Protocol

from . import signals
from ._proto import event_pb2
from .records import encode_record

__all__ = ["Sink", "LocalEventFile", "event_file_name", "header_record", "FILE_VERSION"]

FILE_VERSION = "brain.Event:2"

_counter = itertools.count()


def event_file_name(suffix: str = "", *, now: float | None = None, counter: int | None = None) -> str:
    """The torch-style event file name for this host and process."""
    stamp = int(time.time() if now is None else now)
    count = next(_counter) if counter is None else counter
    return f"events.out.tfevents.{stamp:010d}.{socket.gethostname()}.{os.getpid()}.{count}{suffix}"


def header_record() -> bytes:
    """The first record of every event file: ``Event{wall_time, file_version}``."""
    return encode_record(event_pb2.Event(wall_time=time.time(), file_version=FILE_VERSION).SerializeToString())


def reset_counter_after_fork() -> None:
    """A forked child numbers its files from 0 again (its pid differs from the parent's)."""
    global _counter
    _counter = itertools.count()


class Sink(Protocol):
    """Where an ``EventQueue`` writes: one event file at a time (``path``)."""

    path: str
    live_secs: float  # the flush interval while a dashboard in this process follows the file

    @property
    def opened(self) -> bool:
        """Whether a file is open (False before ``open()``, after ``close()`` or ``forget()``)."""

    @property
    def dirty(self) -> bool:
        """Whether written bytes are not yet visible to readers (a failed upload to retry)."""

    def open(self) -> None:
        """Start a new event file, its header written; raises when it cannot be created."""

    def write(self, data: bytearray) -> int:
        """Hand ``data`` on; returns the bytes taken. An ``OSError`` carries ``tbx_written``."""

    def flush(self) -> None:
        """Make what was written visible to readers and announce it; raises what went wrong."""

    def close(self) -> None:
        """Flush what remains and release the file."""

    def forget(self) -> None:
        """In a forked child: drop the parent's file without writing to it."""


class LocalEventFile:
    """An event file on the local disk (see the module docstring)."""

    live_secs = 0.1

    def __init__(self, logdir: str, suffix: str = ""):
        self.logdir = logdir
        self.suffix = suffix
        self.path = ""
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"<LocalEventFile {self.path!r}>"

    @property
    def opened(self) -> bool:
        return self._fd is not None

    @property
    def dirty(self) -> bool:
        return False  # bytes handed to the OS are visible to every reader

    @property
    def fd(self) -> int | None:
        """The open file's descriptor (None when no file is open)."""
        return self._fd

    def open(self) -> None:
        self._fd, self.path = self._create()

    def _create(self) -> tuple[int, str]:
        """A new event file in the logdir (created if needed), its header record written."""
        os.makedirs(self.logdir, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            path = os.path.join(self.logdir, event_file_name(self.suffix))
            try:
                fd = os.open(path, flags, 0o644)
                break
            except FileExistsError:
                continue  # same second, host, pid and counter: take the next counter
        try:
            write_all(fd, header_record())
        except BaseException:
            os.close(fd)
            raise
        return fd, path

    def write(self, data: bytearray) -> int:
        assert self._fd is not None
        return write_all(self._fd, data)

    def flush(self) -> None:
        error = self._check_not_deleted()
        signals.publish(self.path)
        if error is not None:
            raise error

    def _check_not_deleted(self) -> OSError | None:
        """A file deleted under us (its logdir removed) still accepts writes that nobody will
        ever read. Go on in a new file in the (re-created) logdir; return the error to report."""
        try:
            if self._fd is None or os.fstat(self._fd).st_nlink > 0:
                return None
        except OSError:
            return None
        old_fd, old_path = self._fd, self.path
        deleted = FileNotFoundError(
            f"the event file {old_path} was deleted while being written (was its logdir removed?); "
            "events logged since its last flush are lost; writing continues in a new file"
        )
        try:
            self._fd, self.path = self._create()
        except OSError as exc:
            return exc
        _close_quietly(old_fd)
        return deleted

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def forget(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            _close_quietly(fd)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def write_all(fd: int, data: bytes | bytearray) -> int:
    """Write all of ``data`` to ``fd``; an ``OSError`` carries the bytes written before it in
    ``tbx_written``."""
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
