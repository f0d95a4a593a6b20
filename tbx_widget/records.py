"""TFRecord framing of event files: encode, decode, and a resumable file reader.

A record is ``u64 length (LE) · masked_crc32c(length bytes) · data · masked_crc32c(data)``,
with ``mask(c) = ((c >> 15) | (c << 17)) + 0xA282EAD8 (mod 2**32)``.

The pure functions here (``masked_crc32c``, ``encode_record``, ``scan_records``) do no I/O;
``RecordReader`` adds the file access: it tails a file another process may still be writing,
returns a partial last record only once it is complete, and resynchronises after corruption
instead of stopping (TensorBoard stops at the first bad record and loses the rest). ``resync``
finds the next valid header at memory speed (numpy, or the optional compiled kernel);
``Pending``/``probe_pending`` wait for a record whose length runs past the end of the file
without re-reading anything, and skip it once a complete record after it proves it corrupt.
"""
from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

import google_crc32c
import numpy as np

from .accel import native as _native  # None where the optional C kernels were not built

__all__ = [
    "HEADER_SIZE",
    "FOOTER_SIZE",
    "masked_crc32c",
    "encode_record",
    "scan_records",
    "ScanResult",
    "RecordReader",
    "CorruptRecordWarning",
    "resync",
    "pread",
    "Pending",
    "probe_pending",
]

HEADER_SIZE = 12  # u64 length + u32 masked crc of the length
FOOTER_SIZE = 4  # u32 masked crc of the data
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF
_LEN = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_HEAD = struct.Struct("<QI")
MAX_RECORD = (1 << 31) - 1  # protobuf messages cannot exceed 2 GiB: a larger length is corruption
_crc32c = google_crc32c.value  # C implementation


class CorruptRecordWarning(RuntimeWarning):
    """Bytes of an event file were skipped because they failed their checksum (or a length
    field was shown corrupt), or records that framed correctly could not be decoded; every
    intact record after them was read."""


def mask_crc(crc: int) -> int:
    """Apply the TFRecord CRC mask to a raw CRC32C value."""
    return ((((crc >> 15) | (crc << 17)) & _U32) + _MASK_DELTA) & _U32


def masked_crc32c(data: bytes | bytearray | memoryview) -> int:
    """Masked CRC32C of ``data``, as stored in TFRecord headers and footers."""
    return mask_crc(_crc32c(bytes(data) if isinstance(data, memoryview) else data))


def encode_record(data: bytes) -> bytes:
    """Frame one serialized event as a TFRecord."""
    header = _LEN.pack(len(data))
    return b"".join(
        (header, _CRC.pack(masked_crc32c(header)), data, _CRC.pack(masked_crc32c(data)))
    )


@dataclass
class ScanResult:
    """What ``scan_records`` found in a buffer.

    ``records``: the data of each complete, valid record, in order.
    ``end``: where the next scan must start (the start of a partial record, or the buffer end).
    ``skipped``: bytes passed over because they failed their checksums.
    ``need``: total buffer size (from ``start``'s origin) that would complete the pending record,
    or 0 when nothing is pending or the pending header is itself incomplete.
    """

    records: list[bytes] = field(default_factory=list)
    end: int = 0
    skipped: int = 0
    need: int = 0


def scan_records(buf: bytes | bytearray | memoryview, start: int = 0) -> ScanResult:
    """Split ``buf[start:]`` into records without allocating beyond ``buf``.

    A record whose header is valid but whose data runs past the buffer is pending: the scan
    stops at its start (``end``) so the caller can retry with more bytes. Bytes that fail a
    checksum are skipped: the scan moves forward until a position holds a record with a valid
    header and data (or a valid header whose data is still incomplete).
    """
    view = memoryview(buf)
    size = len(view)
    result = ScanResult(end=start)
    pos = start
    while True:
        if size - pos < HEADER_SIZE:
            break  # not even a header yet: pending
        length, header_crc = _HEAD.unpack_from(view, pos)
        if length > MAX_RECORD or masked_crc32c(view[pos : pos + 8]) != header_crc:
            nxt = resync(view, pos + 1)
            result.skipped += nxt - pos
            pos = nxt
            result.end = pos
            continue
        stop = pos + HEADER_SIZE + length + FOOTER_SIZE
        if stop > size:
            result.need = stop
            break  # valid header, data still being written
        data = view[pos + HEADER_SIZE : stop - FOOTER_SIZE]
        if masked_crc32c(data) != _CRC.unpack_from(view, stop - FOOTER_SIZE)[0]:
            result.skipped += stop - pos  # header trusted: skip this whole record
        else:
            result.records.append(data.tobytes())
        pos = stop
        result.end = pos
    result.end = pos
    return result


