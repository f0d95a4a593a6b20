"""An ONNX model → a TensorBoard ``GraphDef``, as tensorboardX's ``add_onnx_graph`` makes it.

Names and ops follow tensorboardX, so a graph logged by either writer shows the same nodes:

- each graph input is a node named as the input, op ``Variable``, with ``dtype`` and ``shape``;
- each ONNX node is a node named after its first output, op its ``op_type``, whose ``parameters``
  attribute is tensorboardX's text of the ONNX attributes (``name = value = type`` per attribute);
- the graph is tagged ``versions.producer = 22``.

Where tensorboardX writes a graph TensorBoard cannot join up, this module fixes it:

- initializers (weights) are nodes too (op ``Variable``), so the ops reading them have an edge; in
  models from before ONNX IR 4 they are also graph inputs and appear once;
- an op reading the k-th (k > 0) output of another op reads ``producer:k``, TensorFlow's form;
- a graph output is not written a second time under the name of the op making it (tensorboardX
  gives two nodes one name); an output that is not some op's first output gets an ``Identity`` node;
- ``dtype`` is TensorFlow's ``DataType`` (tensorboardX copies ONNX's enum, whose numbers differ
  beyond float), unknown dimensions are -1 (tensorboardX: 0), and each node has
  ``_output_shapes`` when the model's inputs, outputs, value_info or initializers give them;
- a leading ``/`` is dropped from names (``torch.onnx.export`` names outputs ``/0/Conv_output_0``),
  so the name scopes are the module path (``0``) rather than one unnamed scope holding everything,
  and ``:`` becomes ``_`` (tf2onnx's ``dense/BiasAdd:0``), as ``name:k`` means "output k of name";
- tensor- and graph-valued attributes are summarised (``<tensor FLOAT [3, 3]>``) rather than
  dumped, so a ``Constant`` holding weights does not put its bytes into the text.

``onnx`` is needed only to load a ``.onnx`` file (``load_model``); ``onnx_graph`` reads the proto's
fields and works on any ``ModelProto``.
"""
from __future__ import annotations

import os
from typing import Any

from .._proto import attr_value_pb2, graph_pb2, node_def_pb2, tensor_shape_pb2, types_pb2

__all__ = ["onnx_graph", "load_model", "PRODUCER_VERSION"]

PRODUCER_VERSION = 22
"""``GraphDef.versions.producer`` as tensorboardX writes it for ONNX graphs."""

_INSTALL = "pip install 'tbx-widget[onnx]'"

# ONNX TensorProto.DataType → TensorFlow DataType.
_DTYPES = {
    1: types_pb2.DT_FLOAT, 2: types_pb2.DT_UINT8, 3: types_pb2.DT_INT8, 4: types_pb2.DT_UINT16,
    5: types_pb2.DT_INT16, 6: types_pb2.DT_INT32, 7: types_pb2.DT_INT64, 8: types_pb2.DT_STRING,
    9: types_pb2.DT_BOOL, 10: types_pb2.DT_HALF, 11: types_pb2.DT_DOUBLE, 12: types_pb2.DT_UINT32,
    13: types_pb2.DT_UINT64, 14: types_pb2.DT_COMPLEX64, 15: types_pb2.DT_COMPLEX128, 16: types_pb2.DT_BFLOAT16,
}
_ONNX_TYPE_NAMES = {1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
                    8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
                    14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16"}


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(f"add_onnx_graph needs the onnx package: {_INSTALL}") from exc
    return onnx


def load_model(prototxt: Any) -> Any:
    """The ``onnx.ModelProto`` of ``prototxt``: a path to a ``.onnx`` file or a loaded
    ``ModelProto``. Raises ImportError naming the extra without onnx, TypeError for another kind
    of argument, FileNotFoundError for a missing file and ValueError for a file that is not a model."""
    onnx = _onnx()
    if isinstance(prototxt, onnx.ModelProto):
        return prototxt
    if not isinstance(prototxt, (str, os.PathLike)):
        raise TypeError(f"prototxt must be the path of a .onnx file or an onnx.ModelProto, got {type(prototxt).__name__}")
    path = os.fspath(prototxt)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"prototxt {path!r}: no such file (an ONNX model)")
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError, or onnx's own errors on a damaged file
        raise ValueError(f"prototxt {path!r} is not an ONNX model: {exc}") from None
    if not model.HasField("graph"):
        raise ValueError(f"prototxt {path!r} is not an ONNX model (it has no graph)")
    return model


def _shape(type_proto: Any) -> tensor_shape_pb2.TensorShapeProto | None:
    """The TensorFlow shape of an ONNX ``TypeProto``; None when it is not a tensor."""
    if type_proto.WhichOneof("value") != "tensor_type":
        return None
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    dims = [d.dim_value if d.WhichOneof("value") == "dim_value" else -1 for d in tensor.shape.dim]
    return tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in dims])


