"""Remote logdirs, writing side (issue 16): SummaryWriter("s3://...") against real S3 (moto), GCS
(gcp-storage-emulator) and Azure Blob (Azurite) servers started by conftest.py, and memory://
for the fast cases. Every test also checks (conftest) that no directory named after a URL scheme
appeared in its working directory.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget import remote_sink
from tbx_widget.event_file import EventFileWriter


def write(writer: SummaryWriter, lo: int, hi: int) -> None:
    for i in range(lo, hi):
        writer.add_scalar("loss", 1.0 / (i + 1), i)
        writer.add_scalars("pair", {"a": i, "b": -i}, i)
        if i % 10 == 0:
            writer.add_histogram("w", np.arange(i, i + 50, dtype=np.float64), i)
            writer.add_text("note", f"step {i}", i)


def write_with_flushes(url: str, options: dict, n: int) -> None:
    """Log ``n`` losses to ``url``, flushing every 25 (each flush one upload)."""
    with SummaryWriter(url, storage_options=options, flush_secs=3600) as w:
        for i in range(n):
            w.add_scalar("loss", 1.0 / (i + 1), i)
            if i % 25 == 24:
                w.flush()


def objects(fs: Any, prefix: str) -> dict[str, int]:
    fs.invalidate_cache()
    return {p: int(i["size"]) for p, i in fs.find(prefix, detail=True).items() if "tfevents" in p}


def steps(url: str, options: dict, tag: str = "loss", run: str = ".") -> list[int]:
    return load(url, storage_options=options).scalars(run, tag).step.tolist()


def test_values_written_remotely_equal_values_loaded(remote, tmp_path):
    url = remote.url(remote.new_bucket(), "exp/run")
    with SummaryWriter(url, storage_options=remote.storage_options) as w:
        write(w, 0, 40)
    with SummaryWriter(tmp_path / "local") as w:
        write(w, 0, 40)
    got, want = load(url, storage_options=remote.storage_options), load(tmp_path / "local")
    assert got.runs == want.runs == [".", "pair/a", "pair/b"]
    for run in want.runs:
        assert got.tags(run) == want.tags(run)
        for tag in want.tags(run)["scalars"]:
            np.testing.assert_array_equal(got.scalars(run, tag).step, want.scalars(run, tag).step)
            np.testing.assert_array_equal(got.scalars(run, tag).value, want.scalars(run, tag).value)
    assert [h.step for h in got.histograms(".", "w")] == list(range(0, 40, 10))
    assert [t.text for t in got.texts(".", "note/text_summary")] == [f"step {i}" for i in range(0, 40, 10)]


@pytest.mark.parametrize("last", [b"\r", b"\n", b"\r\n", b"\x00"])
def test_objects_ending_in_a_line_break_are_stored_byte_for_byte(remote, last):
    """An event file ends with a CRC, any byte: the servers must keep a final CR or LF (the GCS
    emulator's multipart parser dropped a final CR: tests/gcs_emulator.py reads it exactly)."""
    from tbx_widget.storage import Storage

    st = Storage(remote.url(remote.new_bucket(), "run"), remote.storage_options)
    path = st.join("events.out.tfevents.1.x")
    data = bytes(range(256)) * 3 + last
    st.put(path, data)
    assert st.size(path) == len(data) and st.read(path, 0, len(data) + 10) == data


def test_the_emulators_multipart_reading_keeps_every_byte():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    try:
        from gcs_emulator import split_related
    finally:
        sys.path.pop(0)
    for eol in (b"\n", b"\r\n"):
        for content in (b"", b"\r", b"abc\r", b"abc\n", b"a\r\nb\r\n"):
            body = (b"--==0==" + eol + b"Content-Type: application/json" + eol + eol + b'{"name": "k"}' + eol
                    + b"--==0==" + eol + b"Content-Type: application/octet-stream" + eol + eol + content + eol + b"--==0==--")
            (h1, meta), (h2, got) = split_related(body, b"==0==")
            assert meta == b'{"name": "k"}' and got == content and h2["content-type"] == "application/octet-stream"


def test_flush_returns_once_the_data_is_readable(remote):
    bucket = remote.new_bucket()
    url = remote.url(bucket, "run")
    w = SummaryWriter(url, storage_options=remote.storage_options, flush_secs=3600)
    try:
        (first,) = objects(remote.filesystem(), f"{bucket}/run").values()  # the header, uploaded at construction
        assert first > 0
        for i in range(10):
            w.add_scalar("loss", float(i), i)
        w.flush()
        assert steps(url, remote.storage_options) == list(range(10))
        for i in range(10, 15):
            w.add_scalar("loss", float(i), i)
        time.sleep(0.3)
        assert steps(url, remote.storage_options) == list(range(10))  # not flushed: not uploaded
        w.flush()
        assert steps(url, remote.storage_options) == list(range(15))
        assert w._file._sink.uploads == 3  # header, then one upload per flush
    finally:
        w.close()


def test_rolling_past_the_size_limit_gives_objects_read_as_one_run(remote, tmp_path, monkeypatch):
    monkeypatch.setattr(remote_sink, "ROLL_BYTES", 1500)
    bucket = remote.new_bucket()
    url = remote.url(bucket, "run")
    write_with_flushes(url, remote.storage_options, 300)
    fs = remote.filesystem()
    sizes = objects(fs, f"{bucket}/run")
    assert len(sizes) >= 4, sizes
    assert max(sizes.values()) < 1500 + 25 * 60, sizes  # bounded: the limit plus one flush's events
    assert steps(url, remote.storage_options) == list(range(300))

    # TensorBoard's own loader reads the downloaded objects as one run
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    local = tmp_path / "downloaded"
    local.mkdir()
    for path in sizes:
        fs.get_file(path, str(local / path.rsplit("/", 1)[1]))
    acc = ea_mod.EventAccumulator(str(local), size_guidance={ea_mod.SCALARS: 0})
    acc.Reload()
    events = acc.Scalars("loss")
    assert [e.step for e in events] == list(range(300))
    np.testing.assert_allclose([e.value for e in events], [1.0 / (i + 1) for i in range(300)], rtol=1e-6)


def test_a_stopped_server_is_reported_retried_and_nothing_is_lost(servers, monkeypatch):
    """S3 stops mid-training: the periodic upload fails (after its retries) and the next call
    says so; the events stay spooled; after the restart a flush uploads every one of them."""
    monkeypatch.setattr(remote_sink, "BACKOFF_SECS", 0.05)
    s3 = servers["s3"]
    bucket = s3.new_bucket()
    options = dict(s3.storage_options, config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 1})
    url = s3.url(bucket, "run")
    w = SummaryWriter(url, storage_options=options, flush_secs=0.2)
    try:
        write(w, 0, 20)
        w.flush()
        s3.stop()
        logged = 20
        with pytest.raises(ConnectionError, match=r"uploading s3://.*failed 4 times.*uploaded again at the next flush"):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                logged += 1  # the call that reports the error still logs its event
                w.add_scalar("loss", 1.0 / logged, logged - 1)
                time.sleep(0.02)
        write(w, logged, logged + 5)
        logged += 5
        s3.restart()  # moto keeps nothing: the bucket is made again, as an operator would
        s3.filesystem().mkdir(bucket)
        errors = []
        for attempt in range(4):  # a periodic upload of each of the 3 files may have failed during the restart: each reported once
            try:
                w.flush()
                break
            except (ConnectionError, FileNotFoundError) as exc:
                errors.append(f"{exc!r} <- {exc.__cause__!r}")
                assert attempt < 3, errors
        assert steps(url, options) == list(range(logged))
        assert steps(url, options, "pair", "pair/a") == [*range(20), *range(logged - 5, logged)]
    finally:
        w.close()


