"""Dashboard (kernel side): what it sends is what is on disk, live, in protocol order."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

pytest.importorskip("anywidget")

from live_helpers import wait_for  # tests/live_helpers.py
from tbx_widget._proto import event_pb2
from tbx_widget.event_file import EventFileWriter
from tbx_widget.widget import Dashboard


class Recorder:
    """Captures what a Dashboard sends to the browser and decodes scalar items."""

    def __init__(self, dashboard: Dashboard):
        self.messages: list[tuple[dict, list[bytes]]] = []
        dashboard.send = lambda content, buffers=None: self.messages.append((content, list(buffers or [])))

    def scalars(self) -> dict[tuple[str, str], list[tuple[float, float]]]:
        out: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for content, buffers in self.messages:
            if content.get("type") != "batch":
                continue  # a "sent" notice
            if content.get("reset"):
                out.clear()
            for item in content["items"]:
                if item["kind"] != "scalars":
                    continue
                key = (item["run"], item["tag"])
                steps = np.frombuffer(buffers[item["step_buf"]], "<f8")
                values = np.frombuffer(buffers[item["value_buf"]], "<f8")
                out.setdefault(key, []).extend(zip(steps.tolist(), values.tolist()))
        return out

    def seqs(self) -> list[int]:
        return [c["seq"] for c, _ in self.messages if c.get("type") == "batch"]


def scalar(step, value, tag="loss"):
    e = event_pb2.Event(wall_time=1000.0 + step, step=step)
    e.summary.value.add(tag=tag, simple_value=value)
    return e


@pytest.fixture
def dashboard_factory():
    made = []

    def make(*args, **kwargs):
        d = Dashboard(*args, **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def write_loss_run(logdir, steps: int) -> None:
    """Run "a" of ``logdir``: scalar "loss" equal to its step, for steps 0 .. steps - 1."""
    writer = EventFileWriter(logdir / "a")
    for step in range(steps):
        writer.add_event(scalar(step, float(step)))
    writer.close()


@pytest.fixture
def ten_steps(tmp_path):
    """A logdir whose run "a" has 10 steps of "loss" (value = step)."""
    logdir = tmp_path / "runs"
    write_loss_run(logdir, 10)
    return logdir


def test_pushes_what_an_in_process_writer_flushes(tmp_path, dashboard_factory):
    logdir = tmp_path / "runs"
    dash = dashboard_factory(logdir, poll_interval=30)  # only flush notices can wake it in time
    rec = Recorder(dash)
    writer = EventFileWriter(logdir / "exp1", flush_secs=3600)
    for step in range(50):
        writer.add_event(scalar(step, step / 10))
    writer.flush()
    assert wait_for(lambda: len(rec.scalars().get(("exp1", "loss"), [])) == 50)
    assert rec.scalars()[("exp1", "loss")] == [(float(s), pytest.approx(s / 10)) for s in range(50)]
    for step in range(50, 80):
        writer.add_event(scalar(step, 1.0))
    writer.flush()
    assert wait_for(lambda: len(rec.scalars()[("exp1", "loss")]) == 80)
    seqs = rec.seqs()
    assert seqs == list(range(1, len(seqs) + 1))  # one batch at a time, in order
    assert dash._sent_seq == seqs[-1]
    writer.close()


def test_picks_up_other_processes_by_polling_and_reports_status(tmp_path, dashboard_factory):
    logdir = tmp_path / "later"
    dash = dashboard_factory(logdir, poll_interval=0.1)
    rec = Recorder(dash)
    assert wait_for(lambda: dash.status == "no_logdir")
    logdir.mkdir()
    assert wait_for(lambda: dash.status == "no_runs")
    # Bytes written by "another process": hand-framed, no in-process writer to announce them.
    from tbx_widget.records import encode_record

    (logdir / "events.out.tfevents.1.host").write_bytes(
        encode_record(event_pb2.Event(file_version="brain.Event:2").SerializeToString())
        + b"".join(encode_record(scalar(s, 2.0 * s, tag="acc").SerializeToString()) for s in range(5))
    )
    assert wait_for(lambda: dash.status == "ok")
    assert wait_for(lambda: rec.scalars().get((".", "acc")) == [(float(s), 2.0 * s) for s in range(5)])


def test_resync_sends_the_full_state_with_reset(ten_steps, dashboard_factory):
    dash = dashboard_factory(ten_steps, poll_interval=30)
    rec = Recorder(dash)
    dash.refresh()
    before = len(rec.messages)
    dash._on_browser_message(dash, {"type": "resync"}, [])  # answered by the pump thread
    assert wait_for(lambda: len(rec.messages) > before)
    content, _ = rec.messages[before]
    assert content["reset"] is True
    assert rec.scalars()[("a", "loss")] == [(float(s), float(s)) for s in range(10)]


def test_bad_arguments_are_clear(tmp_path):
    with pytest.raises(ValueError, match="height"):
        Dashboard(tmp_path, height=5)
    with pytest.raises(ValueError, match="tags"):
        Dashboard(tmp_path, tags="(")
    with pytest.raises(TypeError, match="logdir"):
        Dashboard(42)


def test_static_fallback_escapes_untrusted_names(tmp_path, dashboard_factory):
    logdir = tmp_path / "runs"
    writer = EventFileWriter(logdir / "<b>run</b>")
    for step in range(3):
        writer.add_event(scalar(step, float(step), tag="<img src=x onerror=alert(1)>"))
    writer.close()
    dash = dashboard_factory(logdir, poll_interval=30)
    bundle = dash._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    html = data["text/html"]
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;run&lt;/b&gt;" in html and "<polyline" in html


def _listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if table.endswith(("tcp", "tcp6")) and parts[3] != "0A":  # 0A = LISTEN
                continue
            inodes.add(parts[9])
    return inodes


def _my_socket_inodes() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="needs /proc")
def test_opens_no_listening_port(tmp_path, dashboard_factory):
    before = _my_socket_inodes() & _listening_inodes()
    writer = EventFileWriter(tmp_path / "runs" / "x")
    dash = dashboard_factory(tmp_path / "runs", poll_interval=0.1)
    writer.add_event(scalar(1, 1.0))
    writer.flush()
    dash.refresh()
    after = _my_socket_inodes() & _listening_inodes()
    writer.close()
    assert after == before


def test_follower_memory_stays_flat_sent_data_is_released(tmp_path):
    """The follower's reader keeps no data (it streams); a resend re-reads it from disk."""
    from tbx_widget.live.follower import Follower
    from tbx_widget.reader import NotRetainedError

    logdir = tmp_path / "runs"
    write_loss_run(logdir, 3000)
    follower = Follower(str(logdir), read_bytes=20_000)  # several reads for this logdir
    got: list = []
    follower.poll(got.append)
    points = sum(i["n"] for b in got for i in b.content["items"] if i["kind"] == "scalars" and not i.get("overview"))
    assert points == 3000 and len(got) > 1
    with pytest.raises(NotRetainedError):
        follower.logs.scalars("a", "loss", start=0)
    again: list = []
    follower.resend(again.append)
    assert again[0].content["reset"] is True
    assert sum(i["n"] for b in again for i in b.content["items"] if not i.get("overview")) == 3000
    preview = follower.with_preview(lambda logs: logs.scalars("a", "loss"))
    assert 1000 <= len(preview.step) <= 2001 and preview.step[0] == 0 and preview.step[-1] == 2999


