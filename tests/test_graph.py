"""Graphs: torch models traced to GraphDef (parity with torch's writer), read back by TensorBoard's
loaders and by ``load()``, TF graph_def events and Keras model configs read and turned into nodes."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tbx_widget._proto import graph_pb2  # noqa: E402
from tbx_widget.summary.graph import torch_graph  # noqa: E402
from graph_models import Net  # noqa: E402  (tests/graph_models.py)
from graph_models import two_inputs as _inputs  # noqa: E402


@pytest.mark.filterwarnings("ignore:.*torch.jit.trace.* is deprecated:DeprecationWarning")
def test_torch_graph_is_the_graph_torch_writes():
    """Same nodes (names, ops, inputs, attrs, shapes) in the same order, byte for byte."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard._pytorch_graph import graph as torch_own

    model, args = Net(), _inputs()
    theirs, _ = torch_own(model, args)
    ours = torch_graph(model, args)
    assert ours.SerializeToString() == theirs.SerializeToString()
    names = {n.name: n for n in ours.node}
    linear = names["Net/Sequential[seq]/Linear[1]/input"]
    assert linear.op == "aten::linear"
    assert [d.size for d in linear.attr["_output_shapes"].list.shape[0].dim] == [2, 5]
    assert names["input/x"].op == "IO Node"
    assert names["output/output.1"].input == ["Net/71"] or names["output/output.1"].input[0].startswith("Net/")


def test_tracing_restores_training_mode_and_single_tensor_input():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    model.train()
    graph = torch_graph(model, torch.randn(4, 3))
    assert model.training
    ops = [n.op for n in graph.node]
    assert "aten::linear" in ops and "aten::relu" in ops
    assert graph.versions.producer == 22
    assert graph_pb2.GraphDef.FromString(graph.SerializeToString()) == graph


def test_graph_protos_match_tensorboards():
    """Every field of our graph protos has TensorBoard's number, name and type."""
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import config_pb2 as tb_config, graph_pb2 as tb_graph, step_stats_pb2 as tb_steps

    from tbx_widget._proto import config_pb2, step_stats_pb2

    checked = 0
    seen: set[str] = set()

    def compare(ours, theirs):
        nonlocal checked
        assert ours.full_name == theirs.full_name
        if ours.full_name in seen:
            return
        seen.add(ours.full_name)
        for field in ours.fields:
            match = theirs.fields_by_number[field.number]
            assert (match.name, match.type) == (field.name, field.type), ours.full_name
            checked += 1
            if field.message_type is not None:
                compare(field.message_type, match.message_type)

    compare(graph_pb2.GraphDef.DESCRIPTOR, tb_graph.GraphDef.DESCRIPTOR)
    compare(config_pb2.RunMetadata.DESCRIPTOR, tb_config.RunMetadata.DESCRIPTOR)
    compare(step_stats_pb2.StepStats.DESCRIPTOR, tb_steps.StepStats.DESCRIPTOR)
    assert checked > 30


# --- reading: load(logdir).graphs(run) -------------------------------------------------------

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures" / "logs"


def test_keras_fixture_model_config_reads_as_layers():
    from tbx_widget import load

    logs = load(FIXTURES / "keras")
    assert logs.tags("train")["graphs"] == ["keras"]
    (item,) = logs.graphs("train")
    assert item.source == "keras" and item.step == 0
    assert [(n.name, n.op, n.inputs) for n in item.nodes] == [
        ("sequential/input_layer", "InputLayer", ()),
        ("sequential/dense", "Dense", ("sequential/input_layer",)),
        ("sequential/dense_1", "Dense", ("sequential/dense",)),
    ]
    assert item.nodes[0].shape == (-1, 4) and item.nodes[1].shape == (-1, 8)
    assert 'activation="relu"' in item.nodes[1].attr
    assert logs.graphs("validation") == []


@pytest.mark.filterwarnings("ignore:.*torch.jit.trace.* is deprecated:DeprecationWarning")
def test_graph_written_by_torch_reads_back(tmp_path):
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from tbx_widget import load

    with TorchWriter(tmp_path) as w:
        w.add_graph(Net(), _inputs())
    (item,) = load(tmp_path).graphs(".")
    assert item.source == "graph_def"
    by_name = {n.name: n for n in item.nodes}
    assert by_name["Net/Sequential[seq]/Linear[1]/input"].shape == (2, 5)
    assert by_name["Net/Sequential[seq]/Linear[1]/input"].inputs[0] == "Net/Sequential[seq]/Flatten[0]/input.5"
    assert by_name["input/x"].op == "IO Node"


