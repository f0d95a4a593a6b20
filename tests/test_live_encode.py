"""Batch encoding follows docs/protocol.md: the numbers decode back to what was given."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import pytest

from tbx_widget.live.encode import PROTOCOL_VERSION, BatchBuilder, mime_of


def f64(buf: bytes) -> np.ndarray:
    return np.frombuffer(buf, dtype="<f8")


def test_scalars_item_round_trips_exactly():
    b = BatchBuilder()
    step = np.array([0, 1, 2, 2**40], dtype=np.int64)
    wall = np.array([1.5, 2.5, 3.5, 4.5])
    value = np.array([0.1, np.nan, np.inf, -3.0])
    b.add_scalars("train", "loss", step, wall, value)
    batch = b.build(seq=7, reset=True, runs=["train"])
    content = json.loads(json.dumps(batch.content))  # JSON-able
    assert content["type"] == "batch" and content["protocol"] == PROTOCOL_VERSION
    assert content["seq"] == 7 and content["reset"] is True and content["runs"] == ["train"]
    (item,) = content["items"]
    assert item["kind"] == "scalars" and item["n"] == 4 and "replace" not in item
    assert f64(batch.buffers[item["step_buf"]]).tolist() == [0.0, 1.0, 2.0, float(2**40)]
    assert f64(batch.buffers[item["wall_time_buf"]]).tolist() == [1.5, 2.5, 3.5, 4.5]
    got = f64(batch.buffers[item["value_buf"]])
    assert got[0] == 0.1 and np.isnan(got[1]) and got[2] == np.inf and got[3] == -3.0
    assert batch.events == 4


def test_empty_series_adds_nothing():
    b = BatchBuilder()
    b.add_scalars("r", "t", [], [], [])
    b.add_histograms("r", "h", [])
    b.add_images("r", "i", [])
    b.add_texts("r", "x", [])
    assert not b and b.events == 0 and b.nbytes == 0 and not b.buffers


def test_histograms_pack_offsets_limits_counts_stats():
    hist = [
        NS(step=1, wall_time=10.0, bucket_limits=[0.0, 1.0], bucket_counts=[3.0, 4.0], min=-1.0, max=1.0, num=7.0, sum=2.0, sum_squares=5.0),
        NS(step=2, wall_time=11.0, bucket_limits=[1.0, 2.0, 3.0], bucket_counts=[1.0, 0.0, 2.0], min=0.5, max=3.0, num=3.0, sum=6.0, sum_squares=14.0),
    ]
    b = BatchBuilder()
    b.add_histograms("r", "w", hist)
    batch = b.build(seq=1, reset=False, runs=["r"])
    (item,) = batch.content["items"]
    assert item["n"] == 2
    assert np.frombuffer(batch.buffers[item["offsets_buf"]], "<i4").tolist() == [0, 2, 5]
    assert f64(batch.buffers[item["limits_buf"]]).tolist() == [0.0, 1.0, 1.0, 2.0, 3.0]
    assert f64(batch.buffers[item["counts_buf"]]).tolist() == [3.0, 4.0, 1.0, 0.0, 2.0]
    assert f64(batch.buffers[item["stats_buf"]]).reshape(2, 5).tolist() == [[-1, 1, 7, 2, 5], [0.5, 3, 3, 6, 14]]
    assert f64(batch.buffers[item["step_buf"]]).tolist() == [1.0, 2.0]
    assert batch.events == 2


def test_images_and_text():
    png = b"\x89PNG\r\n\x1a\n" + b"rest"
    jpeg = b"\xff\xd8\xff\xe0rest"
    b = BatchBuilder()
    b.add_images("r", "img", [NS(step=3, wall_time=1.0, index=0, width=2, height=1, encoded=png),
                              NS(step=3, wall_time=1.0, index=1, width=2, height=1, encoded=jpeg)])
    b.add_texts("r", "note", [NS(step=4, wall_time=2.0, text="<script>x</script> **hi**")])
    batch = b.build(seq=2, reset=False, runs=["r"])
    images, text = batch.content["items"]
    assert [e["mime"] for e in images["items"]] == ["image/png", "image/jpeg"]
    assert batch.buffers[images["items"][1]["data_buf"]] == jpeg
    assert text["items"] == [{"step": 4, "wall_time": 2.0, "text": "<script>x</script> **hi**"}]
    assert batch.events == 3


def test_mime_sniffing():
    assert mime_of(b"GIF89a....") == "image/gif"
    assert mime_of(b"\x89PNG....") == "image/png"
    assert mime_of(b"\xff\xd8\xff\xdb") == "image/jpeg"


def test_oversized_content_is_cut_with_a_visible_note():
    from types import SimpleNamespace as NS

    from tbx_widget.live.encode import MAX_BUCKETS, MAX_TEXT_CHARS, BatchBuilder

    b = BatchBuilder()
    k = 1_000_000
    limits = np.arange(1, k + 1, dtype=np.float64)
    h = NS(step=1, wall_time=2.0, bucket_limits=limits, bucket_counts=np.ones(k), min=0.0, max=float(k), num=k, sum=0.0, sum_squares=0.0)
    b.add_histograms("r", "h", [h])
    item = b.items[-1]
    counts = np.frombuffer(b.buffers[item["counts_buf"]], "<f8")
    got_limits = np.frombuffer(b.buffers[item["limits_buf"]], "<f8")
    assert len(counts) <= MAX_BUCKETS and counts.sum() == k and got_limits[-1] == k
    assert (np.diff(got_limits) > 0).all()

    big = NS(step=1, wall_time=2.0, index=0, width=16384, height=16384, encoded=b"\x89PNG....")
    b.add_images("r", "img", [big])
    entry = b.items[-1]["items"][0]
    assert "data_buf" not in entry and "16384x16384" in entry["note"]

    b.add_texts("r", "t", [NS(step=1, wall_time=2.0, text="x" * (MAX_TEXT_CHARS + 5))])
    entry = b.items[-1]["items"][0]
    assert len(entry["text"]) == MAX_TEXT_CHARS and "cut" in entry["note"]


def _hist(step, limits, counts):
    return NS(step=step, wall_time=1.0, bucket_limits=limits, bucket_counts=counts, min=0.0, max=1.0, num=sum(counts), sum=0.0, sum_squares=0.0)


def test_a_histogram_whose_limits_and_counts_differ_is_dropped_alone():
    good, bad = _hist(1, [1.0, 2.0], [3.0, 4.0]), _hist(2, [1.0, 2.0, 3.0], [1.0])
    b = BatchBuilder()
    with pytest.raises(ValueError, match="3 bucket limits but 1 counts"):
        b.add_histograms("r", "h", [good, bad])
    assert not b and not b.buffers and b.nbytes == 0  # a failed add leaves nothing behind
    assert b.add("histograms", "r", "h", [good, bad, _hist(3, [5.0], [6.0])]) == 1
    (item,) = b.items
    assert item["n"] == 2 and f64(b.buffers[item["step_buf"]]).tolist() == [1.0, 3.0]
    assert np.frombuffer(b.buffers[item["offsets_buf"]], "<i4").tolist() == [0, 2, 3]
    # More than MAX_BUCKETS with a mismatch used to raise "cannot reshape": dropped the same way.
    wide = _hist(4, np.arange(3000.0), np.ones(10))
    assert b.add("histograms", "r", "w", [wide]) == 1 and len(b.items) == 1


def test_non_finite_wall_times_give_strict_json():
    png = b"\x89PNG\r\n\x1a\n"
    b = BatchBuilder()
    b.add_images("r", "img", [NS(step=1, wall_time=float("nan"), index=0, width=1, height=1, encoded=png)])
    b.add_texts("r", "t", [NS(step=1, wall_time=float("inf"), text="hi"), NS(step=2, wall_time=5.0, text="ok")])
    b.add_audio("r", "a", [NS(step=1, wall_time=-float("inf"), index=0, sample_rate=float("nan"), num_channels=1,
                              length_frames=1, content_type="audio/wav", label="", encoded=b"RIFF")])
    b.add_hparams("r", "_hparams_", [NS(step=0, wall_time=float("nan"), kind="session_end", data={"status": "x", "end_time_secs": np.float32(0.5)})])
    b.add_custom_scalars("r", "cs", [NS(step=0, wall_time=float("nan"), categories=[{"title": "t", "x": float("nan")}])])
    batch = b.build(seq=1, reset=False, runs=["r"])
    content = json.loads(json.dumps(batch.content, allow_nan=False))  # strict JSON: raises on NaN
    images, text, audio, hparams, layouts = content["items"]
    assert images["items"][0]["wall_time"] is None
    assert [e["wall_time"] for e in text["items"]] == [None, 5.0]
    assert audio["items"][0]["wall_time"] is None and audio["items"][0]["sample_rate"] is None
    assert hparams["items"][0]["wall_time"] is None and hparams["items"][0]["data"]["end_time_secs"] == 0.5
    assert layouts["items"][0]["categories"] == [{"title": "t", "x": None}]


def test_add_drops_only_the_items_that_cannot_be_encoded():
    b = BatchBuilder()
    texts = [NS(step=1, wall_time=1.0, text="a"), NS(step="not a step", wall_time=1.0, text="b"), NS(step=3, wall_time=1.0, text="c")]
    assert b.add("text", "r", "t", texts) == 1
    assert [e["text"] for e in b.items[0]["items"]] == ["a", "c"]
    bad_json = NS(step=0, wall_time=1.0, kind="experiment", data=["not", "a", "record"])  # wire_record: TypeError
    assert b.add("hparams", "r", "_hparams_", [bad_json]) == 1 and len(b.items) == 1
    assert b.add("scalars", "r", "s", NS(step=np.arange(3), wall_time=np.zeros(2), value=np.zeros(3))) == 3
    assert len(b.items) == 1 and b.events == 2
    with pytest.raises(ValueError, match="kind must be one of"):
        b.add("no_such_kind", "r", "m", [])


def test_nbytes_counts_buffers_and_json_as_items_are_added():
    b = BatchBuilder()
    b.add_scalars("run", "tag", np.arange(10), np.zeros(10), np.zeros(10))
    assert 240 <= b.nbytes < 240 + 200
    before = b.nbytes
    b.add_texts("run", "t", [NS(step=1, wall_time=1.0, text="x" * 5000)])
    assert b.nbytes - before >= 5000  # text travels in the JSON: it counts toward the batch size


# -- golden batches: one protocol contract, checked from both sides (js/tests/golden.test.ts) --

GOLDEN = Path(__file__).resolve().parents[1] / "js" / "tests" / "golden"


def _num(x: float):
    """A number as the golden files write it: non-finite values as strings (JSON has none)."""
    x = float(x)
    return x if np.isfinite(x) else ("NaN" if np.isnan(x) else ("Infinity" if x > 0 else "-Infinity"))


def _nums(xs) -> list:
    return [_num(x) for x in np.asarray(xs, dtype=np.float64).tolist()]


def _golden_every_kind() -> tuple[dict, list]:
    """A batch with every kind and the edge cases of docs/protocol.md, and what a front end must
    decode from it (protocol.ts's decoded form)."""
    from tbx_widget.reader.items import (
        AudioItem, CustomScalarsItem, HistogramItem, HParamsItem, ImageItem, PrCurveItem, TextItem,
    )

    b, expect = BatchBuilder(), []
    step, wall, value = np.array([0, 1, 2**40]), np.array([1.7e9, 1.7e9 + 0.5, np.nan]), np.array([0.25, np.nan, -np.inf])
    b.add_scalars("run é/1", "loss/train", step, wall, value)
    expect.append({"kind": "scalars", "run": "run é/1", "tag": "loss/train", "step": _nums(step), "wallTime": _nums(wall), "value": _nums(value)})
    hists = [
        HistogramItem(3, 10.0, np.array([0.0, 1.0]), np.array([2.0, 5.0]), -1.0, 1.0, 7.0, 1.5, 4.0),
        HistogramItem(4, 11.0, np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 2.0]), 0.5, 3.0, 3.0, 6.0, 14.0),
    ]
    b.add_histograms("run é/1", "weights", hists)
    expect.append({"kind": "histograms", "run": "run é/1", "tag": "weights", "steps": [
        {"step": h.step, "wallTime": h.wall_time, "limits": _nums(h.bucket_limits), "counts": _nums(h.bucket_counts),
         "min": h.min, "max": h.max, "num": h.num, "sum": h.sum, "sumSquares": h.sum_squares} for h in hists]})
    png, gif = b"\x89PNG\r\n\x1a\nIHDR", b"GIF89a\x01\x00"
    b.add_images("b", "img", [ImageItem(5, float("nan"), 0, 2, 1, png), ImageItem(5, 12.0, 1, 8192, 8192, gif)])
    expect.append({"kind": "images", "run": "b", "tag": "img", "entries": [
        {"step": 5, "wallTime": "NaN", "index": 0, "width": 2, "height": 1, "mime": "image/png", "data": list(png)},
        {"step": 5, "wallTime": 12.0, "index": 1, "width": 8192, "height": 8192, "mime": "image/gif",
         "note": b.items[-1]["items"][1]["note"]}]})
    b.add_texts("b", "notes", [TextItem(6, float("inf"), "**bold** <script>x</script> ✓")])
    expect.append({"kind": "text", "run": "b", "tag": "notes", "entries": [
        {"step": 6, "wallTime": "NaN", "text": "**bold** <script>x</script> ✓"}]})
    prs = [PrCurveItem(7, 13.0, np.array([0.0, 1.0]), *(np.array([a, a + 1.0]) for a in range(6))),
           PrCurveItem(8, 14.0, np.array([0.0, 0.5, 1.0]), *(np.array([a, a + 0.5, a + 1.0]) for a in range(6)))]
    b.add_pr_curves("b", "pr", prs)
    expect.append({"kind": "pr_curves", "run": "b", "tag": "pr", "steps": [
        {"step": p.step, "wallTime": p.wall_time, **{k: _nums(getattr(p, k)) for k in ("tp", "fp", "tn", "fn", "precision", "recall")}}
        for p in prs]})
    wav = b"RIFF\x00\x00\x00\x00WAVE"
    b.add_audio("b", "snd", [AudioItem(9, 15.0, 0, wav, 8000.0, 1, 4, "audio/wav", "clip")])
    expect.append({"kind": "audio", "run": "b", "tag": "snd", "entries": [
        {"step": 9, "wallTime": 15.0, "index": 0, "sampleRate": 8000.0, "numChannels": 1, "lengthFrames": 4,
         "mime": "audio/wav", "label": "clip", "data": list(wav)}]})
    b.add_hparams("b/hp", "_hparams_/experiment", [
        HParamsItem(0, 16.0, "experiment", {"hparams": [{"name": "lr", "display_name": "LR", "type": "DATA_TYPE_FLOAT64"}],
                                            "metrics": [{"tag": "acc", "group": "", "display_name": ""}]}),
        HParamsItem(0, 16.0, "session_start", {"hparams": {"lr": 0.1, "opt": "adam", "bn": True, "bad": float("nan")}, "group_name": "g"}),
        HParamsItem(0, 17.0, "session_end", {"status": "STATUS_SUCCESS"}),
    ])
    expect.append({"kind": "hparams", "run": "b/hp", "tag": "_hparams_/experiment", "entries": [
        {"record": "experiment", "step": 0, "wallTime": 16.0, "hparams": [{"name": "lr", "displayName": "LR", "type": "DATA_TYPE_FLOAT64"}],
         "metrics": [{"tag": "acc", "group": "", "displayName": ""}]},
        {"record": "session_start", "step": 0, "wallTime": 16.0, "hparams": {"lr": 0.1, "opt": "adam", "bn": True, "bad": None}, "groupName": "g"},
        {"record": "session_end", "step": 0, "wallTime": 17.0, "status": "STATUS_SUCCESS"}]})
    categories = [{"title": "losses", "closed": False, "charts": [
        {"title": "all", "kind": "multiline", "tags": ["loss.*"]},
        {"title": "band", "kind": "margin", "series": [{"value": "m", "lower": "lo", "upper": "hi"}]}]}]
    b.add_custom_scalars("b", "custom_scalars__config__", [CustomScalarsItem(0, 18.0, categories)])
    expect.append({"kind": "custom_scalars", "run": "b", "tag": "custom_scalars__config__", "entries": [
        {"step": 0, "wallTime": 18.0, "categories": categories}]})
    from tbx_widget.reader.graphs import GraphItem, GraphNode

    graph = GraphItem(0, 19.0, "graph_def", (
        GraphNode("input/x", "IO Node", (), "", (2, -1), ""), GraphNode("Net/fc/y", "aten::linear", ("input/x",), "/cpu:0", None, "attr= {}")), b"")
    b.add_graphs("b", "graph_def", [graph])
    expect.append({"kind": "graphs", "run": "b", "tag": "graph_def", "entries": [{"step": 0, "wallTime": 19.0, "source": "graph_def", "nodes": [
        {"name": "input/x", "op": "IO Node", "inputs": [], "device": "", "shape": [2, -1], "attr": ""},
        {"name": "Net/fc/y", "op": "aten::linear", "inputs": ["input/x"], "device": "/cpu:0", "shape": None, "attr": "attr= {}"}]}]})
    from tbx_widget.reader.items import CurveItem, SurfaceItem

    b.add_curves("b", "fit", [CurveItem(20, 21.0, np.array([0.0, 0.5, 1.0]), np.array([[1.0, np.nan, 3.0], [-1.0, 0.0, 1e300]]), ["model", "data"])])
    expect.append({"kind": "curves", "run": "b", "tag": "fit", "entries": [{"step": 20, "wallTime": 21.0, "names": ["model", "data"],
                   "x": [0.0, 0.5, 1.0], "ys": [[1.0, "NaN", 3.0], [-1.0, 0.0, 1e300]]}]})
    b.add_surfaces("b", "loss", [SurfaceItem(21, float("nan"), np.array([0.0, 1.0]), np.array([-1.0]), np.array([[2.0, np.nan]]))])
    expect.append({"kind": "surfaces", "run": "b", "tag": "loss", "entries": [{"step": 21, "wallTime": "NaN", "nx": 2, "ny": 1,
                   "x": [0.0, 1.0], "y": [-1.0], "z": [2.0, "NaN"]}]})
    from tbx_widget.reader.items import MeshItem

    b.add_meshes("b", "bunny", [MeshItem(22, 23.0, np.array([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]]), np.array([[[0, 1, 2]]]),
                                          np.array([[[255.0, 0, 0], [0, 255, 0], [0, 0, 255]]]), {"camera": {"fov": 75}})])
    expect.append({"kind": "meshes", "run": "b", "tag": "bunny", "entries": [{"step": 22, "wallTime": 23.0,
                   "vertices": [0.0, 0, 0, 1, 0, 0, 0, 1, 0], "colors": [255.0, 0, 0, 0, 255, 0, 0, 0, 255], "faces": [0, 1, 2]}]})
    batch = b.build(seq=4, reset=True, runs=["run é/1", "b", "b/hp"])
    from tbx_widget.reader import KINDS

    return {"content": batch.content, "events": batch.events, "kinds": list(KINDS), "expect": expect}, batch.buffers


