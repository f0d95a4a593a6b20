"""Events → normalised items: the full protobuf path, for every record the scalar fast path
(``fast_scalars``) does not take. Pure functions; the only state is the per-run map from tag to
plugin name, because writers put a value's metadata on its first occurrence only.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from google.protobuf.message import DecodeError

from .._proto import event_pb2, hparams_pb2, layout_pb2, tensor_pb2
from .. import metadata as md
from ..metadata.dtypes import (DT_BFLOAT16, DT_BOOL, DT_DOUBLE, DT_FLOAT, DT_HALF, DT_INT8, DT_INT16, DT_INT32,
                               DT_INT64, DT_STRING, DT_UINT8, DT_UINT16, DT_UINT32, DT_UINT64)
from ..summary.curves import parse_curve, parse_surface
from ..summary.mesh import parse_mesh_content
from .graphs import GRAPH_DEF_TAG, graph_def_item, keras_item
from .items import (
    AudioItem,
    CurveItem,
    CustomScalarsItem,
    HistogramItem,
    HParamsItem,
    ImageItem,
    MeshItem,
    PrCurveItem,
    SurfaceItem,
    TextItem,
)

__all__ = ["Decoded", "UndecodableError", "decode_event", "tensor_to_numpy", "hparams_data"]

_NUMERIC = {
    DT_FLOAT: "<f4", DT_DOUBLE: "<f8", DT_INT32: "<i4", DT_UINT8: "u1", DT_INT16: "<i2", DT_INT8: "i1",
    DT_INT64: "<i8", DT_BOOL: "?", DT_BFLOAT16: None, DT_UINT16: "<u2", DT_HALF: "<f2", DT_UINT32: "<u4",
    DT_UINT64: "<u8",
}
_FIELD = {  # dtype → the repeated field that holds its values when tensor_content is empty
    DT_FLOAT: "float_val", DT_DOUBLE: "double_val", DT_INT32: "int_val", DT_UINT8: "int_val",
    DT_INT16: "int_val", DT_INT8: "int_val", DT_INT64: "int64_val", DT_BOOL: "bool_val", DT_UINT16: "int_val",
    DT_HALF: "half_val", DT_UINT32: "uint32_val", DT_UINT64: "uint64_val",
}
CUSTOM_SCALARS_TAG = md.custom_scalar.CONFIG_TAG
MAX_FILL_ELEMENTS = 1 << 22
"""The most elements a tensor stored as one value may expand to (4,194,304: 32 MiB as float64);
a record asking for more is skipped and counted as undecodable."""


class UndecodableError(ValueError):
    """A record framed and checksummed correctly whose content cannot be decoded: not an Event,
    plugin content that is not its proto, invalid UTF-8 where text is required, inconsistent
    arrays. The reader skips that record alone and counts it."""


class Decoded(NamedTuple):
    """What one event holds: a purge step (SessionLog START) or None, scalar points
    ``(tag, step, wall_time, value)``, and other items ``(kind, tag, item)``."""

    purge: int | None
    scalars: list[tuple[str, int, float, float]]
    items: list[tuple[str, str, Any]]


def tensor_to_numpy(t: tensor_pb2.TensorProto) -> np.ndarray:
    """A TensorProto as a numpy array (strings as an object array of bytes).

    A tensor stored as one value that fills its shape (TensorFlow's rule) expands to at most
    ``MAX_FILL_ELEMENTS`` elements; a larger one, or a shape with a negative dimension, raises
    ``UndecodableError`` (so one record can never make the reader allocate more than that)."""
    dims = [d.size for d in t.tensor_shape.dim]
    if any(d < 0 for d in dims):
        raise UndecodableError(f"tensor shape {dims} has a negative dimension")
    shape = tuple(dims)
    size = math.prod(dims)  # Python ints: no overflow
    if t.dtype == DT_STRING:
        arr = np.empty(len(t.string_val), dtype=object)
        arr[:] = list(t.string_val)
        return arr.reshape(shape) if arr.size == size else arr
    if t.dtype == DT_BFLOAT16:  # the upper half of a float32
        if t.tensor_content:
            raw = np.frombuffer(t.tensor_content, dtype="<u2")
        else:
            raw = np.array(t.half_val, dtype=np.uint16)
        arr = (raw.astype(np.uint32) << 16).view(np.float32)
    else:
        dtype = _NUMERIC.get(t.dtype)
        if dtype is None:
            raise ValueError(f"unsupported tensor dtype {t.dtype}")
        if t.tensor_content:
            arr = np.frombuffer(t.tensor_content, dtype=dtype)
        elif t.dtype == DT_HALF:
            arr = np.array(t.half_val, dtype=np.uint16).view(np.float16)
        else:
            arr = np.array(getattr(t, _FIELD[t.dtype]), dtype=dtype)
    if arr.size == 1 and size != 1:
        if size > MAX_FILL_ELEMENTS:
            raise UndecodableError(
                f"a one-value tensor of shape {dims} would expand to {size} elements (at most {MAX_FILL_ELEMENTS})"
            )
        arr = np.full(shape, arr.reshape(-1)[0])  # a single value fills the tensor (TF's rule)
    return arr.reshape(shape) if arr.size == size else arr


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _text_of(arr: np.ndarray) -> str:
    """A string tensor as Markdown: a scalar as is, a vector as lines, a matrix as a table."""
    if arr.ndim == 0:
        return _text(arr.item())
    if arr.ndim == 1:
        return "\n\n".join(_text(v) for v in arr)
    if arr.ndim == 2:
        rows = [[_text(v).replace("|", "\\|").replace("\n", " ") for v in row] for row in arr]
        head = "| " + " | ".join(" " for _ in rows[0]) + " |" if rows else ""
        sep = "|" + "---|" * (arr.shape[1] or 1)
        return "\n".join([head, sep] + ["| " + " | ".join(r) + " |" for r in rows])
    return "\n\n".join(_text(v) for v in arr.reshape(-1))


def _value_of(v: Any) -> Any:
    """google.protobuf.Value → bool, float, str, list, dict or None."""
    which = v.WhichOneof("kind")
    if which == "number_value":
        return v.number_value
    if which == "string_value":
        return v.string_value
    if which == "bool_value":
        return v.bool_value
    if which == "list_value":
        return [_value_of(x) for x in v.list_value.values]
    if which == "struct_value":
        return {k: _value_of(x) for k, x in v.struct_value.fields.items()}
    return None


def _enum_name(enum: Any, value: int) -> str:
    """The name of an enum value; a value this proto does not know (a newer writer) as its number."""
    try:
        return enum.Name(value)
    except ValueError:
        return str(value)


def hparams_data(content: bytes) -> tuple[str, dict[str, Any]]:
    """Decode ``HParamsPluginData`` into (kind, plain dict)."""
    data = hparams_pb2.HParamsPluginData.FromString(content)
    which = data.WhichOneof("data")
    if which == "experiment":
        e = data.experiment
        return md.hparams.EXPERIMENT, {
            "name": e.name,
            "description": e.description,
            "time_created_secs": e.time_created_secs,
            "hparams": [
                {
                    "name": h.name,
                    "display_name": h.display_name,
                    "description": h.description,
                    "type": _enum_name(hparams_pb2.DataType, h.type),
                    "domain": (
                        [_value_of(x) for x in h.domain_discrete.values]
                        if h.HasField("domain_discrete")
                        else (h.domain_interval.min_value, h.domain_interval.max_value)
                        if h.HasField("domain_interval")
                        else None
                    ),
                }
                for h in e.hparam_infos
            ],
            "metrics": [
                {
                    "tag": m.name.tag,
                    "group": m.name.group,
                    "display_name": m.display_name,
                    "description": m.description,
                }
                for m in e.metric_infos
            ],
        }
    if which == "session_start_info":
        s = data.session_start_info
        return md.hparams.SESSION_START, {
            "hparams": {k: _value_of(s.hparams[k]) for k in sorted(s.hparams)},
            "group_name": s.group_name,
            "start_time_secs": s.start_time_secs,
            "model_uri": s.model_uri,
        }
    if which == "session_end_info":
        s = data.session_end_info
        return md.hparams.SESSION_END, {"status": _enum_name(hparams_pb2.Status, s.status), "end_time_secs": s.end_time_secs}
    return md.hparams.UNKNOWN, {}


def _layout(content: bytes) -> list[dict[str, Any]]:
    layout = layout_pb2.Layout.FromString(content)
    out = []
    for cat in layout.category:
        charts = []
        for chart in cat.chart:
            if chart.HasField("margin"):
                series = [{"value": s.value, "lower": s.lower, "upper": s.upper} for s in chart.margin.series]
                charts.append({"title": chart.title, "kind": "margin", "series": series})
            else:
                charts.append({"title": chart.title, "kind": "multiline", "tags": list(chart.multiline.tag)})
        out.append({"title": cat.title, "closed": cat.closed, "charts": charts})
    return out


def _histogram_from_tensor(step: int, wall: float, arr: np.ndarray) -> HistogramItem:
    """TF2's [k, 3] histogram tensor (left edge, right edge, count per bucket)."""
    arr = np.asarray(arr, dtype=np.float64).reshape(-1, 3)
    left, right, counts = arr[:, 0], arr[:, 1], arr[:, 2]
    centers = (left + right) / 2
    return HistogramItem(
        step, wall, right.copy(), counts.copy(),
        float(left[0]) if len(arr) else 0.0, float(right[-1]) if len(arr) else 0.0,
        float(counts.sum()), float((counts * centers).sum()), float((counts * centers**2).sum()),
    )


def _from_tensor(plugin: str, tag: str, step: int, wall: float, value: Any, out: Decoded) -> None:
    arr = tensor_to_numpy(value.tensor)
    if plugin == md.scalar.PLUGIN_NAME or (plugin == "" and arr.size == 1 and arr.dtype.kind in "fiub"):
        out.scalars.append((tag, step, wall, float(arr.reshape(-1)[0])))
    elif plugin == md.histogram.PLUGIN_NAME:
        out.items.append((md.histogram.KIND, tag, _histogram_from_tensor(step, wall, arr)))
    elif plugin == md.image.PLUGIN_NAME:
        flat = arr.reshape(-1)
        width, height = int(_text(flat[0]) or 0), int(_text(flat[1]) or 0)
        for i, encoded in enumerate(flat[2:]):
            out.items.append((md.image.KIND, tag, ImageItem(step, wall, i, width, height, bytes(encoded))))
    elif plugin == md.text.PLUGIN_NAME:
        out.items.append((md.text.KIND, tag, TextItem(step, wall, _text_of(arr))))
    elif plugin == md.pr_curve.PLUGIN_NAME:
        a = np.asarray(arr, dtype=np.float64).reshape(6, -1)
        n = a.shape[1]
        thresholds = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n)
        out.items.append((md.pr_curve.KIND, tag, PrCurveItem(step, wall, thresholds, *a)))
    elif plugin == md.audio.PLUGIN_NAME:
        flat = arr.reshape(-1, arr.shape[-1] if arr.ndim > 1 else 1)
        for i, row in enumerate(flat):
            encoded = bytes(row[0])
            label = _text(row[1]) if len(row) > 1 else ""
            rate, channels, frames = _wav_info(encoded)
            out.items.append((md.audio.KIND, tag, AudioItem(step, wall, i, encoded, rate, channels, frames, md.audio.ENCODING, label)))
    elif plugin == md.custom_scalar.PLUGIN_NAME or tag == CUSTOM_SCALARS_TAG:
        out.items.append((md.custom_scalar.KIND, tag, CustomScalarsItem(step, wall, _layout(bytes(arr.reshape(-1)[0])))))


