"""The same calls through tensorboardX's SummaryWriter and ours decode to the same Summary
protos, field by field.

Deliberate differences, not compared:
- file names (ours add pid and a counter, so two writers in one second never share a file);
- encoded image bytes (both are PNG; the pixels are compared instead), and float images above
  1.0, which we clip to 255 where tensorboardX's conversion may wrap;
- histogram values beyond TensorFlow's outermost edges (±1e20): tensorboardX drops them from
  the bucket counts, we count them in the outer buckets (none occur here);
- ``add_hparams`` child-run names default to the time in both, so the test names them;
- audio is not compared: tensorboardX's ``add_audio`` needs the soundfile package (ours uses the
  standard library's wave module); tests/test_writer.py checks ours against TensorBoard.
"""
from __future__ import annotations

import io
import os

import numpy as np
import pytest

from tbx_widget import SummaryWriter
from tbx_widget._proto import event_pb2
from tbx_widget.reader.decode import tensor_to_numpy
from tbx_widget.records import RecordReader

tensorboardX = pytest.importorskip("tensorboardX")


def summaries(path):
    """{(run, tag, step): Summary.Value as a dict} for every summary value under ``path``."""
    from google.protobuf.json_format import MessageToDict

    out = {}
    for root, _, files in os.walk(path):
        for f in sorted(files):
            if "tfevents" not in f:
                continue
            for rec in RecordReader(os.path.join(root, f)).read():
                e = event_pb2.Event.FromString(rec)
                for v in e.summary.value:
                    d = MessageToDict(v)
                    if v.metadata.plugin_data.plugin_name == "hparams":
                        # map fields serialise in no fixed order: compare the decoded content
                        from tbx_widget._proto import hparams_pb2

                        content = hparams_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content)
                        d["metadata"]["pluginData"]["content"] = MessageToDict(content)
                    if v.HasField("tensor") and v.tensor.dtype == 1:  # float tensors: values, not encoding
                        d["tensor"] = {"shape": [x.size for x in v.tensor.tensor_shape.dim],
                                       "values": tensor_to_numpy(v.tensor).reshape(-1).tolist()}
                    out[(os.path.relpath(root, path), v.tag, e.step)] = d
    return out


def log_everything(writer_cls, logdir):
    rng = np.random.default_rng(0)
    w = writer_cls(logdir)
    for step in range(5):
        w.add_scalar("loss", 1 / (step + 1), step, walltime=100.0 + step)
        w.add_scalar("int", step, step)
    w.add_scalars("group", {"a": 1.0, "b": 2.0}, 3)
    for step, data in enumerate([rng.normal(0, 1, 1000), rng.normal(3, 10, 777), np.arange(-5.0, 5.0)]):
        w.add_histogram("hist", data, step)
        w.add_histogram("hist_auto", data, step, bins="auto")
        w.add_histogram("hist_10", data, step, bins=10)
    w.add_histogram_raw("raw", 0, 3, 6, 9, 21, [1, 2, 3], [1, 2, 3], 1)
    w.add_image("img", rng.random((3, 6, 4)), 0)
    w.add_text("note", "hello *world*", 2)
    labels = rng.integers(0, 2, 100)
    preds = rng.random(100)
    w.add_pr_curve("pr", labels, preds, 1)
    w.add_pr_curve("pr_w", labels, preds, 1, num_thresholds=11, weights=rng.random(100))
    w.add_custom_scalars({"c": {"chart": ["Multiline", ["loss", "int"]], "m": ["Margin", ["a", "b", "c"]]}})
    w.add_hparams({"lr": 0.1, "bn": True, "opt": "adam"}, {"m": 0.5}, name="hp")
    w.close()