def test_every_kind_reaches_the_browser_protocol(tmp_path, dashboard_factory):
    """PR curves, audio, hparams and layouts travel as docs/protocol.md says."""
    from tbx_widget import SummaryWriter

    logdir = tmp_path / "runs"
    with SummaryWriter(logdir / "a") as w:
        w.add_pr_curve("pr", np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.4]), 1, num_thresholds=5)
        w.add_pr_curve("pr", np.array([0, 1, 1, 0]), np.array([0.2, 0.8, 0.7, 0.3]), 2, num_thresholds=5)
        w.add_audio("snd", np.zeros(100), 1, sample_rate=8000)
        w.add_hparams({"lr": 0.1, "bn": True}, {"acc": 0.5}, name="hp")
        w.add_custom_scalars_multilinechart(["loss.*"], title="losses")
    dash = dashboard_factory(logdir, poll_interval=30)
    rec = Recorder(dash)
    dash.refresh()
    items = {(i["kind"], i["run"], i["tag"]): (i, buffers) for c, buffers in rec.messages for i in c["items"]}
    pr, buffers = items[("pr_curves", "a", "pr")]
    assert pr["n"] == 2
    offsets = np.frombuffer(buffers[pr["offsets_buf"]], "<i4")
    data = np.frombuffer(buffers[pr["data_buf"]], "<f8")
    assert offsets.tolist() == [0, 5, 10] and len(data) == 60
    tp_step1 = data[:5]
    assert tp_step1[0] == 2  # at threshold 0 both positives are predicted positive
    snd, buffers = items[("audio", "a", "snd")]
    assert buffers[snd["items"][0]["data_buf"]][:4] == b"RIFF" and snd["items"][0]["sample_rate"] == 8000
    hp, _ = items[("hparams", "a/hp", "_hparams_/session_start_info")]
    assert hp["items"][0]["record"] == "session_start" and hp["items"][0]["data"]["hparams"] == {"bn": True, "lr": 0.1}
    cs, _ = items[("custom_scalars", "a", "custom_scalars__config__")]
    assert cs["items"][0]["categories"][0]["charts"][0] == {"title": "losses", "kind": "multiline", "tags": ["loss.*"]}
    import json

    for content, _ in rec.messages:
        json.dumps(content)  # every message is plain JSON besides its buffers


