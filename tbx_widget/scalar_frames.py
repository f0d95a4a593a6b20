"""Framed records of many simple scalar events at once, built with numpy (issue 19: busy loop).

``framed_scalar_events(points)`` returns the bytes the writer thread otherwise makes one event at
a time: each ``(tag, value, step, wall_time)`` serialized as ``summary.scalar.encode_scalar_events``
does and framed as ``records.encode_record`` does, all concatenated in order. The events of one
layout (same tag, wall time present or not, same step varint length) differ only in a few fixed
byte positions, so each layout is one numpy array of rows filled column by column, and the CRCs
of all records are taken in one pass (the compiled kernel where built).

Why: the writer thread shares the GIL with the training loop. Encoding and framing 5,000 scalars
one by one cost about 16 ms of CPU, which a busy loop stretched to 30-120 ms of wall time before
each flush; anything logged meanwhile missed that flush. This does 5,000 in about a quarter of
the time (a fixed cost of about 1 ms: for fewer than ``BULK_MIN`` points the one-by-one path is
faster).
"""
from __future__ import annotations

import struct
from typing import Sequence

import google_crc32c
import numpy as np

from .accel import native
from .records import masked_crc32c
from .summary.scalar import varint

__all__ = ["framed_scalar_events", "CHUNK", "BULK_MIN"]

CHUNK = 1 << 15  # points per numpy pass (bounds the temporary index arrays)
BULK_MIN = 256  # below this many points, one by one is faster (numpy's fixed cost: about 1 ms)
_U64 = struct.Struct("<Q")
_VARINT_LIMITS = np.array([1 << (7 * j) for j in range(1, 10)], dtype=np.uint64)


def _header(length: int) -> bytes:
    raw = _U64.pack(length)
    return raw + struct.pack("<I", masked_crc32c(raw))


def framed_scalar_events(points: Sequence[tuple[str, float, int, float]]) -> bytes:
    """The framed records of ``points`` (``(tag, value, step, wall_time)``, steps within int64),
    concatenated: ``b"".join(encode_record(e) for e in encode_scalar_events(points))``."""
    if not isinstance(points, Sequence):
        raise TypeError(f"points must be a sequence of (tag, value, step, wall_time), got {type(points).__name__}")
    return b"".join(_chunk(points[i:i + CHUNK]) for i in range(0, len(points), CHUNK))


def _chunk(points: Sequence[tuple[str, float, int, float]]) -> bytes:
    n = len(points)
    if n == 0:
        return b""
    tags, values, steps, walls = zip(*points)
    with np.errstate(over="ignore"):  # beyond float32: an infinity, as protobuf stores it
        f32 = np.array(values, dtype=np.float64).astype("<f4")
    step = np.array(steps, dtype=np.int64)
    wall = np.array(walls, dtype=np.float64)
    ids = {t: i for i, t in enumerate(dict.fromkeys(tags))}
    tag_id = np.fromiter(map(ids.__getitem__, tags), dtype=np.int64, count=n)
    u = step.astype(np.uint64)  # a negative step is its two's complement, 10 varint bytes
    step_len = np.where(step == 0, 0, 1 + (u[:, None] >= _VARINT_LIMITS).sum(axis=1))
    has_wall = wall != 0  # 0.0 (and -0.0) is left out, as protobuf leaves out a default
    layout = (tag_id * 2 + has_wall) * 11 + step_len
    codes, inverse = np.unique(layout, return_inverse=True)
    inverse = inverse.reshape(-1)

    # One pass over the layouts: the record's bytes up to the value (the tail is fixed per tag).
    prefixes = [b""] * len(ids)
    for tag, i in ids.items():
        raw = tag.encode("utf-8")
        prefixes[i] = b"\x0a" + varint(len(raw)) + raw + b"\x15"
    plan = []
    sizes = np.empty(len(codes), dtype=np.int64)
    for g, code in enumerate(codes.tolist()):
        slen, rest = code % 11, code // 11
        tid, wall_in = rest // 2, rest % 2
        lv = len(prefixes[tid]) + 4
        ls = 1 + len(varint(lv)) + lv
        tail = b"\x2a" + varint(ls) + b"\x0a" + varint(lv) + prefixes[tid]
        length = 9 * wall_in + (1 + slen if slen else 0) + len(tail) + 4
        plan.append((wall_in, slen, tail, length))
        sizes[g] = 12 + length + 4
    framed = sizes[inverse]
    ends = np.cumsum(framed)
    starts = ends - framed
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    data_len = framed - 16
    same = bool((sizes == sizes[0]).all())  # one record length (the usual case): rows of one array
    grid = out.reshape(n, int(sizes[0])) if same else None

    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(codes) + 1))
    for g, (wall_in, slen, tail, length) in enumerate(plan):
        idx = order[bounds[g]:bounds[g + 1]]
        m = len(idx)
        rows = np.empty((m, 12 + length), dtype=np.uint8)
        rows[:, :12] = np.frombuffer(_header(length), dtype=np.uint8)
        pos = 12
        if wall_in:
            rows[:, pos] = 0x09
            rows[:, pos + 1:pos + 9] = wall[idx].astype("<f8").view(np.uint8).reshape(m, 8)
            pos += 9
        if slen:
            rows[:, pos] = 0x10
            v = u[idx]
            for j in range(slen):
                byte = (v >> np.uint64(7 * j)) & np.uint64(0x7F)
                if j < slen - 1:
                    byte |= np.uint64(0x80)
                rows[:, pos + 1 + j] = byte.astype(np.uint8)
            pos += 1 + slen
        rows[:, pos:pos + len(tail)] = np.frombuffer(tail, dtype=np.uint8)
        pos += len(tail)
        rows[:, pos:pos + 4] = f32[idx].view(np.uint8).reshape(m, 4)
        if grid is not None:
            grid[idx, :12 + length] = rows
        else:
            out[starts[idx][:, None] + np.arange(12 + length)] = rows

    crcs = _data_crcs(out, starts + 12, data_len).astype("<u4").view(np.uint8).reshape(n, 4)
    if grid is not None:
        grid[:, -4:] = crcs
    else:
        out[(starts + 12 + data_len)[:, None] + np.arange(4)] = crcs
    return out.tobytes()


def _data_crcs(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The masked CRC32C of each record's data (one call into the compiled kernel where built)."""
    crcs = np.empty(len(starts), dtype=np.uint32)
    if native is not None:
        native.masked_crc32c_spans(buf, starts, lengths, crcs)
        return crcs
    raw = buf.tobytes()
    for i, (s, n) in enumerate(zip(starts.tolist(), lengths.tolist())):
        c = google_crc32c.value(raw[s:s + n])
        crcs[i] = ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF
    return crcs
