"""The dashboard's kernel-side follower: polls cost the new data, one bad series stops nothing,
purges are honoured by a resend from disk."""
from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pytest

from tbx_widget._proto import event_pb2, summary_pb2
from tbx_widget.live import follower as follower_module
from tbx_widget.live.encode import BatchBuilder
from tbx_widget.live.follower import Follower
from tbx_widget.reader.items import HistogramItem, TextItem
from tbx_widget.records import CorruptRecordWarning, encode_record

HEADER = encode_record(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())


def scalar(step: int, value: float, tag: str = "loss", wall: float | None = None) -> bytes:
    e = event_pb2.Event(step=step, wall_time=float(step) if wall is None else wall)
    e.summary.value.add(tag=tag, simple_value=value)
    return encode_record(e.SerializeToString())


def histogram(step: int, limits: list[float], counts: list[float], tag: str = "w") -> bytes:
    h = summary_pb2.HistogramProto(min=0.0, max=1.0, num=sum(counts), bucket_limit=limits, bucket=counts)
    e = event_pb2.Event(step=step, wall_time=float(step))
    e.summary.value.add(tag=tag, histo=h)
    return encode_record(e.SerializeToString())


def image(step: int, wall: float, tag: str = "img") -> bytes:
    im = summary_pb2.Summary.Image(height=1, width=1, colorspace=3, encoded_image_string=b"\x89PNG\r\n\x1a\n")
    e = event_pb2.Event(step=step, wall_time=wall)
    e.summary.value.add(tag=tag, image=im)
    return encode_record(e.SerializeToString())


def text(step: int, wall: float, tag: str = "note") -> bytes:
    from tbx_widget._proto import tensor_pb2

    v = summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=7, string_val=[b"hello"]))
    v.metadata.plugin_data.plugin_name = "text"
    e = event_pb2.Event(step=step, wall_time=wall)
    e.summary.value.append(v)
    return encode_record(e.SerializeToString())


