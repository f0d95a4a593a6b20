"""A writer killed with SIGKILL loses at most its last flush interval; the file stays readable."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tbx_widget._proto import event_pb2
from tbx_widget.records import RecordReader

WRITER = textwrap.dedent(
    """
    import sys, time
    from tbx_widget.event_file import EventFileWriter
    from tbx_widget._proto import event_pb2
    w = EventFileWriter(sys.argv[1], flush_secs=0.2)
    step = 0
    while True:
        e = event_pb2.Event(wall_time=time.time(), step=step)
        e.summary.value.add(tag="x", simple_value=float(step))
        w.add_event(e)
        if step % 1000 == 0:
            print(step, time.time(), flush=True)
        step += 1
        if step % 200 == 0:
            time.sleep(0.001)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_loses_at_most_the_last_flush_interval(logdir):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(logdir)], stdout=subprocess.PIPE, text=True)
    progress = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        step, stamp = line.split()
        progress.append((int(step), float(stamp)))
        if progress[-1][1] - progress[0][1] >= 2.0:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = time.time()
    proc.stdout.close()
    (path,) = list(logdir.iterdir())
    events = [event_pb2.Event.FromString(r) for r in RecordReader(path).read()]
    steps = [e.step for e in events[1:]]
    assert steps == list(range(len(steps)))  # a prefix, in order, nothing torn or duplicated
    # Everything logged more than one flush interval (0.2 s) plus scheduling slack before the
    # kill is on disk.
    on_disk_by = [s for s, stamp in progress if stamp < killed_at - 1.0]
    assert on_disk_by and steps[-1] >= on_disk_by[-1]
    # TensorBoard's loader reads the file too.
    acc_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = acc_mod.EventAccumulator(str(logdir), size_guidance={"scalars": 0})
    acc.Reload()
    assert len(acc.Scalars("x")) == len(steps)


def test_reading_while_another_process_appends(logdir):
    code = textwrap.dedent(
        f"""
        import time
        from tbx_widget.event_file import EventFileWriter
        from tbx_widget._proto import event_pb2
        w = EventFileWriter({str(logdir)!r}, flush_secs=0.05)
        for step in range(3000):
            e = event_pb2.Event(step=step)
            e.summary.value.add(tag="x", simple_value=float(step))
            w.add_event(e)
            if step % 100 == 0:
                time.sleep(0.01)
        w.close()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    reader = None
    got: list[int] = []
    reads = 0
    while True:
        done = proc.poll() is not None
        files = list(logdir.iterdir())
        if files and reader is None:
            reader = RecordReader(files[0])
        if reader is not None:
            batch = reader.read()
            reads += bool(batch)
            got += [event_pb2.Event.FromString(r).step for r in batch]
        if done:
            break
        time.sleep(0.01)
    got += [event_pb2.Event.FromString(r).step for r in reader.read()]
    assert proc.returncode == 0
    assert got == [0] + list(range(3000))  # file_version event has step 0, then every step once
    assert reads > 2  # it really was read incrementally