KILLED_WRITER = r"""
import json, sys, time
from tbx_widget import SummaryWriter
url, options = sys.argv[1], json.loads(sys.argv[2])
w = SummaryWriter(url, storage_options=options, flush_secs=3600)
for i in range(50):
    w.add_scalar("loss", float(i), i)
w.flush()
print("flushed", flush=True)
for i in range(50, 100):
    w.add_scalar("loss", float(i), i)
time.sleep(60)
"""


def test_sigkill_after_a_flush_keeps_what_was_flushed(servers):
    s3 = servers["s3"]
    url = s3.url(s3.new_bucket(), "run")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, url, json.dumps(s3.storage_options)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "flushed"
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert steps(url, s3.storage_options) == list(range(50))  # the flushed events; the rest were never uploaded


def test_missing_bucket_raises_at_construction(remote):
    with pytest.raises(FileNotFoundError, match="bucket 'tbx-no-such-bucket' does not exist"):
        SummaryWriter(remote.url("tbx-no-such-bucket", "run"), storage_options=remote.storage_options)


def test_denied_access_raises_at_construction(servers):
    az = servers["azure"]
    bucket = az.new_bucket()
    bad = {"connection_string": re.sub(r"AccountKey=[^;]+", "AccountKey=" + "A" * 86 + "==", az.storage_options["connection_string"])}
    with pytest.raises(PermissionError, match="access denied"):
        SummaryWriter(az.url(bucket, "run"), storage_options=bad)


