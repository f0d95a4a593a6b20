"""Full data on request (issue 19: the browser's heap bounded by what is drawn): a big logdir's
scalars are sent as overviews; the kernel keeps the full data on disk (live/series_file.py) and
sends a series' full data when the browser asks (``Follower.send_full``)."""
from __future__ import annotations

import numpy as np
import pytest

from tbx_widget.live.follower import Follower
from tbx_widget.live.series_file import SeriesFile
from tbx_widget.reader import ScalarSeries, load

from test_follower import received, scalar, write
from test_follower_overview import items, sweep


def test_a_big_logdir_sends_overviews_and_each_series_in_full_only_when_asked(tmp_path):
    runs, tags, steps = 8, 2, 1500
    sweep(tmp_path, runs, tags, steps)
    f = Follower(str(tmp_path), read_bytes=32 << 10, on_request=True)
    batches: list = []
    f.poll(batches.append)
    got = items(batches)
    assert got and all(g[0].get("overview") and g[0].get("on_request") for g in got)  # no full scalars
    assert sum(b.events for b in batches) == 0 and f.held()
    assert [b.content["seq"] for b in batches] == list(range(1, len(batches) + 1))
    want = [("run_0003", "metric/1"), ("run_0000", "metric/0"), ("nope", "metric/0")]
    answer: list = []
    assert f.send_full(answer.append, want) >= 1
    assert [b.content["seq"] for b in answer] == list(range(len(batches) + 1, len(batches) + 1 + len(answer)))
    full = items(answer)
    assert [(g[0]["run"], g[0]["tag"]) for g in full] == want[:2] and all(g[0]["whole"] for g in full)
    logs = load(str(tmp_path))
    for it, step, value in full:  # exactly the values written
        s = logs.scalars(it["run"], it["tag"])
        assert np.array_equal(step, s.step) and np.array_equal(value, s.value)
        wall = np.frombuffer(answer[0].buffers[it["wall_time_buf"]], "<f8")
        assert np.array_equal(wall, s.wall_time)
    assert sum(b.events for b in answer) == 2 * steps


def test_live_data_is_sent_and_held_and_a_resend_starts_the_held_data_over(tmp_path):
    sweep(tmp_path, 4, 1, 3000)
    f = Follower(str(tmp_path), read_bytes=16 << 10, on_request=True)
    f.poll(lambda b: None)
    write(tmp_path / "run_0001" / "events.out.tfevents.9", *(scalar(i, -float(i), tag="metric/0") for i in range(3000, 3010)))
    batches: list = []
    f.poll(batches.append)
    new = items(batches)
    assert [(g[0]["run"], g[0]["tag"], len(g[1])) for g in new] == [("run_0001", "metric/0", 10)]
    assert not new[0][0].get("whole") and not new[0][0].get("overview")  # appended as usual
    answer: list = []
    f.send_full(answer.append, [("run_0001", "metric/0")])
    (it, step, value), = items(answer)
    assert len(step) == 3010 and step[-1] == 3009 and value[-1] == -3009.0
    held_before = f._held
    f.resend(lambda b: None)
    assert f.held() and f._held is not held_before and f._held.points("run_0001", "metric/0") == 3010


def test_below_the_overview_threshold_or_without_on_request_nothing_is_held(tmp_path):
    write(tmp_path / "a" / "events.out.tfevents.1", *(scalar(i, float(i)) for i in range(500)))
    f = Follower(str(tmp_path), on_request=True)
    batches: list = []
    f.poll(batches.append)
    assert not f.held() and received(batches)[("scalars", "a", "loss")] == [float(i) for i in range(500)]
    assert f.send_full(batches.append, [("a", "loss")]) == 0
    sweep(tmp_path / "big", 4, 1, 3000)
    f = Follower(str(tmp_path / "big"), read_bytes=16 << 10)
    f.poll(lambda b: None)
    assert not f.held()


