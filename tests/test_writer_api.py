"""The rest of the peers' SummaryWriter API (issue 17): attributes (log_dir, file_writer,
all_writers, scalar_dict), use_metadata, export_scalars_to_json, add_tensor,
add_openvino_graph, strict constructor keywords, and both peers' positional forms of
add_scalar, add_hparams, add_image_with_boxes and add_video. Comparisons with the peers' own
events are in test_writer_parity.py."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget._proto import event_pb2, summary_pb2
from tbx_widget.records import RecordReader


def events(path):
    out = []
    for root, _, files in os.walk(path):
        for f in sorted(files):
            if "tfevents" in f:
                out += [(os.path.relpath(root, path), event_pb2.Event.FromString(r))
                        for r in RecordReader(os.path.join(root, f)).read()]
    return out


def values(path, tag):
    """[(run, step, wall_time, Summary.Value)] of ``tag``."""
    return [(run, e.step, e.wall_time, v) for run, e in events(path) for v in e.summary.value if v.tag == tag]


def make_ndarray(proto):
    return pytest.importorskip("tensorboard.util.tensor_util").make_ndarray(proto)


# -- constructor --------------------------------------------------------------------------------

def test_unknown_keyword_raises_type_error_naming_it(tmp_path):
    with pytest.raises(TypeError, match="flsh_secs"):
        SummaryWriter(tmp_path, flsh_secs=5)
    assert not os.path.exists(tmp_path / "x")


def test_the_peers_own_keywords_are_accepted(tmp_path):
    with SummaryWriter(logdir=str(tmp_path / "a"), comment="c", purge_step=None, max_queue=5, flush_secs=1,
                       filename_suffix=".s", write_to_disk=True, comet_config={"disabled": True}) as w:
        w.add_scalar("x", 1.0, 0)
    with SummaryWriter(log_dir=str(tmp_path / "b"), comment="c", purge_step=3, max_queue=10, flush_secs=120,
                       filename_suffix="") as w:
        w.add_scalar("x", 1.0, 5)
    # tensorboardX's positional order, comet_config the ninth
    with SummaryWriter(str(tmp_path / "c"), "", None, 10, 2, "", True, None, {"disabled": True}) as w:
        w.add_scalar("x", 2.0, 1)
    assert load(tmp_path).scalars("c", "x").value.tolist() == [2.0]


def test_comet_config_asking_for_comet_warns_that_it_is_ignored(tmp_path):
    with pytest.warns(UserWarning, match="comet_config is ignored"):
        w = SummaryWriter(tmp_path, comet_config={"api_key": "k", "project_name": "p"})
    w.close()
    with pytest.raises(TypeError, match="comet_config must be a dict"):
        SummaryWriter(tmp_path, comet_config="on")


def test_rank_is_keyword_only_so_a_ninth_positional_is_comet_config(tmp_path):
    with pytest.raises(TypeError, match="comet_config must be a dict"):
        SummaryWriter(str(tmp_path), "", None, 10, 2, "", True, None, 0)


# -- attributes ---------------------------------------------------------------------------------

def test_log_dir_file_writer_and_all_writers(tmp_path):
    w = SummaryWriter(tmp_path)
    assert w.log_dir == w.logdir == w.get_logdir() == str(tmp_path)
    fw = w.file_writer
    assert fw is w.file_writer and fw.get_logdir() == str(tmp_path)
    assert w.all_writers == {str(tmp_path): fw}
    w.add_scalars("loss", {"train": 1.0, "val": 2.0}, 0)
    assert sorted(w.all_writers) == sorted([str(tmp_path), os.path.join(str(tmp_path), "loss", "train"),
                                           os.path.join(str(tmp_path), "loss", "val")])
    assert w.all_writers[os.path.join(str(tmp_path), "loss", "val")].get_logdir() == os.path.join(str(tmp_path), "loss", "val")
    w.close()
    assert w.file_writer is None and w.all_writers is None
    w.add_scalar("after", 1.0, 1)  # logging again reopens, as in the peers
    assert w.file_writer is not None and list(w.all_writers) == [str(tmp_path)]
    w.close()
    assert load(tmp_path).scalars(".", "after").value.tolist() == [1.0]


def test_file_writer_without_disk_writes_nothing_and_is_none_only_after_close(tmp_path):
    w = SummaryWriter(tmp_path / "none", write_to_disk=False)
    assert w.file_writer is not None and w.file_writer.get_logdir() == str(tmp_path / "none")
    w.file_writer.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x", simple_value=1.0)]), 1)
    w.close()
    assert w.file_writer is None
    w.add_scalar("x", 1.0)
    assert w.file_writer is not None
    assert not os.path.exists(tmp_path / "none")


def test_file_writer_takes_the_peers_protos(tmp_path):
    tb_summary = pytest.importorskip("tensorboard.compat.proto.summary_pb2")
    tb_event = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    with SummaryWriter(tmp_path) as w:
        w.file_writer.add_summary(tb_summary.Summary(value=[tb_summary.Summary.Value(tag="s", simple_value=2.5)]), 4,
                                  walltime=123.0)
        w.file_writer.add_event(tb_event.Event(step=9, summary=tb_summary.Summary(
            value=[tb_summary.Summary.Value(tag="e", simple_value=1.5)])))
        w.file_writer.add_event(tb_event.Event(summary=tb_summary.Summary(
            value=[tb_summary.Summary.Value(tag="e2", simple_value=0.5)])), step=11)
        w.file_writer.flush()
        with pytest.raises(TypeError, match="summary must be a protobuf message"):
            w.file_writer.add_summary({"tag": "x"})
    ((_, step, wall, v),) = values(tmp_path, "s")
    assert (step, wall, v.simple_value) == (4, 123.0, 2.5)
    assert [(s, v.simple_value) for _, s, _, v in values(tmp_path, "e")] == [(9, 1.5)]
    assert [s for _, s, _, _ in values(tmp_path, "e2")] == [11]


def test_closing_file_writer_then_logging_reopens_the_logdir_file(tmp_path):
    w = SummaryWriter(tmp_path)
    w.add_scalar("x", 1.0, 0)
    w.file_writer.close()
    w.add_scalar("x", 2.0, 1)
    w.close()
    s = load(tmp_path).scalars(".", "x")
    assert sorted(zip(s.step.tolist(), s.value.tolist())) == [(0, 1.0), (1, 2.0)]
    assert len([f for f in os.listdir(tmp_path) if "tfevents" in f]) == 2


# -- use_metadata ---------------------------------------------------------------------------------

def test_use_metadata_gives_default_step_and_wall_time(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with w.use_metadata(global_step=10, walltime=500.0):
            w.add_scalar("s", 1.0)
            w.add_scalar("s", 2.0, 11)  # its own step wins
            w.add_text("t", "hello")
            w.add_histogram("h", [1.0, 2.0])
            w.add_scalars("m", {"a": 1.0})
            with w.use_metadata(global_step=20):  # nested: overrides the step, keeps the wall time
                w.add_scalar("n", 3.0)
                w.add_tensor("ten", np.arange(3))
            w.add_scalar("after_nested", 4.0)
        w.add_scalar("outside", 5.0)
    assert [(s, wt) for _, s, wt, _ in values(tmp_path, "s")] == [(10, 500.0), (11, 500.0)]
    for tag in ("t/text_summary", "h"):
        assert [(s, wt) for _, s, wt, _ in values(tmp_path, tag)] == [(10, 500.0)]
    assert [(r, s, wt) for r, s, wt, _ in values(tmp_path, "m")] == [(os.path.join("m", "a"), 10, 500.0)]
    for tag in ("n", "ten"):
        assert [(s, wt) for _, s, wt, _ in values(tmp_path, tag)] == [(20, 500.0)]
    assert [(s, wt) for _, s, wt, _ in values(tmp_path, "after_nested")] == [(10, 500.0)]
    ((_, step, wall, _),) = values(tmp_path, "outside")
    assert step == 0 and wall > 1e9


def test_use_metadata_checks_its_arguments_and_restores_after_an_error(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="global_step or walltime"):
            with w.use_metadata():
                pass
        with pytest.raises(TypeError, match="global_step"):
            with w.use_metadata(global_step="ten"):
                pass
        with pytest.raises(ValueError, match="walltime"):
            with w.use_metadata(walltime=float("nan")):
                pass
        with pytest.raises(RuntimeError, match="boom"):
            with w.use_metadata(global_step=3):
                raise RuntimeError("boom")
        w.add_scalar("x", 1.0)
    assert [s for _, s, _, _ in values(tmp_path, "x")] == [0]


# -- export_scalars_to_json -----------------------------------------------------------------------

def test_export_scalars_to_json_writes_tensorboardx_format_and_forgets(tmp_path):
    w = SummaryWriter(tmp_path / "run")
    w.add_scalar("single", 1.0, 0)  # not kept, as in tensorboardX
    w.add_scalars("loss", {"train": 1.5, "val": 2}, 3, walltime=100.0)
    w.add_scalars("loss", {"train": 0.5}, walltime=101.0)
    w.export_scalars_to_json(tmp_path / "all.json")
    data = json.loads((tmp_path / "all.json").read_text())
    base = str(tmp_path / "run")
    assert data == {os.path.join(base, "loss", "train"): [[100.0, 3, 1.5], [101.0, None, 0.5]],
                    os.path.join(base, "loss", "val"): [[100.0, 3, 2.0]]}
    assert w.scalar_dict == {}
    w.export_scalars_to_json(str(tmp_path / "empty.json"))
    assert json.loads((tmp_path / "empty.json").read_text()) == {}
    with pytest.raises(TypeError, match="path must be a file path"):
        w.export_scalars_to_json(3)
    w.close()


# -- add_tensor -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8",
                                   "uint16", "uint32", "uint64", "bool", "complex64", "complex128"])
def test_add_tensor_round_trips_every_dtype_through_tensorboard(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) % 7 - (0 if dtype.startswith(("uint", "bool")) else 3)).astype(dtype)
    if dtype.startswith("complex"):
        arr = arr + 1j * arr[::-1]
    with SummaryWriter(tmp_path) as w:
        w.add_tensor("t", arr, 2)
    ((_, step, _, v),) = values(tmp_path, "t")
    assert step == 2 and v.metadata.plugin_data.plugin_name == "tensor"
    back = make_ndarray(v.tensor)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_add_tensor_takes_torch_tensors_including_bfloat16(tmp_path):
    torch = pytest.importorskip("torch")
    from tbx_widget.reader.decode import tensor_to_numpy

    with SummaryWriter(tmp_path) as w:
        w.add_tensor("f", torch.linspace(0, 1, 5, requires_grad=True), 1)
        w.add_tensor("bf", torch.tensor([1.5, -2.0, 3.25], dtype=torch.bfloat16), 1)
        w.add_tensor("scalar", torch.tensor(7), 1)
        with pytest.raises(TypeError, match="tensor has dtype"):
            w.add_tensor("s", np.array(["a"]))
        with pytest.raises(TypeError, match="tensor must be"):
            w.add_tensor("s", "abc")
    np.testing.assert_allclose(make_ndarray(values(tmp_path, "f")[0][3].tensor), np.linspace(0, 1, 5), rtol=1e-6)
    bf = values(tmp_path, "bf")[0][3].tensor
    assert bf.dtype == 14 and tensor_to_numpy(bf).tolist() == [1.5, -2.0, 3.25]
    scalar = make_ndarray(values(tmp_path, "scalar")[0][3].tensor)
    assert scalar.shape == () and scalar == 7


# -- add_openvino_graph --------------------------------------------------------------------------

IR = """<?xml version="1.0"?>
<net name="tiny" version="11">
  <layers>
    <layer id="0" name="data" type="Parameter" version="opset1">
      <data shape="1,3" element_type="f32"/>
      <output><port id="0" precision="FP32"><dim>1</dim><dim>3</dim></port></output>
    </layer>
    <layer id="1" name="weights" type="Const" version="opset1">
      <data element_type="f32" shape="3,3" offset="0" size="36"/>
      <output><port id="0"><dim>3</dim><dim>3</dim></port></output>
    </layer>
    <layer id="2" name="fc" type="MatMul" version="opset1">
      <data transpose_a="false" transpose_b="true"/>
      <input><port id="0"><dim>1</dim><dim>3</dim></port><port id="1"><dim>3</dim><dim>3</dim></port></input>
      <output><port id="2"><dim>1</dim><dim>3</dim></port></output>
    </layer>
    <layer id="3" name="out" type="Result" version="opset1">
      <input><port id="0"><dim>1</dim><dim>3</dim></port></input>
    </layer>
  </layers>
  <edges>
    <edge from-layer="1" from-port="0" to-layer="2" to-port="1"/>
    <edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
    <edge from-layer="2" from-port="2" to-layer="3" to-port="0"/>
  </edges>
