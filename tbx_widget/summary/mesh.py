"""Meshes and point clouds as TensorBoard's mesh plugin stores them (``add_mesh``), written the way
torch's writer does, and parsed back by the reader.

One event holds up to three tensor summaries, tags ``<tag>_VERTEX``, ``<tag>_FACE`` and
``<tag>_COLOR``: ``[B, N, 3]`` DT_FLOAT tensors (vertex coordinates, vertex indices of each
triangle, RGB colours 0..255 per vertex), each with plugin "mesh" and a ``MeshPluginData``
content (version 0, name = tag, content_type 1/2/3, json_config, shape, components bitmask).
The message is built from its descriptor here (a private pool), so no generated module is needed.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from .._proto import summary_pb2, tensor_pb2
from ..convert import to_real
from ..metadata import mesh as _mesh
from ..metadata.dtypes import DT_FLOAT
from .scalar import plugin_metadata

__all__ = ["MESH_PLUGIN", "VERTEX", "FACE", "COLOR", "MeshPluginData", "mesh_arrays", "mesh_config", "mesh_values", "parse_mesh_content"]

MESH_PLUGIN = _mesh.PLUGIN_NAME
VERTEX, FACE, COLOR = 1, 2, 3
_NAMES = {VERTEX: "VERTEX", FACE: "FACE", COLOR: "COLOR"}
MAX_MESH_VALUES = 30_000_000
"""The most numbers (vertices, faces and colours together) one add_mesh may hold."""


def _message_class() -> type:
    """``tensorboard.mesh.MeshPluginData`` (tensorboard/plugins/mesh/plugin_data.proto) in a pool of its own."""
    f = descriptor_pb2.FileDescriptorProto(name="tbx_widget/mesh_plugin_data.proto", package="tensorboard.mesh", syntax="proto3")
    m = f.message_type.add(name="MeshPluginData")
    enum = m.enum_type.add(name="ContentType")
    for name, number in (("UNDEFINED", 0), ("VERTEX", 1), ("FACE", 2), ("COLOR", 3)):
        enum.value.add(name=name, number=number)
    T = descriptor_pb2.FieldDescriptorProto
    for name, number, ftype, label, type_name in (
        ("version", 1, T.TYPE_INT32, T.LABEL_OPTIONAL, None),
        ("name", 2, T.TYPE_STRING, T.LABEL_OPTIONAL, None),
        ("content_type", 3, T.TYPE_ENUM, T.LABEL_OPTIONAL, ".tensorboard.mesh.MeshPluginData.ContentType"),
        ("json_config", 5, T.TYPE_STRING, T.LABEL_OPTIONAL, None),
        ("shape", 6, T.TYPE_INT64, T.LABEL_REPEATED, None),
        ("components", 7, T.TYPE_UINT32, T.LABEL_OPTIONAL, None),
    ):
        field = m.field.add(name=name, number=number, type=ftype, label=label)
        if type_name:
            field.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorboard.mesh.MeshPluginData"))


MeshPluginData = _message_class()


def _batched(value: Any, name: str) -> np.ndarray:
    arr = to_real(value, name)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{name} must have shape [B, N, 3] (or [N, 3]), got {tuple(arr.shape)}")
    return arr


def mesh_arrays(vertices: Any, colors: Any = None, faces: Any = None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Validate a mesh: vertices ``[B, N, 3]`` finite; colors (optional) of the same shape in
    0..255; faces (optional) ``[B, F, 3]`` whole numbers indexing the N vertices. ``[N, 3]``
    arrays get a batch dimension of 1. Returns float32 vertices, colors and faces."""
    v = _batched(vertices, "vertices").astype(np.float32)
    if v.shape[1] == 0:
        raise ValueError("vertices must hold at least one vertex, got shape " + str(v.shape))
    if not np.isfinite(v).all():
        raise ValueError("vertices must be finite")
    c = None
    if colors is not None:
        c = _batched(colors, "colors").astype(np.float64)
        if c.shape != v.shape:
            raise ValueError(f"colors must have the vertices' shape {v.shape}, got {c.shape}")
        if not np.isfinite(c).all() or c.min() < 0 or c.max() > 255:
            raise ValueError("colors must be RGB values from 0 to 255")
        c = c.astype(np.float32)
    f = None
    if faces is not None:
        f = _batched(faces, "faces").astype(np.float64)
        if f.shape[0] != v.shape[0]:
            raise ValueError(f"faces must have the vertices' batch size {v.shape[0]}, got shape {f.shape}")
        if f.size and (not np.isfinite(f).all() or (f != np.round(f)).any() or f.min() < 0 or f.max() >= v.shape[1]):
            raise ValueError(f"faces must be whole-number indices of the {v.shape[1]} vertices (0 to {v.shape[1] - 1})")
        f = f.astype(np.float32)
    total = v.size + (0 if c is None else c.size) + (0 if f is None else f.size)
    if total > MAX_MESH_VALUES:
        raise ValueError(f"the mesh is too large: {total} values (at most {MAX_MESH_VALUES})")
    return v, c, f


def mesh_config(config_dict: Any) -> str:
    """``config_dict`` (a JSON-able dict or None) as the JSON the plugin content holds."""
    if config_dict is None:
        return "{}"
    if not isinstance(config_dict, dict):
        raise TypeError(f"config_dict must be a dict or None, got {type(config_dict).__name__}")
    try:
        return json.dumps(config_dict, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"config_dict must be JSON-serialisable: {exc}") from None


def mesh_values(tag: str, vertices: np.ndarray, colors: np.ndarray | None, faces: np.ndarray | None,
                json_config: str = "{}") -> list[summary_pb2.Summary.Value]:
    """The summary values of validated ``mesh_arrays``, as torch's ``summary.mesh`` makes them."""
    parts = [(vertices, VERTEX), (faces, FACE), (colors, COLOR)]
    parts = [(t, kind) for t, kind in parts if t is not None]
    components = 0
    for _, kind in parts:
        components |= 1 << kind
    out = []
    for t, kind in parts:
        content = MeshPluginData(version=0, name=tag, content_type=kind, json_config=json_config,
                                 shape=list(t.shape), components=components).SerializeToString()
        tensor = tensor_pb2.TensorProto(dtype=DT_FLOAT, float_val=t.reshape(-1).tolist())
        for d in t.shape:
            tensor.tensor_shape.dim.add(size=int(d))
        out.append(summary_pb2.Summary.Value(tag=f"{tag}_{_NAMES[kind]}", tensor=tensor, metadata=plugin_metadata(MESH_PLUGIN, content)))
    return out


def parse_mesh_content(content: bytes) -> tuple[str, int, dict[str, Any]]:
    """(name, content type, config) of a value's ``MeshPluginData`` (ValueError if undecodable)."""
    data = MeshPluginData.FromString(content)
    try:
        config = json.loads(data.json_config) if data.json_config else {}
    except json.JSONDecodeError:
        config = {}
    return data.name, int(data.content_type), config if isinstance(config, dict) else {}