def test_tensorflow_style_graph_def_reads_back(tmp_path):
    """A TF GraphDef (as TensorFlow and Keras's write_graph store it) through TensorBoard's own writer:
    control inputs (^name) and output indices (name:1) become plain node names; device and attrs kept."""
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2 as tb_event, graph_pb2 as tb_graph
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    from tbx_widget import load

    g = tb_graph.GraphDef()
    g.versions.producer = 1645
    x = g.node.add(name="x", op="Placeholder", device="/job:localhost/device:CPU:0")
    x.attr["dtype"].type = 1
    x.attr["_output_shapes"].list.shape.add().dim.add(size=-1)
    x.attr["_output_shapes"].list.shape[0].dim.add(size=4)
    g.node.add(name="dense/MatMul", op="MatMul", input=["x", "dense/kernel:0"])
    g.node.add(name="dense/kernel", op="VarHandleOp")
    split = g.node.add(name="split", op="Split", input=["dense/MatMul", "^x"])
    split.attr["num_split"].i = 2
    g.node.add(name="Identity", op="Identity", input=["split:1"])
    w = EventFileWriter(str(tmp_path))
    w.add_event(tb_event.Event(wall_time=5.0, step=0, graph_def=g.SerializeToString()))
    w.close()
    logs = load(tmp_path)
    assert logs.tags(".")["graphs"] == ["graph_def"]
    (item,) = logs.graphs(".")
    nodes = {n.name: n for n in item.nodes}
    assert nodes["x"].device == "/job:localhost/device:CPU:0" and nodes["x"].shape == (-1, 4)
    assert "dtype=1" in nodes["x"].attr and "_output_shapes" not in nodes["x"].attr
    assert nodes["dense/MatMul"].inputs == ("x", "dense/kernel")
    assert nodes["split"].inputs == ("dense/MatMul", "x") and "num_split=2" in nodes["split"].attr
    assert nodes["Identity"].inputs == ("split",)
    assert item.raw == g.SerializeToString()


def test_keras_functional_configs_keras2_and_keras3(tmp_path):
    """Functional models: layers read what their inbound nodes name (Keras 2 lists, Keras 3
    __keras_tensor__ with keras_history and shape); a nested model is a name scope."""
    import json

    from tbx_widget.reader.graphs import keras_item

    k2 = {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [None, 3]}, "inbound_nodes": []},
        {"class_name": "Dense", "name": "d1", "config": {"name": "d1", "units": 2}, "inbound_nodes": [[["in", 0, 0, {}]]]},
        {"class_name": "Dense", "name": "d2", "config": {"name": "d2", "units": 2}, "inbound_nodes": [[["in", 0, 0, {}]]]},
        {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat"}, "inbound_nodes": [[["d1", 0, 0, {}], ["d2", 0, 0, {}]]]},
    ]}}
    item = keras_item(3, 1.0, json.dumps(k2).encode())
    assert [(n.name, n.inputs) for n in item.nodes] == [
        ("m/in", ()), ("m/d1", ("m/in",)), ("m/d2", ("m/in",)), ("m/cat", ("m/d1", "m/d2"))]
    assert item.nodes[0].shape == (-1, 3)

    def kt(layer, shape):
        return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}

    inner = {"class_name": "Sequential", "config": {"name": "sub", "layers": [
        {"class_name": "Dense", "config": {"name": "s1"}, "build_config": {"input_shape": [None, 8]}},
        {"class_name": "Dense", "config": {"name": "s2"}, "build_config": {"input_shape": [None, 5]}}]},
        "inbound_nodes": [{"args": [kt("a", [None, 8])], "kwargs": {}}]}
    k3 = {"class_name": "Functional", "config": {"name": "f", "layers": [
        {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 4]}, "inbound_nodes": []},
        {"class_name": "Dense", "config": {"name": "a"}, "inbound_nodes": [{"args": [kt("x", [None, 4])], "kwargs": {}}]},
        inner]}}
    nodes = {n.name: n for n in keras_item(0, 0.0, json.dumps(k3).encode()).nodes}
    assert nodes["f/a"].inputs == ("f/x",) and nodes["f/a"].shape == (-1, 8)
    assert nodes["f/sub/s1"].inputs == ("f/a",) and nodes["f/sub/s1"].shape == (-1, 5)
    assert nodes["f/sub/s2"].inputs == ("f/sub/s1",)
    with pytest.raises(ValueError, match="JSON object"):
        keras_item(0, 0.0, b"[1, 2]")


