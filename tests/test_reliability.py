"""What happens when the world misbehaves: vanished logdirs, huge or hostile content."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget._proto import event_pb2, summary_pb2, tensor_pb2
from tbx_widget.event_file import EventFileWriter
from tbx_widget.live.follower import Follower
from tbx_widget.records import encode_record


def test_a_vanished_logdir_is_reported_and_logging_goes_on(tmp_path):
    logdir = tmp_path / "run"
    w = SummaryWriter(logdir, flush_secs=3600)
    w.add_scalar("x", 1.0, 0)
    w.flush()
    shutil.rmtree(logdir)
    w.add_scalar("x", 2.0, 1)
    with pytest.raises(FileNotFoundError, match="deleted while being written"):
        w.flush()
    w.add_scalar("x", 3.0, 2)  # the writer keeps working, in a new file
    w.close()
    assert load(logdir).scalars(".", "x").value.tolist() == [3.0]


def test_unwritable_logdir_raises_at_construction(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        SummaryWriter(blocker / "run")


def _write_events(path, events):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for e in events:
            f.write(encode_record(e.SerializeToString()))


def test_dashboard_degrades_visibly_on_huge_or_broken_content(tmp_path):
    long_tag = "t" * 10_000
    big = summary_pb2.Summary.Value(tag="huge", image=summary_pb2.Summary.Image(height=16384, width=16384, encoded_image_string=b"\x89PNG fake"))
    k = 1_000_000
    histo = summary_pb2.HistogramProto(min=0, max=k, num=k, bucket_limit=np.arange(1, k + 1, dtype=float).tolist(), bucket=[1.0] * k)
    text = summary_pb2.Summary.Value(tag="bin", tensor=tensor_pb2.TensorProto(dtype=7, string_val=[b"\xff\xfe bad utf-8"]))
    text.metadata.plugin_data.plugin_name = "text"
    e = event_pb2.Event(step=1, wall_time=1.0)
    e.summary.value.add(tag=long_tag, simple_value=1.5)
    e.summary.value.extend([big, summary_pb2.Summary.Value(tag="wide", histo=histo), text])
    _write_events(tmp_path / "run" / "events.out.tfevents.1.x", [e])
    got = []
    Follower(str(tmp_path)).poll(got.append)
    items = {i["tag"]: (i, b.buffers) for b in got for i in b.content["items"]}
    assert items[long_tag][0]["n"] == 1  # a 10,000-character tag is kept as written
    assert "16384x16384" in items["huge"][0]["items"][0]["note"]
    wide, buffers = items["wide"]
    assert len(np.frombuffer(buffers[wide["counts_buf"]], "<f8")) <= 1024
    assert items["bin"][0]["items"][0]["text"] == "\ufffd\ufffd bad utf-8"


def test_event_file_writer_rejects_a_suffix_that_leaves_the_logdir(tmp_path):
    with pytest.raises(ValueError, match="path separator"):
        EventFileWriter(tmp_path, filename_suffix="/../../x")