# -- without a server ---------------------------------------------------------------------------


def test_missing_backend_names_the_extra(monkeypatch):
    import fsspec

    real = fsspec.get_filesystem_class

    def missing(protocol):
        if protocol == "s3":
            raise ImportError("Install s3fs to access S3")
        return real(protocol)

    monkeypatch.setattr(fsspec, "get_filesystem_class", missing)
    with pytest.raises(ImportError, match=r"writing to 's3://bucket/run'.*pip install 'tbx-widget\[s3\]'"):
        SummaryWriter("s3://bucket/run")


def test_storage_options_need_a_url(tmp_path):
    with pytest.raises(ValueError, match="storage_options are for URL logdirs"):
        SummaryWriter(tmp_path / "run", storage_options={"anon": True})
    with pytest.raises(TypeError, match="storage_options must be a dict, got list"):
        SummaryWriter("memory://b/run", storage_options=[("anon", True)])
    assert not (tmp_path / "run").exists()


class FlakyPut:
    """Makes the memory filesystem's uploads fail ``n`` times."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fs: Any):
        self.left = 0
        self.calls = 0
        real = fs.pipe_file

        def pipe_file(path, data, **kwargs):
            self.calls += 1
            if self.left:
                self.left -= 1
                raise ConnectionResetError("connection reset by peer")
            return real(path, data, **kwargs)

        monkeypatch.setattr(fs, "pipe_file", pipe_file)


def _memory_writer(monkeypatch, url: str, **kwargs: Any) -> tuple[EventFileWriter, FlakyPut]:
    monkeypatch.setattr(remote_sink, "BACKOFF_SECS", 0.01)
    w = EventFileWriter(url, **kwargs)
    return w, FlakyPut(monkeypatch, w._sink.storage.fs)


def scalar(step: int) -> bytes:
    from tbx_widget._proto import event_pb2

    e = event_pb2.Event(step=step, wall_time=1.0)
    v = e.summary.value.add()
    v.tag, v.simple_value = "x", float(step)
    return e.SerializeToString()


def test_an_upload_is_retried_with_backoff_before_anything_is_reported(monkeypatch):
    w, flaky = _memory_writer(monkeypatch, "memory://retry/run", flush_secs=3600)
    flaky.left = remote_sink.UPLOAD_ATTEMPTS - 1
    w.add(scalar(0))
    w.flush()  # the last try succeeds: nothing to report
    assert flaky.calls == remote_sink.UPLOAD_ATTEMPTS
    w.close()
    assert load("memory://retry/run").scalars(".", "x").step.tolist() == [0]


def test_a_failed_flush_raises_and_the_next_one_uploads_everything(monkeypatch):
    w, flaky = _memory_writer(monkeypatch, "memory://again/run", flush_secs=3600)
    flaky.left = remote_sink.UPLOAD_ATTEMPTS
    w.add(scalar(0))
    with pytest.raises(ConnectionError, match="failed 4 times.*ConnectionResetError"):
        w.flush()
    w.add(scalar(1))  # nothing more to report
    w.flush()
    w.close()
    assert load("memory://again/run").scalars(".", "x").step.tolist() == [0, 1]


def test_close_uploads_the_rest_and_says_when_it_cannot(monkeypatch):
    w, flaky = _memory_writer(monkeypatch, "memory://closing/run", flush_secs=3600)
    w.add(scalar(0))
    w.close()
    assert load("memory://closing/run").scalars(".", "x").step.tolist() == [0]
    w, flaky = _memory_writer(monkeypatch, "memory://closing2/run", flush_secs=3600)
    w.add(scalar(0))
    flaky.left = 10 * remote_sink.UPLOAD_ATTEMPTS
    with pytest.raises(ConnectionError, match="closing memory://closing2/run/.*failed 4 times.*since its last successful upload are lost"):
        w.close()
    assert w.closed


def test_close_uploads_again_when_a_delayed_put_left_a_shorter_object(monkeypatch):
    """A PUT delayed on the way (and retried by the client) can land after a later one: close()
    finds the object shorter than its spool and uploads it again."""
    w, flaky = _memory_writer(monkeypatch, "memory://stale/run", flush_secs=3600)
    w.add(scalar(0))
    w.flush()
    fs, key = w._sink.storage.fs, w._sink._key
    stale = bytes(fs.cat_file(key))
    w.add(scalar(1))
    w.flush()
    fs.pipe_file(key, stale)  # the earlier upload lands last
    w.close()
    assert load("memory://stale/run").scalars(".", "x").step.tolist() == [0, 1]


def test_the_size_is_looked_at_again_after_a_pause_for_a_put_still_on_its_way(monkeypatch):
    """A delayed PUT can land just after the upload that repaired the object: the check waits
    (BACKOFF_SECS, doubling) before it trusts the size, and repairs again (a loaded CI run's
    emulator kept a shorter object through four back-to-back re-uploads)."""
    import threading

    w, flaky = _memory_writer(monkeypatch, "memory://late/run", flush_secs=3600)
    monkeypatch.setattr(remote_sink, "BACKOFF_SECS", 0.5)
    w.add(scalar(0))
    w.flush()
    fs, key = w._sink.storage.fs, w._sink._key
    stale = bytes(fs.cat_file(key))
    w.add(scalar(1))
    w.flush()
    fs.pipe_file(key, stale)  # an earlier upload lands last ...
    sink, real, late = w._sink, w._sink._upload, []

    def upload() -> None:
        real()
        if not late:  # ... and once more, 20 ms after the upload that repaired it
            late.append(threading.Timer(0.02, fs.pipe_file, (key, stale)))
            late[0].start()

    monkeypatch.setattr(sink, "_upload", upload)
    w.close()
    late[0].join()
    assert load("memory://late/run").scalars(".", "x").step.tolist() == [0, 1]


def test_a_finished_object_left_shorter_by_a_delayed_put_is_uploaded_again_before_the_next(monkeypatch):
    monkeypatch.setattr(remote_sink, "ROLL_BYTES", 400)
    w, flaky = _memory_writer(monkeypatch, "memory://stale2/run", flush_secs=3600)
    fs = w._sink.storage.fs
    for step in range(6):
        w.add(scalar(step))
    w.flush()
    first = w._sink._key
    stale = bytes(fs.cat_file(first))
    for step in range(6, 12):
        w.add(scalar(step))
    w.flush()  # past ROLL_BYTES: the object is finished
    assert w._sink._key == first
    fs.pipe_file(first, stale)  # an earlier upload of it lands last
    w.add(scalar(12))  # starts the next object
    w.flush()
    assert w._sink._key != first
    w.close()
    assert load("memory://stale2/run").scalars(".", "x").step.tolist() == list(range(13))


def test_an_old_object_rolls_at_the_next_flush(monkeypatch):
    monkeypatch.setattr(remote_sink, "ROLL_SECS", 0.2)
    w = EventFileWriter("memory://aging/run", flush_secs=3600)
    w.add(scalar(0))
    w.flush()
    first = w.path
    time.sleep(0.3)
    w.add(scalar(1))
    w.flush()  # uploaded to the old object, which is now past its age: finished
    assert w.path == first
    w.add(scalar(2))
    w.flush()
    assert w.path != first and w.path > first  # a new object, named after the old one
    w.close()
    assert load("memory://aging/run").scalars(".", "x").step.tolist() == [0, 1, 2]


def test_an_object_past_its_size_between_flushes_is_finished_before_it_grows(monkeypatch):
    monkeypatch.setattr(remote_sink, "ROLL_BYTES", 1000)
    monkeypatch.setattr("tbx_widget.event_queue.WRITE_CHUNK", 300)  # writes reach the sink between flushes
    w = EventFileWriter("memory://big/run", flush_secs=3600)
    for i in range(200):
        w.add(scalar(i))
    w.flush()
    w.close()
    import fsspec

    sizes = objects(fsspec.filesystem("memory"), "/big/run")
    assert len(sizes) >= 4 and max(sizes.values()) < 1000 + 400, sizes
    assert load("memory://big/run").scalars(".", "x").step.tolist() == list(range(200))


def test_a_followed_remote_writer_uploads_at_most_once_a_second(monkeypatch):
    """A dashboard in this process speeds local writers to 0.1 s; a remote one only to 1 s."""
    from tbx_widget import signals

    heard: list[str] = []
    signals.subscribe(heard.append)
    try:
        w = EventFileWriter("memory://followed/run", flush_secs=30)
        start = time.monotonic()
        w.add(scalar(0))
        while not any("followed/run/" in p for p in heard[1:]) and time.monotonic() - start < 5:
            time.sleep(0.02)
        took = time.monotonic() - start
        w.close()
    finally:
        signals.unsubscribe(heard.append)
    assert 0.9 <= took < 2.5, took


UNCLOSED_WRITER = r"""
import json, sys
from tbx_widget import SummaryWriter
w = SummaryWriter(sys.argv[1], storage_options=json.loads(sys.argv[2]), flush_secs=3600)
for i in range(30):
    w.add_scalar("loss", float(i), i)
