"""load(): what was written is what is read, by both decoding paths, incrementally."""
from __future__ import annotations

import io
import os
import struct
import wave

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tbx_widget._proto import event_pb2, hparams_pb2, layout_pb2, summary_pb2, tensor_pb2
from tbx_widget.event_file import EventFileWriter
from tbx_widget.reader import Logs, load
from tbx_widget.reader.spans import crc32c_rows, scan_spans
from tbx_widget.records import CorruptRecordWarning, encode_record, scan_records

import google_crc32c


def ev(step=0, wall=1000.0, **kw):
    return event_pb2.Event(step=step, wall_time=wall, **kw)


def scalar_event(step, value, tag="loss", wall=None):
    e = ev(step, 1000.0 + step if wall is None else wall)
    e.summary.value.add(tag=tag, simple_value=value)
    return e


def write_file(path, events, *, header=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as f:
        if header:
            f.write(encode_record(ev(wall=1.0, file_version="brain.Event:2").SerializeToString()))
        for e in events:
            f.write(encode_record(e.SerializeToString()))


def tensor_value(tag, plugin, tensor, content=b""):
    v = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    v.metadata.plugin_data.plugin_name = plugin
    v.metadata.plugin_data.content = content
    return v


def summary_event(step, *values, wall=None):
    e = ev(step, 1000.0 + step if wall is None else wall)
    e.summary.value.extend(values)
    return e


def string_tensor(values, shape):
    t = tensor_pb2.TensorProto(dtype=7, string_val=values)
    for d in shape:
        t.tensor_shape.dim.add(size=d)
    return t


# -- scalars ---------------------------------------------------------------------------------


def test_scalars_round_trip_every_encoding(logdir):
    """simple_value (fast path), float and double tensors (TF2 / torch new_style)."""
    events = []
    for step in range(300):
        events.append(scalar_event(step, step * 0.25, tag="simple"))
        t32 = tensor_pb2.TensorProto(dtype=1, float_val=[step * 0.5])
        t64 = tensor_pb2.TensorProto(dtype=2, double_val=[step / 3])
        events.append(summary_event(step, tensor_value("f32", "scalars", t32), tensor_value("f64", "scalars", t64)))
    write_file(logdir / "events.out.tfevents.1.a", events)
    logs = load(logdir)
    assert logs.runs == ["."]
    assert logs.tags(".")["scalars"] == ["simple", "f32", "f64"]
    s = logs.scalars(".", "simple")
    assert s.step.dtype == np.int64 and s.value.dtype == np.float64 and s.wall_time.dtype == np.float64
    np.testing.assert_array_equal(s.step, np.arange(300))
    np.testing.assert_array_equal(s.value, np.arange(300) * 0.25)
    np.testing.assert_array_equal(s.wall_time, 1000.0 + np.arange(300))
    np.testing.assert_array_equal(logs.scalars(".", "f32").value, np.arange(300) * 0.5)
    np.testing.assert_array_equal(logs.scalars(".", "f64").value, np.arange(300) / 3)


@pytest.fixture(params=["compiled", "numpy"])
def scalar_kernel(request):
    """Run a test with the compiled scalar decoder and with the numpy one."""
    from tbx_widget.reader import fast_scalars as fs

    if request.param == "compiled" and fs._native is None:
        pytest.skip("the compiled kernel is not built here")
    native = fs._native
    if request.param == "numpy":
        fs._native = None
    yield request.param
    fs._native = native


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "loss", "x" * 40, "ü/ñ", "train/accuracy", "t" * 100, ""]),
            st.integers(-(2**40), 2**62),
            st.floats(width=32, allow_nan=False),
            st.floats(0, 2e9),
        ),
        min_size=1,
        max_size=80,
    ),
    st.integers(7, 4096),
)
def test_fast_path_agrees_with_protobuf(scalar_kernel, tmp_path_factory, points, chunk):
    """Whatever the tags, steps (0, negative, huge) and chunking, the vectorised scalar path
    returns exactly what protobuf decodes, in order."""
    d = tmp_path_factory.mktemp("fast")
    write_file(d / "events.out.tfevents.1.x", [scalar_event(s, v, tag=t, wall=w) for t, s, v, w in points])
    logs = Logs(d, chunk_size=chunk)
    logs.refresh()
    expected: dict[str, list[tuple[int, float, float]]] = {}
    for t, s, v, w in points:
        expected.setdefault(t, []).append((s, w, float(np.float32(v))))
    assert logs.tags(".")["scalars"] == list(expected)
    for tag, pts in expected.items():
        got = logs.scalars(".", tag)
        assert list(zip(got.step.tolist(), got.wall_time.tolist(), got.value.tolist())) == pts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(-(2**63), 2**63 - 1), st.floats(width=32)), min_size=1, max_size=60),
       st.lists(st.tuples(st.integers(0, 10**5), st.integers(0, 255)), max_size=6))
