"""The benchmark scripts still run (tiny sizes; the numbers come from `make bench`)."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("bench_*.py")))
def test_benchmark_runs_at_tiny_size(script):
    proc = subprocess.run([sys.executable, str(BENCH / script), "--tiny"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "|" in proc.stdout  # printed its table


def test_synthetic_records_are_what_protobuf_writes():
    import numpy as np

    sys.path.insert(0, str(BENCH))
    from synth import STEP0, scalar_records

    from tbx_widget._proto import event_pb2
    from tbx_widget.records import encode_record

    steps = np.array([STEP0, STEP0 + 1000, (1 << 28) - 1])
    rows = scalar_records("metric/3", steps, 1.7e9 + steps, np.array([0.25, -1.5, 3.0]))
    for row, step in zip(rows, steps.tolist()):
        e = event_pb2.Event(wall_time=1.7e9 + step, step=step)
        e.summary.value.add(tag="metric/3", simple_value=float(np.float32([0.25, -1.5, 3.0][list(steps).index(step)])))
        assert row.tobytes() == encode_record(e.SerializeToString())


def test_poll_benchmark_figures_meet_their_targets_at_tiny_size():
    """bench_poll's figures (not its printout): every point sent, the first poll within 2x load()
    plus a constant, idle polls far under the poll interval."""
    sys.path.insert(0, str(BENCH))
    import bench_poll

    m = bench_poll.measure(tags=200, runs=(30, 120), points=3, rounds=2)
    assert m["tags"]["count"] == 200 and sorted(m["runs"]) == [30, 120]
    for f in [m["tags"], *m["runs"].values()]:
        assert 0 < f["load"] and f["poll"] <= 2 * f["load"] + 0.5
    for f in m["runs"].values():
        assert 0 < f["idle"] < bench_poll.POLL_INTERVAL / 5 and 0 <= f["idle_cpu"] < bench_poll.POLL_INTERVAL / 5
    assert "| 120 runs x 2 tags x 3 points |" in bench_poll.report(m)


@pytest.mark.slow
def test_sweep_benchmark_figures_at_tiny_size():
    """bench_sweep's figures (not its printout): every card drawn with every run's points, the
    zoom redraw and first draw measured, the first poll within 2x load() plus a constant."""
    sys.path.insert(0, str(BENCH))
    import bench_sweep

    m = bench_sweep.measure(**bench_sweep.TINY)
    f, k = m["front"], m["kernel"]
    assert f["cards"] == bench_sweep.TINY["tags"] and f["shown"] >= 1
    assert 0 < f["first_ms"] < 60_000 and 0 < f["redraw_ms"] < 1_000 and f["heap"] > 0
    assert f["series"] >= bench_sweep.TINY["runs"]  # one line per run at least
    assert 0 < k["load"] and k["poll"] <= 2 * k["load"] + 0.5
    assert "| first poll / load() (wall, CPU) |" in bench_sweep.report(m)
