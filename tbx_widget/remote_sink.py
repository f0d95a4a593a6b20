"""The file lifecycle of an event writer whose logdir is an fsspec URL (``s3://``, ``gs://``,
``az://``, ``memory://``, ...). Object stores have no append, so:

- The event file is spooled in a local temporary file (deleted when closed; never a directory
  named after the URL) and the whole object is uploaded on every flush: a flush costs one PUT of
  the object's current size (at most about ``ROLL_BYTES``).
- Past ``ROLL_BYTES`` or ``ROLL_SECS`` the next events go to a new object (a new event file
  name, by the same rule, whose time stamp is later than the last one's, so every reader reads
  the objects in order), so uploads stay bounded. A run is all its objects.
- An upload is tried ``UPLOAD_ATTEMPTS`` times with exponential backoff; if all fail, the error is
  raised (the writer reports it on the next call) and the bytes stay spooled: the next flush, or
  the next periodic flush, uploads them again. Nothing is dropped silently.
- A SIGKILL loses what was logged since the last successful upload (the spool dies with the
  process); everything uploaded before stays readable.
- ``close()``, and the start of each new object, check the finished object's size on the server
  and upload it again when it differs: a PUT whose request was delayed (retried by the client
  after a timeout) can land after a later one and put back a shorter object. After each such
  upload the check waits (``BACKOFF_SECS``, doubling) before it looks again, so a PUT still on
  its way is caught too; ``UPLOAD_ATTEMPTS`` repairs, then a ``ConnectionError``.
- Construction checks the bucket (``FileNotFoundError`` / ``PermissionError``) and ``open()``
  uploads the header, so a writer that cannot write fails at once; a missing fsspec backend is an
  ``ImportError`` naming the extra to install.
"""
from __future__ import annotations

import os
import tempfile
import time
from typing import IO, Any, Mapping

from . import signals
from .event_sink import event_file_name, header_record, write_all
from .storage import Storage

__all__ = ["RemoteEventFile", "ROLL_BYTES", "ROLL_SECS", "UPLOAD_ATTEMPTS", "BACKOFF_SECS"]

ROLL_BYTES = 4 << 20  # an object past this size is finished: the next events start a new one
ROLL_SECS = 600.0  # ... and so is an object older than this (seconds)
UPLOAD_ATTEMPTS = 4  # tries per upload before the error is reported
BACKOFF_SECS = 0.25  # wait before the second try, doubled before each further one


