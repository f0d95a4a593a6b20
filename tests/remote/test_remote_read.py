"""Remote logdirs, reading side (issue 16), against real S3 (moto), GCS (gcp-storage-emulator)
and Azure Blob (Azurite) servers started by conftest.py.

The event files are written by our SummaryWriter to a local directory and uploaded with fsspec;
"appending" re-uploads the longer file whole, as a remote writer does (object stores have no
append). Every test also checks (conftest) that no directory named after a URL scheme appeared.
"""
from __future__ import annotations

import glob
import os
import re
import time
from collections import Counter
from typing import Any

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget.reader import Logs
from tbx_widget.widget import Dashboard


class Counting:
    """An fsspec filesystem whose calls (made by our code) are counted and recorded."""

    def __init__(self, fs: Any):
        self._fs = fs
        self.calls: Counter[str] = Counter()
        self.reads: list[tuple[str, int, int]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._fs, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if name == "cat_file":
                self.reads.append((args[0], kwargs.get("start"), kwargs.get("end")))
            elif name == "cat_ranges":
                self.reads.extend(zip(*args[:3]))
            return attr(*args, **kwargs)

        return call

    def reset(self) -> None:
        self.calls.clear()
        self.reads.clear()


def write(writer: SummaryWriter, lo: int, hi: int) -> None:
    for i in range(lo, hi):
        writer.add_scalar("loss", 1.0 / (i + 1), i)
        writer.add_scalar("acc", i / 100, i)
        if i % 10 == 0:
            writer.add_histogram("w", np.arange(i, i + 50, dtype=np.float64), i)
            writer.add_text("note", f"step {i}", i)
    writer.flush()


def upload(fs: Any, local: str, remote_root: str) -> dict[str, int]:
    """Upload every event file under ``local`` to ``remote_root`` (whole objects); their sizes."""
    sizes = {}
    for path in sorted(glob.glob(os.path.join(local, "**", "*tfevents*"), recursive=True)):
        rel = os.path.relpath(path, local).replace(os.sep, "/")
        fs.put_file(path, f"{remote_root}/{rel}")
        sizes[rel] = os.path.getsize(path)
    return sizes


def same_data(a: Logs, b: Logs) -> None:
    assert a.runs == b.runs
    for run in a.runs:
        assert a.tags(run) == b.tags(run)
        for tag in a.tags(run)["scalars"]:
            sa, sb = a.scalars(run, tag), b.scalars(run, tag)
            np.testing.assert_array_equal(sa.step, sb.step)
            np.testing.assert_array_equal(sa.value, sb.value)
            np.testing.assert_array_equal(sa.wall_time, sb.wall_time)
        for tag in a.tags(run)["histograms"]:
            ha, hb = a.histograms(run, tag), b.histograms(run, tag)
            assert [h.step for h in ha] == [h.step for h in hb]
            for x, y in zip(ha, hb):
                np.testing.assert_array_equal(x.bucket_counts, y.bucket_counts)
                np.testing.assert_array_equal(x.bucket_limits, y.bucket_limits)
        for tag in a.tags(run)["text"]:
            assert [(t.step, t.text) for t in a.texts(run, tag)] == [(t.step, t.text) for t in b.texts(run, tag)]


def test_values_written_equal_values_loaded(remote, tmp_path):
    local = str(tmp_path / "logs")
    for run, n in (("a", 40), ("b/deep", 25)):
        with SummaryWriter(os.path.join(local, run)) as w:
            write(w, 0, n)
    fs, bucket = remote.filesystem(), remote.new_bucket()
    upload(fs, local, f"{bucket}/exp")
    logs = load(remote.url(bucket, "exp"), storage_options=remote.storage_options)
    assert logs.runs == ["a", "b/deep"]
    same_data(logs, load(local))
    # The bucket's root as the logdir: the run names carry the prefix.
    assert load(remote.url(bucket), storage_options=remote.storage_options).runs == ["exp/a", "exp/b/deep"]


def test_longer_reupload_is_continued_with_ranged_reads_of_the_new_bytes(remote, tmp_path):
    local = str(tmp_path / "logs")
    w = SummaryWriter(os.path.join(local, "run"))
    write(w, 0, 100)
    fs, bucket = remote.filesystem(), remote.new_bucket()
    (name, before), = upload(fs, local, f"{bucket}/exp").items()
    logs = Logs(remote.url(bucket, "exp"), storage_options=remote.storage_options)
    logs.refresh()
    assert len(logs.scalars("run", "loss")) == 100
    write(w, 100, 250)
    w.close()
    after = upload(fs, local, f"{bucket}/exp")[name]
    assert after > before

    counting = logs.storage.fs = Counting(logs.storage.fs)
    changes = logs.refresh()
    assert changes.appended[("run", "scalars", "loss")] == 150
    # Only the new bytes were fetched, by ranged reads starting where the last refresh stopped.
    assert counting.reads and all(start >= before for _, start, _ in counting.reads)
    assert sum(min(end, after) - start for _, start, end in counting.reads) == after - before
    same_data(logs, load(local))


def test_one_listing_per_poll_whatever_the_number_of_runs(remote, tmp_path):
    local = str(tmp_path / "logs")
    writers = [SummaryWriter(os.path.join(local, f"run{i}")) for i in range(8)]
    for w in writers:
        write(w, 0, 5)
    fs, bucket = remote.filesystem(), remote.new_bucket()
    upload(fs, local, f"{bucket}/exp")
    logs = Logs(remote.url(bucket, "exp"), storage_options=remote.storage_options)  # lists once
    counting = logs.storage.fs = Counting(logs.storage.fs)
    logs.refresh()
    assert len(logs.runs) == 8
    # The constructor's listing serves; the eight new files read at once (one cat_ranges).
    assert counting.calls == Counter({"cat_ranges": 1})
    assert len(counting.reads) == 8

    counting.reset()
    assert not logs.refresh()  # idle poll: one listing, no read, no per-run request
    assert counting.calls == Counter({"invalidate_cache": 1, "find": 1})

    write(writers[3], 5, 9)
    upload(fs, local, f"{bucket}/exp")  # the writer re-uploads every object
    counting.reset()
    changes = logs.refresh()
    assert changes.appended[("run3", "scalars", "loss")] == 4 and len(changes.appended) == 2
    assert counting.calls == Counter({"invalidate_cache": 1, "find": 1, "cat_file": 1})
    for w in writers:
        w.close()


def test_missing_bucket_is_a_clear_error_at_construction(remote):
    url = remote.url("tbx-no-such-bucket", "runs")
    for make in (
        lambda: load(url, storage_options=remote.storage_options),
        lambda: Logs(url, storage_options=remote.storage_options),
        lambda: Dashboard(url, storage_options=remote.storage_options),
    ):
        with pytest.raises(FileNotFoundError, match="bucket 'tbx-no-such-bucket' does not exist"):
            make()


def test_denied_access_is_a_clear_error_at_construction(servers):
    """Azurite checks the account key (moto and the GCS emulator accept any credentials)."""
    az = servers["azure"]
    bucket = az.new_bucket()
    bad = {"connection_string": re.sub(r"AccountKey=[^;]+", "AccountKey=" + "A" * 86 + "==", az.storage_options["connection_string"])}
    for make in (lambda: Logs(az.url(bucket, "runs"), storage_options=bad),
                 lambda: Dashboard(az.url(bucket, "runs"), storage_options=bad)):
        with pytest.raises(PermissionError, match=f"logdir 'az://{bucket}/runs': access denied"):
            make()


def test_an_empty_prefix_is_an_error_for_load_and_awaited_by_logs(remote):
    bucket = remote.new_bucket()
    with pytest.raises(FileNotFoundError, match="nothing is stored under it"):
        load(remote.url(bucket, "not-yet"), storage_options=remote.storage_options)
    logs = Logs(remote.url(bucket, "not-yet"), storage_options=remote.storage_options)
    assert not logs.refresh() and logs.runs == []


class Recorder:
    """What a Dashboard sends to the browser, scalar points per (run, tag)."""

    def __init__(self, dashboard: Dashboard):
        self.messages: list[tuple[dict, list[bytes]]] = []
        dashboard.send = lambda content, buffers=None: self.messages.append((content, list(buffers or [])))

    def steps(self, run: str, tag: str) -> list[int]:
        out: list[int] = []
        for content, buffers in list(self.messages):
            if content.get("reset"):
                out.clear()
            for item in content["items"]:
                if item["kind"] == "scalars" and (item["run"], item["tag"]) == (run, tag):
                    out.extend(int(s) for s in np.frombuffer(buffers[item["step_buf"]], "<f8"))
        return out


def wait_for(cond, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())


def test_dashboard_follows_a_bucket_written_by_uploads(remote, tmp_path):
    local = str(tmp_path / "logs")
    w = SummaryWriter(os.path.join(local, "run"))
    write(w, 0, 20)
    fs, bucket = remote.filesystem(), remote.new_bucket()
    upload(fs, local, f"{bucket}/exp")
    d = Dashboard(remote.url(bucket, "exp"), storage_options=remote.storage_options, poll_interval=0.1)
    try:
        rec = Recorder(d)
        d.refresh()
        assert wait_for(lambda: rec.steps("run", "loss") == list(range(20)))
        assert d.status == "ok" and d.error == ""
        assert d._pump.latency_factor > 0  # a remote logdir: polls adapt to its latency
        write(w, 20, 50)
        upload(fs, local, f"{bucket}/exp")
        assert wait_for(lambda: rec.steps("run", "loss") == list(range(50))), rec.steps("run", "loss")
    finally:
        d.close()
        w.close()


def test_network_failure_is_reported_retried_and_nothing_is_lost(servers, tmp_path):
    """The S3 server stops while a dashboard follows it: the error line says so and that it
    retries; when the server is back (its objects uploaded again, as the writer's next flush
    does) every point arrives exactly once and the error line clears."""
    s3 = servers["s3"]
    local = str(tmp_path / "logs")
    w = SummaryWriter(os.path.join(local, "run"))
    write(w, 0, 30)
    fs, bucket = s3.filesystem(), s3.new_bucket()
    upload(fs, local, f"{bucket}/exp")
    options = dict(s3.storage_options, config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 1})
    d = Dashboard(s3.url(bucket, "exp"), storage_options=options, poll_interval=0.1)
    try:
        rec = Recorder(d)
        assert wait_for(lambda: rec.steps("run", "loss") == list(range(30)))
        s3.stop()
        assert wait_for(lambda: "retrying in" in d.error, 30), d.error
        write(w, 30, 60)
        s3.restart()
        fs = s3.filesystem()
        fs.mkdir(bucket)
        upload(fs, local, f"{bucket}/exp")
        assert wait_for(lambda: rec.steps("run", "loss") == list(range(60)), 60), rec.steps("run", "loss")
        assert wait_for(lambda: d.error == "", 10), d.error
    finally:
        d.close()
        w.close()