def test_compiled_scalar_decoder_equals_the_numpy_one(points, flips):
    """Byte for byte, including damaged records (which both must leave to protobuf alike)."""
    from tbx_widget.reader import fast_scalars as fs

    if fs._native is None:
        pytest.skip("the compiled kernel is not built here")
    records = [scalar_event(s, v, tag=f"tag{t}" * (1 + t % 3)).SerializeToString() for t, s, v in points]
    buf = bytearray(b"".join(records))
    for at, byte in flips:
        buf[at % len(buf)] = byte
    arr = np.frombuffer(bytes(buf), dtype=np.uint8)
    lengths = np.array([len(r) for r in records], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    native, numpy_ = fs._compiled(arr, starts, lengths), fs._numpy(arr, starts, lengths)
    assert native is not None
    assert native.taken.tolist() == numpy_.taken.tolist()
    # the same points per tag, each tag's in record order (tag ids may be numbered differently)
    groups = [{tag: rows for tag, rows in got.by_tag()} for got in (native, numpy_)]
    assert sorted(groups[0]) == sorted(groups[1])
    for tag, rows in groups[0].items():
        assert rows.tolist() == groups[1][tag].tolist() and np.all(np.diff(rows) > 0)  # in record order
        for col in ("step", "wall_time"):
            assert getattr(native, col)[rows].tolist() == getattr(numpy_, col)[rows].tolist()
        np.testing.assert_array_equal(native.value[rows], numpy_.value[rows])  # NaN == NaN here
        assert {native.tags[i] for i in native.tag_id[rows]} == {numpy_.tags[i] for i in numpy_.tag_id[rows]} == {tag}


def test_nan_and_infinity_survive(logdir):
    write_file(logdir / "events.out.tfevents.1.a", [scalar_event(i, v) for i, v in enumerate([np.nan, np.inf, -np.inf, 1.0])])
    v = load(logdir).scalars(".", "loss").value
    assert np.isnan(v[0]) and v[1] == np.inf and v[2] == -np.inf and v[3] == 1.0


# -- other kinds -----------------------------------------------------------------------------


def test_histograms_from_histo_and_from_tf2_tensors(logdir):
    h = summary_pb2.HistogramProto(min=-1, max=3, num=6, sum=5, sum_squares=11, bucket_limit=[0, 1, 3], bucket=[1, 2, 3])
    e1 = summary_event(1, summary_pb2.Summary.Value(tag="w", histo=h))
    t = tensor_pb2.TensorProto(dtype=2, tensor_content=np.array([[0, 1, 2], [1, 3, 4]], "<f8").tobytes())
    t.tensor_shape.dim.add(size=2)
    t.tensor_shape.dim.add(size=3)
    e2 = summary_event(2, tensor_value("tf2", "histograms", t))
    write_file(logdir / "events.out.tfevents.1.a", [e1, e2])
    logs = load(logdir)
    assert logs.tags(".")["histograms"] == ["w", "tf2"]
    (a,) = logs.histograms(".", "w")
    assert (a.step, a.min, a.max, a.num, a.sum, a.sum_squares) == (1, -1, 3, 6, 5, 11)
    np.testing.assert_array_equal(a.bucket_limits, [0, 1, 3])
    np.testing.assert_array_equal(a.bucket_counts, [1, 2, 3])
    (b,) = logs.histograms(".", "tf2")
    np.testing.assert_array_equal(b.bucket_limits, [1, 3])
    np.testing.assert_array_equal(b.bucket_counts, [2, 4])
    assert (b.min, b.max, b.num) == (0, 3, 6)


def test_images_text_pr_audio_hparams_custom_scalars(logdir):
    png = b"\x89PNG\r\n\x1a\nfake"
    img = summary_pb2.Summary.Value(tag="img", image=summary_pb2.Summary.Image(height=2, width=3, colorspace=3, encoded_image_string=png))
    tf2_img = tensor_value("tf2img", "images", string_tensor([b"5", b"4", png, png + b"2"], [4]))
    text = tensor_value("note/text_summary", "text", string_tensor(["héllo **x**".encode()], []))
    bad_text = tensor_value("bin", "text", string_tensor([b"\xff\xfeok"], []))
    pr = np.arange(18, dtype="<f4").reshape(6, 3)
    prt = tensor_pb2.TensorProto(dtype=1, tensor_content=pr.tobytes())
    prt.tensor_shape.dim.add(size=6)
    prt.tensor_shape.dim.add(size=3)
    pr_value = tensor_value("pr", "pr_curves", prt)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 2 * 10)
    wav = buf.getvalue()
    audio = summary_pb2.Summary.Value(tag="snd", audio=summary_pb2.Summary.Audio(sample_rate=8000, num_channels=2, length_frames=10, encoded_audio_string=wav, content_type="audio/wav"))
    start = hparams_pb2.HParamsPluginData(version=0)
    start.session_start_info.hparams["lr"].number_value = 0.1
    start.session_start_info.hparams["opt"].string_value = "adam"
    start.session_start_info.hparams["bn"].bool_value = True
    hp = summary_pb2.Summary.Value(tag="_hparams_/session_start_info")
    hp.metadata.plugin_data.plugin_name = "hparams"
    hp.metadata.plugin_data.content = start.SerializeToString()
    layout = layout_pb2.Layout()
    cat = layout.category.add(title="losses")
    cat.chart.add(title="both").multiline.tag.extend(["loss", "val_loss"])
    cs = tensor_value("custom_scalars__config__", "custom_scalars", string_tensor([layout.SerializeToString()], []))
    write_file(logdir / "events.out.tfevents.1.a", [summary_event(3, img, tf2_img, text, bad_text, pr_value, audio, hp, cs)])
    logs = load(logdir)
    tags = logs.tags(".")
    assert tags["images"] == ["img", "tf2img"] and tags["text"] == ["note/text_summary", "bin"]
    (i,) = logs.images(".", "img")
    assert (i.step, i.index, i.width, i.height, i.encoded) == (3, 0, 3, 2, png)
    j = logs.images(".", "tf2img")
    assert [(x.index, x.width, x.height, x.encoded) for x in j] == [(0, 5, 4, png), (1, 5, 4, png + b"2")]
    assert logs.texts(".", "note/text_summary")[0].text == "héllo **x**"
    assert logs.texts(".", "bin")[0].text == "\ufffd\ufffdok"
    (p,) = logs.pr_curves(".", "pr")
    np.testing.assert_array_equal(p.tp, [0, 1, 2])
    np.testing.assert_array_equal(p.recall, [15, 16, 17])
    np.testing.assert_array_equal(p.thresholds, [0, 0.5, 1])
    (a,) = logs.audio(".", "snd")
    assert (a.sample_rate, a.num_channels, a.length_frames, a.encoded) == (8000, 2, 10, wav)
    (h,) = logs.hparams(".")
    assert h.kind == "session_start" and h.data["hparams"] == {"lr": 0.1, "opt": "adam", "bn": True}
    assert logs.tags(".")["custom_scalars"] == ["custom_scalars__config__"]
    (c,) = logs.custom_scalars(".")
    assert c.categories == [{"title": "losses", "closed": False, "charts": [{"title": "both", "kind": "multiline", "tags": ["loss", "val_loss"]}]}]


