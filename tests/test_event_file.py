"""EventFileWriter: naming, first record, background thread, flush, close, errors, fork."""
from __future__ import annotations

import multiprocessing
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from tbx_widget import event_file as ef
from tbx_widget import signals
from tbx_widget._proto import event_pb2
from tbx_widget.event_file import EventFileWriter
from tbx_widget.records import RecordReader


def scalar_event(step: int, value: float, tag: str = "x") -> event_pb2.Event:
    event = event_pb2.Event(wall_time=1000.0 + step, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return event


def read_events(path) -> list[event_pb2.Event]:
    return [event_pb2.Event.FromString(r) for r in RecordReader(path).read()]


def test_file_name_and_first_record(logdir):
    writer = EventFileWriter(logdir, filename_suffix=".v2")
    name = os.path.basename(writer.path)
    host = re.escape(socket.gethostname())
    assert re.fullmatch(rf"events\.out\.tfevents\.\d{{10}}\.{host}\.{os.getpid()}\.\d+\.v2", name)
    events = read_events(writer.path)  # valid before anything is flushed
    assert len(events) == 1 and events[0].file_version == "brain.Event:2"
    assert abs(events[0].wall_time - time.time()) < 60
    writer.close()


def test_two_writers_in_one_second_get_distinct_files(logdir):
    writers = [EventFileWriter(logdir) for _ in range(5)]
    assert len({w.path for w in writers}) == 5
    for i, w in enumerate(writers):
        w.add_event(scalar_event(1, float(i)))
        w.close()
    values = sorted(read_events(w.path)[1].summary.value[0].simple_value for w in writers)
    assert values == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_flush_waits_for_everything_queued_before_it(logdir):
    writer = EventFileWriter(logdir, flush_secs=3600)
    for step in range(2000):
        writer.add_event(scalar_event(step, step * 0.5))
    writer.flush()
    events = read_events(writer.path)[1:]
    assert [e.step for e in events] == list(range(2000))
    assert [e.summary.value[0].simple_value for e in events] == [s * 0.5 for s in range(2000)]
    writer.close()


def test_flushed_events_visible_to_another_process(logdir):
    writer = EventFileWriter(logdir, flush_secs=3600)
    for step in range(10):
        writer.add_event(scalar_event(step, 1.0))
    writer.flush()
    code = textwrap.dedent(
        f"""
        from tbx_widget.records import RecordReader
        print(len(RecordReader({writer.path!r}).read()))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "11"
    writer.close()


def test_periodic_flush_without_explicit_flush(logdir):
    writer = EventFileWriter(logdir, flush_secs=0.1)
    writer.add_event(scalar_event(1, 2.0))
    deadline = time.monotonic() + 5
    while len(read_events(writer.path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(read_events(writer.path)) == 2
    writer.close()


def test_close_is_idempotent_and_rejects_later_writes(logdir):
    writer = EventFileWriter(logdir)
    writer.add_event(scalar_event(1, 1.0))
    writer.close()
    writer.close()
    assert writer.closed
    with pytest.raises(ValueError, match="closed"):
        writer.add_event(scalar_event(2, 1.0))
    assert len(read_events(writer.path)) == 2


def test_callable_items_run_on_the_writer_thread(logdir):
    seen = []

    def produce():
        seen.append(threading.current_thread().name)
        return [scalar_event(1, 1.0).SerializeToString(), scalar_event(2, 2.0).SerializeToString()]

    writer = EventFileWriter(logdir)
    writer.add(produce)
    writer.add(lambda: None)  # producing nothing is allowed
    writer.close()
    assert seen == ["tbx_widget-event-writer"]
    assert [e.step for e in read_events(writer.path)[1:]] == [1, 2]


def test_error_in_a_producer_surfaces_on_next_call_and_writer_keeps_working(logdir):
    writer = EventFileWriter(logdir)

    def broken():
        raise ValueError("cannot encode")

    writer.add(broken)
    with pytest.raises(ValueError, match="cannot encode"):
        writer.flush()
    writer.add_event(scalar_event(5, 5.0))
    writer.close()
    assert [e.step for e in read_events(writer.path)[1:]] == [5]


def test_failed_disk_write_is_reported_then_retried(logdir, monkeypatch):
    writer = EventFileWriter(logdir, flush_secs=3600)
    real_write = os.write
    failures = {"left": 1}

    def flaky_write(fd, data):
        if fd == writer._sink.fd and failures["left"]:
            failures["left"] -= 1
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(ef.os, "write", flaky_write)
    writer.add_event(scalar_event(1, 1.0))
    with pytest.raises(OSError, match="No space left"):
        writer.flush()
    writer.add_event(scalar_event(2, 2.0))
    writer.flush()  # the disk recovered: the first event was kept and is written now
    assert [e.step for e in read_events(writer.path)[1:]] == [1, 2]
    writer.close()


def test_unwritable_logdir_raises_clearly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        EventFileWriter(blocker / "logs")


def test_flush_announces_the_file(logdir):
    heard = []
    signals.subscribe(heard.append)
    try:
        writer = EventFileWriter(logdir, flush_secs=3600)
        writer.add_event(scalar_event(1, 1.0))
        writer.flush()
        writer.close()
    finally:
        signals.unsubscribe(heard.append)
    assert writer.path in heard


def test_many_threads_one_writer(logdir):
    writer = EventFileWriter(logdir)

    def work(k):
        for step in range(500):
            writer.add_event(scalar_event(step, float(k), tag=f"t{k}"))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    events = read_events(writer.path)[1:]
    assert len(events) == 2000
    for k in range(4):
        assert [e.step for e in events if e.summary.value[0].tag == f"t{k}"] == list(range(500))


def test_atexit_closes_open_writers(logdir):
    code = textwrap.dedent(
        f"""
        from tbx_widget.event_file import EventFileWriter
        from tbx_widget._proto import event_pb2
        w = EventFileWriter({str(logdir)!r}, flush_secs=3600)
        for i in range(100):
            e = event_pb2.Event(step=i); e.summary.value.add(tag="x", simple_value=i)
            w.add_event(e)
        # no close(): the interpreter exits and the atexit hook must flush
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    (path,) = logdir.iterdir()
    assert len(read_events(path)) == 101


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_writer_inherited_across_fork(logdir):
    writer = EventFileWriter(logdir, flush_secs=3600)
    writer.add_event(scalar_event(1, 1.0))  # queued, not yet written, when we fork
    pid = os.fork()
    if pid == 0:  # child: must neither hang nor write into the parent's file
        try:
            writer.add_event(scalar_event(100, 100.0))
            writer.close()
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.add_event(scalar_event(2, 2.0))
    writer.close()
    files = sorted(logdir.iterdir())
    assert len(files) == 2
    by_file = {p: [e.step for e in read_events(p)[1:]] for p in files}
    assert by_file[type(files[0])(writer.path)] == [1, 2]
    assert sorted(by_file.values()) == [[1, 2], [100]]


def _spawned_worker(logdir: str, rank: int) -> None:
    w = EventFileWriter(logdir)
    for step in range(50):
        w.add_event(scalar_event(step, float(rank)))
    w.close()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_processes_each_with_a_writer(logdir, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} unavailable")
    ctx = multiprocessing.get_context(method)
    procs = [ctx.Process(target=_spawned_worker, args=(str(logdir), r)) for r in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    files = list(logdir.iterdir())
    assert len(files) == 3
    ranks = sorted({e.summary.value[0].simple_value for p in files for e in read_events(p)[1:]})
    assert ranks == [0.0, 1.0, 2.0]
    assert all(len(read_events(p)) == 51 for p in files)


def test_flushes_quickly_while_a_dashboard_listens(logdir):
    heard = []

    def listener(path):
        heard.append(time.monotonic())

    writer = EventFileWriter(logdir, flush_secs=3600)
    signals.subscribe(listener)
    try:
        start = time.monotonic()
        writer.add_event(scalar_event(1, 1.0))
        deadline = start + 5
        while len(read_events(writer.path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        elapsed = time.monotonic() - start
    finally:
        signals.unsubscribe(listener)
        writer.close()
    assert len(read_events(writer.path)) == 2
    assert elapsed < 1.0  # flush_secs is an hour: only the live interval explains this
    assert heard


def test_only_writers_under_a_followed_directory_flush_fast(tmp_path):
    followed, other = tmp_path / "followed", tmp_path / "followed-other"  # a sibling sharing the prefix
    heard = []
    fast = EventFileWriter(followed / "run", flush_secs=3600)
    slow = EventFileWriter(other, flush_secs=3600)
    signals.subscribe(heard.append, root=followed)
    try:
        assert signals.has_listeners(fast.path) and not signals.has_listeners(slow.path)
        assert signals.has_listeners()  # someone listens, somewhere
        start = time.monotonic()
        fast.add_event(scalar_event(1, 1.0))
        slow.add_event(scalar_event(1, 1.0))
        while len(read_events(fast.path)) < 2 and time.monotonic() < start + 5:
            time.sleep(0.01)
        assert len(read_events(fast.path)) == 2 and time.monotonic() - start < 1.0
        time.sleep(0.5)
        assert len(read_events(slow.path)) == 1  # its event waits for its own (hour-long) interval
    finally:
        signals.unsubscribe(heard.append)
        fast.close()
        slow.close()
    assert heard and set(heard) == {fast.path}  # told only about the file it follows


def test_subscribe_rejects_a_root_that_is_not_a_path():
    with pytest.raises(TypeError, match="root must be a path"):
        signals.subscribe(print, root=3)


def test_names_that_cannot_be_file_names_raise_a_value_error_naming_them(tmp_path):
    with pytest.raises(ValueError, match="filename_suffix cannot be a file name"):
        EventFileWriter(tmp_path, filename_suffix=".\ud800")
    with pytest.raises(ValueError, match="logdir cannot be a file name"):
        EventFileWriter(str(tmp_path / "run\ud800"))
    assert os.listdir(tmp_path) == []


class RecordingSink:
    """A sink that keeps what it is given and can fail its flushes (an unreachable server)."""

    live_secs = 0.1

    def __init__(self) -> None:
        self.path = "recording"
        self.calls: list[str] = []
        self.data = bytearray()
        self.fail_flushes = 0
        self.unflushed = False
        self.is_open = False

    @property
    def opened(self) -> bool:
        return self.is_open

    @property
    def dirty(self) -> bool:
        return self.unflushed

    def open(self) -> None:
        self.is_open = True
        self.calls.append("open")

    def write(self, data: bytearray) -> int:
        self.calls.append("write")
        self.data += data
        self.unflushed = True
        return len(data)

    def flush(self) -> None:
        self.calls.append("flush")
        if self.fail_flushes:
            self.fail_flushes -= 1
            raise ConnectionError("server unreachable")
        self.unflushed = False

    def close(self) -> None:
        self.calls.append("close")
        self.is_open = False

    def forget(self) -> None:
        self.is_open = False


def test_the_queue_writes_records_to_its_sink_and_retries_a_failed_flush(tmp_path):
    from tbx_widget.event_queue import EventQueue

    sink = RecordingSink()
    queue = EventQueue(sink, flush_secs=0.05)
    queue.start()
    queue.enqueue(scalar_event(1, 1.0).SerializeToString())
    queue.wait_written()
    assert sink.calls == ["write", "flush"] and not sink.dirty
    sink.fail_flushes = 1
    queue.enqueue(scalar_event(2, 2.0).SerializeToString())
    queue.wait_written()
    with pytest.raises(ConnectionError, match="server unreachable"):
        queue.raise_error()
    deadline = time.monotonic() + 5
    while sink.dirty and time.monotonic() < deadline:  # nothing new queued: the interval retries the flush
        time.sleep(0.01)
    assert not sink.dirty and sink.calls == ["write", "flush", "write", "flush", "flush"]
    queue.stop()
    (tmp_path / "events").write_bytes(bytes(sink.data))
    assert [e.step for e in read_events(tmp_path / "events")] == [1, 2]