class RemoteEventFile:
    """One run's event objects under the URL ``logdir`` (see the module docstring).

    Args:
        logdir: the run's URL.
        suffix: appended to each object's event file name.
        storage_options: the fsspec filesystem's options (credentials, ``endpoint_url``, ...).
        roll_bytes, roll_secs: the roll limits (default ``ROLL_BYTES``, ``ROLL_SECS``).
    """

    live_secs = 1.0  # a followed remote file is uploaded at most this often by the periodic flush

    def __init__(self, logdir: str, suffix: str = "", storage_options: Mapping[str, Any] | None = None, *,
                 roll_bytes: int | None = None, roll_secs: float | None = None):
        self.url = logdir.rstrip("/")
        self.suffix = suffix
        self.roll_bytes = int(ROLL_BYTES if roll_bytes is None else roll_bytes)
        self.roll_secs = float(ROLL_SECS if roll_secs is None else roll_secs)
        if not self.roll_bytes > 0:
            raise ValueError(f"roll_bytes must be a positive number of bytes, got {roll_bytes!r}")
        if not self.roll_secs > 0:
            raise ValueError(f"roll_secs must be a positive number of seconds, got {roll_secs!r}")
        self._options = dict(storage_options or {})
        try:
            self._storage: Storage | None = Storage(self.url, self._options, check=True)
        except ImportError as exc:
            raise ImportError(f"writing to {self.url!r}: {exc}") from None
        self.path = ""  # URL of the object being written
        self._key = ""  # the same in the filesystem's own form
        self._spool: IO[bytes] | None = None
        self._size = 0  # bytes in the spool
        self._header = 0  # of which the header record
        self._finished = False  # the object is past a limit and uploaded: the next write rolls
        self._uploaded = 0  # of which the server has acknowledged
        self._born = 0.0  # monotonic time the object was started
        self._stamp = 0  # the time stamp in the last object's name
        self.uploads = 0  # successful uploads so far
        self.objects: list[str] = []  # URLs of the objects started, in order

    def __repr__(self) -> str:
        return f"<RemoteEventFile {self.path!r}>"

    @property
    def opened(self) -> bool:
        return self._spool is not None

    @property
    def dirty(self) -> bool:
        return self._spool is not None and self._size > self._uploaded

    @property
    def storage(self) -> Storage:
        """The logdir's storage (made anew in a forked child: fsspec filesystems are per process)."""
        if self._storage is None:
            self._storage = Storage(self.url, self._options, check=False)
        return self._storage

    # -- the sink -------------------------------------------------------------------------------

    def open(self) -> None:
        """Start the first object and upload its header (so the bucket is known writable)."""
        self._start_object()
        try:
            self._upload()
        except BaseException:
            self._drop_spool()
            raise

    def write(self, data: bytearray) -> int:
        assert self._spool is not None
        if not self._finished and self._size >= self.roll_bytes and self._size > self._header:
            if self.dirty:  # past its limit between flushes: finish it before it grows more
                try:
                    self._upload()
                except Exception as exc:
                    err = OSError(str(exc))
                    err.tbx_written = 0  # type: ignore[attr-defined]
                    raise err from exc
            self._finished = True
        if self._finished:
            try:
                self._verify()  # the server holds all of the finished object before the next starts
            except Exception as exc:
                err = OSError(str(exc))
                err.tbx_written = 0  # type: ignore[attr-defined]
                raise err from exc
            self._roll()
        written = write_all(self._spool.fileno(), data)
        self._size += written
        return written

    def flush(self) -> None:
        """Upload the object (whole) if it changed and announce it; past a limit the object is
        finished (the next write starts a new one)."""
        if self.dirty:
            self._upload()
        signals.publish(self.path)
        full = self._size >= self.roll_bytes or time.monotonic() - self._born >= self.roll_secs
        if full and self._size > self._header:
            self._finished = True  # the next write starts a new object

    def close(self) -> None:
        """Upload what remains and drop the spool; an upload that fails is raised (the events
        since the last successful upload are then lost, and the message says so)."""
        if self._spool is None:
            return
        try:
            try:
                if self.dirty:
                    self._upload()
                self._verify()
            except Exception as exc:
                raise ConnectionError(
                    f"closing {self.path}: {exc}; the events logged since its last successful upload are lost"
                ) from exc
        finally:
            self._drop_spool()

    def _verify(self) -> None:
        """Make sure the server holds the whole object (see the module docstring): compare its
        size with the spool's and upload again while they differ (a few times)."""
        if self._uploaded == 0 or self._size <= self._header:
            return  # nothing uploaded, or the header alone (a rolled object's is never uploaded)
        delay = BACKOFF_SECS
        for attempt in range(UPLOAD_ATTEMPTS + 1):
            try:
                if self.storage.size(self._key) == self._size:
                    return
            except FileNotFoundError:
                pass
            if attempt == UPLOAD_ATTEMPTS:
                break
            self._upload()
            # a delayed PUT still on its way can land after this one: give it time, then look again
            time.sleep(delay)
            delay *= 2
        raise ConnectionError(f"{self.path} on the server stays shorter than the {self._size} bytes uploaded")

    def forget(self) -> None:
        """In a forked child: drop the parent's spool (its copy of the descriptor only) and the
        parent's filesystem object; the child starts objects of its own."""
        self._drop_spool()  # closes this process's descriptor; the parent's spool is untouched
        self._storage = None

    # -- internals ------------------------------------------------------------------------------

    def _start_object(self) -> None:
        """A new object name (its time stamp after the last one's) and a spool holding its header."""
        stamp = max(int(time.time()), self._stamp + 1)
        storage = self.storage
        while True:
            name = event_file_name(self.suffix, now=stamp)
            key = storage.join(name)
            try:
                taken = storage.exists(key)
            except Exception as exc:
                raise storage._denied(exc) or exc
            if not taken:
                break  # same second, host, pid and counter elsewhere: take the next counter
        self._stamp = stamp
        self._drop_spool()
        spool = tempfile.TemporaryFile(prefix="tbx_widget-spool-")
        header = header_record()
        try:
            write_all(spool.fileno(), header)
        except BaseException:
            spool.close()
            raise
        self._spool, self._key, self.path = spool, key, f"{self.url}/{name}"
        self._size = self._header = len(header)
        self._uploaded = 0
        self._born = time.monotonic()
        self._finished = False
        self.objects.append(self.path)

    def _roll(self) -> None:
        """Finish the current (fully uploaded) object; the next events go to a new one, whose
        header is uploaded with its first events."""
        self._start_object()
        self._uploaded = self._size  # the header alone is not worth a request

    def _drop_spool(self) -> None:
        if self._spool is not None:
            spool, self._spool = self._spool, None
            try:
                spool.close()
            except OSError:
                pass

    def _read_spool(self) -> bytes:
        assert self._spool is not None
        fd, size = self._spool.fileno(), self._size
        parts, offset = [], 0
        while offset < size:
            chunk = os.pread(fd, size - offset, offset) if hasattr(os, "pread") else _read_at(fd, size - offset, offset)
            if not chunk:
                raise OSError(f"the spool of {self.path} is shorter than written ({offset} of {size} bytes)")
            parts.append(chunk)
            offset += len(chunk)
        return b"".join(parts)

    def _upload(self) -> None:
        """PUT the whole spool as the object, with retries and backoff; raise when all fail."""
        data = self._read_spool()
        self.storage.put(self._key, data, attempts=UPLOAD_ATTEMPTS, backoff=BACKOFF_SECS, name=self.path,
                         note="; the events stay spooled and are uploaded again at the next flush")
        self._uploaded = len(data)
        self.uploads += 1


def _read_at(fd: int, n: int, offset: int) -> bytes:
    """``os.pread`` where it is missing (Windows): seek, read, and back to the end for writes."""
    os.lseek(fd, offset, os.SEEK_SET)
    try:
        return os.read(fd, n)
    finally:
        os.lseek(fd, 0, os.SEEK_END)
