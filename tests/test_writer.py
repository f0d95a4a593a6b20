"""SummaryWriter: every method read back by load() and, where TensorBoard is installed, by
TensorBoard's own loaders (only the checks that use them are skipped without it)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import wave

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget._proto import event_pb2
from tbx_widget.records import RecordReader


def accumulator(path):
    """TensorBoard's EventAccumulator over ``path``, fully loaded (the test is skipped from this
    point on when tensorboard is not installed: the checks before it have run)."""
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea.EventAccumulator(str(path), size_guidance={k: 0 for k in (ea.SCALARS, ea.HISTOGRAMS, ea.IMAGES, ea.AUDIO, ea.TENSORS)})
    acc.Reload()
    return acc


def make_ndarray(tensor_proto):
    """TensorBoard's own TensorProto decoding (skips the rest of the test without tensorboard)."""
    return pytest.importorskip("tensorboard.util.tensor_util").make_ndarray(tensor_proto)


def events(path):
    files = sorted(f for f in os.listdir(path) if "tfevents" in f)
    out = []
    for f in files:
        out += [event_pb2.Event.FromString(r) for r in RecordReader(os.path.join(path, f)).read()]
    return out


def test_scalars_read_back_everywhere(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(100):
            w.add_scalar("loss", 1 / (step + 1), step, walltime=1000.0 + step)
            w.add_scalar("acc", np.float32(step / 100), global_step=np.int64(step))
        w.add_scalar("torch_style", 2.5, 3, new_style=True)
        w.add_scalar("double", 1 / 3, 3, double_precision=True)
        w.add_scalar("named", 1.0, 0, display_name="Named", summary_description="a description")
    logs = load(tmp_path)
    s = logs.scalars(".", "loss")
    np.testing.assert_array_equal(s.value, [np.float32(1 / (x + 1)) for x in range(100)])
    assert s.wall_time.tolist() == [1000.0 + x for x in range(100)]
    assert logs.scalars(".", "double").value.tolist() == [1 / 3]
    assert logs.scalars(".", "torch_style").value.tolist() == [2.5]
    np.testing.assert_array_equal(logs.scalars(".", "acc").step, np.arange(100))
    acc = accumulator(tmp_path)
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == list(range(100))
    np.testing.assert_allclose([e.value for e in loss], [np.float32(1 / (s + 1)) for s in range(100)])
    assert [e.wall_time for e in loss] == [1000.0 + s for s in range(100)]
    assert float(make_ndarray(acc.Tensors("double")[0].tensor_proto)) == 1 / 3
    assert float(make_ndarray(acc.Tensors("torch_style")[0].tensor_proto)) == 2.5
    assert acc.SummaryMetadata("named").display_name == "Named"


def test_scalar_encoder_is_byte_identical_to_protobuf():
    from tbx_widget.summary.scalar import encode_scalar_events

    points = [("loss", 0.5, 0, 1.5), ("ü" * 300, 1e39, -5, 1.7e9), ("x", float("nan"), 2**40, 0.0), ("t", -0.0, 16384, 1.0)]
    for p, data in zip(points, encode_scalar_events(points)):
        e = event_pb2.Event(wall_time=p[3], step=p[2])
        e.summary.value.add(tag=p[0], simple_value=p[1])
        assert data == e.SerializeToString()


def test_add_scalars_uses_tensorboardx_sub_runs(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("run/loss", {"train": step, "val": step * 2}, step)
    logs = load(tmp_path)
    assert logs.runs == [".", "run/loss/train", "run/loss/val"]  # "." holds only the file header, as with tensorboardX
    assert logs.scalars("run/loss/val", "run/loss").value.tolist() == [0, 2, 4]


def test_histograms(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(3, 2, 5000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", data, 1)
        w.add_histogram("auto", data, 2, bins="auto")
        w.add_histogram("ten", data, 3, bins=10)
        w.add_histogram("edges", data, 4, bins=[-10, 0, 3, 20])
        w.add_histogram("capped", data, 5, max_bins=20)
        w.add_histogram_raw("raw", 0, 3, 6, 9, 21, [1, 2, 3], [1, 2, 3], 6)
    logs = load(tmp_path)
    (h,) = logs.histograms(".", "w")
    assert (h.min, h.max, h.num) == (data.min(), data.max(), 5000)
    assert h.bucket_counts.sum() == 5000 and h.sum == pytest.approx(data.sum())
    for tag, buckets in (("ten", 11), ("edges", 4)):
        (item,) = logs.histograms(".", tag)
        assert item.bucket_counts.sum() == 5000 and len(item.bucket_limits) == buckets
    (edges,) = logs.histograms(".", "edges")
    assert edges.bucket_limits.tolist() == [-10, 0, 3, 20]
    assert edges.bucket_counts.tolist() == [0, np.sum(data < 0), np.sum((data >= 0) & (data < 3)), np.sum(data >= 3)]
    (capped,) = logs.histograms(".", "capped")
    assert len(capped.bucket_counts) <= 20 and capped.bucket_counts.sum() == 5000
    (raw,) = logs.histograms(".", "raw")
    assert raw.bucket_counts.tolist() == [1, 2, 3] and raw.sum_squares == 21
    h = accumulator(tmp_path).Histograms("w")[0].histogram_value
    assert (h.min, h.max, h.num) == (data.min(), data.max(), 5000)
    assert sum(h.bucket) == 5000 and h.sum == pytest.approx(data.sum())


def test_default_buckets_match_a_binary_search_on_every_kind_of_value(tmp_path):
    from tbx_widget.summary.histogram import _bucket, _upper_edges, numpy_counts, tensorflow_counts, tensorflow_edges

    rng = np.random.default_rng(1)
    edges = tensorflow_edges()
    special = np.concatenate([edges[1:-1], np.nextafter(edges[1:-1], -np.inf), np.nextafter(edges[1:-1], np.inf),
                              [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1e19, -1e19, 1e30, -1e30]])
    for x in (rng.normal(size=100_003), rng.standard_cauchy(70_000) * 1e3, special, rng.normal(size=9).astype(np.float32)):
        # Reference: the bucket [edges[i], edges[i+1]) by binary search, outer buckets open.
        ref = np.searchsorted(_upper_edges(), x.astype(np.float64), side="right")
        np.clip(ref, 0, len(edges) - 2, out=ref)
        expected = np.bincount(ref, minlength=len(edges) - 1)
        assert np.array_equal(tensorflow_counts(x), expected), x.dtype  # compiled kernel where built
        assert np.array_equal(numpy_counts(x), expected), x.dtype  # the numpy fallback
        assert _bucket(x)[1:] == (x.min(), x.max())
    # Inputs the kernel does not take as they are go to numpy: strided, big-endian, float16.
    y = rng.normal(size=2001)
    for odd in (y[::2], y.astype(">f8"), y.astype(np.float16)):
        ref = np.clip(np.searchsorted(_upper_edges(), odd.astype(np.float64), side="right"), 0, len(edges) - 2)
        assert np.array_equal(tensorflow_counts(odd), np.bincount(ref, minlength=len(edges) - 1))


def test_compiled_histogram_kernel_is_built_where_a_compiler_is():
    import shutil
    import sysconfig

    from tbx_widget.summary import histogram

    if shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) is None:
        pytest.skip("no C compiler here: the numpy path is the only one")
    assert histogram._native is not None, "hatch_build.py should have compiled tbx_widget/_native.c"


def test_histogram_is_of_the_values_at_call_time(tmp_path):
    weights = np.ones(1000, dtype=np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", weights, 0)
        weights *= 5  # an optimizer updating in place right after logging
        w.add_histogram("w", weights, 1)
    first, second = load(tmp_path).histograms(".", "w")
    assert (first.max, first.sum, second.max, second.sum) == (1.0, 1000.0, 5.0, 5000.0)


def test_histogram_leaves_out_nan_with_a_warning(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.warns(UserWarning, match="left out 2 NaN or infinite"):
            w.add_histogram("h", [1.0, np.nan, np.inf, 2.0], 0)
    (item,) = load(tmp_path).histograms(".", "h")
    assert item.num == 2 and item.max == 2.0


def _png_pixels(encoded):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(encoded)))


def test_images_every_layout_and_no_wrapping(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    chw = rng.random((3, 5, 7)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", chw, 0)
        w.add_image("hwc", np.transpose(chw, (1, 2, 0)), 0, dataformats="HWC")
        w.add_image("hw", (chw[0] * 255).astype(np.uint8), 0, dataformats="HW")
        w.add_image("over", np.full((1, 2, 2), 1.5), 0)  # above 1: clipped to 255, never wrapped
        w.add_images("batch", rng.random((10, 3, 4, 6)), 0)
        w.add_image_with_boxes("boxes", np.zeros((3, 20, 20)), np.array([[2, 2, 10, 12]]), 0, labels=["cat"])
    logs = load(tmp_path)
    expected = (np.transpose(chw, (1, 2, 0)) * 255).astype(np.uint8)
    for tag in ("chw", "hwc"):
        (im,) = logs.images(".", tag)
        assert (im.width, im.height) == (7, 5)
        np.testing.assert_array_equal(_png_pixels(im.encoded), expected)
    np.testing.assert_array_equal(_png_pixels(logs.images(".", "hw")[0].encoded), (chw[0] * 255).astype(np.uint8))
    assert (_png_pixels(logs.images(".", "over")[0].encoded) == 255).all()
    grid = logs.images(".", "batch")[0]
    assert (grid.width, grid.height) == (8 * 6, 2 * 4)
    boxed = _png_pixels(logs.images(".", "boxes")[0].encoded)
    assert tuple(boxed[2, 5]) == (255, 0, 0) and tuple(boxed[6, 6]) == (0, 0, 0)
    acc = accumulator(tmp_path)
    assert acc.Images("chw")[0].width == 7


def test_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [0, 1])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 0)
        w.add_figure("figs", [plt.figure(figsize=(1, 1), dpi=40), plt.figure(figsize=(1, 1), dpi=40)], 0)
    logs = load(tmp_path)
    assert (logs.images(".", "fig")[0].width, logs.images(".", "fig")[0].height) == (100, 50)
    assert logs.images(".", "figs")[0].width == 80
    assert not plt.get_fignums()  # closed


def test_video_is_an_animated_gif(tmp_path):
    pytest.importorskip("PIL")
    with SummaryWriter(tmp_path) as w:
        w.add_video("v", np.random.default_rng(0).random((2, 5, 3, 8, 8)), 0, fps=10)
    (im,) = load(tmp_path).images(".", "v")
    assert im.encoded[:6] == b"GIF89a" and (im.width, im.height) == (16, 8)
    from PIL import Image

    assert Image.open(io.BytesIO(im.encoded)).n_frames == 5


def test_text_and_audio(tmp_path):
    t = np.linspace(0, 1, 800)
    with SummaryWriter(tmp_path) as w:
        w.add_text("note", "**bold** <b>x</b> ü", 3)
        w.add_audio("mono", np.sin(2 * np.pi * 440 * t), 1, sample_rate=8000)
        w.add_audio("stereo", np.stack([np.sin(t), np.cos(t)]), 1, sample_rate=8000)
    logs = load(tmp_path)
    assert logs.texts(".", "note/text_summary")[0].text == "**bold** <b>x</b> ü"
    mono, stereo = logs.audio(".", "mono")[0], logs.audio(".", "stereo")[0]
    assert (mono.num_channels, mono.length_frames, mono.sample_rate) == (1, 800, 8000)
    assert stereo.num_channels == 2
    with wave.open(io.BytesIO(stereo.encoded)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 8000, 800)
    acc = accumulator(tmp_path)
    assert acc.Tensors("note/text_summary")[0].tensor_proto.string_val == ["**bold** <b>x</b> ü".encode()]
    assert acc.Audio("mono")[0].sample_rate == 8000


def test_pr_curves_match_tensorboardx(tmp_path):
    tbx_summary = pytest.importorskip("tensorboardX.summary")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200).astype(bool)
    preds = rng.random(200)
    weights = rng.random(200)
    with SummaryWriter(tmp_path) as w:
        w.add_pr_curve("pr", labels, preds, 1, weights=weights)
        w.add_pr_curve("small", labels, preds, 1, num_thresholds=5)
    (item,) = load(tmp_path).pr_curves(".", "pr")
    ref = tbx_summary.pr_curve("pr", labels, preds, num_thresholds=127, weights=weights)
    table = make_ndarray(ref.value[0].tensor)
    np.testing.assert_allclose(np.stack([item.tp, item.fp, item.tn, item.fn, item.precision, item.recall]), table, rtol=1e-5)
    assert len(load(tmp_path).pr_curves(".", "small")[0].thresholds) == 5


def test_hparams_in_a_child_run_with_bools_kept(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "bn": True, "opt": "adam", "layers": 3}, {"acc": 0.9}, name="trial1")
        w.add_hparams({"lr": 0.2, "bn": False, "opt": "sgd", "layers": 4}, {"acc": 0.8}, run_name="trial2")
    logs = load(tmp_path)
    rows = {r["run"]: r for r in logs.hparams_table()}
    assert rows["trial1"]["hparams"] == {"bn": True, "layers": 3.0, "lr": 0.1, "opt": "adam"}
    assert rows["trial2"]["metrics"] == {"acc": pytest.approx(0.8)}
    assert rows["trial1"]["status"] == "STATUS_SUCCESS"
    plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")

    acc = accumulator(tmp_path / "trial1")
    content = acc.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert start.hparams["bn"].bool_value is True and start.hparams["opt"].string_value == "adam"


def test_custom_scalars_layout(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_custom_scalars({"losses": {"both": ["Multiline", ["loss/train", "loss/val"]], "band": ["Margin", ["m", "lo", "hi"]]}})
        w.add_custom_scalars_multilinechart(["a", "b"], category="cat", title="t")
    items = load(tmp_path).custom_scalars(".")
    assert items[0].categories[0]["charts"] == [
        {"title": "both", "kind": "multiline", "tags": ["loss/train", "loss/val"]},
        {"title": "band", "kind": "margin", "series": [{"value": "m", "lower": "lo", "upper": "hi"}]},
    ]
    layout_pb2 = pytest.importorskip("tensorboard.plugins.custom_scalar.layout_pb2")
    acc = accumulator(tmp_path)
    raw = make_ndarray(acc.Tensors("custom_scalars__config__")[1].tensor_proto).item()
    assert layout_pb2.Layout.FromString(raw).category[0].title == "cat"


def test_embedding_projector_files(tmp_path):
    mat = np.arange(12, dtype=float).reshape(4, 3)
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(mat, metadata=["a", "b", "c", "d"], label_img=np.zeros((4, 3, 2, 2)), global_step=7, tag="emb")
    folder = tmp_path / "00007" / "emb"
    rows = [list(map(float, line.split("\t"))) for line in (folder / "tensors.tsv").read_text().splitlines()]
    assert rows == mat.tolist()
    assert (folder / "metadata.tsv").read_text().splitlines() == ["a", "b", "c", "d"]
    config = (tmp_path / "projector_config.pbtxt").read_text()
    pytest.importorskip("tensorboard.plugins.projector")
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    parsed = text_format.Parse(config, ProjectorConfig())
    (e,) = parsed.embeddings
    assert e.tensor_path == "00007/emb/tensors.tsv" and list(e.sprite.single_image_dim) == [2, 2]


def test_purge_step_written_once_and_honoured(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for s in range(10):
            w.add_scalar("loss", float(s), s)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        for s in range(5, 8):
            w.add_scalar("loss", 100.0 + s, s)
        w.close()
        w.add_scalar("loss", 200.0, 8)  # reopening after close does not purge again
    starts = [e for e in events(tmp_path) if e.HasField("session_log")]
    assert len(starts) == 1 and starts[0].step == 5
    assert load(tmp_path).scalars(".", "loss").value.tolist() == [0, 1, 2, 3, 4, 105, 106, 107, 200]
    assert [e.value for e in accumulator(tmp_path).Scalars("loss")] == [0, 1, 2, 3, 4, 105, 106, 107, 200]


def test_constructor_defaults_and_aliases(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp")
    assert w.logdir.startswith("runs" + os.sep) and w.logdir.endswith("_exp") and os.path.isdir(w.logdir)
    assert w.get_logdir() == w.logdir
    w.close()
    w2 = SummaryWriter(log_dir="other", flush_secs=0.5, filename_suffix=".x")
    assert w2.logdir == "other" and os.listdir("other")[0].endswith(".x")
    w2.close()
    w3 = SummaryWriter("nowhere", write_to_disk=False)
    w3.add_scalar("a", 1.0, 0)
    w3.close()
    assert not os.path.exists("nowhere")
    with pytest.raises(TypeError, match="some_future_option"):  # unknown keywords raise, as in the peers (issue 17)
        SummaryWriter("kw", max_queue=100, some_future_option=True)
    w4 = SummaryWriter("kw", max_queue=100)
    w4.close()
    w4.close()  # idempotent


def test_flush_makes_events_visible_to_another_process(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    for s in range(50):
        w.add_scalar("x", float(s), s)
    w.flush()
    code = f"import tbx_widget; print(len(tbx_widget.load({str(tmp_path)!r}).scalars('.', 'x')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "50"
    w.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_writer_inherited_across_fork_writes_its_own_file(tmp_path):
    w = SummaryWriter(tmp_path)
    w.add_scalar("x", 1.0, 0)
    pid = os.fork()
    if pid == 0:  # child: log and exit without running the parent's atexit hooks
        try:
            w.add_scalar("x", 2.0, 1)
            w.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    w.add_scalar("x", 3.0, 2)
    w.close()
    files = [f for f in os.listdir(tmp_path) if "tfevents" in f]
    assert len(files) == 2
    assert sorted(load(tmp_path).scalars(".", "x").value.tolist()) == [1.0, 2.0, 3.0]


def test_add_onnx_graph_without_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if onnx were not installed
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ImportError, match=r"pip install 'tbx-widget\[onnx\]'"):
            w.add_onnx_graph("model.onnx")


def test_works_as_huggingface_tb_writer(tmp_path):
    """transformers' TensorBoardCallback(tb_writer=...) drives our writer through a training run."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from transformers import TrainerControl, TrainerState, TrainingArguments
    from transformers.integrations import TensorBoardCallback

    writer = SummaryWriter(tmp_path / "hf")
    cb = TensorBoardCallback(tb_writer=writer)
    args = TrainingArguments(output_dir=str(tmp_path / "out"), report_to=[])
    state, control = TrainerState(), TrainerControl()
    cb.on_train_begin(args, state, control)
    for step in range(1, 4):
        state.global_step = step
        cb.on_log(args, state, control, logs={"loss": 1.0 / step, "learning_rate": 1e-3, "note": "text"})
    cb.on_train_end(args, state, control)
    logs = load(tmp_path / "hf")
    tags = logs.tags(".")
    assert logs.scalars(".", "train/loss").value.tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert "args/text_summary" in tags["text"]
    assert json.loads(logs.texts(".", "args/text_summary")[0].text)["output_dir"] == str(tmp_path / "out")
    assert transformers.__version__


def test_torch_tensors_are_accepted_without_importing_torch_ourselves(tmp_path):
    torch = pytest.importorskip("torch")
    weights = torch.nn.Linear(4, 3).weight  # requires grad
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", torch.tensor(0.25), torch.tensor(3))
        w.add_histogram("w", weights, 1)
        w.add_image("img", torch.rand(3, 4, 5), 1)
        w.add_pr_curve("pr", torch.tensor([0, 1, 1]), torch.tensor([0.2, 0.7, 0.9]), 1)
        w.add_scalar("bf16", torch.tensor(1.5, dtype=torch.bfloat16), 0)
    logs = load(tmp_path)
    assert logs.scalars(".", "loss").value.tolist() == [0.25] and logs.scalars(".", "loss").step.tolist() == [3]
    assert logs.histograms(".", "w")[0].num == 12
    assert (logs.images(".", "img")[0].width, logs.images(".", "img")[0].height) == (5, 4)
    assert logs.scalars(".", "bf16").value.tolist() == [1.5]


def test_load_while_another_process_appends(tmp_path):
    code = (
        "import time\nfrom tbx_widget import SummaryWriter\n"
        f"w = SummaryWriter({str(tmp_path)!r}, flush_secs=0.05)\n"
        "for s in range(300):\n    w.add_scalar('x', float(s), s)\n    time.sleep(0.002)\nw.close()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    seen = []
    logs = None
    while proc.poll() is None:
        if logs is None:
            try:
                logs = load(tmp_path)
            except FileNotFoundError:
                continue
        logs.refresh()
        if "." in logs.runs and "x" in logs.tags(".")["scalars"]:
            seen.append(len(logs.scalars(".", "x")))
    assert proc.returncode == 0
    logs = logs or load(tmp_path)
    logs.refresh()
    s = logs.scalars(".", "x")
    assert s.step.tolist() == list(range(300)) and s.value.tolist() == [float(v) for v in range(300)]
    assert seen == sorted(seen)  # only ever grew, never a torn or repeated record
