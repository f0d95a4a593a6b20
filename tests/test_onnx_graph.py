"""add_onnx_graph (issue 17): an ONNX model → the GraphDef event TensorBoard's Graphs dashboard reads,
named as tensorboardX names it, read back by load().graphs() and TensorBoard's EventAccumulator."""
from __future__ import annotations

import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from tbx_widget import SummaryWriter, load  # noqa: E402
from tbx_widget._proto import event_pb2, graph_pb2, types_pb2  # noqa: E402
from tbx_widget.records import RecordReader  # noqa: E402
from tbx_widget.summary.onnx_graph import onnx_graph  # noqa: E402


def _model(ir_version: int = 8, weights_as_inputs: bool = False):
    """X[batch, 3] → Gemm(W, B) → Relu → Split into a, b → Add → Mul by a Constant → z; outputs z and b."""
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4), "W")
    b = numpy_helper.from_array(np.zeros(4, dtype=np.float32), "B")
    c = numpy_helper.from_array(np.array([2.0, 3.0], dtype=np.float32), "c_value")
    nodes = [
        helper.make_node("Gemm", ["X", "W", "B"], ["h"], name="fc", alpha=1.0, transB=0),
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("Split", ["r"], ["a", "b"], name="split", axis=1),
        helper.make_node("Add", ["a", "b"], ["y"], name="add"),
        helper.make_node("Constant", [], ["c"], name="const", value=c),
        helper.make_node("Mul", ["y", "c"], ["z"], name="mul"),
    ]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 3])]
    if weights_as_inputs:
        inputs += [helper.make_tensor_value_info("W", TensorProto.FLOAT, [3, 4]),
                   helper.make_tensor_value_info("B", TensorProto.FLOAT, [4])]
    outputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 2]),
               helper.make_tensor_value_info("b", TensorProto.FLOAT, ["batch", 2])]
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = ir_version
    onnx.checker.check_model(model)
    return onnx.shape_inference.infer_shapes(model)


def _graph_defs(path):
    out = []
    for root, _, files in os.walk(path):
        for f in sorted(files):
            if "tfevents" in f:
                out += [event_pb2.Event.FromString(r).graph_def for r in RecordReader(os.path.join(root, f)).read()]
    return [graph_pb2.GraphDef.FromString(g) for g in out if g]