def test_saved_curves_trait_keeps_the_last_state_for_saved_notebooks(tmp_path, dashboard_factory):
    import json

    logdir = tmp_path / "runs"
    write_loss_run(logdir, 5000)
    dash = dashboard_factory(logdir, poll_interval=30)
    Recorder(dash)
    dash.refresh()
    assert not dash.has_trait("_snapshot")  # one word per meaning: snapshot is the static HTML
    snap = json.loads(dash._saved_curves)
    assert snap["runs"] == ["a"]
    (series,) = snap["series"]
    assert series["tag"] == "loss" and series["step"][0] == 0 and series["step"][-1] == 4999
    assert 1000 <= len(series["step"]) <= 2001 and series["value"] == [float(s) for s in series["step"]]


def test_kernel_waits_for_the_browser_ack_before_sending_more(tmp_path, dashboard_factory, monkeypatch):
    """Bytes in flight are bounded: past the window, the next batch waits for an ack; the
    ack handler (the kernel's main thread) never waits itself."""
    import tbx_widget.widget as widget_module
    from tbx_widget.live.pacing import Pacer

    monkeypatch.setattr(widget_module, "Pacer", lambda **kw: Pacer(window_bytes=1, ack_timeout=60, paced_rate=1, **kw))
    logdir = tmp_path / "runs"
    dash = dashboard_factory(logdir, poll_interval=30)
    rec = Recorder(dash)
    writer = EventFileWriter(logdir / "a", flush_secs=3600)
    writer.add_event(scalar(0, 0.5))
    writer.flush()
    assert wait_for(lambda: len(rec.messages) == 1)  # nothing in flight: the first batch goes
    writer.add_event(scalar(1, 1.5))
    writer.flush()
    time.sleep(0.5)
    assert len(rec.messages) == 1  # the window is full and no ack came
    t0 = time.monotonic()
    dash._on_browser_message(dash, {"type": "resync"}, [])  # must not wait for room
    dash._on_browser_message(dash, {"type": "ack", "seq": "1"}, [])  # malformed: ignored
    assert time.monotonic() - t0 < 0.1 and len(rec.messages) == 1
    dash._on_browser_message(dash, {"type": "ack", "seq": rec.seqs()[-1]}, [])
    assert wait_for(lambda: len(rec.messages) == 2)
    # The batch that waited for room is superseded by the resync's answer: the full state.
    assert rec.messages[1][0]["reset"] is True
    assert rec.scalars()[("a", "loss")] == [(0.0, 0.5), (1.0, 1.5)]
    writer.close()


def test_status_counts_skipped_records(tmp_path, dashboard_factory):
    from tbx_widget.reader import Logs
    from tbx_widget.records import encode_record

    if not hasattr(Logs(str(tmp_path)), "skipped_records"):
        pytest.skip("Logs.skipped_records is not there yet (reader work in progress)")
    from tbx_widget.records import CorruptRecordWarning

    logdir = tmp_path / "runs"
    logdir.mkdir()
    dash = dashboard_factory(logdir, poll_interval=30)
    assert wait_for(lambda: dash._passes_done >= 1)  # its first read found nothing
    assert dash.skipped == 0
    (logdir / "events.out.tfevents.1.host").write_bytes(
        encode_record(event_pb2.Event(file_version="brain.Event:2").SerializeToString())
        + encode_record(scalar(0, 1.0).SerializeToString())
        + encode_record(b"\xff\xff\xff\xff not an event")  # framed and checksummed, but undecodable
        + encode_record(scalar(1, 2.0).SerializeToString())
    )
    with pytest.warns(CorruptRecordWarning):
        dash.refresh()
    assert dash.skipped == dash._follower.logs.skipped_records >= 1


