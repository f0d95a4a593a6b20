"""Model graphs as the reader returns them: ``Event.graph_def`` (TensorFlow, torch, tbx_widget) and
the ``graph_keras_model`` plugin (Keras's model config JSON), both turned into one plain node list.

A node's ``name`` is slash-separated: its parts before the last are its name scopes (``Net/Linear[fc1]``).
``inputs`` name the nodes it reads, without TensorFlow's ``^`` (control input) and ``:k`` (k-th output)
marks; ``shape`` is the shape of its first output when the graph says it (None for an unknown rank,
-1 for an unknown dimension).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .._proto import graph_pb2
from ..metadata import graph as _graph

__all__ = ["GraphNode", "GraphItem", "GRAPH_DEF_TAG", "KERAS_PLUGIN", "graph_def_item", "keras_item"]

GRAPH_DEF_TAG = _graph.GRAPH_DEF_TAG
"""The tag under which a run's ``Event.graph_def`` is listed (TensorBoard shows it as the run's graph)."""
KERAS_PLUGIN = _graph.KERAS_PLUGIN_NAME


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One op (or Keras layer) of a graph."""

    name: str
    op: str
    inputs: tuple[str, ...]
    device: str = ""
    shape: tuple[int, ...] | None = None
    attr: str = ""
    """The node's attributes as short text (``key=value`` lines), for display."""


@dataclass(frozen=True, slots=True)
class GraphItem:
    """A graph logged at one step: ``source`` is "graph_def" or "keras"; ``raw`` the bytes as
    stored (a serialized GraphDef, or the Keras model config JSON)."""

    step: int
    wall_time: float
    source: str
    nodes: tuple[GraphNode, ...]
    raw: bytes


def _input_name(name: str) -> str:
    name = name[1:] if name.startswith("^") else name
    head, sep, tail = name.rpartition(":")
    return head if sep and tail.isdigit() else name


def _attr_text(key: str, value: Any) -> str | None:
    which = value.WhichOneof("value")
    if which == "s":
        text = value.s.decode("utf-8", errors="replace")
    elif which in ("i", "f", "b", "type", "placeholder"):
        text = str(getattr(value, which))
    elif which == "shape":
        text = str([d.size for d in value.shape.dim])
    elif which == "list":
        if key == "_output_shapes":
            return None  # shown on the edges
        lst = value.list
        text = str([d.decode("utf-8", errors="replace") for d in lst.s] or list(lst.i) or list(lst.f) or list(lst.b)
                   or [[d.size for d in s.dim] for s in lst.shape])
    else:
        text = which or ""
    return f"{key}={text[:200]}"


def graph_def_item(step: int, wall_time: float, data: bytes) -> GraphItem:
    """A serialized GraphDef as a ``GraphItem`` (raises ``google.protobuf`` DecodeError if it is not one)."""
    graph = graph_pb2.GraphDef.FromString(data)
    nodes = []
    for n in graph.node:
        shape = None
        shapes = n.attr["_output_shapes"].list.shape if "_output_shapes" in n.attr else ()
        if len(shapes) and not shapes[0].unknown_rank:
            shape = tuple(int(d.size) for d in shapes[0].dim)
        attrs = [t for k in sorted(n.attr) if (t := _attr_text(k, n.attr[k])) is not None]
        nodes.append(GraphNode(n.name, n.op, tuple(_input_name(i) for i in n.input), n.device, shape, "\n".join(attrs)))
    return GraphItem(step, wall_time, "graph_def", tuple(nodes), bytes(data))


def _keras_shape(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, dict):  # Keras 2 may wrap shapes as {"class_name": "TensorShape", "items": [...]}
        value = value.get("items")
    if not isinstance(value, list) or not all(v is None or isinstance(v, int) for v in value):
        return None
    return tuple(-1 if v is None else int(v) for v in value)


