"""bench_live_latency --diagnose, per batch: the comm send, send end -> frame in the page, and
frame -> counted by the dashboard, weighted by the events each batch carries."""
from __future__ import annotations

import pathlib
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def test_wire_stages_weights_batches_by_their_events():
    sys.path.insert(0, str(BENCH))
    from bench_live_latency import wire_stages

    # seq, send start, send end, events (s); a batch without events (runs only) is left out
    diag = {"sends": [[1, 10.0, 10.01, 0], [2, 10.1, 10.12, 30], [3, 10.3, 10.31, 10]]}
    arrivals = [[2, 10_130.0], [3, 10_350.0], [1, 10_020.0]]  # ms, in any order
    observed = [[10_150.0, 30], [10_380.0, 40]]  # the dashboard's counter, ms
    st = wire_stages(diag, arrivals, observed)
    assert st["batches"] == 2
    # 30 events sent in 20 ms and 10 in 10 ms: the weighted median is the 30-event batch's
    assert st["send"] == pytest.approx(20.0)
    assert st["send_to_page"] == pytest.approx(10.0)
    assert st["page_to_counted"] == pytest.approx(20.0)


def test_wire_stages_skips_batches_never_seen():
    sys.path.insert(0, str(BENCH))
    from bench_live_latency import wire_stages

    diag = {"sends": [[1, 10.0, 10.01, 5], [2, 10.1, 10.11, 5]]}
    assert wire_stages(diag, [[1, 10_020.0]], [[10_030.0, 5]])["batches"] == 1
    assert wire_stages(diag, [], [[10_030.0, 5]]) == {}
    assert wire_stages({"sends": []}, [[1, 10_020.0]], [[10_030.0, 5]]) == {}