"""


def test_a_writer_never_closed_uploads_at_interpreter_exit(remote):
    """The atexit close runs before the backend's own exit hooks close its HTTP sessions."""
    url = remote.url(remote.new_bucket(), "run")
    done = subprocess.run([sys.executable, "-c", UNCLOSED_WRITER, url, json.dumps(remote.storage_options)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert steps(url, remote.storage_options) == list(range(30))


def test_add_embedding_uploads_projector_files_read_back_by_load(remote):
    """add_embedding on a bucket (it raised before): tensors, metadata, sprite and the projector
    config are uploaded, and load() (a separate Logs) reads the embeddings back."""
    bucket = remote.new_bucket()
    url = remote.url(bucket, "runs/r")
    rng = np.random.default_rng(1)
    mat = rng.normal(size=(6, 4))
    with SummaryWriter(url, storage_options=remote.storage_options) as w:
        w.add_scalar("loss", 1.0, 0)
        w.add_embedding(mat, metadata=[["a", "1"]] * 6, label_img=np.zeros((6, 3, 2, 2)), global_step=3, tag="feat",
                        metadata_header=["name", "n"])
        w.add_embedding(mat[:2], global_step=4, tag="feat")
    fs = remote.filesystem()
    names = sorted(p.split("/runs/r/", 1)[1] for p in fs.find(f"{bucket}/runs/r") if "tfevents" not in p)
    assert names == ["00003/feat/metadata.tsv", "00003/feat/sprite.png", "00003/feat/tensors.tsv",
                     "00004/feat/tensors.tsv", "projector_config.pbtxt"]
    first, second = load(remote.url(bucket, "runs"), storage_options=remote.storage_options).embeddings("r")
    np.testing.assert_array_equal(first.tensors, mat)
    assert (first.step, first.header, first.metadata[0], first.sprite_dim) == (3, ["name", "n"], ["a", "1"], (2, 2))
    assert first.sprite is not None and first.sprite.startswith(b"\x89PNG")
    np.testing.assert_array_equal(second.tensors, mat[:2])
    assert second.step == 4 and second.metadata == []
    # ... and a dashboard's follower sends both to the browser
    from tbx_widget.live.follower import Follower

    batches: list = []
    Follower(remote.url(bucket, "runs"), storage_options=remote.storage_options).resend(batches.append)
    sent = [(it["run"], it["tag"], e["step"])
            for b in batches for it in b.content["items"] if it["kind"] == "embeddings" for e in it["items"]]
    assert sent == [("r", "feat", 3), ("r", "feat", 4)]


EA_ON_S3 = """
import json, sys
from tensorboard.backend.event_processing import event_accumulator as ea
acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0})
acc.Reload()
print(json.dumps([[e.step, e.value] for e in acc.Scalars("loss")]))
"""


def test_tensorboard_reads_the_rolled_objects_straight_from_the_bucket(servers, monkeypatch):
    """TensorBoard's EventAccumulator, on the s3:// URL itself (its TensorFlow-free gfile reads S3
    through boto3, pointed at the server by S3_ENDPOINT), reads a run of several rolled objects
    as one run, in order."""
    pytest.importorskip("tensorboard")
    pytest.importorskip("boto3")
    s3 = servers["s3"]
    monkeypatch.setattr(remote_sink, "ROLL_BYTES", 1500)
    bucket = s3.new_bucket()
    url = s3.url(bucket, "runs/r")
    write_with_flushes(url, s3.storage_options, 200)
    assert len(objects(s3.filesystem(), f"{bucket}/runs/r")) >= 3
    env = dict(os.environ, S3_ENDPOINT=s3.storage_options["endpoint_url"], AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.run([sys.executable, "-c", EA_ON_S3, url], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [s for s, _ in got] == list(range(200))
    np.testing.assert_allclose([v for _, v in got], [1.0 / (i + 1) for i in range(200)], rtol=1e-6)