def _dims(dims: Any) -> tensor_shape_pb2.TensorShapeProto:
    return tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in dims])


def _attribute_value(field: Any, value: Any) -> str:
    name = field.name
    if name == "t":
        return f"<tensor {_ONNX_TYPE_NAMES.get(value.data_type, value.data_type)} {list(value.dims)}>"
    if name == "g":
        return f"<graph {value.name} ({len(value.node)} nodes)>"
    if name == "sparse_tensor":
        return f"<sparse tensor {list(value.dims)}>"
    if name == "tp":
        return "<type>"
    if name in ("tensors", "graphs", "sparse_tensors", "type_protos"):
        return f"<{len(value)} {name}>"
    return str(value)


def _parameters(node: Any) -> bytes:
    """tensorboardX's text of a node's attributes: per attribute, its set fields joined by ' = '."""
    parts = [" = ".join(_attribute_value(f, v) for f, v in a.ListFields()) for a in node.attribute]
    return ", ".join(parts).encode("utf-8")


def _variable(name: str, dtype: int, shape: tensor_shape_pb2.TensorShapeProto | None) -> node_def_pb2.NodeDef:
    node = node_def_pb2.NodeDef(name=name, op="Variable")
    node.attr["dtype"].CopyFrom(attr_value_pb2.AttrValue(type=_DTYPES.get(dtype, types_pb2.DT_INVALID)))
    node.attr["shape"].CopyFrom(attr_value_pb2.AttrValue(shape=shape or tensor_shape_pb2.TensorShapeProto(unknown_rank=True)))
    if shape is not None:
        node.attr["_output_shapes"].list.shape.append(shape)
    return node


def onnx_graph(model: Any) -> graph_pb2.GraphDef:
    """The ``GraphDef`` of an ONNX ``ModelProto`` (or of its ``GraphProto``)."""
    graph = model.graph if hasattr(model, "graph") and hasattr(model, "ir_version") else model
    if not hasattr(graph, "node") or not hasattr(graph, "initializer"):
        raise TypeError(f"model must be an onnx.ModelProto, got {type(model).__name__}")
    shapes: dict[str, tensor_shape_pb2.TensorShapeProto | None] = {}
    for info in (*graph.input, *graph.output, *graph.value_info):
        shapes.setdefault(info.name, _shape(info.type))
    for init in graph.initializer:
        shapes.setdefault(init.name, _dims(init.dims))

    taken: set[str] = set()

    def unique(tensor: str) -> str:
        """The node name for ``tensor``: without a leading '/', ':' as '_', not one already used."""
        name = (tensor.lstrip("/") or tensor).replace(":", "_")
        while name in taken:  # a stripped name met its unstripped twin, or a malformed model
            name = f"{name}_"
        taken.add(name)
        return name

    out = graph_pb2.GraphDef()
    out.versions.producer = PRODUCER_VERSION
    source: dict[str, str] = {}  # tensor name → the node input that reads it ("name" or "name:k")
    for info in graph.input:
        if info.name in source:
            continue
        elem = info.type.tensor_type.elem_type if info.type.WhichOneof("value") == "tensor_type" else 0
        source[info.name] = unique(info.name)
        out.node.append(_variable(source[info.name], elem, shapes.get(info.name)))
    for init in graph.initializer:
        if init.name not in source:  # IR >= 4: weights are not graph inputs
            source[init.name] = unique(init.name)
            out.node.append(_variable(source[init.name], init.data_type, shapes[init.name]))

    for index, onnx_node in enumerate(graph.node):
        name = unique(next((o for o in onnx_node.output if o), "") or onnx_node.name or f"{onnx_node.op_type}_{index}")
        node = node_def_pb2.NodeDef(name=name, op=onnx_node.op_type)
        node.input.extend(source.get(i, i) for i in onnx_node.input if i)
        node.attr["parameters"].CopyFrom(attr_value_pb2.AttrValue(s=_parameters(onnx_node)))
        known = [shapes.get(o) for o in onnx_node.output]
        if known and all(s is not None for s in known):
            node.attr["_output_shapes"].list.shape.extend(known)
        for k, tensor in enumerate(onnx_node.output):
            if tensor:
                source[tensor] = name if k == 0 else f"{name}:{k}"
        out.node.append(node)

    for info in graph.output:
        if info.name not in source or ":" not in source[info.name]:
            continue  # the node of its name is the op making it, or the input it is (or nothing makes it)
        node = node_def_pb2.NodeDef(name=unique(info.name), op="Identity", input=[source[info.name]])
        if shapes.get(info.name) is not None:
            node.attr["_output_shapes"].list.shape.append(shapes[info.name])
        out.node.append(node)
    return out
