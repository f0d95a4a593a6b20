"""Overviews first (issue 19, docs/protocol.md "Overviews"): a big first read sends a
min/max-preserving overview of every scalar series, then the full data that replaces it."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from tbx_widget.live import follower as follower_module
from tbx_widget.live.follower import Follower
from tbx_widget.live.overview import OVERVIEW_BUCKETS, Overviews, minmax_indices
from tbx_widget.reader import ScalarSeries

from test_follower import received, scalar, write


def sweep(root: Path, runs: int, tags: int, steps: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from synth import write_scalar_run
    finally:
        sys.path.pop(0)
    for i in range(runs):
        write_scalar_run(str(root / f"run_{i:04d}"), tags, steps)


def items(batches) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    out = []
    for b in batches:
        for it in b.content["items"]:
            if it["kind"] == "scalars":
                out.append((it, np.frombuffer(b.buffers[it["step_buf"]], "<f8"), np.frombuffer(b.buffers[it["value_buf"]], "<f8")))
    return out


@pytest.mark.parametrize("how", ["poll", "resend"])
def test_a_big_first_read_sends_every_series_overview_first_then_the_full_data(tmp_path, how):
    runs, tags, steps = 12, 3, 2000
    sweep(tmp_path, runs, tags, steps)
    f = Follower(str(tmp_path), read_bytes=64 << 10)  # the logdir is many read pieces
    batches: list = []
    getattr(f, how)(batches.append)
    got = items(batches)
    first_full = next(i for i, g in enumerate(got) if not g[0].get("overview"))
    assert all(g[0].get("overview") for g in got[:first_full])  # every overview before any full data
    # a series read over two pieces is sent again: the last overview of each is the one that stays
    last = {(g[0]["run"], g[0]["tag"]): g for g in got[:first_full]}
    ov = list(last.values())
    assert len(ov) == runs * tags
    assert sum(b.events for b in batches) == runs * tags * steps  # overviews count no events
    assert [b.content["reset"] for b in batches] == [how == "resend"] + [False] * (len(batches) - 1)
    assert [b.content["seq"] for b in batches] == list(range(1, len(batches) + 1))
    assert set(batches[0].content["runs"]) == {f"run_{i:04d}" for i in range(runs)}  # all runs named up front
    # the read's last batch of overviews says so (the browser draws at once), and only it
    done = [i for i, b in enumerate(batches) if b.content.get("overviews_done")]
    last_overview = max(i for i, b in enumerate(batches) if any(it.get("overview") for it in b.content["items"]))
    assert done == [last_overview]
    pieces: dict = {}
    for it, s, v in got:
        if not it.get("overview"):
            pieces.setdefault((it["run"], it["tag"]), []).append((s, v))
    for it, s, v in ov:
        fs, fv = (np.concatenate(c) for c in zip(*pieces[(it["run"], it["tag"])]))
        assert len(s) <= 2 * OVERVIEW_BUCKETS + 2 < len(fs)
        assert s[0] == fs[0] and s[-1] == fs[-1]  # the whole range
        assert v.min() == fv.min() and v.max() == fv.max()  # no extreme lost
        assert np.isin(s, fs).all()  # real points
    # the browser ends with the full data, each step once
    for v in received(batches).values():
        assert v == [float(v[0] + k) for k in range(steps)]


@pytest.mark.parametrize("how", ["poll", "resend"])
def test_overviews_go_out_while_the_logdir_is_read_not_after(tmp_path, how, monkeypatch):
    """The first overviews leave after the first (small) piece of the read, the rest as the read
    goes (each send: the series that grew, tag by tag); the last piece is read after them."""
    from tbx_widget.reader import Logs

    monkeypatch.setattr(follower_module, "OVERVIEW_EVERY_S", 0.0)  # every piece: deterministic
    runs, tags, steps = 16, 2, 1500
    sweep(tmp_path, runs, tags, steps)
    events: list = []
    orig = Logs.refresh

    def refresh(self, **kw):
        events.append(("read", kw.get("max_bytes")))
        return orig(self, **kw)

    monkeypatch.setattr(Logs, "refresh", refresh)
    f = Follower(str(tmp_path), read_bytes=64 << 10)
    if how == "resend":
        f.poll(lambda b: None)  # a followed logdir sent again in full
    events.clear()
    batches: list = []

    def emit(b) -> None:
        batches.append(b)
        events.append(("overview" if any(it.get("overview") for it in b.content["items"]) else "full", len(batches)))

    getattr(f, how)(emit)
    kinds = [e[0] for e in events]
    assert kinds[0] == "read" and kinds[1] == "overview"  # after the first piece
    assert events[0][1] == (64 << 10) // follower_module.FIRST_PIECE_DIV  # a small first piece
    last_read = max(i for i, k in enumerate(kinds) if k == "read")
    assert kinds.index("overview") < last_read  # overviews before the read ends
    assert kinds.index("full") > max(i for i, k in enumerate(kinds) if k == "overview")
    assert [b.content["reset"] for b in batches] == [how == "resend"] + [False] * (len(batches) - 1)
    assert [b.content["seq"] for b in batches] == list(range(batches[0].content["seq"], batches[0].content["seq"] + len(batches)))
    ov = [g for g in items(batches) if g[0].get("overview")]
    assert len({(g[0]["run"], g[0]["tag"]) for g in ov}) == runs * tags
    for b in batches:  # each send goes tag by tag
        tg = [it["tag"] for it in b.content["items"] if it.get("overview")]
        assert tg == sorted(tg)
    for v in received(batches).values():  # the full data, each step once
        assert v == [float(v[0] + k) for k in range(steps)]


def test_a_small_logdir_or_overview_off_sends_no_overview(tmp_path):
    write(tmp_path / "a" / "events.out.tfevents.1", *(scalar(i, float(i)) for i in range(500)))
    for f in (Follower(str(tmp_path)), Follower(str(tmp_path), read_bytes=1 << 10, overview=False)):
        batches: list = []
        f.poll(batches.append)
        assert batches and not any(g[0].get("overview") for g in items(batches))
        assert received(batches)[("scalars", "a", "loss")] == [float(i) for i in range(500)]
    # later polls of a followed logdir never send overviews, however much is new
    f = Follower(str(tmp_path), read_bytes=1 << 10)
    f.poll(lambda b: None)
    write(tmp_path / "a" / "events.out.tfevents.1", *(scalar(i, float(i)) for i in range(500, 3000)), header=False)
    batches = []
    f.poll(batches.append)
    assert batches and not any(g[0].get("overview") for g in items(batches))


def test_a_logdir_smaller_than_one_piece_is_read_and_sent_in_one_piece(tmp_path, monkeypatch):
    """Sized before reading: a logdir bigger than the small first piece of a big read but within
    one read piece is read in one refresh, each series sent once (it was read in two pieces
    and every series collected and encoded twice: 1.2x the first poll of 10,000 tags)."""
    from tbx_widget.reader import Logs

    sweep(tmp_path, 4, 8, 400)
    size = sum(f.stat().st_size for f in tmp_path.rglob("events.out.tfevents.*"))
    read_bytes = 1 << 20
    assert read_bytes // follower_module.FIRST_PIECE_DIV < size <= read_bytes, size
    reads: list = []
    orig = Logs.refresh

    def refresh(self, **kw):
        reads.append(kw.get("max_bytes"))
        return orig(self, **kw)

    monkeypatch.setattr(Logs, "refresh", refresh)
    batches: list = []
    Follower(str(tmp_path), read_bytes=read_bytes).poll(batches.append)
    assert reads == [read_bytes]
    got = items(batches)
    assert not any(g[0].get("overview") for g in got)
    assert sorted((g[0]["run"], g[0]["tag"]) for g in got) == sorted({(g[0]["run"], g[0]["tag"]) for g in got})
    assert len(got) == 4 * 8 and all(len(g[1]) == 400 for g in got)


def test_minmax_indices_keep_each_buckets_extremes_and_the_ends():
    rng = np.random.default_rng(0)
    v = rng.normal(size=10_001)
    v[1234], v[7777], v[50] = 99.0, -99.0, np.nan
    idx = minmax_indices(v, 50)
    assert idx[0] == 0 and idx[-1] == len(v) - 1 and np.all(np.diff(idx) > 0)
    assert len(idx) <= 2 * 50 + 2
    assert 1234 in idx and 7777 in idx and 50 not in idx
    k = -(-len(v) // 50)
    for b in range(0, len(v), k):  # every bucket's finite min and max are kept
        seg = v[b : b + k]
        assert b + int(np.nanargmin(seg)) in idx and b + int(np.nanargmax(seg)) in idx
    assert minmax_indices(v[:30], 50).tolist() == list(range(30))
    with pytest.raises(ValueError, match="buckets must be an integer >= 1, got 0"):
        minmax_indices(v, 0)


@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, np.nan, np.inf, -np.inf, 1e300, -1e-300]) | st.floats(), min_size=1, max_size=400),
       st.integers(1, 60))
def test_minmax_indices_compiled_and_numpy_pick_the_same_points(kernel, values, buckets):
    # ties, signed zeros, infinities, NaN and buckets without a finite value: both paths pick
    # the first smallest and first largest finite value of each bucket, as the definition says
    from tbx_widget.live import overview

    if kernel == "compiled" and overview._native is None:
        pytest.skip("the compiled kernel is not built here")
    v = np.array(values, dtype=np.float64)
    native = overview._native
    if kernel == "numpy":
        overview._native = None
    try:
        got = minmax_indices(v, buckets)
    finally:
        overview._native = native
    n = len(v)
    if n <= 2 * buckets + 2:
        assert got.tolist() == list(range(n))
        return
    k = -(-n // buckets)
    want = {0, n - 1}
    for b in range(0, n, k):
        seg = v[b : b + k]
        fin = np.flatnonzero(np.isfinite(seg))
        if len(fin) == 0:
            want.add(b)
            continue
        want.add(b + int(fin[np.argmin(seg[fin])]))
        want.add(b + int(fin[np.argmax(seg[fin])]))
    assert got.tolist() == sorted(want)
    assert got.dtype.kind == "i"


def test_overviews_gathered_from_pieces_stay_bounded_and_keep_extremes():
    step = np.arange(100_000)
    value = np.sin(step / 3000.0)
    value[31_337] = 5.0
    o = Overviews(buckets=20)
    for lo in range(0, len(step), 1000):  # a hundred pieces
        o.add("r", "t", ScalarSeries(step[lo : lo + 1000], step[lo : lo + 1000] * 0.1, value[lo : lo + 1000]))
    s = o.series("r", "t")
    assert len(s.step) <= 2 * 20 + 2
    assert s.step[0] == 0 and s.step[-1] == 99_999 and s.value.max() == 5.0 and s.value.min() == value.min()
    o.drop_from("r", "t", 50_000)  # a purge
    assert o.series("r", "t").step.max() < 50_000
    assert [(r, t) for r, t, _ in o.ordered(["r"])] == [("r", "t")]


@pytest.mark.parametrize("how", ["poll", "resend"])
def test_the_overviews_and_the_full_data_come_from_one_read_unless_the_spool_is_refused(tmp_path, how, monkeypatch):
    runs, tags, steps = 6, 2, 1500
    sweep(tmp_path, runs, tags, steps)
    readers = []
    orig = Follower._new_logs

    def counting(self):
        readers.append(1)
        return orig(self)

    monkeypatch.setattr(Follower, "_new_logs", counting)
    results = {}
    for spool_bytes in (1 << 30, 1 << 12, 0):  # spooled; too big for the spool; spooling off
        readers.clear()
        f = Follower(str(tmp_path), read_bytes=32 << 10, spool_bytes=spool_bytes)
        if how == "resend":
            readers.clear()  # the constructor's reader: resend makes its own
        batches: list = []
        getattr(f, how)(batches.append)
        assert len(readers) == (1 if spool_bytes == 1 << 30 else 2), spool_bytes  # logdir reads
        got = items(batches)
        first_full = next(i for i, g in enumerate(got) if not g[0].get("overview"))
        assert len({(g[0]["run"], g[0]["tag"]) for g in got[:first_full]}) == runs * tags
        assert all(g[0].get("overview") for g in got[:first_full]) and not any(g[0].get("overview") for g in got[first_full:])
        assert [b.content["seq"] for b in batches] == list(range(1, len(batches) + 1))
        assert [b.content["reset"] for b in batches] == [how == "resend"] + [False] * (len(batches) - 1)
        assert len(batches[0].content["runs"]) == runs and not any(b.content["runs"] for b in batches[1:])
        assert sum(b.events for b in batches) == runs * tags * steps
        results[spool_bytes] = received(batches)
        assert sum(len(p.step) for p in f._previews.values()) > 0 and len(f._previews) == runs * tags
    assert results[1 << 30] == results[1 << 12] == results[0]


def test_a_logdir_too_big_for_the_spool_is_not_spooled_at_all(tmp_path, monkeypatch):
    """The unread event bytes tell up front that the spool would fill: no encoding into it (the
    wasted try cost the 100M-point benchmark time and memory)."""
    from tbx_widget.live import spool as spool_module

    sweep(tmp_path, 6, 2, 1500)
    puts = []
    orig = spool_module.Spool.put
    monkeypatch.setattr(spool_module.Spool, "put", lambda self, b: (puts.append(1), orig(self, b))[1])
    f = Follower(str(tmp_path), read_bytes=32 << 10, spool_bytes=1 << 12)
    batches: list = []
    f.poll(batches.append)
    assert puts == [] and sum(b.events for b in batches) == 6 * 2 * 1500
    puts.clear()
    Follower(str(tmp_path), read_bytes=32 << 10, spool_bytes=1 << 30).poll(batches.append)
    assert puts  # a logdir that fits is spooled


def test_spool_replays_batches_in_order_and_refuses_past_its_limit():
    from tbx_widget.live.encode import Batch
    from tbx_widget.live.spool import Spool

    s = Spool(100)
    for i in range(3):
        s.put(Batch({"seq": i, "items": [{"k": i}]}, [bytes([i]) * 30], i))
    assert [(b.content["seq"], b.buffers, b.events) for b in s.replay()] == [(i, [bytes([i]) * 30], i) for i in range(3)]
    s.put(Batch({"seq": 3}, [b"x" * 11], 0))  # 90 + 11 > 100
    assert s.full and s.count == 3
    with pytest.raises(ValueError, match="incomplete spool"):
        list(s.replay())
    s.close()
    with pytest.raises(ValueError, match="closed spool"):
        s.put(Batch({}, [], 0))
    with pytest.raises(ValueError, match="max_bytes must be an integer >= 1, got 0"):
        Spool(0)
