"""Where log bytes live: local files and fsspec URLs (s3://, gs://, az://, memory://, ...) behind
one small interface, so records, reader and writer never know which.

A ``Storage`` is made for a root (a logdir): ``list()`` finds every event file under it in one
call (one flat listing of an object store, not one per directory), ``read(path, start, end)`` is
a ranged read, ``size``/``exists``/``open``/``append`` do what they say. fsspec and its backends
are optional: a URL whose backend is missing raises an ``ImportError`` naming the extra to
install. Nothing here ever turns a URL into a local path (no ``s3:`` directory appears).
"""
from __future__ import annotations

import os
import re
import time
import warnings
from typing import Any, BinaryIO, Mapping

__all__ = ["is_url", "Storage", "EXTRAS", "PUT_ATTEMPTS", "PUT_BACKOFF_SECS"]

PUT_ATTEMPTS = 4  # tries of one ``put`` to an object store before the error is raised
PUT_BACKOFF_SECS = 0.25  # wait before the second try, doubled before each further one

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://")

# fsspec protocol -> the tbx-widget extra that installs its backend
EXTRAS = {
    "s3": "s3", "s3a": "s3",
    "gs": "gcs", "gcs": "gcs",
    "az": "azure", "abfs": "azure", "abfss": "azure", "adl": "azure",
}
# object stores: the first path component is a bucket (container) that must exist
_BUCKETED = frozenset(EXTRAS)


def is_url(path: Any) -> bool:
    """Whether ``path`` is a URL with a scheme (``s3://...``, ``memory://...``), as opposed to a
    local path (``C:\\runs`` and ``runs`` are local; ``file://`` URLs count as URLs)."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    return isinstance(path, str) and _SCHEME.match(path) is not None


def _protocol(url: str) -> str:
    m = _SCHEME.match(url)
    assert m is not None
    return m.group(1).lower()


def _filesystem(url: str, storage_options: Mapping[str, Any]) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the root path in its own form."""
    protocol = _protocol(url)
    extra = EXTRAS.get(protocol)
    hint = f"pip install 'tbx-widget[{extra}]'" if extra else f"install the fsspec backend for {protocol}://"
    try:
        import fsspec
        from fsspec.core import url_to_fs
    except ImportError:
        raise ImportError(f"reading {url!r} needs fsspec and its {protocol} backend: {hint}") from None
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as exc:
        raise ImportError(f"reading {url!r} needs the fsspec backend for {protocol}:// ({exc}): {hint}") from None
    except ValueError:
        raise ValueError(f"logdir {url!r}: fsspec knows no protocol {protocol!r}") from None
    fs, root = url_to_fs(url, **dict(storage_options))
    return fs, root.rstrip("/")


class _Ranged:
    """One remote object as ``records.pread`` wants it: ``pread(n, offset)``, served from a
    window of it fetched beforehand (``start``, ``data``) when that covers the read, else by a
    ranged read. ``size`` is the object's size as listed (a read past it returns what the
    window holds)."""

    __slots__ = ("_storage", "_path", "_start", "_data", "_size")

    def __init__(self, storage: "Storage", path: str, start: int = 0, data: bytes = b"", size: int | None = None):
        self._storage, self._path = storage, path
        self._start, self._data, self._size = start, data, size

    def pread(self, n: int, offset: int) -> bytes:
        lo, data = self._start, self._data
        hi = lo + len(data)
        if data and lo <= offset <= hi and (offset + n <= hi or hi == self._size):
            return data[offset - lo : offset - lo + n]
        return self._storage.read(self._path, offset, offset + n)