WRITER = r"""
import glob, json, os, sys, time
import fsspec
from tbx_widget import SummaryWriter
local, target, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
fs = fsspec.filesystem("s3", **options)
with SummaryWriter(local) as w:
    for i in range(200):
        w.add_scalar("loss", 1.0 / (i + 1), i)
        if i % 20 == 19:  # a flush, then the whole event file uploaded again (a remote writer's way)
            w.flush()
            (path,) = glob.glob(os.path.join(local, "*tfevents*"))
            fs.put_file(path, target + "/" + os.path.basename(path))
            time.sleep(0.05)
"""


def test_follows_a_bucket_written_by_another_process(servers, tmp_path):
    """A separate process writes and re-uploads its event file ten times; a streaming reader
    polling meanwhile receives every step exactly once, in order."""
    import json
    import subprocess
    import sys

    s3 = servers["s3"]
    bucket = s3.new_bucket()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "w"), f"{bucket}/exp/worker0",
                             json.dumps(s3.storage_options)])
    try:
        logs = Logs(s3.url(bucket, "exp"), storage_options=s3.storage_options, retain=False)
        steps: list[int] = []
        polls = 0
        deadline = time.monotonic() + 60
        while len(steps) < 200 and time.monotonic() < deadline:
            new = logs.refresh().new.get(("worker0", "scalars", "loss"))
            if new is not None:
                steps.extend(new.step.tolist())
            polls += 1
            time.sleep(0.02)
        assert steps == list(range(200)), steps[-5:]
        assert polls > 2  # it was followed while being written, not read once at the end
    finally:
        proc.wait(30)
    assert proc.returncode == 0
