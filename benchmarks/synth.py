"""Fast synthetic event files for benchmarks: scalar records built with numpy, not protobuf.

Steps start at 2**21 so every step varint has 4 bytes and each tag's records share one
length; the bytes are exactly what protobuf would serialise (a test checks it)."""
from __future__ import annotations

import os

import numpy as np

from tbx_widget._proto import event_pb2
from tbx_widget.reader.spans import crc32c_rows
from tbx_widget.records import encode_record, masked_crc32c

STEP0 = 1 << 21


def _mask(c: np.ndarray) -> np.ndarray:
    return ((c >> np.uint32(15)) | (c << np.uint32(17))) + np.uint32(0xA282EAD8)


def scalar_records(tag: str, steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Framed records (one row each) of ``Event{wall_time, step, summary{value{tag, simple_value}}}``."""
    t = tag.encode()
    assert len(t) < 100 and (steps >= STEP0).all() and (steps < 1 << 28).all()
    value_body = b"\x0a" + bytes([len(t)]) + t + b"\x15"
    n = len(steps)
    length = 9 + 5 + 2 + 2 + len(value_body) + 4
    data = np.zeros((n, length), np.uint8)
    data[:, 0] = 0x09
    data[:, 1:9] = np.asarray(walls, "<f8").view(np.uint8).reshape(n, 8)
    data[:, 9] = 0x10
    s = np.asarray(steps, np.int64)
    for k in range(4):
        data[:, 10 + k] = ((s >> (7 * k)) & 0x7F) | (0x80 if k < 3 else 0)
    o = 14
    data[:, o] = 0x2A
    data[:, o + 1] = length - o - 2
    data[:, o + 2] = 0x0A
    data[:, o + 3] = length - o - 4
    data[:, o + 4 : o + 4 + len(value_body)] = np.frombuffer(value_body, np.uint8)
    data[:, length - 4 :] = np.asarray(values, "<f4").view(np.uint8).reshape(n, 4)
    out = np.zeros((n, 12 + length + 4), np.uint8)
    out[:, :8] = np.frombuffer(np.uint64(length).tobytes(), np.uint8)
    out[:, 8:12] = np.frombuffer(np.uint32(masked_crc32c(np.uint64(length).tobytes())).tobytes(), np.uint8)
    out[:, 12 : 12 + length] = data
    out[:, 12 + length :] = _mask(crc32c_rows(data)).astype("<u4").view(np.uint8).reshape(n, 4)
    return out


def write_scalar_run(directory: str, tags: int, points: int, *, block: int = 200_000) -> str:
    """One event file with ``tags`` interleaved scalar tags of ``points`` points each."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "events.out.tfevents.1700000000.synthetic")
    with open(path, "wb") as f:
        f.write(encode_record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()))
        for lo in range(0, points, block):
            steps = np.arange(lo, min(points, lo + block)) + STEP0
            rows = [scalar_records(f"metric/{t}", steps, 1.7e9 + steps * 0.01, np.sin(steps * 1e-3) + t) for t in range(tags)]
            f.write(np.concatenate(rows, axis=1).tobytes())  # step-major: all tags of a step together (tags of any name length)
    return path
