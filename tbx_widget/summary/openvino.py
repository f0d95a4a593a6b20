"""An OpenVINO IR model (its ``.xml`` file) → a TensorBoard ``GraphDef``, as tensorboardX's
``add_openvino_graph`` does it: by reading the XML (layers and edges), without OpenVINO itself.

tensorboardX makes one node per *edge* (so a layer with two inputs appears twice under one
name); here each layer is one node whose op is the layer's ``type`` and whose inputs are the
layers feeding it (in port order), with the layer's ``version`` and ``<data>`` attributes and the
shapes of its output ports. Node names are the layers' names, as in tensorboardX.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any

from .._proto import attr_value_pb2, graph_pb2, node_def_pb2, tensor_shape_pb2

__all__ = ["openvino_graph"]

PRODUCER_VERSION = 22


def _port_shapes(layer: ET.Element) -> list[tensor_shape_pb2.TensorShapeProto]:
    shapes = []
    for port in layer.findall("./output/port"):
        shape = tensor_shape_pb2.TensorShapeProto()
        for dim in port.findall("dim"):
            text = (dim.text or "").strip()
            shape.dim.add(size=int(text) if text.lstrip("-").isdigit() else -1)  # "?" / ranges: unknown
        shapes.append(shape)
    return shapes


def openvino_graph(xmlname: Any) -> graph_pb2.GraphDef:
    """The ``GraphDef`` of the OpenVINO IR file ``xmlname``. Raises FileNotFoundError when it is
    missing and ValueError naming it when it is not an IR ``<net>`` with layers and edges."""
    if not isinstance(xmlname, (str, os.PathLike)):
        raise TypeError(f"xmlname must be the path of an OpenVINO .xml file, got {type(xmlname).__name__}")
    path = os.fspath(xmlname)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"xmlname {path!r}: no such file (the OpenVINO IR .xml)")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"xmlname {path!r} is not valid XML: {exc}") from None
    layers, edges = root.find("layers"), root.find("edges")
    if root.tag != "net" or layers is None or edges is None:
        raise ValueError(f"xmlname {path!r} is not an OpenVINO IR file (expected <net> with <layers> and <edges>)")
    names: dict[str, str] = {}
    for layer in layers:
        if "id" not in layer.attrib or "name" not in layer.attrib:
            raise ValueError(f"xmlname {path!r}: a <layer> lacks its id or name attribute")
        names[layer.attrib["id"]] = layer.attrib["name"]
    inputs: dict[str, list[tuple[int, str]]] = {}
    for edge in edges:
        src, dst = edge.attrib.get("from-layer"), edge.attrib.get("to-layer")
        if src not in names or dst not in names:
            raise ValueError(f"xmlname {path!r}: an edge joins unknown layers ({src!r} -> {dst!r})")
        port = edge.attrib.get("to-port", "0")
        inputs.setdefault(dst, []).append((int(port) if port.isdigit() else 0, names[src]))
    graph = graph_pb2.GraphDef()
    graph.versions.producer = PRODUCER_VERSION
    for layer in layers:
        node = node_def_pb2.NodeDef(name=layer.attrib["name"], op=layer.attrib.get("type", "op"))
        node.input.extend(name for _, name in sorted(inputs.get(layer.attrib["id"], [])))
        data = layer.find("data")
        params = dict(data.attrib) if data is not None else {}
        if "version" in layer.attrib:
            params = {"version": layer.attrib["version"], **params}
        node.attr["parameters"].CopyFrom(attr_value_pb2.AttrValue(
            s=", ".join(f"{k} = {v}" for k, v in params.items()).encode("utf-8")))
        shapes = _port_shapes(layer)
        if shapes:
            node.attr["_output_shapes"].list.shape.extend(shapes)
        graph.node.append(node)
    return graph