</net>
"""


def test_add_openvino_graph_writes_one_node_per_layer(tmp_path):
    xml = tmp_path / "model.xml"
    xml.write_text(IR)
    with SummaryWriter(tmp_path / "run") as w:
        w.add_openvino_graph(str(xml))
    (graph,) = [e.graph_def for _, e in events(tmp_path / "run") if e.graph_def]
    from tbx_widget._proto import graph_pb2

    g = graph_pb2.GraphDef.FromString(graph)
    nodes = {n.name: n for n in g.node}
    assert list(nodes) == ["data", "weights", "fc", "out"]
    assert list(nodes["fc"].input) == ["data", "weights"]  # in port order
    assert nodes["fc"].op == "MatMul" and list(nodes["out"].input) == ["fc"]
    assert b"transpose_b = true" in nodes["fc"].attr["parameters"].s
    assert [d.size for d in nodes["fc"].attr["_output_shapes"].list.shape[0].dim] == [1, 3]
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea.EventAccumulator(str(tmp_path / "run"))
    acc.Reload()
    assert [n.name for n in acc.Graph().node] == ["data", "weights", "fc", "out"]


def test_add_openvino_graph_bad_files(tmp_path):
    with SummaryWriter(tmp_path / "run") as w:
        with pytest.raises(FileNotFoundError, match="xmlname"):
            w.add_openvino_graph(str(tmp_path / "missing.xml"))
        (tmp_path / "bad.xml").write_text("<net><layers>")
        with pytest.raises(ValueError, match="not valid XML"):
            w.add_openvino_graph(tmp_path / "bad.xml")
        (tmp_path / "other.xml").write_text("<html/>")
        with pytest.raises(ValueError, match="not an OpenVINO IR"):
            w.add_openvino_graph(tmp_path / "other.xml")
        (tmp_path / "edge.xml").write_text('<net><layers><layer id="0" name="a"/></layers>'
                                           '<edges><edge from-layer="0" to-layer="5"/></edges></net>')
        with pytest.raises(ValueError, match="unknown layers"):
            w.add_openvino_graph(tmp_path / "edge.xml")
        with pytest.raises(TypeError, match="xmlname must be the path"):
            w.add_openvino_graph(3)
        w.add_scalar("still", 1.0)
    assert load(tmp_path / "run").scalars(".", "still").value.tolist() == [1.0]


# -- positional forms of both peers -------------------------------------------------------------

def test_add_scalar_fifth_and_sixth_positionals_of_both_peers(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("torch_new", 0.5, 1, None, True)
        w.add_scalar("torch_double", 1 / 3, 1, None, True, True)
        w.add_scalar("torch_off", 0.25, 1, None, False, False)
        w.add_scalar("tbx", 2.0, 1, None, "Shown", "About")
        with pytest.raises(TypeError, match="new_style twice"):
            w.add_scalar("x", 1.0, 1, None, True, new_style=True)
        with pytest.raises(TypeError, match=r"display_name \(tensorboardX, a str\) or new_style \(torch, a bool\)"):
            w.add_scalar("x", 1.0, 1, None, 1)
    (new,) = values(tmp_path, "torch_new")
    assert new[3].tensor.dtype == 1 and list(new[3].tensor.float_val) == [0.5]
    (double,) = values(tmp_path, "torch_double")
    assert double[3].tensor.dtype == 2 and list(double[3].tensor.double_val) == [1 / 3]
    (off,) = values(tmp_path, "torch_off")
    assert off[3].WhichOneof("value") == "simple_value" and not off[3].HasField("metadata")
    (tbx,) = values(tmp_path, "tbx")
    assert (tbx[3].metadata.display_name, tbx[3].metadata.summary_description, tbx[3].simple_value) == ("Shown", "About", 2.0)


def test_add_hparams_positional_forms(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1}, {"m/acc": 0.5}, "tbx_name")  # tensorboardX: name third
        w.add_hparams({"lr": 0.2}, {"m/acc": 0.6}, "tbx_step", 7)  # ... and global_step fourth
        w.add_hparams({"lr": 0.3}, {"m/acc": 0.7}, {"lr": [0.1, 0.2, 0.3]}, "torch_name", 4)  # torch's order
        w.add_hparams({"lr": 0.4}, {"m/acc": 0.8}, None, run_name="torch_kw")
        with pytest.raises(TypeError, match="third argument is hparam_domain_discrete"):
            w.add_hparams({"lr": 0.1}, {"m/acc": 0.5}, 5)
        with pytest.raises(TypeError, match="name .tensorboardX. or run_name .torch., not both"):
            w.add_hparams({"lr": 0.1}, {"m/acc": 0.5}, name="a", run_name="b")
        with pytest.raises(TypeError, match="give the run's name once"):
            w.add_hparams({"lr": 0.1}, {"m/acc": 0.5}, "a", run_name="b")
    logs = load(tmp_path)
    for run, step in (("tbx_name", 0), ("tbx_step", 7), ("torch_name", 4), ("torch_kw", 0)):
        assert logs.scalars(run, "m/acc").step.tolist() == [step], run
    assert sorted(r for r in logs.runs if r != ".") == ["tbx_name", "tbx_step", "torch_kw", "torch_name"]


def test_add_image_with_boxes_tensorboardx_positional_dataformats_and_labels(tmp_path):
    pytest.importorskip("PIL")
    img = np.zeros((10, 12, 3), dtype=np.uint8)
    boxes = np.array([[1, 1, 6, 6]])
    with SummaryWriter(tmp_path) as w:
        w.add_image_with_boxes("tbx", img, boxes, 0, None, "HWC", ["cat"])  # tensorboardX's order
        w.add_image_with_boxes("kw", img, boxes, 0, dataformats="HWC", labels=["cat"])
        w.add_image_with_boxes("torch", img.transpose(2, 0, 1), boxes, 0, None, 1, "CHW", ["cat"])  # torch's order
        w.add_image_with_boxes("one_label", img, boxes, 0, None, "HWC", "cat")
        with pytest.raises(TypeError, match="two layouts"):
            w.add_image_with_boxes("x", img, boxes, 0, None, "HWC", "HW")
        with pytest.raises(TypeError, match="labels twice"):
            w.add_image_with_boxes("x", img, boxes, 0, None, "HWC", ["a"], labels=["b"])
    png = {tag: values(tmp_path, tag)[0][3].image for tag in ("tbx", "kw", "torch", "one_label")}
    assert (png["tbx"].width, png["tbx"].height) == (12, 10)
    assert png["tbx"].encoded_image_string == png["kw"].encoded_image_string == png["torch"].encoded_image_string
    assert png["one_label"].encoded_image_string == png["kw"].encoded_image_string


def test_add_video_dataformats(tmp_path):
    pytest.importorskip("PIL")
    vid = np.random.default_rng(0).random((2, 3, 3, 8, 6))  # N T C H W
    with SummaryWriter(tmp_path) as w:
        w.add_video("ntchw", vid, 0)
        w.add_video("nthwc", vid.transpose(0, 1, 3, 4, 2), 0, dataformats="NTHWC")
        w.add_video("tnchw", vid.transpose(1, 0, 2, 3, 4), 0, 4, None, "tnchw")
        with pytest.raises(ValueError, match="dataformats must be the five letters"):
            w.add_video("x", vid, 0, dataformats="NTCH")
        with pytest.raises(TypeError, match="dataformats must be a str"):
            w.add_video("x", vid, 0, dataformats=5)
        with pytest.raises(ValueError, match="5 dimensions"):
            w.add_video("x", vid[0], 0, dataformats="TCHWN")
    gifs = {tag: values(tmp_path, tag)[0][3].image.encoded_image_string for tag in ("ntchw", "nthwc", "tnchw")}
    assert gifs["ntchw"] == gifs["nthwc"] == gifs["tnchw"]
