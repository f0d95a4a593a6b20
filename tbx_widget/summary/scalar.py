"""Scalars: the hand-written wire encoding of simple-value scalar events (the hot path), and
the tensor form torch's ``new_style`` and TF2 write."""
from __future__ import annotations

import struct
from functools import lru_cache
from typing import Iterable

from .._proto import summary_pb2, tensor_pb2
from ..metadata import scalar as _scalar
from ..metadata.dtypes import DT_DOUBLE, DT_FLOAT

__all__ = ["encode_scalar_events", "scalar_value", "plugin_metadata", "varint"]

_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_INF32 = _F32.pack(float("inf"))
_NINF32 = _F32.pack(float("-inf"))


def varint(n: int) -> bytes:
    """``n`` as a protobuf varint (a negative ``n`` as its 64-bit two's complement, 10 bytes)."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [varint(i) for i in range(1 << 14)]
TAG_PREFIX_CACHE_SIZE = 4096
"""Tags whose encoded prefix is kept: a training loop logs far fewer distinct tags, and a
program that makes up new tags forever (a step in the tag) must not grow memory without bound."""


@lru_cache(maxsize=TAG_PREFIX_CACHE_SIZE)
def _tag_prefix(tag: str) -> bytes:
    """``Value`` bytes up to the float: key 1 (tag) and key 2 (simple_value, fixed32)."""
    raw = tag.encode("utf-8")
    return b"\x0a" + varint(len(raw)) + raw + b"\x15"


def _f32(value: float) -> bytes:
    try:
        return _F32.pack(value)
    except OverflowError:  # beyond float32: protobuf stores an infinity
        return _INF32 if value > 0 else _NINF32


def encode_scalar_events(points: Iterable[tuple[str, float, int, float]]) -> list[bytes]:
    """Serialized ``Event{wall_time, step, summary{value{tag, simple_value}}}`` for each
    ``(tag, value, step, wall_time)``: the same bytes protobuf writes, several times faster."""
    out = []
    small = _SMALL
    for tag, value, step, wall in points:
        v = _tag_prefix(tag) + _f32(value)
        lv = len(v)
        summary = b"\x0a" + (small[lv] if lv < 16384 else varint(lv)) + v
        ls = len(summary)
        head = b"\x09" + _F64.pack(wall) if wall else b""
        if step:
            head += b"\x10" + (small[step] if 0 < step < 16384 else varint(step))
        out.append(head + b"\x2a" + (small[ls] if ls < 16384 else varint(ls)) + summary)
    return out


def plugin_metadata(plugin: str, content: bytes = b"", display_name: str = "", description: str = "") -> summary_pb2.SummaryMetadata:
    md = summary_pb2.SummaryMetadata(display_name=display_name, summary_description=description)
    md.plugin_data.plugin_name = plugin
    md.plugin_data.content = content
    return md


def scalar_value(tag: str, value: float, *, new_style: bool = False, double_precision: bool = False,
                 display_name: str = "", description: str = "") -> summary_pb2.Summary.Value:
    """A scalar ``Summary.Value``: ``simple_value``, or a rank-0 float/double tensor with the
    scalars plugin's metadata (``new_style``, as torch and TF2 write it)."""
    if new_style or double_precision:
        if double_precision:
            tensor = tensor_pb2.TensorProto(dtype=DT_DOUBLE, double_val=[value])
        else:
            tensor = tensor_pb2.TensorProto(dtype=DT_FLOAT, float_val=[value])
        # no tensor_shape: a rank-0 tensor, written as torch writes it (TensorFlow adds an empty shape)
        return summary_pb2.Summary.Value(
            tag=tag, tensor=tensor, metadata=plugin_metadata(_scalar.PLUGIN_NAME, b"", display_name, description)
        )
    v = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    if display_name or description:  # no plugin data, as tensorboardX writes it
        v.metadata.CopyFrom(summary_pb2.SummaryMetadata(display_name=display_name, summary_description=description))
    return v