def test_repr_outside_a_notebook_says_how_to_view_it(tmp_path, dashboard_factory):
    dash = dashboard_factory(tmp_path / "runs", poll_interval=30)
    text = repr(dash)
    assert "tbx_widget.load(" in text and "JupyterLab" in text and "VS Code" in text
    bundle = dash._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == text


def test_acks_count_as_held_back_only_while_the_kernel_loop_is_busy(tmp_path):
    """The paced fallback is for a kernel running a cell (acks cannot be delivered); on an idle
    kernel a late ack means a slow page, and the kernel waits for it."""
    import asyncio

    async def main() -> list[bool]:
        dash = Dashboard(tmp_path / "runs", poll_interval=30)
        try:
            seen = [dash._acks_held_back()]
            time.sleep(1.5)  # a cell running on the kernel's main thread: no beats
            seen.append(dash._acks_held_back())
            await asyncio.sleep(0.4)  # idle again
            seen.append(dash._acks_held_back())
            return seen
        finally:
            dash.close()

    assert asyncio.run(main()) == [False, True, False]
    outside = Dashboard(tmp_path / "runs", poll_interval=30)
    try:
        assert outside._acks_held_back()  # no event loop: nothing could deliver an ack
    finally:
        outside.close()


def test_show_outside_a_notebook_prints_how_to_view_it(tmp_path, dashboard_factory, capsys):
    dash = dashboard_factory(tmp_path / "runs", poll_interval=30)
    assert dash.show() is dash
    out = capsys.readouterr().out
    assert "a live widget" in out and f"tbx_widget.load({str(tmp_path / 'runs')!r})" in out
    assert "object at 0x" not in out


def test_ready_from_a_page_that_has_everything_resends_nothing(ten_steps, dashboard_factory):
    # The page's "ready" (sent by `initialize`) waits while the Dashboard's cell runs, so it
    # arrives after the first batches went out. It used to make the kernel re-send the whole
    # logdir with `reset` to every view (on a 10M-point logdir: after the first full load).
    # Now the kernel tells the views how far it has sent; only a view that lacks some asks.
    dash = dashboard_factory(ten_steps, poll_interval=30)
    rec = Recorder(dash)
    dash.refresh()
    sent = [c["seq"] for c, _ in rec.messages]
    assert sent and dash._sent_seq == sent[-1]
    dash._pacer.send(99, 1 << 30, lambda: None)  # something in flight: ready must not forget it
    dash._on_browser_message(dash, {"type": "ready"}, [])
    time.sleep(0.3)  # a resend, if any, goes from the pump thread
    dash.refresh()
    later = rec.messages[len(sent):]
    assert [c for c, _ in later if c.get("type") == "batch"] == []
    assert [c for c, _ in later] == [{"type": "sent", "seq": sent[-1]}]
    assert dash._pacer.in_flight > 0
    assert rec.scalars()[("a", "loss")] == [(float(s), float(s)) for s in range(10)]


def test_ready_before_anything_was_sent_is_not_answered(tmp_path, dashboard_factory):
    dash = dashboard_factory(tmp_path / "none", poll_interval=30)
    rec = Recorder(dash)
    dash.refresh()
    dash._on_browser_message(dash, {"type": "ready"}, [])
    dash.refresh()
    assert rec.messages == []


def test_a_resync_during_a_long_read_is_answered_before_the_read_ends(tmp_path, dashboard_factory):
    # A read of a big logdir sends batches for minutes; a resync used to wait for all of them
    # (then sent everything again). Now the read stops and the full state goes at once.
    import sys

    sys.path.insert(0, str(os.path.join(os.path.dirname(__file__), "..", "benchmarks")))
    try:
        from synth import write_scalar_run
    finally:
        sys.path.pop(0)
    logdir = tmp_path / "big"
    for i in range(3):
        write_scalar_run(str(logdir / f"r{i}"), 1, 200_000)
    dash = dashboard_factory(logdir, poll_interval=30)
    assert wait_for(lambda: dash._passes_done >= 1)  # the constructor's wake: the read happens there
    full = []
    dash.send = lambda content, buffers=None: full.append(content)
    dash._on_browser_message(dash, {"type": "resync"}, [])
    assert wait_for(lambda: dash._passes_done >= 2)
    n_full = len(full)
    assert n_full >= 3 and full[0]["reset"]

    got = []

    def send(content, buffers=None):
        got.append(content)
        if len(got) == 1:
            dash._on_browser_message(dash, {"type": "resync"}, [])

    dash.send = send
    dash._on_browser_message(dash, {"type": "resync"}, [])
    assert wait_for(lambda: len(got) >= 1 + n_full)
    dash.refresh()
    assert [c["reset"] for c in got] == [True] + [True] + [False] * (n_full - 1)  # one batch of the first resend
    assert dash._last_sent == got[-1]["seq"]