def test_same_summaries_as_tensorboardx(tmp_path):
    log_everything(tensorboardX.SummaryWriter, tmp_path / "tbx")
    log_everything(SummaryWriter, tmp_path / "ours")
    theirs, ours = summaries(tmp_path / "tbx"), summaries(tmp_path / "ours")
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        a, b = theirs[key], ours[key]
        if "image" in a:
            assert {k: v for k, v in a["image"].items() if k != "encodedImageString"} == {
                k: v for k, v in b["image"].items() if k != "encodedImageString"
            }
            continue
        if key[1] == "pr_w" or key[1] == "pr":
            np.testing.assert_allclose(a["tensor"].pop("values"), b["tensor"].pop("values"), rtol=1e-5, err_msg=str(key))
        assert a == b, key


def test_image_pixels_match(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    img = np.random.default_rng(1).random((3, 6, 4))
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (SummaryWriter, "ours")):
        with cls(tmp_path / name) as w:
            w.add_image("img", img, 0)
    pixels = []
    for name in ("tbx", "ours"):
        (v,) = [s for k, s in summaries(tmp_path / name).items() if k[1] == "img"]
        raw = __import__("base64").b64decode(v["image"]["encodedImageString"])
        pixels.append(np.asarray(PIL.open(io.BytesIO(raw)).convert("RGB")))
    np.testing.assert_array_equal(pixels[0], pixels[1])


