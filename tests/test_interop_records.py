"""Event files cross both ways: TensorBoard reads ours; we read tensorboardX's and torch's."""
from __future__ import annotations

import pytest

from tbx_widget._proto import event_pb2
from tbx_widget.event_file import EventFileWriter
from tbx_widget.records import RecordReader


def read_events(path):
    return [event_pb2.Event.FromString(r) for r in RecordReader(path).read()]


def test_tensorboard_event_accumulator_reads_our_file(logdir):
    accumulator_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    writer = EventFileWriter(logdir)
    for step in range(100):
        for tag, value in (("loss", 1.0 / (step + 1)), ("acc", step / 100)):
            event = event_pb2.Event(wall_time=1_700_000_000.0 + step, step=step)
            event.summary.value.add(tag=tag, simple_value=value)
            writer.add_event(event)
    writer.close()
    acc = accumulator_mod.EventAccumulator(str(logdir), size_guidance={"scalars": 0})
    acc.Reload()
    assert sorted(acc.Tags()["scalars"]) == ["acc", "loss"]
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == list(range(100))
    assert [e.value for e in loss] == pytest.approx([1.0 / (s + 1) for s in range(100)], rel=1e-6)
    assert loss[5].wall_time == 1_700_000_005.0


def test_we_read_tensorboardx_files(logdir):
    tbx = pytest.importorskip("tensorboardX")
    w = tbx.SummaryWriter(str(logdir))
    for step in range(50):
        w.add_scalar("loss", 0.5 * step, step)
    w.close()
    (path,) = [p for p in logdir.iterdir() if "tfevents" in p.name]
    events = read_events(path)
    assert events[0].file_version == "brain.Event:2"
    scalars = [(e.step, v.simple_value) for e in events if e.HasField("summary") for v in e.summary.value]
    assert scalars == [(s, pytest.approx(0.5 * s)) for s in range(50)]


def test_we_read_torch_files(logdir):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    w = torch_tb.SummaryWriter(str(logdir))
    for step in range(20):
        w.add_scalar("loss", step * 2.0, step)
        w.add_scalar("lr", 0.1, step, new_style=True)
    w.close()
    (path,) = [p for p in logdir.iterdir() if "tfevents" in p.name]
    events = read_events(path)
    old = [(e.step, v.simple_value) for e in events for v in e.summary.value if v.tag == "loss"]
    assert old == [(s, s * 2.0) for s in range(20)]
    new = [v for e in events for v in e.summary.value if v.tag == "lr"]
    assert len(new) == 20 and all(v.tensor.float_val[0] == pytest.approx(0.1) for v in new)
