"""storage.py and the remote reading path without a server: memory:// (fsspec's in-process
filesystem), local roots, a hidden backend, a failing read, the pump's adaptive wait, %tbx."""
from __future__ import annotations

import glob
import os
import sys
import threading
import time
import uuid

import fsspec
import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget.live.pump import Pump
from tbx_widget.magics import parse_tbx_args
from tbx_widget.reader import Logs
from tbx_widget.reader.run import is_event_file
from tbx_widget.storage import Storage, is_url
from tbx_widget.widget import Dashboard


def test_is_url():
    assert is_url("s3://b/x") and is_url("gs://b") and is_url("memory://x") and is_url("file:///tmp/x")
    assert not is_url("runs") and not is_url("/tmp/runs") and not is_url("C:\\runs") and not is_url("c:/runs")
    assert not is_url(3)


def test_bad_arguments_name_what_was_given(tmp_path):
    with pytest.raises(TypeError, match="root must be a path or URL string, got int"):
        Storage(3)
    with pytest.raises(TypeError, match="storage_options must be a dict, got list"):
        Storage("memory://x", [1])
    with pytest.raises(ValueError, match="storage_options are for URLs"):
        Storage(str(tmp_path), {"key": "k"})
    with pytest.raises(ValueError, match="storage_options are for URLs"):
        load(tmp_path, storage_options={"key": "k"})
    with pytest.raises(ValueError, match="storage_options are for URLs"):
        Logs(tmp_path, storage_options={"key": "k"})
    with pytest.raises(ValueError, match="fsspec knows no protocol 'nosuchproto'"):
        Storage("nosuchproto://x")
    with pytest.raises(ValueError, match="mode must be 'rb' or 'wb'"):
        Storage(str(tmp_path)).open("x", "ab")


@pytest.mark.parametrize("remote", [False, True])
def test_storage_operations_local_and_memory(tmp_path, remote):
    root = f"memory://st-{uuid.uuid4().hex[:8]}/logs" if remote else str(tmp_path / "logs")
    if not remote:
        os.makedirs(os.path.join(root, "a", "b"))
    st = Storage(root)
    assert not st.exists() or not remote
    one, two = st.join("a", "events.out.tfevents.1"), st.join("a", "b", "events.out.tfevents.2")
    st.append(one, b"hello ")
    st.append(one, b"world")
    with st.open(two, "wb") as f:
        f.write(b"0123456789")
    st.append(st.join("notes.txt"), b"x")
    assert st.exists() and st.exists(one) and not st.exists(st.join("nope"))
    assert st.list(is_event_file) == {one: 11, two: 10}
    assert len(st.list()) == 3
    assert st.size(one) == 11
    assert st.read(one, 6, 11) == b"world" and st.read(two, 8, 100) == b"89" and st.read(two, 5, 5) == b""
    assert st.ranged(two).pread(3, 2) == b"234"
    assert st.read_many([(one, 0, 5), (two, 8, 100)]) == [b"hello", b"89"]
    # a window fetched before serves the reads it covers; others are read
    window = st.ranged(two, 2, b"23", size=10)
    assert window.pread(2, 2) == b"23" and window.pread(3, 3) == b"345"
    assert st.ranged(two, 8, b"89", size=10).pread(100, 8) == b"89"
    with st.open(two) as f:
        assert f.read() == b"0123456789"


def _hide(monkeypatch, module: str, protocols: list[str]) -> None:
    """Make ``module`` unimportable and forget fsspec's registered classes for ``protocols``."""
    monkeypatch.setitem(sys.modules, module, None)
    for p in protocols:
        monkeypatch.delitem(sys.modules["fsspec.registry"]._registry, p, raising=False)


@pytest.mark.parametrize("module,url,extra", [
    ("s3fs", "s3://bucket/runs", "s3"),
    ("gcsfs", "gs://bucket/runs", "gcs"),
    ("adlfs", "az://container/runs", "azure"),
])
def test_missing_backend_names_the_extra(monkeypatch, module, url, extra):
    _hide(monkeypatch, module, ["s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"])
    hint = f"pip install 'tbx-widget[{extra}]'"
    for make in (lambda: load(url), lambda: Logs(url), lambda: Dashboard(url), lambda: Storage(url)):
        with pytest.raises(ImportError) as info:
            make()
        assert hint in str(info.value)
    assert not [p for p in os.listdir(".") if p.endswith(":")]


def test_missing_fsspec_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(ImportError, match=r"pip install 'tbx-widget\[s3\]'"):
        Logs("s3://bucket/runs")


def _memory_logdir(tmp_path, runs: dict[str, int]) -> tuple[str, str, dict[str, SummaryWriter]]:
    local = str(tmp_path / "logs")
    writers = {}
    for run, n in runs.items():
        writers[run] = w = SummaryWriter(os.path.join(local, run))
        for i in range(n):
            w.add_scalar("loss", float(i), i)
        w.flush()
    root = f"memory://mem-{uuid.uuid4().hex[:8]}/logs"
    _upload(local, root)
    return local, root, writers


def _upload(local: str, root: str) -> None:
    fs = fsspec.filesystem("memory")
    for path in glob.glob(os.path.join(local, "**", "*tfevents*"), recursive=True):
        with open(path, "rb") as f:
            fs.pipe_file(root + "/" + os.path.relpath(path, local).replace(os.sep, "/"), f.read())


class FailingReads:
    """A filesystem whose ``cat_file`` fails for paths containing ``broken`` while it is set."""

    def __init__(self, fs):
        self._fs = fs
        self.broken: str | None = None

    def __getattr__(self, name):
        return getattr(self._fs, name)

    def cat_file(self, path, start=None, end=None):
        if self.broken is not None and self.broken in path:
            raise ConnectionError(f"network down reading {path}")
        return self._fs.cat_file(path, start=start, end=end)

    def cat_ranges(self, paths, starts, ends, on_error="return"):  # the first pieces arrive
        return [self._fs.cat_file(p, s, e) for p, s, e in zip(paths, starts, ends)]