def test_plugin_metadata_on_first_value_only(logdir):
    """Writers put metadata on a tag's first value; later values of the tag carry none."""
    first = tensor_value("acc", "scalars", tensor_pb2.TensorProto(dtype=1, float_val=[0.5]))
    later = summary_pb2.Summary.Value(tag="acc", tensor=tensor_pb2.TensorProto(dtype=1, float_val=[0.75]))
    write_file(logdir / "events.out.tfevents.1.a", [summary_event(1, first), summary_event(2, later)])
    np.testing.assert_array_equal(load(logdir).scalars(".", "acc").value, [0.5, 0.75])


# -- discovery, purge, incremental ------------------------------------------------------------


def test_discovery_names_runs_by_relative_path_and_reads_files_in_name_order(logdir):
    write_file(logdir / "events.out.tfevents.1.root", [scalar_event(0, 1.0)])
    write_file(logdir / "a" / "b" / "events.out.tfevents.2.x", [scalar_event(1, 2.0)])
    write_file(logdir / "a" / "b" / "events.out.tfevents.1.x", [scalar_event(0, 1.0)])
    (logdir / "empty").mkdir()
    (logdir / "c").mkdir()
    (logdir / "c" / "notes.txt").write_text("not an event file")
    logs = load(logdir)
    assert logs.runs == [".", "a/b"]
    np.testing.assert_array_equal(logs.scalars("a/b", "loss").step, [0, 1])


def test_session_log_start_purges_later_steps(logdir):
    """A restart from a checkpoint at step 5 drops what was logged at steps >= 5 before it."""
    events = [scalar_event(s, float(s)) for s in range(10)]
    events.append(ev(5, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)))
    events += [scalar_event(s, 100.0 + s) for s in range(5, 8)]
    write_file(logdir / "events.out.tfevents.1.a", events)
    s = load(logdir).scalars(".", "loss")
    np.testing.assert_array_equal(s.step, [0, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(s.value, [0, 1, 2, 3, 4, 105, 106, 107])


def test_purge_arriving_later_is_reported_as_reset(logdir):
    path = logdir / "events.out.tfevents.1.a"
    write_file(path, [scalar_event(s, float(s)) for s in range(10)])
    logs = load(logdir)
    write_file(path, [ev(3, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)), scalar_event(3, 9.0)], header=False)
    changes = logs.refresh()
    assert changes.reset == [(".", "scalars", "loss")]
    np.testing.assert_array_equal(logs.scalars(".", "loss").value, [0, 1, 2, 9])


def test_refresh_reads_only_what_was_appended(logdir):
    w = EventFileWriter(logdir / "exp1", flush_secs=3600)
    for s in range(5):
        w.add_event(scalar_event(s, float(s)))
    w.flush()
    logs = load(logdir)
    assert len(logs.scalars("exp1", "loss")) == 5
    assert not logs.refresh()  # nothing new
    for s in range(5, 8):
        w.add_event(scalar_event(s, float(s)))
    w.flush()
    w2 = EventFileWriter(logdir / "exp2")
    w2.add_event(scalar_event(0, 7.0, tag="acc"))
    w2.close()
    changes = logs.refresh()
    assert changes.new_runs == ["exp2"]
    assert changes.appended == {("exp1", "scalars", "loss"): 3, ("exp2", "scalars", "acc"): 1}
    np.testing.assert_array_equal(logs.scalars("exp1", "loss").step, np.arange(8))
    assert logs.scalars("exp1", "loss", start=6).step.tolist() == [6, 7]
    w.close()


def test_a_record_still_being_written_is_read_once_complete(logdir):
    path = logdir / "events.out.tfevents.1.a"
    write_file(path, [scalar_event(0, 1.0)])
    rec = encode_record(scalar_event(1, 2.0).SerializeToString())
    with open(path, "ab") as f:
        f.write(rec[:10])
    logs = load(logdir)
    assert logs.scalars(".", "loss").step.tolist() == [0]
    with open(path, "ab") as f:
        f.write(rec[10:25])
    assert not logs.refresh()
    with open(path, "ab") as f:
        f.write(rec[25:])
    assert logs.refresh().appended == {(".", "scalars", "loss"): 1}
    assert logs.scalars(".", "loss").step.tolist() == [0, 1]
    assert logs.skipped_bytes == 0


def test_corruption_skips_only_the_damaged_record_and_says_so(logdir):
    path = logdir / "events.out.tfevents.1.a"
    write_file(path, [scalar_event(s, float(s)) for s in range(100)])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data) + b"garbage that is not a record at all......")
    with pytest.warns(CorruptRecordWarning, match="skipped"):
        logs = load(logdir)
    steps = logs.scalars(".", "loss").step.tolist()
    assert len(steps) == 99 and steps == sorted(steps)
    assert logs.skipped_bytes > 0


