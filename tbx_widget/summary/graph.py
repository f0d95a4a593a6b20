"""A torch model and example inputs → a TensorBoard ``GraphDef`` (and the run metadata torch writes
beside it), by tracing with ``torch.jit.trace`` as ``torch.utils.tensorboard`` does.

Node naming follows torch's writer so the same model gives the same graph from either writer:

- each graph input the trace uses is a node ``input/<debug name>`` (op ``IO Node``);
- each output of each traced op is a node ``<scope>/<debug name>`` whose op is the JIT kind
  (``aten::linear``, ``prim::Constant``, ...); ``<scope>`` is the model's class name then one
  ``Class[attribute]`` part per submodule (``Net/Linear[fc1]``);
- each model output is a node ``output/output.<i>`` (op ``IO Node``) reading the op that made it;
- every node carries ``attr`` (the op's attributes as text) and, when its tensor's shape is known,
  ``_output_shapes``.

torch is imported lazily: this module imports without it.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator

from .._proto import attr_value_pb2, config_pb2, graph_pb2, node_def_pb2, step_stats_pb2, tensor_shape_pb2

__all__ = ["torch_graph", "graph_run_metadata", "PRODUCER_VERSION"]

PRODUCER_VERSION = 22
"""``GraphDef.versions.producer`` as torch writes it."""
_GETATTR = "prim::GetAttr"
_CLASS = "ClassType"


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed wherever add_graph is tested
        raise ImportError("add_graph needs PyTorch: pip install torch") from exc
    return torch


def check_model(model: Any) -> None:
    """Raise TypeError unless ``model`` is something ``torch.jit.trace`` accepts as a model."""
    torch = _torch()
    if not isinstance(model, (torch.nn.Module, torch.jit.ScriptFunction)) and not callable(model):
        raise TypeError(f"model must be a torch.nn.Module (or a callable torch can trace), got {type(model).__name__}")


def _shape(dims: Any) -> tensor_shape_pb2.TensorShapeProto:
    return tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in dims])


def _node(name: str, op: str, inputs: list[str], attributes: str, shape: Any) -> node_def_pb2.NodeDef:
    node = node_def_pb2.NodeDef(name=name, op=op, input=inputs)
    node.attr["attr"].s = attributes.encode("utf-8")
    if shape is not None:
        node.attr["_output_shapes"].list.shape.append(_shape(shape))
    return node


def _sizes(value: Any) -> Any:
    """The static sizes of a traced value, None when they are not all known."""
    return value.type().sizes() if value.isCompleteTensor() else None


def _attributes(node: Any) -> str:
    """The op's attributes as torch's writer shows them: a dict's text with quotes blanked."""
    values = {key: getattr(node, node.kindOf(key))(key) for key in node.attributeNames()}
    return str(values).replace("'", " ")


def _module_label(module: Any, torch: Any) -> str:
    if isinstance(module, torch.jit.TracedModule):
        return module._name
    return getattr(module, "original_name", "Module")


@contextlib.contextmanager
def _eval_mode(model: Any, torch: Any) -> Iterator[None]:
    """The model in eval mode while it is traced, then back to the mode it had."""
    if isinstance(model, torch.jit.ScriptFunction) or not hasattr(model, "train"):
        yield
        return
    was_training = model.training
    model.train(False)
    try:
        yield
    finally:
        model.train(was_training)


def _trace(model: Any, inputs: Any, strict: bool, verbose: bool) -> tuple[Any, Any]:
    torch = _torch()
    with _eval_mode(model, torch), warnings.catch_warnings():
        # torch >= 2.10 deprecates jit tracing; it is still how a GraphDef is made (torch's own
        # add_graph traces too), and the caller asked for a graph, not for tracing.
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.trace.* is deprecated", category=DeprecationWarning)
        traced = torch.jit.trace(model, inputs, strict=strict)
    graph = traced.graph
    torch._C._jit_pass_inline(graph)
    if verbose:
        print(graph)
    return traced, graph


def torch_graph(model: Any, inputs: Any, *, verbose: bool = False, strict: bool = True) -> graph_pb2.GraphDef:
    """Trace ``model`` on ``inputs`` (a tensor or a tuple of them) and return its GraphDef.

    Raises what ``torch.jit.trace`` raises when the model cannot be traced on these inputs."""
    torch = _torch()
    traced, graph = _trace(model, inputs, strict, verbose)

    # Module attribute paths (as the trace names its scopes) → "Class[attribute]".
    labels = {path: f"{_module_label(mod, torch)}[{path.split('.')[-1]}]" for path, mod in traced.named_modules(prefix="__module")}
    root = _module_label(traced, torch)

    def scope_of(raw: str) -> str:
        parts = [labels.get(alias, alias.split(".")[-1]) for alias in raw.split("/")]
        return root + ("/" + "/".join(parts) if any(parts) else "")

    entries: dict[str, tuple[str, str, list[str], str, Any]] = {}  # debug name → (name, op, raw inputs, attr, shape)
    for value in graph.inputs():
        if not value.uses() or value.type().kind() == _CLASS:
            continue
        try:
            sizes = value.type().sizes()
        except RuntimeError:
            sizes = [1]
        entries[value.debugName()] = (f"input/{value.debugName()}", "IO Node", [], "", sizes)
    for i, value in enumerate(graph.outputs(), start=1):
        try:
            sizes = value.type().sizes()
        except RuntimeError:
            sizes = [1]
        entries[f"output.{i}"] = (f"output/output.{i}", "IO Node", [value.debugName()], "", sizes)

    attr_scopes: dict[str, str] = {}  # GetAttr output → the module path it reads
    ops: list[tuple[Any, str]] = []
    for node in graph.nodes():
        raw_scope = node.scopeName()
        if node.kind() == _GETATTR:
            parent = node.input().node()
            key = node.output().debugName()
            if parent.kind() == _GETATTR:
                parent_scope = attr_scopes[parent.output().debugName()]
                attr_scopes[key] = f"{parent_scope}/{parent_scope.split('/')[-1]}.{node.s('name')}"
            else:
                attr_scopes[key] = f"__module.{node.s('name')}"
            if node.output().type().kind() == _CLASS:
                continue
            raw_scope = attr_scopes[key]
        ops.append((node, scope_of(raw_scope)))

    fallback: dict[str, str] = {}  # a value made by no node kept: named after the op that reads it
    for node, scope in ops:
        inputs = [v.debugName() for v in node.inputs()]
        attributes = _attributes(node)
        for value in node.outputs():
            entries[value.debugName()] = (f"{scope}/{value.debugName()}", node.kind(), inputs, attributes, _sizes(value))
        for name in inputs:
            fallback[name] = f"{scope}/{name}"

    def resolve(debug: str) -> str:
        return entries[debug][0] if debug in entries else fallback[debug]

    nodes = [_node(name, op, [resolve(i) for i in raw], attributes, shape) for name, op, raw, attributes, shape in entries.values()]
    return graph_pb2.GraphDef(node=nodes, versions={"producer": PRODUCER_VERSION})


def graph_run_metadata() -> config_pb2.RunMetadata:
    """The run metadata torch writes after its graph (one CPU device, no timings), so TensorBoard
    lists the same "step1" session run for either writer."""
    return config_pb2.RunMetadata(step_stats=step_stats_pb2.StepStats(dev_stats=[step_stats_pb2.DeviceStepStats(device="/device:CPU:0")]))