def test_the_encoder_takes_every_kind_the_reader_reads():
    from tbx_widget.live.encode import _ADDERS
    from tbx_widget.reader import KINDS

    assert list(_ADDERS) == list(KINDS)
    assert sorted(i["kind"] for i in _golden_every_kind()[0]["content"]["items"]) == sorted(KINDS)  # goldens cover all


def test_golden_batches_are_what_the_encoder_writes():
    """js/tests/golden/*.json hold batches from this encoder and what a front end must decode
    from them; the vitest golden.test.ts decodes them. Regenerate after a deliberate protocol
    change: TBX_UPDATE_GOLDEN=1 pytest tests/test_live_encode.py -k golden"""
    import base64
    import os

    golden, buffers = _golden_every_kind()
    golden["buffers"] = [base64.b64encode(x).decode() for x in buffers]
    text = json.dumps(golden, allow_nan=False, ensure_ascii=False, indent=1) + "\n"
    path = GOLDEN / "every_kind.json"
    if os.environ.get("TBX_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, "the encoder's output changed: see this test's docstring"


def _golden_overview() -> tuple[dict, list]:
    """A batch of a scalar overview (docs/protocol.md, "Overviews") and a full scalar item."""
    from tbx_widget.reader import KINDS

    b, expect = BatchBuilder(), []
    step, wall, value = np.array([0, 500, 999]), np.array([1.7e9, 1.7e9 + 5, 1.7e9 + 9.99]), np.array([1.0, -3.5, np.nan])
    b.add_scalars("lr=0.1", "loss", step, wall, value, overview=True)
    expect.append({"kind": "scalars", "run": "lr=0.1", "tag": "loss", "step": _nums(step), "wallTime": _nums(wall), "value": _nums(value), "overview": True})
    b.add_scalars("lr=0.2", "loss", step[:2], wall[:2], value[:2])
    expect.append({"kind": "scalars", "run": "lr=0.2", "tag": "loss", "step": _nums(step[:2]), "wallTime": _nums(wall[:2]), "value": _nums(value[:2])})
    batch = b.build(seq=1, reset=True, runs=["lr=0.1", "lr=0.2"])
    assert batch.events == 2  # an overview counts no events: its full data does
    return {"content": batch.content, "events": batch.events, "kinds": list(KINDS), "expect": expect}, batch.buffers


def _golden_on_request() -> tuple[dict, list]:
    """Full data on request (docs/protocol.md): an overview marked on_request, then the answer
    to a "want", marked whole."""
    from tbx_widget.reader import KINDS

    b, expect = BatchBuilder(), []
    step, wall, value = np.array([0, 500, 999]), np.array([1.7e9, 1.7e9 + 5, 1.7e9 + 9.99]), np.array([1.0, -3.5, np.nan])
    b.add_scalars("lr=0.1", "loss", step, wall, value, overview=True, on_request=True)
    expect.append({"kind": "scalars", "run": "lr=0.1", "tag": "loss", "step": _nums(step), "wallTime": _nums(wall), "value": _nums(value),
                   "overview": True, "onRequest": True})
    b.add_scalars("lr=0.1", "loss", step, wall, value, whole=True)
    expect.append({"kind": "scalars", "run": "lr=0.1", "tag": "loss", "step": _nums(step), "wallTime": _nums(wall), "value": _nums(value), "whole": True})
    batch = b.build(seq=7, reset=False, runs=["lr=0.1"])
    assert batch.events == 3  # the answer counts its points, the overview none
    return {"content": batch.content, "events": batch.events, "kinds": list(KINDS), "expect": expect}, batch.buffers


@pytest.mark.parametrize("name, make", [("every_kind", _golden_every_kind), ("overview", _golden_overview), ("on_request", _golden_on_request)])
def test_golden_batch_files_are_what_the_encoder_writes(name, make):
    """Each js/tests/golden/<name>.json (see test_golden_batches_are_what_the_encoder_writes)."""
    import base64
    import os

    golden, buffers = make()
    golden["buffers"] = [base64.b64encode(x).decode() for x in buffers]
    text = json.dumps(golden, allow_nan=False, ensure_ascii=False, indent=1) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("TBX_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, "the encoder's output changed: see this test's docstring"


def test_rebucketing_keeps_the_right_edge_of_each_groups_last_bucket():
    from tbx_widget.live.encode import MAX_BUCKETS, _rebucket

    k = 3 * MAX_BUCKETS + 5  # groups of 4, the last one short
    limits, counts = np.arange(1.0, k + 1), np.arange(k, dtype=np.float64)
    h = _rebucket(_hist(1, limits, counts))
    assert len(h.bucket_limits) == len(h.bucket_counts) == -(-k // 4) <= MAX_BUCKETS
    assert h.bucket_limits.tolist() == limits[3::4].tolist() + [float(k)]
    assert h.bucket_counts[0] == 0 + 1 + 2 + 3 and h.bucket_counts[-1] == k - 1 and h.bucket_counts.sum() == counts.sum()