def test_large_records_bigger_than_a_chunk(logdir):
    png = bytes(range(256)) * 400
    img = summary_pb2.Summary.Value(tag="big", image=summary_pb2.Summary.Image(height=1, width=1, encoded_image_string=png))
    write_file(logdir / "events.out.tfevents.1.a", [summary_event(1, img), scalar_event(2, 1.0)])
    logs = Logs(logdir, chunk_size=1000)
    logs.refresh()
    assert logs.images(".", "big")[0].encoded == png
    assert logs.scalars(".", "loss").step.tolist() == [2]


def test_clear_errors():
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load("/nonexistent/logdir")


def test_unknown_run_or_tag_names_what_exists(logdir):
    write_file(logdir / "events.out.tfevents.1.a", [scalar_event(0, 1.0)])
    logs = load(logdir)
    with pytest.raises(KeyError, match="runs: \\['.'\\]"):
        logs.scalars("nope", "loss")
    with pytest.raises(KeyError, match="'loss'"):
        logs.scalars(".", "acc")


# -- framing ---------------------------------------------------------------------------------


def scan_both(kernel: str, buf: bytes) -> list[bytes]:
    """Frame ``buf`` with the vectorised scan (the compiled kernel or numpy) and with the careful
    one; assert they agree (records, end, skipped bytes, bytes needed) and return the records."""
    from tbx_widget.reader import spans

    walk = spans._walk
    if kernel == "numpy":
        spans._walk = None
    try:
        fast, slow = scan_spans(buf), scan_records(buf)
    finally:
        spans._walk = walk
    got = [buf[s : s + n] for s, n in zip(fast.starts.tolist(), fast.lengths.tolist())]
    assert got == slow.records
    assert (fast.end, fast.skipped, fast.need) == (slow.end, slow.skipped, slow.need)
    return got


@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
@settings(max_examples=80, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=5), st.binary(max_size=30))
def test_vectorised_framing_equals_the_careful_scan(kernel, records, flips, tail):
    from tbx_widget.reader import spans

    if kernel == "compiled" and spans._walk is None:
        pytest.skip("the compiled kernel is not built here")
    buf = bytearray(b"".join(encode_record(r) for r in records))
    for at, byte in flips:
        if buf:
            buf[at % len(buf)] = byte
    scan_both(kernel, bytes(buf) + tail)


@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
@pytest.mark.parametrize("part", ["length", "head crc", "data", "foot crc"])
def test_a_damaged_record_deep_in_a_regular_run_is_caught_as_by_the_careful_scan(kernel, part):
    # 500 records of one length: past the first few, numpy framing extrapolates their positions,
    # so only the checks of all records at once (lengths, header and data CRCs) can catch this one.
    from tbx_widget.reader import spans

    if kernel == "compiled" and spans._walk is None:
        pytest.skip("the compiled kernel is not built here")
    records = [bytes([i % 251]) * 20 for i in range(500)]
    buf = bytearray(b"".join(encode_record(r) for r in records))
    at = 400 * (12 + 20 + 4) + {"length": 0, "head crc": 9, "data": 12 + 5, "foot crc": 12 + 20 + 1}[part]
    buf[at] ^= 0x10
    got = scan_both(kernel, bytes(buf))
    assert records[400] not in got[400:401]  # the damaged record is not among those read
    assert got[:400] == records[:400] and got[-99:] == records[-99:]  # a bad record costs only itself