@pytest.mark.parametrize("bins", ["tensorflow", 10, "auto"])
@pytest.mark.parametrize("max_bins", [1, 3, 5, 7, 20])
def test_max_bins_merges_buckets_as_both_peers_do(tmp_path, bins, max_bins):
    """tensorboardX and torch merge groups of len(buckets) // max_bins before trimming the empty
    ends, so the result can hold a few more than max_bins buckets."""
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    rng = np.random.default_rng(3)
    data = np.concatenate([rng.normal(0, 1, 1000), rng.normal(40, 3, 50)])
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (torch_tb.SummaryWriter, "torch"), (SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_histogram("h", data, 1, bins=bins, max_bins=max_bins)
    (theirs,), (torchs,), (ours,) = ([v["histo"] for v in summaries(tmp_path / n).values()] for n in ("tbx", "torch", "ours"))
    assert ours == theirs == torchs


# -- issue 17: the rest of the API, call for call against the peers ------------------------------

def _torch_writer():
    return pytest.importorskip("torch.utils.tensorboard").SummaryWriter


def test_unknown_constructor_keyword_is_a_type_error_in_all_three(tmp_path):
    for cls in (tensorboardX.SummaryWriter, _torch_writer(), SummaryWriter):
        with pytest.raises(TypeError, match="flsh_secs"):
            cls(str(tmp_path / "x"), flsh_secs=5).close()


def test_add_scalar_positional_forms_match_each_peer(tmp_path):
    def torch_calls(w):
        w.add_scalar("new", 0.5, 1, 10.0, True)
        w.add_scalar("double", 1 / 3, 2, 10.0, True, True)
        w.add_scalar("plain", 0.25, 3, 10.0, False, False)

    def tbx_calls(w):
        w.add_scalar("named", 2.0, 1, 10.0, "Shown", "About")
        w.add_scalar("plain", 0.25, 3, 10.0)

    for peer, calls in ((_torch_writer(), torch_calls), (tensorboardX.SummaryWriter, tbx_calls)):
        name = calls.__name__
        for cls, sub in ((peer, "peer"), (SummaryWriter, "ours")):
            with cls(str(tmp_path / name / sub)) as w:
                calls(w)
        assert summaries(tmp_path / name / "ours") == summaries(tmp_path / name / "peer"), name


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int16", "int32", "int64", "bool"])
def test_add_tensor_decodes_as_torch_writes_it(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    make_ndarray = pytest.importorskip("tensorboard.util.tensor_util").make_ndarray
    t = torch.from_numpy((np.arange(12).reshape(3, 4) % 5 - 2).astype(dtype))
    for cls, name in ((_torch_writer(), "torch"), (SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_tensor("t", t, 3)
    (theirs,), (ours,) = (list(summaries(tmp_path / n).items()) for n in ("torch", "ours"))
    assert theirs[0] == ours[0]  # run, tag, step
    assert theirs[1]["metadata"] == ours[1]["metadata"] == {"pluginData": {"pluginName": "tensor"}}
    raw, protos = [], []
    for n in ("torch", "ours"):
        (rec,) = [e for e in _events(tmp_path / n) if e.summary.value]
        protos.append(rec.summary.value[0].tensor)
        raw.append(make_ndarray(rec.summary.value[0].tensor))
    assert protos[0].dtype == protos[1].dtype and protos[0].tensor_shape == protos[1].tensor_shape
    assert raw[0].dtype == raw[1].dtype and raw[0].shape == raw[1].shape
    np.testing.assert_array_equal(raw[0], raw[1])


def _events(path):
    out = []
    for f in sorted(os.listdir(path)):
        if "tfevents" in f:
            out += [event_pb2.Event.FromString(r) for r in RecordReader(os.path.join(path, f)).read()]
    return out


def test_use_metadata_matches_tensorboardx(tmp_path):
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            with w.use_metadata(global_step=12, walltime=345.0):
                w.add_scalar("s", 1.0)
                w.add_scalar("own", 2.0, 3, 7.0)
                w.add_text("t", "hello")
                w.add_histogram("h", np.arange(10.0))
                w.add_pr_curve("pr", np.array([0, 1, 1]), np.array([0.1, 0.8, 0.4]))
    stamps = {}
    for name in ("tbx", "ours"):
        stamps[name] = sorted((v.tag, e.step, e.wall_time) for e in _events(tmp_path / name) for v in e.summary.value)
    assert stamps["ours"] == stamps["tbx"]
    assert summaries(tmp_path / "ours") == summaries(tmp_path / "tbx")


def test_export_scalars_to_json_matches_tensorboardx(tmp_path):
    import json

    docs = {}
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (SummaryWriter, "ours")):
        w = cls(str(tmp_path / name))
        w.add_scalars("loss", {"train": 1.5, "val": 2}, 3, walltime=100.0)
        w.add_scalars("loss", {"train": 0.5}, walltime=101.0)
        w.add_scalar("single", 1.0, 0)
        w.export_scalars_to_json(str(tmp_path / f"{name}.json"))
        w.add_scalars("later", {"a": 1.0}, 1, walltime=102.0)
        w.export_scalars_to_json(str(tmp_path / f"{name}2.json"))
        w.close()
        docs[name] = [{os.path.relpath(k, str(tmp_path / name)): v for k, v in json.loads((tmp_path / f).read_text()).items()}
                      for f in (f"{name}.json", f"{name}2.json")]
    assert docs["ours"] == docs["tbx"]


def test_add_hparams_tensorboardx_positional_name_and_step(tmp_path):
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_hparams({"lr": 0.1, "opt": "adam"}, {"m": 0.5}, "trial", 6)
    theirs, ours = summaries(tmp_path / "tbx"), summaries(tmp_path / "ours")
    assert sorted(ours) == sorted(theirs) and {k[0] for k in ours} == {"trial"}
    for key in theirs:
        assert ours[key] == theirs[key], key


def test_file_writer_and_all_writers_match_the_peers(tmp_path):
    """add_scalars' child runs are tensorboardX's ``<main_tag>/<key>`` (torch names them
    ``<main_tag>_<key>``); otherwise the three agree."""
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (_torch_writer(), "torch"), (SummaryWriter, "ours")):
        w = cls(str(tmp_path / name))
        base = str(tmp_path / name)
        assert w.file_writer.get_logdir() == base
        w.add_scalars("m", {"a": 1.0, "b": 2.0}, 0)
        children = [os.path.join("m", "a"), os.path.join("m", "b")] if name != "torch" else ["m_a", "m_b"]
        assert sorted(os.path.relpath(k, base) for k in w.all_writers) == [".", *children], name
        make = pytest.importorskip("torch.utils.tensorboard.summary").scalar if name == "torch" else tensorboardX.summary.scalar
        w.file_writer.add_summary(make("via_file_writer", 4.0), 9)  # ours takes either peer's protos
        w.close()
        assert w.file_writer is None and w.all_writers is None, name
    assert [k for k in summaries(tmp_path / "ours") if k[1] == "via_file_writer"] == [(".", "via_file_writer", 9)]
    assert summaries(tmp_path / "ours") == summaries(tmp_path / "tbx")
    for cls in (_torch_writer(), SummaryWriter):  # torch's log_dir attribute
        with cls(str(tmp_path / "ld")) as w:
            assert w.log_dir == str(tmp_path / "ld")


def test_add_hparams_torch_positional_form_matches_torch(tmp_path):
    """torch's order (h, m, hparam_domain_discrete, run_name, global_step); its session records
    are at global_step. (A bool hparam differs on purpose: torch declares it FLOAT64,
    tensorboardX and we BOOL.)"""
    for cls, name in ((_torch_writer(), "torch"), (SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_hparams({"lr": 0.1, "opt": "adam"}, {"m": 0.5}, {"opt": ["adam", "sgd"]}, "trial", 6)
            w.add_hparams({"lr": 0.2, "opt": "sgd"}, {"m": 0.7}, run_name="kw")
    theirs, ours = summaries(tmp_path / "torch"), summaries(tmp_path / "ours")
    assert sorted(ours) == sorted(theirs) and {k[0] for k in ours} == {"trial", "kw"}
    for key in theirs:
        assert ours[key] == theirs[key], key


def test_add_openvino_graph_has_tensorboardx_nodes_and_edges(tmp_path):
    """tensorboardX writes one node per edge (a layer with two inputs twice); we write one per
    layer. The layer names and the edges between them are the same."""
    from tbx_widget._proto import graph_pb2

    from test_writer_api import IR

    xml = tmp_path / "model.xml"
    xml.write_text(IR)
    graphs = {}
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_openvino_graph(str(xml))
        (g,) = [graph_pb2.GraphDef.FromString(e.graph_def) for e in _events(tmp_path / name) if e.graph_def]
        graphs[name] = g
    edges = {name: {(src, n.name) for n in g.node for src in n.input} for name, g in graphs.items()}
    assert edges["ours"] == edges["tbx"] == {("data", "fc"), ("weights", "fc"), ("fc", "out")}
    assert {n.name for n in graphs["tbx"].node} <= {n.name for n in graphs["ours"].node}
    assert graphs["ours"].versions.producer == graphs["tbx"].versions.producer


def test_add_image_with_boxes_tensorboardx_positional_call(tmp_path):
    """tensorboardX's (tag, img, boxes, step, walltime, dataformats) works in both; the images
    agree away from the outlines (each draws its 2-pixel lines its own way)."""
    PIL = pytest.importorskip("PIL.Image")
    import base64

    img = np.random.default_rng(0).random((20, 24, 3))
    boxes = np.array([[2, 3, 10, 12], [5, 5, 20, 18]])
    pixels = []
    for cls, name in ((tensorboardX.SummaryWriter, "tbx"), (SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_image_with_boxes("b", img, boxes, 0, None, "HWC")
        (v,) = summaries(tmp_path / name).values()
        raw = base64.b64decode(v["image"]["encodedImageString"])
        pixels.append(np.asarray(PIL.open(io.BytesIO(raw)).convert("RGB")))
    assert pixels[0].shape == pixels[1].shape == (20, 24, 3)
    near = np.zeros((20, 24), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        ring = np.zeros_like(near)
        ring[max(y0 - 2, 0):y1 + 3, max(x0 - 2, 0):x1 + 3] = True
        ring[y0 + 3:y1 - 2, x0 + 3:x1 - 2] = False
        near |= ring
    np.testing.assert_array_equal(pixels[0][~near], pixels[1][~near])
    assert (pixels[1][near] != (img[near] * 255).astype(np.uint8)).any()  # the outlines are drawn