def purge(step: int) -> bytes:
    e = event_pb2.Event(step=step, wall_time=float(step), session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
    return encode_record(e.SerializeToString())


def write(path, *records: bytes, header: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as f:
        f.write((HEADER if header else b"") + b"".join(records))


def received(batches) -> dict[tuple[str, str, str], list]:
    """What a browser holds after ``batches``: (kind, run, tag) -> steps, honouring resets
    (overviews, which the full data replaces, left out: see ``overview_items``)."""
    out: dict[tuple[str, str, str], list] = {}
    for b in batches:
        if b.content["reset"]:
            out.clear()
        for item in b.content["items"]:
            if item.get("overview"):
                continue
            key = (item["kind"], item["run"], item["tag"])
            if "step_buf" in item:
                steps = np.frombuffer(b.buffers[item["step_buf"]], "<f8").tolist()
            else:
                steps = [e["step"] for e in item["items"]]
            out.setdefault(key, []).extend(steps)
    return out


def test_one_bad_series_never_stops_the_others(tmp_path):
    """A histogram whose limits and counts differ made the whole poll raise ("cannot reshape");
    images and text with a NaN or infinite wall time made batches that were not valid JSON."""
    write(
        tmp_path / "a" / "events.out.tfevents.1.x",
        scalar(0, 1.0),
        histogram(0, [1.0, 2.0], [3.0, 4.0]),
        histogram(1, list(np.arange(3000.0)), [1.0] * 10),  # more buckets than the dashboard shows
        histogram(2, [1.0, 2.0, 3.0], [5.0]),
        histogram(3, [1.0], [2.0]),
        image(0, float("nan")),
        text(0, float("inf")),
        scalar(1, 2.0),
    )
    f = Follower(str(tmp_path))
    batches: list = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorruptRecordWarning)  # the reader may skip the bad ones itself
        f.poll(batches.append)
    got = received(batches)
    assert got[("scalars", "a", "loss")] == [0.0, 1.0]
    assert got[("histograms", "a", "w")] == [0.0, 3.0]  # the two bad steps dropped, the rest sent
    assert got[("images", "a", "img")] == [0] and got[("text", "a", "note")] == [0]
    assert f.dropped + f.logs.skipped_records == 2
    for b in batches:
        content = json.loads(json.dumps(b.content, allow_nan=False))  # strict JSON
        for item in content["items"]:
            for entry in item.get("items", []):
                assert entry["wall_time"] is None


def test_items_the_encoder_rejects_are_dropped_and_counted(tmp_path, monkeypatch):
    """Whatever the reader lets through, one bad item costs that item alone."""
    write(tmp_path / "a" / "events.out.tfevents.1.x", scalar(0, 1.0))
    f = Follower(str(tmp_path))

    def h(step, limits, counts):
        return HistogramItem(step, 1.0, np.array(limits), np.array(counts), 0.0, 1.0, 1.0, 0.0, 0.0)

    real_refresh = f.logs.refresh

    def refresh(**kwargs):
        changes = real_refresh(**kwargs)
        changes.new[("a", "histograms", "w")] = [h(0, [1.0], [1.0]), h(1, np.arange(3000.0), np.ones(10)), h(2, [2.0], [3.0])]
        changes.new[("a", "text", "t")] = [TextItem(0, float("nan"), "hi")]
        return changes

    monkeypatch.setattr(f.logs, "refresh", refresh)
    batches: list = []
    f.poll(batches.append)
    got = received(batches)
    assert got == {("scalars", "a", "loss"): [0.0], ("histograms", "a", "w"): [0.0, 2.0], ("text", "a", "t"): [0]}
    assert f.dropped == 1
    json.dumps([b.content for b in batches], allow_nan=False)


def test_an_idle_poll_touches_no_series_and_a_poll_only_the_changed_ones(tmp_path, monkeypatch):
    path = tmp_path / "a" / "events.out.tfevents.1.x"
    write(path, *(scalar(0, 1.0, tag=f"t{k}") for k in range(300)))
    for r in range(30):
        write(tmp_path / f"r{r}" / "events.out.tfevents.1.x", scalar(0, 1.0))
    calls: list[tuple[str, str, str]] = []
    real_add = BatchBuilder.add

    def add(self, kind, run, tag, data):
        calls.append((kind, run, tag))
        return real_add(self, kind, run, tag, data)

    monkeypatch.setattr(BatchBuilder, "add", add)
    f = Follower(str(tmp_path))
    assert f.poll(lambda b: None) == 1 and len(calls) == 330
    calls.clear()
    assert f.poll(lambda b: None) == 0 and calls == []
    write(path, scalar(1, 2.0, tag="t7"), header=False)
    got: list = []
    assert f.poll(got.append) == 1
    assert calls == [("scalars", "a", "t7")] and received(got) == {("scalars", "a", "t7"): [1.0]}


def test_batches_are_cut_by_size_and_numbered_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(follower_module, "MAX_BATCH_BYTES", 20_000)
    write(tmp_path / "a" / "events.out.tfevents.1.x", *(scalar(s, 1.0, tag=f"t{k}") for s in range(5) for k in range(800)))
    f = Follower(str(tmp_path))
    batches: list = []
    f.poll(batches.append)
    assert len(batches) >= 800 * (3 * 40 + 128) // 20_000
    assert [b.content["seq"] for b in batches] == list(range(1, len(batches) + 1))
    for b in batches:
        size = sum(len(x) for x in b.buffers)
        assert size < 20_000 + 200  # cut as soon as the size passes the limit: one series over at most
    got = received(batches)
    assert len(got) == 800 and all(steps == [0.0, 1.0, 2.0, 3.0, 4.0] for steps in got.values())


def _poll_seconds(root, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        f = Follower(str(root))
        t = time.process_time()  # CPU time: steadier than wall time on a shared machine
        f.poll(lambda b: None)
        best = min(best, time.process_time() - t)
    return best


def test_first_poll_grows_linearly_with_the_number_of_series(tmp_path):
    """The batch builder used to re-sum every buffer after each series: 4x the tags took 16x."""
    for n in (1500, 6000):
        write(tmp_path / str(n) / "a" / "events.out.tfevents.1.x", *(scalar(0, 1.0, tag=f"t{k}") for k in range(n)))
    small, large = _poll_seconds(tmp_path / "1500"), _poll_seconds(tmp_path / "6000")
    assert large < 8 * small, (small, large)


def test_a_purge_of_sent_data_resends_the_logdir_from_disk(tmp_path):
    path = tmp_path / "a" / "events.out.tfevents.1.x"
    write(path, *(scalar(s, float(s)) for s in range(10)), histogram(3, [1.0], [1.0]))
    write(tmp_path / "b" / "events.out.tfevents.1.x", scalar(0, 5.0, tag="acc"))
    f = Follower(str(tmp_path))
    batches: list = []
    f.poll(batches.append)
    assert received(batches)[("scalars", "a", "loss")] == [float(s) for s in range(10)]
    write(path, purge(5), scalar(5, 50.0), scalar(6, 60.0), header=False)  # a restart from step 5
    f.poll(batches.append)
    assert batches[-1].content["reset"] is True or any(b.content["reset"] for b in batches[1:])
    got = received(batches)
    assert got[("scalars", "a", "loss")] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert got[("histograms", "a", "w")] == [3.0] and got[("scalars", "b", "acc")] == [0.0]
    assert f.poll(batches.append) == 0  # and then idle again


@pytest.mark.parametrize("read_bytes", [4096, 1 << 20])
@pytest.mark.parametrize("how", ["poll", "resend"])
def test_a_purge_split_from_its_data_by_the_read_size_is_honoured(tmp_path, read_bytes, how):
    """A poll or resend that reads in pieces can meet a purge of data it sent a piece earlier."""
    path = tmp_path / "a" / "events.out.tfevents.1.x"
    write(path, *(scalar(s, float(s)) for s in range(1000)), purge(5), scalar(5, 50.0))
    assert path.stat().st_size > 4 * 4096  # several pieces at the smaller read size
    f = Follower(str(tmp_path), read_bytes=read_bytes)
    batches: list = []
    getattr(f, how)(batches.append)
    assert received(batches)[("scalars", "a", "loss")] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert batches[0].content["reset"] is (how == "resend")


def test_an_idle_refresh_lists_no_directory_and_opens_no_file(tmp_path, monkeypatch):
    """20,000 runs took 1.1 s per idle poll: a listing per directory and an open per file."""
    import os

    from tbx_widget.reader import logs as logs_module

    monkeypatch.setattr(logs_module, "SETTLE_NS", 0)  # trust listings at once (the tree is quiet)
    for r in range(20):
        write(tmp_path / "group" / f"r{r}" / "events.out.tfevents.1.x", scalar(0, 1.0))
    f = Follower(str(tmp_path))
    f.poll(lambda b: None)
    calls = {"scandir": 0, "listdir": 0, "open": 0}
    for name in calls:
        real = getattr(os, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, counted)
    assert f.poll(lambda b: None) == 0
    assert calls == {"scandir": 0, "listdir": 0, "open": 0}
    write(tmp_path / "group" / "r3" / "events.out.tfevents.1.x", scalar(1, 2.0), header=False)
    write(tmp_path / "group" / "r20" / "events.out.tfevents.1.x", scalar(0, 3.0))  # a new run
    got: list = []
    f.poll(got.append)
    assert received(got) == {("scalars", "group/r3", "loss"): [1.0], ("scalars", "group/r20", "loss"): [0.0]}
    assert calls["open"] == 2 and calls["scandir"] == 2  # the changed file; the changed directory and the new one


def test_a_listing_made_within_the_directory_clock_tick_is_not_trusted(tmp_path, monkeypatch):
    """A change in the same mtime tick as the listing leaves the mtime as it was: such a listing
    is redone until it is older than SETTLE_NS."""
    import os

    from tbx_widget.reader import logs as logs_module

    for settle, found in ((0, False), (10**12, True)):
        monkeypatch.setattr(logs_module, "SETTLE_NS", settle)
        root = tmp_path / str(settle)
        write(root / "a" / "events.out.tfevents.1.x", scalar(0, 1.0))
        dirs = logs_module.RunDirs(str(root))
        assert list(dirs.scan()) == ["a"]
        st = os.stat(root)
        write(root / "b" / "events.out.tfevents.1.x", scalar(0, 1.0))
        os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))  # as if within the same tick
        assert ("b" in dirs.scan()) is found


