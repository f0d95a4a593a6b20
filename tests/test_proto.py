"""The generated protobuf modules: importable, fresh, and wire-identical to TensorBoard's."""
from __future__ import annotations

import filecmp
import os
import pathlib
import subprocess

import pytest

from tbx_widget._proto import event_pb2, hparams_pb2, layout_pb2, plugins_pb2, summary_pb2, tensor_pb2

ROOT = pathlib.Path(__file__).resolve().parent.parent
GENERATED = ROOT / "tbx_widget" / "_proto"


def test_event_round_trip():
    event = event_pb2.Event(wall_time=12.5, step=7)
    value = event.summary.value.add(tag="loss", simple_value=0.25)
    value.metadata.plugin_data.plugin_name = "scalars"
    back = event_pb2.Event.FromString(event.SerializeToString())
    assert back == event
    assert back.summary.value[0].simple_value == 0.25
    assert back.WhichOneof("what") == "summary"


def test_every_message_kind_round_trips():
    hp = hparams_pb2.HParamsPluginData(version=0)
    hp.session_start_info.hparams["lr"].number_value = 0.01
    hp.session_start_info.hparams["opt"].string_value = "adam"
    hp.session_start_info.hparams["bn"].bool_value = True
    assert hparams_pb2.HParamsPluginData.FromString(hp.SerializeToString()) == hp
    layout = layout_pb2.Layout(category=[layout_pb2.Category(title="c", chart=[layout_pb2.Chart(title="t")])])
    layout.category[0].chart[0].multiline.tag.append("loss/.*")
    assert layout_pb2.Layout.FromString(layout.SerializeToString()) == layout
    pr = plugins_pb2.PrCurvePluginData(version=0, num_thresholds=127)
    assert plugins_pb2.PrCurvePluginData.FromString(pr.SerializeToString()).num_thresholds == 127
    tensor = tensor_pb2.TensorProto(dtype=1, float_val=[1.0, 2.0])
    tensor.tensor_shape.dim.add(size=2)
    assert tensor_pb2.TensorProto.FromString(tensor.SerializeToString()) == tensor
    histo = summary_pb2.HistogramProto(min=0, max=1, num=2, bucket_limit=[0.5, 1.0], bucket=[1, 1])
    assert summary_pb2.HistogramProto.FromString(histo.SerializeToString()) == histo


def test_same_names_and_field_numbers_as_tensorboard():
    """Every field we declare exists in TensorBoard's message of the same name, same number and type."""
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2 as tb_event, summary_pb2 as tb_summary, tensor_pb2 as tb_tensor
    from tensorboard.plugins.custom_scalar import layout_pb2 as tb_layout
    from tensorboard.plugins.hparams import plugin_data_pb2 as tb_hparams
    from tensorboard.plugins.pr_curve import plugin_data_pb2 as tb_pr
    from tensorboard.plugins.text import plugin_data_pb2 as tb_text

    theirs = {}

    def collect(desc):
        theirs[desc.full_name] = desc
        for nested in desc.nested_types:
            collect(nested)

    for mod in (tb_event, tb_summary, tb_tensor, tb_layout, tb_hparams, tb_pr, tb_text):
        for desc in mod.DESCRIPTOR.message_types_by_name.values():
            collect(desc)

    checked = 0

    def compare(desc):
        nonlocal checked
        if desc.full_name in theirs:
            other = theirs[desc.full_name]
            for field in desc.fields:
                match = other.fields_by_number[field.number]
                assert (match.name, match.type) == (field.name, field.type), desc.full_name
                checked += 1
        for nested in desc.nested_types:
            compare(nested)

    for mod in (event_pb2, summary_pb2, tensor_pb2, layout_pb2, hparams_pb2, plugins_pb2):
        for desc in mod.DESCRIPTOR.message_types_by_name.values():
            compare(desc)
    assert checked > 80


def test_coexists_with_tensorboard_protos_in_one_process():
    tb_event = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    ours = event_pb2.Event(step=3, file_version="brain.Event:2")
    assert tb_event.Event.FromString(ours.SerializeToString()).file_version == "brain.Event:2"


def test_generated_modules_are_fresh(tmp_path):
    """Regenerating from proto/ gives byte-identical modules (run `make proto` when this fails)."""
    protoc_python = os.environ.get("TBX_PROTOC_PYTHON")
    if not protoc_python or not os.path.exists(protoc_python):
        pytest.skip("TBX_PROTOC_PYTHON (set by `make test`) names no interpreter with grpcio-tools")
    subprocess.run([protoc_python, str(ROOT / "proto" / "generate.py"), str(tmp_path)], check=True, capture_output=True)
    fresh = sorted((tmp_path / "tbx_widget" / "_proto").glob("*_pb2.py"))
    committed = sorted(GENERATED.glob("*_pb2.py"))
    assert [p.name for p in fresh] == [p.name for p in committed]
    stale = [p.name for p in fresh if not filecmp.cmp(p, GENERATED / p.name, shallow=False)]
    assert not stale, f"stale generated modules, run `make proto`: {stale}"