def _inbound(layer: dict[str, Any]) -> list[tuple[str, tuple[int, ...] | None]]:
    """(layer name, shape) of each tensor a functional model's layer reads (Keras 2 and 3 formats)."""
    out: list[tuple[str, tuple[int, ...] | None]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                cfg = value.get("config", {})
                history = cfg.get("keras_history") or []
                if history:
                    out.append((str(history[0]), _keras_shape(cfg.get("shape"))))
                return
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int) and isinstance(value[2], int):
                out.append((value[0], None))  # Keras 2: [layer name, node index, tensor index, kwargs]
                return
            for v in value:
                walk(v)

    walk(layer.get("inbound_nodes", []))
    return out


def _keras_layers(model: dict[str, Any], scope: str, nodes: list[GraphNode]) -> tuple[list[str], str]:
    """Append the nodes of a Keras model config under ``scope``; return (its input nodes, its output node)."""
    config = model.get("config", {}) if isinstance(model.get("config"), dict) else {}
    layers = config.get("layers", []) if isinstance(config.get("layers"), list) else []
    sequential = model.get("class_name") == "Sequential" or not any("inbound_nodes" in l for l in layers if isinstance(l, dict))
    names: dict[str, str] = {}
    first: list[str] = []
    previous: str | None = None
    last = ""
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        cfg = layer.get("config", {}) if isinstance(layer.get("config"), dict) else {}
        lname = str(cfg.get("name") or layer.get("name") or f"layer_{len(nodes)}")
        full = f"{scope}/{lname}" if scope else lname
        names[lname] = full
        if sequential:
            sources = [(previous, _keras_shape((layer.get("build_config") or {}).get("input_shape")))] if previous else []
        else:
            sources = [(names.get(n, n), s) for n, s in _inbound(layer)]
        inner_layers = cfg.get("layers")
        if isinstance(inner_layers, list) and inner_layers:  # a nested model: its layers in its scope
            inner_first, inner_last = _keras_layers(layer, full, nodes)
            for src, shape in sources:
                _set_shape(nodes, src, shape)
            for idx, node in enumerate(nodes):  # its first layers read what the nested model reads
                if node.name in inner_first and sources:
                    nodes[idx] = GraphNode(node.name, node.op, tuple(s for s, _ in sources) + node.inputs, node.device, node.shape, node.attr)
            names[lname] = inner_last or full
            out_name, entry = inner_last or full, inner_first
        else:
            for src, shape in sources:
                _set_shape(nodes, src, shape)
            attr = "\n".join(f"{k}={json.dumps(v)[:200]}" for k, v in cfg.items() if k not in ("dtype", "name") and not isinstance(v, dict))
            shape = _keras_shape(cfg.get("batch_shape") or cfg.get("batch_input_shape"))
            nodes.append(GraphNode(full, str(layer.get("class_name", "Layer")), tuple(s for s, _ in sources), "", shape, attr))
            out_name, entry = full, [full]
        if previous is None or (not sequential and not sources):
            first.extend(entry)
        previous = names[lname]
        last = out_name
    return first, last


def _set_shape(nodes: list[GraphNode], name: str | None, shape: tuple[int, ...] | None) -> None:
    if name is None or shape is None:
        return
    for idx in range(len(nodes) - 1, -1, -1):
        node = nodes[idx]
        if node.name == name:
            if node.shape is None:
                nodes[idx] = GraphNode(node.name, node.op, node.inputs, node.device, shape, node.attr)
            return


def keras_item(step: int, wall_time: float, config_json: bytes) -> GraphItem:
    """A Keras model config (``model.to_json()``, as the ``graph_keras_model`` plugin stores it) as
    a ``GraphItem``: one node per layer, named ``<model>/<layer>``, nested models as name scopes.
    Raises ValueError if it is not a JSON object."""
    model = json.loads(config_json.decode("utf-8"))
    if not isinstance(model, dict):
        raise ValueError(f"a Keras model config must be a JSON object, got {type(model).__name__}")
    config = model.get("config") if isinstance(model.get("config"), dict) else {}
    nodes: list[GraphNode] = []
    _keras_layers(model, str(config.get("name") or model.get("class_name") or "model"), nodes)
    return GraphItem(step, wall_time, "keras", tuple(nodes), bytes(config_json))