class Storage:
    """A logdir root, local or an fsspec URL, and the operations the reader needs.

    Args:
        root: a local directory or a URL (``s3://bucket/runs``).
        storage_options: passed to the fsspec filesystem (credentials, ``endpoint_url``, ...);
            only for URLs.
        check: for an object store, check now that the bucket (container) exists and can be read:
            ``FileNotFoundError`` or ``PermissionError`` here instead of an empty dashboard later.
    """

    def __init__(self, root: str | os.PathLike[str], storage_options: Mapping[str, Any] | None = None, *, check: bool = True):
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a path or URL string, got {type(root).__name__}")
        if storage_options is not None and not isinstance(storage_options, Mapping):
            raise TypeError(f"storage_options must be a dict, got {type(storage_options).__name__}")
        self.url = os.fspath(root)
        self.remote = is_url(self.url)
        if not self.remote and storage_options:
            raise ValueError(f"storage_options are for URLs (s3://, gs://, ...); {self.url!r} is a local path")
        self.sep = "/" if self.remote else os.sep
        self._last_listing: dict[str, int] | None = None  # a URL's latest listing (``last_listing``)
        if self.remote:
            self.fs, self.root = _filesystem(self.url, storage_options or {})
            self.protocol = _protocol(self.url)
            if check and self.protocol in _BUCKETED:
                self._check_bucket()
        else:
            self.fs, self.root, self.protocol = None, self.url, "file"

    def __repr__(self) -> str:
        return f"Storage({self.url!r})"

    def _check_bucket(self) -> None:
        bucket = self.root.split("/", 1)[0]
        try:
            with warnings.catch_warnings():
                # adlfs warns, and answers True, when it may not read a container's properties:
                # the listing that follows (Logs lists at construction) tells denial apart.
                warnings.simplefilter("ignore", UserWarning)
                ok = self.fs.exists(bucket)
        except Exception as exc:
            raise self._denied(exc) or exc
        if not ok:
            raise FileNotFoundError(
                f"logdir {self.url!r}: bucket {bucket!r} does not exist (or these credentials cannot see it)"
            )

    def _denied(self, exc: BaseException) -> PermissionError | None:
        """``exc`` as a ``PermissionError`` naming the logdir when it is an access denial (HTTP
        401/403, whatever the backend calls it), else None."""
        status = getattr(exc, "status_code", None) or getattr(exc, "code", None) or getattr(exc, "status", None)
        if isinstance(exc, PermissionError) or status in (401, 403):
            denied = PermissionError(f"logdir {self.url!r}: access denied ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
            denied.__cause__ = exc
            return denied
        return None

    def join(self, *parts: str) -> str:
        """A path under the root (in the storage's own form)."""
        return self.sep.join((self.root, *parts)) if parts else self.root

    # -- the reader's operations --------------------------------------------------------------

    def list(self, match: Any = None) -> dict[str, int]:
        """Every file under the root → its size, in one listing call for a URL (fsspec ``find``
        with details; the listing cache is dropped first, so the answer is current). ``match``
        (a callable on the file's name) keeps only the files it accepts."""
        out: dict[str, int] = {}
        if self.remote:
            self.fs.invalidate_cache(self.root)
            try:
                found = self.fs.find(self.root, detail=True)
            except Exception as exc:
                raise self._denied(exc) or exc
            every = {path: int(info.get("size") or 0) for path, info in found.items() if info.get("type", "file") == "file"}
            self._last_listing = every
            for path, size in every.items():
                if match is None or match(path.rsplit("/", 1)[-1]):
                    out[path] = size
            return out
        for directory, dirs, files in os.walk(self.root):
            dirs.sort()
            for name in sorted(files):
                if match is None or match(name):
                    path = os.path.join(directory, name)
                    try:
                        out[path] = os.stat(path).st_size
                    except OSError:
                        continue
        return out

    def last_listing(self, match: Any = None) -> dict[str, int] | None:
        """For a URL: what the latest ``list()`` found (every file → its size, filtered by
        ``match`` as there), without another request; None before any listing (and for a local
        root). A follower reads other files' sizes from the poll's one listing this way."""
        every = self._last_listing
        if every is None:
            return None
        return {p: n for p, n in every.items() if match is None or match(p.rsplit("/", 1)[-1])}

    def read(self, path: str, start: int, end: int) -> bytes:
        """Bytes ``start``..``end`` of ``path`` (fewer at its end): one ranged read."""
        if start >= end:
            return b""
        if self.remote:
            return self.fs.cat_file(path, start=start, end=end)
        with open(path, "rb") as f:
            f.seek(start)
            return f.read(end - start)

    def read_many(self, ranges: list[tuple[str, int, int]]) -> list[bytes]:
        """Several ranged reads (path, start, end) at once: for a URL, concurrent requests
        (fsspec ``cat_ranges``), so reading many runs does not cost one round trip after another."""
        if not ranges:
            return []
        if self.remote:
            paths, starts, ends = (list(x) for x in zip(*ranges))
            return [bytes(b) for b in self.fs.cat_ranges(paths, starts, ends, on_error="raise")]
        return [self.read(p, s, e) for p, s, e in ranges]

    def ranged(self, path: str, start: int = 0, data: bytes = b"", size: int | None = None) -> _Ranged:
        """``path`` as an object with ``pread(n, offset)`` (what ``records`` reads through),
        serving reads from ``data`` (its bytes from ``start``, fetched before) where it can."""
        return _Ranged(self, path, start, data, size)

    def size(self, path: str) -> int:
        """The size of ``path`` in bytes (``FileNotFoundError`` when it is missing)."""
        if self.remote:
            self.fs.invalidate_cache(path)
            return int(self.fs.info(path)["size"])
        return os.stat(path).st_size

    def exists(self, path: str | None = None) -> bool:
        """Whether ``path`` (default: the root) exists; an object store's root exists when any
        object lies under it."""
        path = self.root if path is None else path
        if self.remote:
            self.fs.invalidate_cache(path)
            return bool(self.fs.exists(path))
        return os.path.exists(path)

    def open(self, path: str, mode: str = "rb") -> BinaryIO:
        """``path`` opened in binary ``mode`` ("rb" or "wb")."""
        if mode not in ("rb", "wb"):
            raise ValueError(f"mode must be 'rb' or 'wb', got {mode!r}")
        if self.remote:
            return self.fs.open(path, mode)
        return open(path, mode)

    def put(self, path: str, data: bytes, *, attempts: int | None = None, backoff: float | None = None,
            name: str | None = None, note: str = "") -> None:
        """Write ``data`` as the whole of ``path`` (replacing it). Local: parent directories are
        made. URL: one upload, tried ``attempts`` (default ``PUT_ATTEMPTS``) times with exponential
        backoff from ``backoff`` seconds (default ``PUT_BACKOFF_SECS``); an access denial raises
        ``PermissionError`` at once, the last failure a ``ConnectionError`` naming the object
        (``name``, default ``path`` under this storage's URL) and ending with ``note``: nothing is
        dropped silently."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        data = bytes(data)
        if not self.remote:
            parent = os.path.dirname(path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            return
        attempts = PUT_ATTEMPTS if attempts is None else attempts
        delay = PUT_BACKOFF_SECS if backoff is None else backoff
        for attempt in range(1, attempts + 1):
            try:
                self.fs.pipe_file(path, data)
            except Exception as exc:
                denied = self._denied(exc)
                if denied is not None:
                    raise denied
                if attempt == attempts:
                    raise ConnectionError(
                        f"uploading {name or path} ({len(data)} bytes){'' if name else f' to {self.url}'} failed {attempt} times "
                        f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})" + note
                    ) from exc
                time.sleep(delay)
                delay *= 2
            else:
                self.fs.invalidate_cache(path)
                return

    def append(self, path: str, data: bytes) -> None:
        """Add ``data`` at the end of ``path`` (created if missing). Object stores have no
        append: the object is read and uploaded again, whole (``put``, with its retries)."""
        if self.remote:
            try:
                old = bytes(self.fs.cat_file(path))
            except FileNotFoundError:
                old = b""
            self.put(path, old + bytes(data))
            return
        with open(path, "ab") as f:
            f.write(data)