@pytest.mark.parametrize("retain", [False, True])
def test_a_failed_refresh_loses_nothing(tmp_path, retain):
    """Run "a" is read, then reading run "b" fails: the error propagates, and what was read of
    "a" is handed over by the next refresh (streaming mode had dropped it before). Small read
    chunks: the reads after the first, concurrent, piece of each file are made one by one."""
    local, root, writers = _memory_logdir(tmp_path, {"a": 10, "b": 10})
    logs = Logs(root, retain=retain, chunk_size=128)
    logs.refresh()
    for run in writers:
        for i in range(10, 25):
            writers[run].add_scalar("loss", float(i), i)
        writers[run].close()
    _upload(local, root)
    failing = logs.storage.fs = FailingReads(logs.storage.fs)
    failing.broken = "/b/"
    with pytest.raises(ConnectionError):
        logs.refresh()
    failing.broken = None
    changes = logs.refresh()
    for run in ("a", "b"):
        assert changes.new[(run, "scalars", "loss")].step.tolist() == list(range(10, 25))
    assert not logs.refresh()
    if retain:
        for run in ("a", "b"):
            assert logs.scalars(run, "loss").step.tolist() == list(range(25))


def test_memory_url_reads_like_the_local_copy(tmp_path):
    local, root, writers = _memory_logdir(tmp_path, {"x": 30, "y/z": 5})
    remote = load(root)
    assert remote.runs == load(local).runs == ["x", "y/z"]
    np.testing.assert_array_equal(remote.scalars("x", "loss").value, np.arange(30.0))
    for w in writers.values():
        w.close()


def test_pump_waits_k_times_the_last_poll_and_reports_retries():
    errors: list[str] = []
    calls: list[float] = []
    fail = threading.Event()

    def step() -> None:
        calls.append(time.monotonic())
        time.sleep(0.15)
        if fail.is_set():
            raise OSError("store unreachable")

    pump = Pump(step, "memory://nowhere", poll_interval=0.05, latency_factor=3.0, on_error=errors.append)
    try:
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pump.last_duration >= 0.15 and pump.next_wait() >= 0.45
        gaps = np.diff(calls[:3])
        assert (gaps >= 0.15 + 0.45 - 0.02).all(), gaps  # not polled back to back every 0.05 s
        fail.set()
        while not errors and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "store unreachable" in errors[0] and "retrying in" in errors[0]
    finally:
        pump.stop()
    assert Pump(lambda: None, ".", poll_interval=0.5).next_wait() == 0.5  # local: as before
    assert not [p for p in os.listdir(".") if p.endswith(":")]


def test_tbx_magic_takes_a_url_and_storage_options():
    kw = parse_tbx_args('s3://bucket/runs --storage-options \'{"endpoint_url": "http://127.0.0.1:9000", "anon": true}\'')
    assert kw["logdir"] == "s3://bucket/runs"
    assert kw["storage_options"] == {"endpoint_url": "http://127.0.0.1:9000", "anon": True}
    assert "storage_options" not in parse_tbx_args("runs")
    with pytest.raises(ValueError, match="--storage-options must be a JSON object"):
        parse_tbx_args("s3://b --storage-options '[1]'")
    with pytest.raises(ValueError, match="--storage-options must be a JSON object"):
        parse_tbx_args("s3://b --storage-options '{bad'")


def test_put_retries_with_backoff_then_names_the_object(monkeypatch, tmp_path):
    from tbx_widget import storage as storage_module

    monkeypatch.setattr(storage_module, "PUT_BACKOFF_SECS", 0.001)
    st = Storage(f"memory://put-{uuid.uuid4().hex[:8]}/logs")
    real, calls = st.fs.pipe_file, []

    def flaky(path, data, **kw):
        calls.append(path)
        if len(calls) <= 2:
            raise ConnectionResetError("the server went away")
        return real(path, data, **kw)

    monkeypatch.setattr(st.fs, "pipe_file", flaky)
    st.put(st.join("a", "x.tsv"), b"1\t2\n")
    assert len(calls) == 3 and st.read(st.join("a", "x.tsv"), 0, 100) == b"1\t2\n"
    st.append(st.join("a", "x.tsv"), b"3\t4\n")
    assert st.read(st.join("a", "x.tsv"), 0, 100) == b"1\t2\n3\t4\n"
    calls.clear()
    monkeypatch.setattr(st.fs, "pipe_file", lambda *a, **k: (calls.append(1), (_ for _ in ()).throw(TimeoutError("slow")))[1])
    with pytest.raises(ConnectionError, match=r"uploading .*a/y\.tsv \(3 bytes\) to memory://put-.* failed 4 times \(TimeoutError: slow\)"):
        st.put(st.join("a", "y.tsv"), b"abc")
    assert len(calls) == 4
    monkeypatch.setattr(st.fs, "pipe_file", lambda *a, **k: (_ for _ in ()).throw(PermissionError("denied")))
    with pytest.raises(PermissionError, match="access denied"):
        st.put(st.join("a", "z.tsv"), b"abc")
    with pytest.raises(TypeError, match="data must be bytes, got str"):
        st.put(st.join("a", "z.tsv"), "abc")
    local = Storage(str(tmp_path / "root"))
    local.put(local.join("d", "e", "f.bin"), b"xy")
    assert (tmp_path / "root" / "d" / "e" / "f.bin").read_bytes() == b"xy"