def test_a_batch_whose_send_raises_is_not_in_flight():
    from tbx_widget.live.pacing import Pacer

    pacer = Pacer(window_bytes=10, ack_timeout=60, paced_rate=1)
    pacer.send(1, 4, lambda: None)

    def fail() -> None:
        raise RuntimeError("superseded")

    with pytest.raises(RuntimeError, match="superseded"):
        pacer.send(2, 5, fail)
    assert pacer.in_flight == 4  # only batch 1, which an ack will free
    pacer.ack(1)
    assert pacer.in_flight == 0
    assert pacer.send(3, 10, lambda: None)  # the whole window is free again (no wait)


def test_widget_saved_view_and_reader_name_kinds_through_metadata():
    """No kind-name literal ("scalars", "images", ...) or hparams record name ("session_start", ...)
    outside docstrings: they come from tbx_widget.metadata, the one vocabulary per kind."""
    import ast
    import pathlib

    import tbx_widget
    from tbx_widget import metadata as md

    root = pathlib.Path(tbx_widget.__file__).parent
    vocabulary = set(md.KINDS) | set(md.hparams.RECORDS)
    for rel in ("widget.py", "saved_view.py", "reader/logs.py"):
        tree = ast.parse((root / rel).read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        # Field names that happen to equal a kind ("hparams" of an hparams record or table row).
        fields = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys}
        fields |= {id(node.slice) for node in ast.walk(tree) if isinstance(node, ast.Subscript) and (
                   isinstance(node.value, ast.Name) or isinstance(node.value, ast.Attribute) and node.value.attr == "data")}
        literals = [(rel, node.lineno, node.value) for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and node.value in vocabulary and id(node) not in docstrings | fields]
        assert literals == []


def test_front_end_types_every_synced_trait():
    """js/src/traits.ts types the model's traits (AnyModel<Traits>): its list is the widget's."""
    import pathlib
    import re

    source = (pathlib.Path(__file__).resolve().parents[1] / "js" / "src" / "traits.ts").read_text()
    listed = re.search(r"TRAIT_NAMES = \[(.*?)\] as const", source, re.S)
    assert listed is not None
    names = re.findall(r'"(\w+)"', listed.group(1))
    assert sorted(names) == sorted(Dashboard.class_own_traits(sync=True))


def test_a_want_message_is_answered_with_exactly_the_series_full_data(tmp_path, dashboard_factory, monkeypatch):
    """Full data on request (docs/protocol.md): a big logdir sends overviews; a "want" names
    series and the kernel sends their full data, marked whole; malformed entries are ignored."""
    import functools

    from tbx_widget import widget as widget_module
    from tbx_widget.live.follower import Follower

    monkeypatch.setattr(widget_module, "Follower", functools.partial(Follower, read_bytes=8 << 10))
    monkeypatch.setattr(widget_module, "FULL_ON_REQUEST", True)
    for run in ("a", "b", "c"):
        writer = EventFileWriter(tmp_path / run)
        for step in range(3000):
            writer.add_event(scalar(step, float(step) * (2 if run == "b" else 1)))
        writer.close()
    dash = dashboard_factory(str(tmp_path), poll_interval=60)
    rec = Recorder(dash)
    dash._on_browser_message(dash, {"type": "resync"}, [])  # the whole state again, recorded

    def items(whole: bool):
        return [it for c, _ in rec.messages if c.get("type") == "batch" for it in c["items"] if bool(it.get("whole")) == whole]

    assert wait_for(lambda: len({it["run"] for it in items(False) if it.get("on_request")}) == 3)
    assert not any(not it.get("overview") for it in items(False))  # no full scalars unasked
    dash._on_browser_message(dash, {"type": "want", "series": [["b", "loss"], ["x"], 5, ["a", 1]]}, [])
    assert wait_for(lambda: items(True))
    (it,) = items(True)
    assert (it["run"], it["tag"], it["n"]) == ("b", "loss", 3000)
    batch, buffers = next((c, b) for c, b in rec.messages if c.get("type") == "batch" and it in c["items"])
    assert np.frombuffer(buffers[it["value_buf"]], "<f8").tolist() == [2.0 * s for s in range(3000)]
    seqs = rec.seqs()
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    dash._on_browser_message(dash, {"type": "want", "series": "b"}, [])  # malformed: nothing