def test_a_logdir_nested_deeper_than_the_recursion_limit_is_followed(tmp_path, nested_dirs):
    deep = nested_dirs(tmp_path, 1100)
    with open(deep / "events.out.tfevents.1.x", "wb") as f:
        f.write(HEADER + scalar(0, 1.0))
    got: list = []
    Follower(str(tmp_path)).poll(got.append)
    ((kind, run, tag),) = received(got)
    assert run == "/".join(["d"] * 1100) and tag == "loss"


def test_a_batch_names_only_the_runs_new_to_the_browser(tmp_path):
    """Every batch used to carry every run's name: 20,000 runs put ~300 KB in each batch."""
    for r in ("a", "b"):
        write(tmp_path / r / "events.out.tfevents.1.x", scalar(0, 1.0))
    f = Follower(str(tmp_path))
    batches: list = []
    f.poll(batches.append)
    assert [b.content["runs"] for b in batches] == [["a", "b"]]
    write(tmp_path / "a" / "events.out.tfevents.1.x", scalar(1, 2.0), header=False)
    write(tmp_path / "c" / "events.out.tfevents.1.x", scalar(0, 1.0))
    write(tmp_path / "d" / "events.out.tfevents.1.x")  # no data yet, but discovered: named too
    f.poll(batches.append)
    assert batches[-1].content["runs"] == ["c", "d"]
    write(tmp_path / "b" / "events.out.tfevents.1.x", scalar(1, 2.0), header=False)
    f.poll(batches.append)
    assert batches[-1].content["runs"] == []
    f.resend(batches.append)
    assert batches[-1].content["reset"] and batches[-1].content["runs"] == ["a", "b", "c", "d"]
    assert not hasattr(Follower, "snapshot")  # "snapshot" is the static HTML fallback, not a resend