def _header_tables() -> tuple[np.ndarray, int]:
    """``T[j, b]``: the CRC32C contribution of byte value ``b`` at position ``j`` (0-3) of an
    8-byte length field whose bytes 4-7 are zero, and the CRC of eight zero bytes. CRC32C is
    affine in the message bits, so ``crc = K ^ T[0, b0] ^ T[1, b1] ^ T[2, b2] ^ T[3, b3]``."""
    zero = _crc32c(bytes(8))
    table = np.empty((4, 256), dtype=np.uint32)
    for j in range(4):
        for b in range(256):
            msg = bytearray(8)
            msg[j] = b
            table[j, b] = _crc32c(bytes(msg)) ^ zero
    return table, zero


_HEADER_TABLE, _ZERO_CRC = _header_tables()
_RESYNC_BLOCK = 1 << 20


def resync(buf: bytes | bytearray | memoryview, pos: int) -> int:
    """First position at or after ``pos`` whose 12 bytes form a valid record header, or where
    fewer than 12 bytes remain (undecidable until more bytes arrive).

    A valid length is below 2**31, so bytes 4-7 of a header are zero and byte 3 is < 0x80; a
    header of twelve zero bytes is never valid (the CRC of a zero length is not zero). numpy
    finds the candidates a block at a time and checks all their CRCs at once, so garbage and
    zero-filled gaps are skipped at memory speed; the compiled kernel does the same in one loop.
    """
    if _native is not None and hasattr(_native, "resync"):  # an older build lacks it
        return _native.resync(buf, pos)
    return _resync_numpy(buf, pos)


def _resync_numpy(buf: bytes | bytearray | memoryview, pos: int) -> int:
    arr = np.frombuffer(buf, dtype=np.uint8)
    last = len(arr) - HEADER_SIZE
    pos = max(0, int(pos))
    if pos > last:
        return pos
    table = _HEADER_TABLE
    while pos <= last:
        end = min(last, pos + _RESYNC_BLOCK - 1)  # candidates in [pos, end]
        n = end - pos + 1
        seg = arr[pos : end + HEADER_SIZE]
        nz = seg != 0
        cand = ~(nz[4 : n + 4] | nz[5 : n + 5] | nz[6 : n + 6] | nz[7 : n + 7])
        cand &= seg[3 : n + 3] < 0x80
        some = nz[0:n] | nz[1 : n + 1] | nz[2 : n + 2] | nz[3 : n + 3]
        some |= nz[8 : n + 8] | nz[9 : n + 9] | nz[10 : n + 10] | nz[11 : n + 11]
        cand &= some  # twelve zero bytes: never a header
        idx = np.flatnonzero(cand)
        if len(idx):
            crc = table[0][seg[idx]] ^ table[1][seg[idx + 1]] ^ table[2][seg[idx + 2]] ^ table[3][seg[idx + 3]]
            crc ^= np.uint32(_ZERO_CRC)
            masked = ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)
            stored = (
                seg[idx + 8].astype(np.uint32)
                | (seg[idx + 9].astype(np.uint32) << np.uint32(8))
                | (seg[idx + 10].astype(np.uint32) << np.uint32(16))
                | (seg[idx + 11].astype(np.uint32) << np.uint32(24))
            )
            hit = np.flatnonzero(masked == stored)
            if len(hit):
                return pos + int(idx[hit[0]])
        pos = end + 1
    return pos


@dataclass
class Pending:
    """A record whose sound header (at ``start``) claims more bytes than the file holds yet
    (it would end at ``stop``): a record still being written, or a corrupt length field whose
    header CRC happens to match.

    Waiting costs nothing: a reader re-reads nothing until the file grows. The bytes that
    arrive after the header are searched once each (``probe``: how far) for a complete record;
    a writer appends records in order, so a complete record after an incomplete one proves the
    length corrupt, and reading resumes there (``probe_pending``). ``cand``/``cand_stop``: the
    first header found after ``start`` whose record also ran past the end of the file then.
    """

    start: int
    stop: int
    probe: int
    cand: int = -1
    cand_stop: int = 0

    @classmethod
    def at(cls, start: int, need: int) -> "Pending":
        """The pending record at ``start`` whose record needs ``need`` bytes from there."""
        return cls(start, start + need, start + 1)