# --- writing: SummaryWriter.add_graph ----------------------------------------------------------


@pytest.mark.filterwarnings("ignore:.*torch.jit.trace.* is deprecated:DeprecationWarning")
def test_add_graph_is_read_by_tensorboard_as_torchs_graph(tmp_path):
    """TensorBoard's EventAccumulator returns the same GraphDef (and run metadata "step1") from
    our file as from torch's writer's file, for the same model and inputs."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from tbx_widget import SummaryWriter, load

    model, args = Net(), _inputs()
    with SummaryWriter(tmp_path / "ours") as w:
        w.add_graph(model, args)
        w.add_scalar("loss", 1.0, 0)
    with TorchWriter(tmp_path / "torch") as w:
        w.add_graph(model, args)
    ours, theirs = EventAccumulator(str(tmp_path / "ours")).Reload(), EventAccumulator(str(tmp_path / "torch")).Reload()
    assert ours.Tags()["graph"] is True
    assert ours.Graph() == theirs.Graph()
    assert [n.name for n in ours.Graph().node] == [n.name for n in theirs.Graph().node]
    assert ours.Tags()["run_metadata"] == theirs.Tags()["run_metadata"] == ["step1"]
    assert ours.RunMetadata("step1") == theirs.RunMetadata("step1")
    (item,) = load(tmp_path / "ours").graphs(".")
    assert len(item.nodes) == len(theirs.Graph().node)


@pytest.mark.filterwarnings("ignore:.*torch.jit.trace.* is deprecated:DeprecationWarning")
def test_add_graph_single_tensor_and_no_input(tmp_path):
    from tbx_widget import SummaryWriter, load

    class Const(torch.nn.Module):
        def forward(self):
            return torch.ones(3) * 2

    with SummaryWriter(tmp_path) as w:
        w.add_graph(torch.nn.Linear(3, 2), torch.randn(1, 3))
        w.add_graph(Const())
    first, second = load(tmp_path).graphs(".")
    assert any(n.op == "aten::linear" for n in first.nodes)
    assert any(n.name.startswith("output/") for n in second.nodes)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("not a model", None), {}, TypeError, "model must be a torch.nn.Module"),
        ((None, None), {}, TypeError, "model must be a torch.nn.Module"),
        ((torch.nn.Linear(2, 2), "x"), {}, TypeError, "input_to_model must be a tensor"),
        ((torch.nn.Linear(2, 2), torch.randn(1, 2)), {"verbose": "yes"}, TypeError, "verbose must be a bool"),
        ((torch.nn.Linear(2, 2), torch.randn(1, 2)), {"use_strict_trace": 1}, TypeError, "use_strict_trace must be a bool"),
    ],
)
def test_add_graph_bad_arguments_raise_on_the_callers_thread(tmp_path, args, kwargs, error, match):
    from tbx_widget import SummaryWriter

    with SummaryWriter(tmp_path) as w:
        with pytest.raises(error, match=match):
            w.add_graph(*args, **kwargs)
        w.add_scalar("after", 1.0, 0)  # the writer still works


@pytest.mark.filterwarnings("ignore:.*torch.jit.trace.* is deprecated:DeprecationWarning")
def test_add_graph_untraceable_model_raises_like_torch(tmp_path):
    from tbx_widget import SummaryWriter

    model = torch.nn.Linear(3, 2)
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(RuntimeError):
            w.add_graph(model, torch.randn(1, 5))  # wrong width: the trace fails
    assert model.training


def test_a_graph_def_that_is_not_a_graph_costs_only_its_record(tmp_path):
    """Bytes that do not parse as a GraphDef: that record is skipped and counted, the rest is read."""
    from tbx_widget import SummaryWriter, load
    from tbx_widget._proto import event_pb2

    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 1.0, 0)
        w._emit(lambda: event_pb2.Event(wall_time=1.0, graph_def=b"\x0a\xff\xff\xff").SerializeToString())
        w.add_scalar("loss", 2.0, 1)
    from tbx_widget.records import CorruptRecordWarning

    with pytest.warns(CorruptRecordWarning, match="1 undecodable records"):
        logs = load(tmp_path)
    assert logs.graphs(".") == []
    assert logs.skipped_records == 1
    assert logs.scalars(".", "loss").value.tolist() == [1.0, 2.0]
