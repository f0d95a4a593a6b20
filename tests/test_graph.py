"""Graphs: torch models traced to GraphDef (parity with torch's writer), read back by TensorBoard's
loaders and by ``load()``, TF graph_def events and Keras model configs read and turned into nodes."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tbx_widget._proto import graph_pb2  # noqa: E402
from tbx_widget.summary.graph import torch_graph  # noqa: E402


class Block(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.seq = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5))
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, x, y):
        h = self.seq(self.block(x))
        return self.drop(h) + y, h.sum()


def _inputs():
    return (torch.randn(2, 3, 8, 8), torch.randn(2, 5))


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