def test_grouping_by_tag_is_stable_and_the_same_compiled_or_not(monkeypatch):
    from tbx_widget.reader import fast_scalars as fs

    rng = np.random.default_rng(3)
    tag_id = rng.integers(0, 7, size=5000)
    taken = rng.random(5000) < 0.8
    perm, bounds = fs._grouped(taken, tag_id, 9)  # tags 7 and 8 have no points
    want = [np.flatnonzero(taken & (tag_id == t)).tolist() for t in range(9)]
    assert [perm[bounds[t] : bounds[t + 1]].tolist() for t in range(9)] == want
    if fs._native is not None:
        with pytest.raises(ValueError, match=r"tag_id\[0\] is outside \[0, 3\)"):
            fs._native.group_rows(np.array([5, 0]), np.ones(2, bool), np.empty(2, np.int64), np.empty(4, np.int64))
        monkeypatch.setattr(fs, "_native", None)
        perm2, bounds2 = fs._grouped(taken, tag_id, 9)
        assert perm2.tolist() == perm.tolist() and bounds2.tolist() == bounds.tolist()


def test_compiled_walk_says_where_and_why_it_stopped():
    from tbx_widget.reader import spans

    if spans._walk is None:
        pytest.skip("the compiled kernel is not built here")
    records = [b"a" * 5, b"", b"b" * 40]
    whole = b"".join(encode_record(r) for r in records)
    arr = np.frombuffer(whole + encode_record(b"c" * 9)[:-3], dtype=np.uint8)  # the last one cut short
    out = [np.empty(len(arr) // 16 + 1, dtype=np.int64) for _ in range(2)]
    count, stop, reason = spans._walk(arr, 0, *out)
    assert (count, stop, reason) == (3, len(whole), 1)
    assert [arr[s : s + n].tobytes() for s, n in zip(out[0][:3], out[1][:3])] == records
    count, stop, reason = spans._walk(arr, len(whole) - 1, *out)  # not at a header
    assert (count, stop, reason) == (0, len(whole) - 1, 2)
    assert spans._walk(arr[: len(whole) + 11], len(whole), *out)[1:] == (len(whole), 0)  # < 12 bytes left
    with pytest.raises(TypeError, match="int64"):
        spans._walk(arr, 0, out[0][:2], out[1][:2])  # too short for what could be there
    with pytest.raises(ValueError, match="pos"):
        spans._walk(arr, len(arr) + 1, *out)


def test_compiled_span_crc_matches_the_c_package_and_checks_bounds():
    from tbx_widget.reader import spans
    from tbx_widget.records import masked_crc32c

    if spans._native is None:
        pytest.skip("the compiled kernel is not built here")
    rng = np.random.default_rng(0)
    buf = rng.integers(0, 256, size=5000, dtype=np.uint8)
    starts = rng.integers(0, 4000, size=300).astype(np.int64)
    lengths = rng.integers(0, 1000, size=300).astype(np.int64)
    out = np.empty(300, dtype=np.uint32)
    spans._native.masked_crc32c_spans(buf, starts, lengths, out)
    assert out.tolist() == [masked_crc32c(buf[s : s + n].tobytes()) for s, n in zip(starts, lengths)]
    with pytest.raises(ValueError, match="span 0 lies outside"):
        spans._native.masked_crc32c_spans(buf, np.array([4999]), np.array([2]), np.empty(1, np.uint32))
    with pytest.raises(TypeError, match="int64"):
        spans._native.masked_crc32c_spans(buf, starts.astype(np.int32), lengths, out)


def test_bulk_crc_matches_the_c_implementation():
    rng = np.random.default_rng(0)
    for width in (1, 7, 8, 33, 200):
        rows = rng.integers(0, 256, size=(50, width), dtype=np.uint8)
        assert crc32c_rows(rows).tolist() == [google_crc32c.value(r.tobytes()) for r in rows]


# -- export ----------------------------------------------------------------------------------


def test_to_pandas_and_chart(logdir):
    pd = pytest.importorskip("pandas")
    for run in ("a", "b"):
        write_file(logdir / run / "events.out.tfevents.1.x", [scalar_event(s, s * (2 if run == "b" else 1)) for s in range(4)])
    logs = load(logdir)
    df = logs.to_pandas()
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert len(df) == 8
    assert df[df.run == "b"].value.tolist() == [0, 2, 4, 6]
    chart = logs.chart("loss", smoothing=0.5)
    spec = chart.to_dict()
    values = spec["data"]["values"] if "data" in spec else spec["datasets"][next(iter(spec["datasets"]))]
    assert {v["run"] for v in values} == {"a", "b"}
    b = [v for v in values if v["run"] == "b"]
    assert [v["raw"] for v in b] == [0, 2, 4, 6]
    assert b[1]["smoothed"] == pytest.approx((0.5 * 0 * 0.5 + 0.5 * 2) / (1 - 0.25))


def test_smoothing_matches_tensorboard():
    from tbx_widget.export import smooth

    np.testing.assert_allclose(smooth([1, 2, 3], 0.0), [1, 2, 3])
    out = smooth([2, np.nan, 4], 0.6)
    assert out[0] == pytest.approx(2) and np.isnan(out[1])
    assert out[2] == pytest.approx((0.6 * (0.4 * 2) + 0.4 * 4) / (1 - 0.36))
    with pytest.raises(ValueError, match="smoothing"):
        smooth([1], 1.0)


# -- deltas: Changes.new, and the streaming mode (retain=False) -------------------------------


def _mixed_events(steps, *, offset=0):
    """Scalars on both decoding paths, histograms and text, ``steps`` steps from ``offset``."""
    out = []
    for step in range(offset, offset + steps):
        out.append(scalar_event(step, step * 0.5))
        t32 = tensor_pb2.TensorProto(dtype=1, float_val=[step * 2.0])
        histo = summary_pb2.HistogramProto(min=0, max=step, num=2, sum=step, sum_squares=step**2, bucket_limit=[1.0, step + 1.0], bucket=[1, 1])
        out.append(summary_event(step, tensor_value("f32", "scalars", t32), summary_pb2.Summary.Value(tag="h", histo=histo)))
        out.append(summary_event(step, tensor_value("note", "text", string_tensor([f"step {step}".encode()], []))))
    return out


def _consume(held, changes):
    """A consumer of deltas: apply a refresh's ``reset``/``reset_step`` then ``new``."""
    assert set(changes.new) == set(changes.appended)
    for key in changes.reset:
        step = changes.reset_step[key]
        if key[1] == "scalars":
            s = held[key]
            keep = s["step"] < step
            held[key] = {k: v[keep] for k, v in s.items()}
        else:
            held[key] = [it for it in held[key] if it.step < step]
    for key, data in changes.new.items():
        assert changes.appended[key] == len(data) > 0
        if key[1] == "scalars":
            prev = held.get(key, {"step": np.zeros(0, np.int64), "wall_time": np.zeros(0), "value": np.zeros(0)})
            held[key] = {k: np.concatenate((prev[k], getattr(data, k))) for k in prev}
        else:
            held[key] = held.get(key, []) + list(data)


def _assert_held_equals_load(held, logdir):
    full = load(logdir)
    keys = {(run, kind, tag) for run in full.runs for kind, tags in full.tags(run).items() for tag in tags}
    assert set(held) == keys
    for run, kind, tag in keys:
        got = held[(run, kind, tag)]
        if kind == "scalars":
            want = full.scalars(run, tag)
            for col in ("step", "wall_time", "value"):
                np.testing.assert_array_equal(got[col], getattr(want, col))
        else:
            want = full.items(kind, run, tag)
            assert [(it.step, it.wall_time) for it in got] == [(it.step, it.wall_time) for it in want]
            if kind == "text":
                assert [it.text for it in got] == [it.text for it in want]


@pytest.mark.parametrize("retain", [True, False])
def test_changes_new_holds_exactly_what_each_refresh_added(logdir, retain):
    path = logdir / "run1" / "events.out.tfevents.1.a"
    write_file(path, _mixed_events(40))
    logs = Logs(logdir, retain=retain)
    held: dict = {}
    while True:  # in small pieces: many refreshes
        changes = logs.refresh(max_bytes=700)
        _consume(held, changes)
        if not changes.more:
            break
    assert logs.runs == ["run1"] and logs.tags("run1")["scalars"] == ["loss", "f32"]
    assert logs.tags("run1")["histograms"] == ["h"] and logs.tags("run1")["text"] == ["note"]
    _assert_held_equals_load(held, logdir)
    write_file(path, _mixed_events(5, offset=40), header=False)
    write_file(logdir / "run2" / "events.out.tfevents.1.b", [scalar_event(0, 1.0, tag="acc")])
    changes = logs.refresh()
    assert changes.new_runs == ["run2"]
    assert changes.new[("run1", "scalars", "loss")].step.tolist() == [40, 41, 42, 43, 44]
    assert [it.step for it in changes.new[("run1", "histograms", "h")]] == [40, 41, 42, 43, 44]
    assert changes.new[("run2", "scalars", "acc")].value.tolist() == [1.0]
    _consume(held, changes)
    _assert_held_equals_load(held, logdir)
    assert not logs.refresh().new


def test_a_read_in_pieces_visits_each_run_once_and_new_data_comes_after(logdir, monkeypatch):
    from tbx_widget.reader import run as run_module

    for r in range(6):
        write_file(logdir / f"r{r}" / "events.out.tfevents.1.a", [scalar_event(s, float(s), tag="x") for s in range(50)])
    logs = Logs(logdir, retain=False)
    visits: list[str] = []
    real = run_module.RunReader.quiet
    monkeypatch.setattr(run_module.RunReader, "quiet", lambda self, listed: visits.append(self.name) or real(self, listed))
    scans = []
    real_scan = logs._dirs.scan
    monkeypatch.setattr(logs._dirs, "scan", lambda: scans.append(1) or real_scan())
    got: dict = {}
    pieces = 0
    while True:
        changes = logs.refresh(max_bytes=1500)  # a few runs a piece
        pieces += 1
        for (run, _, _), s in changes.new.items():
            got.setdefault(run, []).extend(s.step.tolist())
        if pieces == 2:  # written to a run already read while the read goes on
            write_file(logdir / "r0" / "events.out.tfevents.1.a", [scalar_event(50, 5.0, tag="x")], header=False)
        if not changes.more:
            break
    assert pieces > 2 and len(scans) == 1  # one listing for the whole read
    assert sorted(visits) == sorted(set(visits)) == [f"r{r}" for r in range(6)]  # each run looked at once
    assert all(got[f"r{r}"] == list(range(50)) for r in range(6))
    changes = logs.refresh()  # the refresh after the read looks at every run again
    assert changes.new[("r0", "scalars", "x")].step.tolist() == [50] and len(scans) == 2
    assert logs.refresh(max_bytes=1500).more is False  # nothing left: no piece stopped early
    write_file(logdir / "r5" / "events.out.tfevents.1.a", [scalar_event(50, 5.0, tag="x")] * 200, header=False)
    assert logs.refresh(max_bytes=100).more  # stops inside r5
    write_file(logdir / "r0" / "events.out.tfevents.1.a", [scalar_event(51, 5.0, tag="x")], header=False)
    changes = logs.refresh()  # without max_bytes: every run, r0 included, not only from r5 on
    assert changes.new[("r0", "scalars", "x")].step.tolist() == [51] and ("r5", "scalars", "x") in changes.new
    assert not changes.more and not logs.refresh().new


def test_streaming_mode_keeps_no_data(logdir):
    from tbx_widget.reader import NotRetainedError

    write_file(logdir / "events.out.tfevents.1.a", [scalar_event(s, float(s), tag=f"t{s % 10}") for s in range(100_000)])
    import gc
    import tracemalloc

    def kept_after_load(retain):
        gc.collect()
        tracemalloc.start()
        logs = Logs(logdir, retain=retain)
        points = sum(len(d) for d in logs.refresh().new.values())  # the delta is dropped here
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return logs, points, kept

    kept_after_load(False)  # first use: lazily built tables and imports are not the Logs' memory
    stream, points, kept = kept_after_load(False)
    assert points == 100_000
    assert kept < 100_000  # bytes: runs, tags, offsets, not the 2.4 MB of points
    _, _, kept_retained = kept_after_load(True)
    assert kept_retained > 2_000_000  # the retaining mode does keep them (the test can fail)
    assert stream.runs == ["."] and stream.tags(".")["scalars"] == [f"t{k}" for k in range(10)]
    for query in (
        lambda: stream.scalars(".", "t0"),
        lambda: stream.items("text", ".", "x"),
        lambda: stream.histograms(".", "x"),
        lambda: stream.hparams_table(),
        lambda: stream.custom_scalars("."),
    ):
        with pytest.raises(NotRetainedError, match="retain=False"):
            query()
    with pytest.raises(TypeError, match="retain"):
        Logs(logdir, retain="no")


@pytest.mark.parametrize("retain", [True, False])
def test_purge_is_reported_in_reset_in_both_modes(logdir, retain):
    path = logdir / "events.out.tfevents.1.a"
    write_file(path, _mixed_events(10))
    logs = Logs(logdir, retain=retain)
    held: dict = {}
    _consume(held, logs.refresh())
    start = ev(4, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
    write_file(path, [scalar_event(3, 30.0), start] + _mixed_events(2, offset=4), header=False)
    changes = logs.refresh()
    keys = [(".", "scalars", "f32"), (".", "histograms", "h"), (".", "scalars", "loss"), (".", "text", "note")]
    assert changes.reset == sorted(keys, key=lambda k: (k[1], k[2]))
    assert all(changes.reset_step[k] == 4 for k in keys)
    # Data added and purged within this one refresh never appears: step 3 survives, not 4..9.
    assert changes.new[(".", "scalars", "loss")].step.tolist() == [3, 4, 5]
    _consume(held, changes)
    _assert_held_equals_load(held, logdir)
    assert held[(".", "scalars", "loss")]["step"].tolist() == [0, 1, 2, 3, 3, 4, 5]
    if retain:
        np.testing.assert_array_equal(logs.scalars(".", "loss").step, [0, 1, 2, 3, 3, 4, 5])
    # A purge below every delivered step but within this refresh's data only: no reset.
    write_file(path, _mixed_events(3, offset=20) + [ev(21, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))], header=False)
    changes = logs.refresh()
    assert changes.reset == [] and changes.new[(".", "scalars", "loss")].step.tolist() == [20]
    _consume(held, changes)
    _assert_held_equals_load(held, logdir)


def test_purge_split_across_max_bytes_reads_is_applied_by_the_consumer(logdir):
    """The streaming consumer reads in pieces; a purge in a later piece cuts an earlier one."""
    start = ev(5, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
    write_file(logdir / "events.out.tfevents.1.a", _mixed_events(30) + [start] + _mixed_events(3, offset=5))
    logs = Logs(logdir, retain=False)
    held: dict = {}
    resets = 0
    while True:
        changes = logs.refresh(max_bytes=500)
        resets += len(changes.reset)
        _consume(held, changes)
        if not changes.more:
            break
    assert resets == 4
    _assert_held_equals_load(held, logdir)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ops=st.lists(st.tuples(st.sampled_from(["scalar", "text", "purge"]), st.integers(0, 12)), max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=4),
    max_bytes=st.sampled_from([None, 1, 200, 5000]),
    retain=st.booleans(),
)
def test_deltas_applied_by_a_consumer_equal_load_whatever_the_purges(tmp_path_factory, ops, cuts, max_bytes, retain):
    """Events and purges written in several appends, read in pieces: a consumer applying
    ``reset_step`` then ``new`` holds exactly what ``load()`` returns at the end."""
    logdir = tmp_path_factory.mktemp("deltas")
    events = []
    for kind, step in ops:
        if kind == "scalar":
            events.append(scalar_event(step, float(len(events))))
        elif kind == "text":
            events.append(summary_event(step, tensor_value("note", "text", string_tensor([b"x%d" % len(events)], []))))
        else:
            events.append(ev(step, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)))
    path = logdir / "events.out.tfevents.1.a"
    logs = Logs(logdir, retain=retain)
    held: dict = {}
    bounds = sorted({0, len(events), *(min(c, len(events)) for c in cuts)})
    for k, (lo, hi) in enumerate(zip(bounds, bounds[1:] or [len(events)])):
        write_file(path, events[lo:hi], header=k == 0)
        while True:
            changes = logs.refresh(max_bytes=max_bytes)
            _consume(held, changes)
            if not changes.more:
                break
    if not events:
        write_file(path, [])
        _consume(held, logs.refresh())
    held = {k: v for k, v in held.items() if len(v if k[1] != "scalars" else v["step"])}
    full = load(logdir)
    want = {(".", kind, tag) for kind, tags in full.tags(".").items() for tag in tags}
    want = {k for k in want if len(full.scalars(".", k[2]) if k[1] == "scalars" else full.items(k[1], ".", k[2]))}
    assert set(held) == want
    for _, kind, tag in want:
        if kind == "scalars":
            s = full.scalars(".", tag)
            assert held[(".", kind, tag)]["step"].tolist() == s.step.tolist()
            assert held[(".", kind, tag)]["value"].tolist() == s.value.tolist()
        else:
            assert [it.text for it in held[(".", kind, tag)]] == [it.text for it in full.items(kind, ".", tag)]


def test_event_files_of_a_run_are_read_in_creation_order_with_unpadded_counters(tmp_path):
    """torch names files ``...<pid>.<counter>`` with an unpadded counter: ``.10`` was made after ``.9``."""
    import shutil

    from tbx_widget import SummaryWriter, load

    run = tmp_path / "logs" / "run"
    run.mkdir(parents=True)
    for counter, value in ((9, 1.0), (10, 2.0)):
        src = tmp_path / f"w{counter}"
        with SummaryWriter(str(src)) as w:
            w.add_scalar("x", value, 0)
        (made,) = src.iterdir()
        shutil.move(str(made), run / f"events.out.tfevents.1795575572.host.4242.{counter}")
    assert load(str(tmp_path / "logs")).scalars("run", "x").value.tolist() == [1.0, 2.0]


@pytest.mark.slow
def test_load_peak_memory_stays_well_under_twice_the_arrays_it_returns(tmp_path):
    """Each series' read chunks are let go once joined: the peak is not the data twice
    (1M points, as benchmarks/bench_load.py; 2.05x before, about 1.45x after)."""
    import gc
    import tracemalloc

    from tbx_widget._proto import event_pb2
    from tbx_widget.records import encode_record

    (tmp_path / "run").mkdir()
    with open(tmp_path / "run" / "events.out.tfevents.1700000000.test", "wb") as f:
        f.write(encode_record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()))
        for step in range(100_000):
            chunk = []
            for t in range(10):
                e = event_pb2.Event(wall_time=1.7e9 + step * 0.01, step=step)
                e.summary.value.add(tag=f"m/{t}", simple_value=step * 0.001 + t)
                chunk.append(encode_record(e.SerializeToString()))
            f.write(b"".join(chunk))
    gc.collect()
    tracemalloc.start()
    try:
        logs = load(tmp_path)
        kept = [logs.scalars("run", f"m/{t}") for t in range(10)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    returned = sum(s.step.nbytes + s.wall_time.nbytes + s.value.nbytes for s in kept)
    assert [len(s.step) for s in kept] == [100_000] * 10
    assert peak < 1.8 * returned, (peak, returned)


def test_unread_bytes_sizes_the_whole_logdir_before_the_first_refresh(tmp_path):
    """A hint taken before reading (the follower sizes its first read with it): every run's
    event files count, none is read, and the refresh after it still reports every run as new."""
    for run, n in (("a", 30), ("b/c", 50)):
        write_file(tmp_path / run / "events.out.tfevents.1", [scalar_event(i, float(i)) for i in range(n)])
    total = sum(f.stat().st_size for f in tmp_path.rglob("events.out.tfevents.*"))
    logs = Logs(str(tmp_path))
    assert logs.unread_bytes() == total
    changes = logs.refresh()
    assert sorted(changes.new_runs) == ["a", "b/c"]
    assert logs.unread_bytes() == 0
    write_file(tmp_path / "a" / "events.out.tfevents.1", [scalar_event(30, 1.0)], header=False)
    write_file(tmp_path / "d" / "events.out.tfevents.1", [scalar_event(0, 1.0)])
    grown = logs.unread_bytes()
    assert grown == (tmp_path / "d" / "events.out.tfevents.1").stat().st_size + len(encode_record(scalar_event(30, 1.0).SerializeToString()))
    changes = logs.refresh()
    assert changes.new_runs == ["d"] and logs.scalars("a", "loss").step[-1] == 30