def test_a_preview_thins_the_same_whatever_the_pieces():
    from tbx_widget.live.follower import PREVIEW_POINTS, Preview
    from tbx_widget.reader import ScalarSeries

    n = 5 * PREVIEW_POINTS + 7
    step = np.arange(n)
    whole, pieces = Preview(), Preview()
    whole.add(ScalarSeries(step, step * 0.5, step * 2.0))
    for lo, hi in ((0, 3), (3, 1500), (1500, 1501), (1501, n)):
        pieces.add(ScalarSeries(step[lo:hi], step[lo:hi] * 0.5, step[lo:hi] * 2.0))
    a, b = whole.series(), pieces.series()
    assert a.step.tolist() == b.step.tolist() and b.value.tolist() == (b.step * 2.0).tolist()
    assert len(b.step) <= 2 * PREVIEW_POINTS + 1 and b.step[0] == 0 and b.step[-1] == n - 1
    assert len(set(np.diff(b.step[:-1]).tolist())) == 1  # evenly thinned, plus the last point


def test_previews_share_a_bounded_budget_when_there_are_many_series(tmp_path, monkeypatch):
    """10,000 tags kept 1,000-2,000 preview points each (hundreds of MB for long series)."""
    monkeypatch.setattr(follower_module, "PREVIEW_TOTAL", 4000)
    monkeypatch.setattr(follower_module, "PREVIEW_MIN", 4)
    n_tags, points = 100, 500
    path = tmp_path / "a" / "events.out.tfevents.1.x"
    write(path, *(scalar(s, float(s), tag=f"t{k}") for s in range(points) for k in range(n_tags)))
    f = Follower(str(tmp_path), read_bytes=4096)  # the data arrives in many pieces
    f.poll(lambda b: None)
    series = f.with_preview(lambda logs: [logs.scalars("a", tag) for tag in logs.tags("a")["scalars"]])
    assert len(series) == n_tags
    assert sum(len(s.step) for s in series) <= 2 * 4000 + n_tags
    for s in series:
        assert s.step[0] == 0 and s.step[-1] == points - 1 and len(s.step) >= 4
        assert len(set(np.diff(s.step[:-1]).tolist())) == 1  # evenly thinned, plus the last point


def test_a_kind_the_dashboard_cannot_show_is_skipped_not_fatal(tmp_path, monkeypatch):
    write(tmp_path / "a" / "events.out.tfevents.1.x", scalar(0, 1.0))
    f = Follower(str(tmp_path))
    real_refresh = f.logs.refresh

    def refresh(**kwargs):
        changes = real_refresh(**kwargs)
        changes.new[("a", "no_such_kind", "m")] = [object()]  # read by a newer reader, not encoded
        return changes

    monkeypatch.setattr(f.logs, "refresh", refresh)
    batches: list = []
    f.poll(batches.append)
    assert received(batches) == {("scalars", "a", "loss"): [0.0]}


def test_a_many_run_sweep_read_in_small_pieces_never_resets(tmp_path):
    # Issue 19's sweep, scaled down: runs x tags x steps read 64 KiB at a time (a record cut
    # at every piece's edge). Nothing is purged, so no batch may tell the browser to start over.
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
    try:
        from synth import write_scalar_run
    finally:
        sys.path.pop(0)
    runs, tags, steps = 60, 10, 500
    for i in range(runs):
        write_scalar_run(str(tmp_path / f"run_{i:04d}"), tags, steps)
    f = Follower(str(tmp_path), read_bytes=64 << 10)
    batches: list = []
    f.poll(batches.append)
    f.poll(batches.append)  # nothing new: nothing sent
    assert len(batches) > 1
    assert [b.content["reset"] for b in batches] == [False] * len(batches)
    assert [b.content["seq"] for b in batches] == list(range(1, len(batches) + 1))
    got = received(batches)
    assert len(got) == runs * tags
    for v in got.values():
        assert v == [float(v[0] + k) for k in range(steps)]  # every step once, in order