def probe_pending(fd: Any, pending: Pending, size: int, *, chunk_size: int = 1 << 20) -> int:
    """For a file of ``size`` bytes: ``pending.stop`` if the pending record is complete now;
    else the offset of the first complete, valid record after its start (the pending length
    is corrupt: skip to there), or -1 while none has arrived. Reads only the bytes that
    arrived since the last call, ``chunk_size`` at a time."""
    if size >= pending.stop:
        return pending.stop
    if pending.cand >= 0 and size >= pending.cand_stop:
        if _record_ok(fd, pending.cand, pending.cand_stop):
            return pending.cand
        pending.cand = -1
    while pending.probe <= size - HEADER_SIZE:
        base = pending.probe
        buf = pread(fd, min(size - base, chunk_size), base)
        pos = 0
        while True:
            pos = resync(buf, pos)
            if pos > len(buf) - HEADER_SIZE:
                break
            length = _LEN.unpack_from(buf, pos)[0]
            stop = base + pos + HEADER_SIZE + length + FOOTER_SIZE
            if stop <= size:
                if _record_ok(fd, base + pos, stop, buf if stop - base <= len(buf) else None, base):
                    return base + pos
            elif pending.cand < 0:
                pending.cand, pending.cand_stop = base + pos, stop
            pos += 1
        pending.probe = base + pos
    return -1


def _record_ok(fd: Any, start: int, stop: int, buf: bytes | None = None, base: int = 0) -> bool:
    """Whether the record at file offsets [start, stop) has a valid data CRC (its header is
    known to be sound). Uses ``buf`` (file bytes from ``base``) when given, else reads the data
    a MiB at a time."""
    if buf is not None:
        view = memoryview(buf)[start - base : stop - base]
        return masked_crc32c(view[HEADER_SIZE:-FOOTER_SIZE]) == _CRC.unpack_from(view, len(view) - FOOTER_SIZE)[0]
    crc = 0
    pos, end = start + HEADER_SIZE, stop - FOOTER_SIZE
    while pos < end:
        piece = pread(fd, min(end - pos, 1 << 20), pos)
        if not piece:
            return False
        crc = google_crc32c.extend(crc, piece)
        pos += len(piece)
    footer = pread(fd, FOOTER_SIZE, end)
    return len(footer) == FOOTER_SIZE and mask_crc(crc) == _CRC.unpack(footer)[0]


class RecordReader:
    """Reads the records of one event file incrementally, from a byte offset.

    ``read()`` returns the records completed since the last call; ``offset`` is where the
    next call resumes, so a reader can be recreated from a saved offset. ``skipped_bytes``
    counts bytes lost to corruption so far. Memory stays bounded by the file's real size: a
    length field claiming more than the file holds is a pending record (see ``Pending``),
    which costs no reads until the file grows, and is skipped as corrupt once a complete
    record follows it.
    """

    def __init__(self, path: str | os.PathLike[str], offset: int = 0, *, chunk_size: int = 16 << 20):
        self.path = os.fspath(path)
        self.offset = int(offset)
        self.skipped_bytes = 0
        self._chunk = int(chunk_size)
        self._pending: Pending | None = None

    def read(self) -> list[bytes]:
        """Return every record completed since the last call (possibly none)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return []
        try:
            size = os.fstat(fd).st_size
            records: list[bytes] = []
            skipped = 0
            while self.offset < size:
                if self._pending is not None:
                    found = probe_pending(fd, self._pending, size)
                    if found < 0:
                        break  # still pending: nothing re-read
                    if found != self._pending.stop:  # a record follows: the length was corrupt
                        skipped += found - self.offset
                        self.offset = found
                    self._pending = None
                buf = pread(fd, min(size - self.offset, self._chunk), self.offset)
                scan = scan_records(buf)
                if scan.end == 0 and len(buf) < scan.need <= size - self.offset:
                    # A single record larger than the chunk, complete on disk: read exactly it.
                    buf = pread(fd, scan.need, self.offset)
                    scan = scan_records(buf)
                records.extend(scan.records)
                skipped += scan.skipped
                self.offset += scan.end
                if scan.end == 0:
                    if scan.need:  # a sound header whose record runs past the end of the file
                        self._pending = Pending.at(self.offset, scan.need)
                        continue  # the bytes after it may already show it corrupt
                    break  # fewer than a header's bytes: wait for more
            if skipped:
                self.skipped_bytes += skipped
                warnings.warn(
                    f"{self.path}: skipped {skipped} corrupt bytes; reading resumed at the next valid record",
                    CorruptRecordWarning,
                    stacklevel=2,
                )
            return records
        finally:
            os.close(fd)

    def __iter__(self):
        return iter(self.read())


def pread(fd: Any, n: int, offset: int) -> bytes:
    """Read up to ``n`` bytes of ``fd`` at ``offset`` (``os.pread`` where there is one). ``fd``
    may also be an object with a ``pread(n, offset)`` method (a remote object, see storage.py)."""
    if not isinstance(fd, int):
        return fd.pread(n, offset)
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has no os.pread
    return os.read(fd, n)