def _wav_info(encoded: bytes) -> tuple[float, int, int]:
    """(sample rate, channels, frames) from a canonical WAV header, zeros if it is not one."""
    if len(encoded) >= 44 and encoded[:4] == b"RIFF" and encoded[8:12] == b"WAVE":
        channels = int.from_bytes(encoded[22:24], "little")
        rate = int.from_bytes(encoded[24:28], "little")
        block = int.from_bytes(encoded[32:34], "little") or 1
        return float(rate), channels, max(0, (len(encoded) - 44) // block)
    return 0.0, 0, 0


def decode_event(data: bytes, plugins: dict[str, str]) -> Decoded:
    """Decode one serialized Event. ``plugins`` (tag → plugin name) is read, and updated only
    when the whole event decodes.

    Raises ``UndecodableError`` when the record cannot be decoded: not an Event, plugin content
    that is not its proto, invalid UTF-8 in a string field, a histogram whose bucket limits and
    counts differ in length, a tensor of a known kind that does not have that kind's layout, or
    one that would expand beyond ``MAX_FILL_ELEMENTS``. Nothing else escapes."""
    seen: dict[str, str] = {}
    try:
        out = _decode_event(data, plugins, seen)
    except UndecodableError:
        raise
    except (DecodeError, ValueError, IndexError, TypeError, OverflowError, RecursionError) as exc:
        raise UndecodableError(f"undecodable record ({type(exc).__name__}: {exc})") from exc
    plugins.update(seen)
    return out


def _decode_event(data: bytes, plugins: dict[str, str], seen: dict[str, str]) -> Decoded:
    event = event_pb2.Event.FromString(data)
    which = event.WhichOneof("what")
    out = Decoded(None, [], [])
    if which == "session_log":
        if event.session_log.status == event_pb2.SessionLog.START:
            return Decoded(event.step, [], [])
        return out
    if which == "graph_def":
        out.items.append((md.graph.KIND, GRAPH_DEF_TAG, graph_def_item(event.step, event.wall_time, event.graph_def)))
        return out
    if which != "summary":
        return out
    step, wall = event.step, event.wall_time
    meshes: dict[str, dict[Any, Any]] = {}
    for value in event.summary.value:
        tag = value.tag
        if value.HasField("metadata") and value.metadata.plugin_data.plugin_name and tag not in plugins:
            seen.setdefault(tag, value.metadata.plugin_data.plugin_name)
        plugin = plugins.get(tag) or seen.get(tag, "")
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            out.scalars.append((tag, step, wall, float(value.simple_value)))
        elif kind == "histo":
            h = value.histo
            if len(h.bucket_limit) != len(h.bucket):
                raise UndecodableError(
                    f"histogram {tag!r} has {len(h.bucket_limit)} bucket limits and {len(h.bucket)} counts"
                )
            out.items.append((
                md.histogram.KIND, tag,
                HistogramItem(step, wall, np.array(h.bucket_limit, dtype=np.float64),
                              np.array(h.bucket, dtype=np.float64), h.min, h.max, h.num, h.sum, h.sum_squares),
            ))
        elif kind == "image":
            im = value.image
            out.items.append((md.image.KIND, tag, ImageItem(step, wall, 0, im.width, im.height, im.encoded_image_string)))
        elif kind == "audio":
            a = value.audio
            out.items.append((
                md.audio.KIND, tag,
                AudioItem(step, wall, 0, a.encoded_audio_string, a.sample_rate, a.num_channels,
                          a.length_frames, a.content_type or md.audio.ENCODING),
            ))
        elif kind == "tensor":
            if plugin == md.hparams.PLUGIN_NAME:
                kind_name, payload = hparams_data(value.metadata.plugin_data.content)
                out.items.append((md.hparams.KIND, tag, HParamsItem(step, wall, kind_name, payload)))
            elif plugin == md.graph.KERAS_PLUGIN_NAME:
                config = tensor_to_numpy(value.tensor).reshape(-1)
                if len(config):
                    out.items.append((md.graph.KIND, tag, keras_item(step, wall, bytes(config[0]))))
            elif plugin == md.curve.PLUGIN_NAME:
                x, y, names = parse_curve(tensor_to_numpy(value.tensor), value.metadata.plugin_data.content)
                out.items.append((md.curve.KIND, tag, CurveItem(step, wall, x, y, names)))
            elif plugin == md.surface.PLUGIN_NAME:
                out.items.append((md.surface.KIND, tag, SurfaceItem(step, wall, *parse_surface(tensor_to_numpy(value.tensor)))))
            elif plugin == md.mesh.PLUGIN_NAME:
                _mesh_part(tag, value, meshes)
            elif plugin in md.TENSOR_PLUGINS or tag == CUSTOM_SCALARS_TAG:
                _from_tensor(plugin, tag, step, wall, value, out)  # a kind we show: errors cost the record
            elif plugin == "" and value.tensor.dtype in _NUMERIC and math.prod(d.size for d in value.tensor.tensor_shape.dim) == 1:
                _from_tensor(plugin, tag, step, wall, value, out)  # a plain scalar tensor
            # Other plugins' tensors (and dtypes no kind uses) are not ours: left out, like TensorBoard.
        elif plugin == md.hparams.PLUGIN_NAME and value.metadata.plugin_data.content:
            kind_name, payload = hparams_data(value.metadata.plugin_data.content)
            out.items.append((md.hparams.KIND, tag, HParamsItem(step, wall, kind_name, payload)))
    for name, parts in meshes.items():
        if 1 in parts:
            out.items.append((md.mesh.KIND, name, MeshItem(step, wall, parts[1], parts.get(2), parts.get(3), parts.get("config", {}))))
    return out


_MESH_SUFFIXES = {"_VERTEX": 1, "_FACE": 2, "_COLOR": 3, "_1": 1, "_2": 2, "_3": 3}


def _mesh_part(tag: str, value: Any, meshes: dict[str, dict[Any, Any]]) -> None:
    """One tensor of a mesh (TensorBoard's mesh plugin): its name and part from the plugin
    content (the tag's suffix when a record has none), gathered per event."""
    content = value.metadata.plugin_data.content
    if content:
        name, kind, config = parse_mesh_content(content)
    else:
        suffix = next((s for s in _MESH_SUFFIXES if tag.endswith(s)), "")
        name, kind, config = (tag[: -len(suffix)], _MESH_SUFFIXES[suffix], None) if suffix else (tag, 0, None)
    if kind not in (1, 2, 3):
        return
    arr = np.asarray(tensor_to_numpy(value.tensor))
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise UndecodableError(f"mesh tensor {tag!r} has shape {arr.shape}, expected [B, N, 3]")
    parts = meshes.setdefault(name or tag, {})
    parts[kind] = arr.astype(np.float32) if kind != 2 else arr.astype(np.int64)
    if config is not None:
        parts["config"] = config