def _shapes(node):
    return [[d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "tiny.onnx"
    onnx.save(_model(), str(path))
    return path


def test_one_node_per_op_with_inputs_initializers_and_shapes(tmp_path, model_file):
    with SummaryWriter(tmp_path / "run") as w:
        w.add_onnx_graph(str(model_file))
    (g,) = _graph_defs(tmp_path / "run")
    assert g.versions.producer == 22
    nodes = {n.name: n for n in g.node}
    assert list(nodes) == ["X", "W", "B", "h", "r", "a", "y", "c", "z", "b"]
    assert {k: n.op for k, n in nodes.items()} == {
        "X": "Variable", "W": "Variable", "B": "Variable", "h": "Gemm", "r": "Relu", "a": "Split",
        "y": "Add", "c": "Constant", "z": "Mul", "b": "Identity"}
    assert list(nodes["h"].input) == ["X", "W", "B"]
    assert list(nodes["y"].input) == ["a", "a:1"]  # Split's second output, TensorFlow's form
    assert list(nodes["b"].input) == ["a:1"]  # the graph output b is Split's second output
    assert list(nodes["c"].input) == [] and list(nodes["z"].input) == ["y", "c"]
    assert nodes["X"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in nodes["X"].attr["shape"].shape.dim] == [-1, 3]  # symbolic batch: -1
    assert _shapes(nodes["W"]) == [[3, 4]] and _shapes(nodes["B"]) == [[4]]
    assert _shapes(nodes["h"]) == [[-1, 4]]  # from value_info
    assert _shapes(nodes["a"]) == [[-1, 2], [-1, 2]]  # both outputs
    assert _shapes(nodes["z"]) == [[-1, 2]]
    assert nodes["h"].attr["parameters"].s == b"alpha = 1.0 = 1, transB = 0 = 2"
    assert nodes["c"].attr["parameters"].s == b"value = <tensor FLOAT [2]> = 4"  # no tensor bytes


def test_read_back_by_load_and_tensorboard(tmp_path, model_file):
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    with SummaryWriter(tmp_path / "run") as w:
        w.add_onnx_graph(model_file)  # a PathLike too
    (item,) = load(tmp_path).graphs("run")
    assert item.source == "graph_def"
    by_name = {n.name: n for n in item.nodes}
    assert by_name["y"].op == "Add" and by_name["y"].inputs == ("a", "a")
    assert by_name["h"].shape == (-1, 4) and by_name["X"].shape == (-1, 3)
    acc = ea.EventAccumulator(str(tmp_path / "run")).Reload()
    assert acc.Tags()["graph"] is True
    (ours,) = _graph_defs(tmp_path / "run")
    assert acc.Graph().SerializeToString() == ours.SerializeToString()


def test_model_proto_gives_the_same_graph_as_its_file(tmp_path, model_file):
    with SummaryWriter(tmp_path / "file") as w:
        w.add_onnx_graph(str(model_file))
    with SummaryWriter(tmp_path / "proto") as w:
        w.add_onnx_graph(onnx.load(str(model_file)))
    assert _graph_defs(tmp_path / "file") == _graph_defs(tmp_path / "proto")


def test_same_names_and_ops_as_tensorboardx(tmp_path, model_file, capsys):
    """tensorboardX's add_onnx_graph on the same file: every node it writes is ours, with the same op,
    inputs and parameters (ours adds the initializers and the Identity for output b, and does not
    repeat z; tensorboardX writes z twice: as a Variable and as the Mul)."""
    tbx = pytest.importorskip("tensorboardX")
    with tbx.SummaryWriter(str(tmp_path / "tbx")) as w:
        w.add_onnx_graph(str(model_file))
    capsys.readouterr()  # tensorboardX prints each node name
    with SummaryWriter(tmp_path / "ours") as w:
        w.add_onnx_graph(str(model_file))
    (theirs,), (ours,) = _graph_defs(tmp_path / "tbx"), _graph_defs(tmp_path / "ours")
    assert theirs.versions.producer == ours.versions.producer
    mine = {n.name: n for n in ours.node}
    names = [n.name for n in theirs.node]
    assert names == ["X", "z", "b", "h", "r", "a", "y", "c", "z"]  # z twice
    ops = [n for n in theirs.node if n.op != "Variable"]
    assert [(n.name, n.op) for n in ops] == [(k, mine[k].op) for k in ["h", "r", "a", "y", "c", "z"]]
    for n in ops:
        if n.name != "c":  # tensorboardX dumps the Constant's whole TensorProto as text
            assert n.attr["parameters"].s == mine[n.name].attr["parameters"].s
        # the same inputs, except that ours name Split's second output "a:1" (theirs: "b", a tensor no node has)
        assert [i if i != "b" else "a:1" for i in n.input] == list(mine[n.name].input)
    assert theirs.node[0].attr["dtype"].type == mine["X"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert set(names) <= set(mine)


def test_weights_listed_as_inputs_appear_once(tmp_path):
    """Before ONNX IR 4 initializers were also graph inputs: each is still one node."""
    g = onnx_graph(_model(ir_version=3, weights_as_inputs=True))
    names = [n.name for n in g.node]
    assert names[:3] == ["X", "W", "B"] and len(names) == len(set(names))
    w = next(n for n in g.node if n.name == "W")
    assert w.op == "Variable" and _shapes(w) == [[3, 4]]


def test_onnx_dtypes_become_tensorflow_dtypes():
    graph = helper.make_graph(
        [helper.make_node("Cast", ["i"], ["o"], to=TensorProto.INT32)], "cast",
        [helper.make_tensor_value_info("i", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("o", TensorProto.INT32, [2])])
    g = onnx_graph(helper.make_model(graph))
    assert g.node[0].attr["dtype"].type == types_pb2.DT_INT64  # ONNX INT64 is 7, TensorFlow's 9
    assert [n.name for n in g.node] == ["i", "o"]


def test_unknown_shapes_stay_unknown():
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],  # unknown rank
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    g = onnx_graph(helper.make_model(graph))
    assert g.node[0].attr["shape"].shape.unknown_rank
    assert list(g.node[1].attr["_output_shapes"].list.shape[0].dim) == []
    assert g.node[1].attr["_output_shapes"].list.shape[0].unknown_rank


def test_bad_arguments_raise_on_the_callers_thread(tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"\xff\xfe not a protobuf \x00" * 10)
    with SummaryWriter(tmp_path / "run") as w:
        with pytest.raises(TypeError, match="prototxt must be the path of a .onnx file or an onnx.ModelProto, got int"):
            w.add_onnx_graph(3)
        with pytest.raises(FileNotFoundError, match="prototxt"):
            w.add_onnx_graph(str(tmp_path / "missing.onnx"))
        with pytest.raises(ValueError, match="prototxt .*junk.onnx.* is not an ONNX model"):
            w.add_onnx_graph(tmp_path / "junk.onnx")
        with pytest.raises(TypeError, match="model must be an onnx.ModelProto, got str"):
            onnx_graph("tiny.onnx")
    assert _graph_defs(tmp_path / "run") == []


def test_torch_and_tf2onnx_names_make_scopes_and_edges():
    """torch.onnx.export names tensors "/0/Conv_output_0" and tf2onnx "dense/BiasAdd:0": the leading
    "/" is dropped (else every op sits in one unnamed scope) and ":" becomes "_" (else "name:0"
    reads as output 0 of "name", a node that does not exist)."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input:0"], ["/0/Relu_output_0"]),
         helper.make_node("Neg", ["/0/Relu_output_0"], ["dense/BiasAdd:0"]),
         helper.make_node("Abs", ["dense/BiasAdd:0"], ["0/Relu_output_0"])],  # the stripped twin of the first
        "names", [helper.make_tensor_value_info("input:0", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("0/Relu_output_0", TensorProto.FLOAT, [2])])
    g = onnx_graph(helper.make_model(graph))
    assert [(n.name, list(n.input)) for n in g.node] == [
        ("input_0", []), ("0/Relu_output_0", ["input_0"]), ("dense/BiasAdd_0", ["0/Relu_output_0"]),
        ("0/Relu_output_0_", ["dense/BiasAdd_0"])]


def test_a_model_torch_exports(tmp_path):
    """A small CNN through torch.onnx.export (the TorchScript exporter, no onnxscript needed), shapes inferred."""
    torch = pytest.importorskip("torch")
    import warnings

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 2))
    path = tmp_path / "cnn.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(model, (torch.zeros(1, 3, 8, 8),), str(path), dynamo=False)
        except Exception as exc:  # an exporter this torch lacks
            pytest.skip(f"torch.onnx.export failed here: {exc}")
    onnx.save(onnx.shape_inference.infer_shapes(onnx.load(str(path))), str(path))
    with SummaryWriter(tmp_path / "run") as w:
        w.add_onnx_graph(path)
    (item,) = load(tmp_path).graphs("run")
    ops = [n for n in item.nodes if n.op != "Variable"]
    assert [n.op for n in ops] == ["Conv", "Relu", "Flatten", "Gemm"]
    assert ops[0].name.startswith("0/") and ops[0].shape == (1, 4, 6, 6)
    names = {n.name for n in item.nodes}
    assert all(i in names for n in item.nodes for i in n.inputs)  # every edge joins two nodes