@pytest.mark.parametrize("spool_bytes", [1 << 12, 0])
def test_a_refused_spool_still_holds_every_series_once(tmp_path, spool_bytes):
    """The fallback second read sends the full data and holds it: a request is still answered."""
    sweep(tmp_path, 3, 1, 2000)
    f = Follower(str(tmp_path), read_bytes=16 << 10, spool_bytes=spool_bytes, on_request=True)
    batches: list = []
    f.poll(batches.append)
    assert sum(b.events for b in batches) == 3 * 2000 and f._held.points("run_0002", "metric/0") == 2000


def test_series_file_reads_back_each_series_whole_in_order():
    sf = SeriesFile()
    rng = np.random.default_rng(1)
    parts = {}
    for k in range(6):
        for key in (("a", "x"), ("b", "x"), ("a", "y")):
            lo = 100 * k + (2**62 if key[0] == "b" else 0)  # steps past 2**53 come back exact
            s = ScalarSeries(np.arange(lo, lo + 100, dtype=np.int64), rng.random(100) * 1e9, rng.normal(size=100))
            s.value[k] = np.nan
            sf.append(*key, s)
            parts.setdefault(key, []).append(s)
    assert sf.nbytes == 3 * 6 * 100 * 24 and sf.points("a", "y") == 600 and sf.points("z", "z") == 0
    for key, ps in parts.items():
        s = sf.read(*key)
        assert s.step.dtype == np.int64 and np.array_equal(s.step, np.concatenate([p.step for p in ps]))
        assert np.array_equal(s.value, np.concatenate([p.value for p in ps]), equal_nan=True)
        assert np.array_equal(s.wall_time, np.concatenate([p.wall_time for p in ps]))
    with pytest.raises(ValueError, match="3 steps, 2 wall times, 3 values"):
        sf.append("a", "x", ScalarSeries(np.arange(3), np.zeros(2), np.zeros(3)))
    sf.close()
    with pytest.raises(ValueError, match="closed"):
        sf.read("a", "x")


def test_series_file_says_when_a_write_failed_and_indexes_nothing_of_it(monkeypatch):
    import os

    def full_disk(fd, bufs, offset):
        return 10  # a short write: the disk is full

    sf = SeriesFile()
    sf.append("a", "x", ScalarSeries(np.arange(3), np.zeros(3), np.ones(3)))
    monkeypatch.setattr(os, "pwritev", full_disk)
    with pytest.raises(OSError, match="series file: wrote 10 of 72 bytes"):
        sf.append("a", "x", ScalarSeries(np.arange(3, 6), np.zeros(3), np.zeros(3)))
    monkeypatch.undo()
    assert sf.points("a", "x") == 3 and sf.read("a", "x").value.tolist() == [1.0, 1.0, 1.0]
    sf.close()


def test_close_deletes_the_held_file_and_never_waits_for_a_read(tmp_path):
    import threading
    import time

    sweep(tmp_path, 3, 1, 2000)
    f = Follower(str(tmp_path), read_bytes=16 << 10, on_request=True)
    f.poll(lambda b: None)
    assert f.held()
    taken, release = threading.Event(), threading.Event()

    def reading() -> None:  # a read under way holds the follower's lock
        with f._lock:
            taken.set()
            release.wait(5)

    t = threading.Thread(target=reading)
    t.start()
    taken.wait(5)
    t0 = time.monotonic()
    f.close()
    assert time.monotonic() - t0 < 0.5 and f.held()  # did not wait; the file goes later
    release.set()
    t.join()
    f.close()
    assert not f.held() and f.send_full(lambda b: None, [("run_0000", "metric/0")]) == 0


def test_a_logdir_too_big_for_the_disk_limit_is_sent_in_full_not_held(tmp_path):
    sweep(tmp_path, 3, 1, 2000)
    f = Follower(str(tmp_path), read_bytes=16 << 10, held_bytes=1 << 12, on_request=True)
    batches: list = []
    f.poll(batches.append)
    assert not f.held() and sum(b.events for b in batches) == 3 * 2000
    assert not any(it.get("on_request") for b in batches for it in b.content["items"])
