"""The benchmark scripts still run (tiny sizes; the numbers come from `make bench`)."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


# scripts with their own figure-checking test below
OWN_TEST = {"bench_live_latency.py"}


FIGURE = re.compile(r"(?<![A-Za-z_.\d])-?\d[\d,]*(?:\.\d+)?")  # 1,250 ms; 0.5x; not run0


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in ``text``, as lists of cells (headers and the
    separator lines under them left out)."""
    lines = [line.strip() for line in text.splitlines()]
    rows: list[list[str]] = []
    for i, line in enumerate(lines):
        if not line.startswith("|") or re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", line):
            continue
        if i + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", lines[i + 1]):
            continue  # a header
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_table_rows_reads_figures_out_of_markdown():
    text = "## x\n\n| what | value | target |\n| --- | ---: | --- |\n| load 1,000 | 0.104 s | <= 2x |\n| heap | n/a | |\n"
    assert table_rows(text) == [["load 1,000", "0.104 s", "<= 2x"], ["heap", "n/a", ""]]
    assert FIGURE.findall("1,250 ms; 0.5x, -3.7 us") == ["1,250", "0.5", "-3.7"]
    assert FIGURE.findall("run0 n/a") == []


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("bench_*.py") if p.name not in OWN_TEST))
def test_benchmark_runs_at_tiny_size(script):
    proc = subprocess.run([sys.executable, str(BENCH / script), "--tiny"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = table_rows(proc.stdout)
    assert rows, f"no table printed:\n{proc.stdout[-2000:]}"
    for cells in rows:
        if "not installed" in cells[1:]:
            continue  # a peer the test venv leaves out (make bench installs them)
        # every row measured something: a figure beside its label, and none missing
        assert any(FIGURE.search(c) for c in cells[1:]), f"a row without a figure: {cells}"
        assert not any(c.lower() in ("nan", "n/a", "inf") or "nan " in c.lower() for c in cells[1:]), f"a figure missing: {cells}"


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


@pytest.mark.slow
def test_live_latency_benchmark_figures_at_tiny_size():
    """bench_live_latency --tiny (1,000 events/s for 1 s, idle and busy loops, JupyterLab in
    Chromium): every point reaches the browser, latencies are positive and bounded (loosely: the
    machine is shared; the targets are checked at full size by `make bench`)."""
    import json

    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_live_latency.py"), "--tiny", "--json", "--diagnose"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout.split("JSON ", 1)[1])
    assert sorted((r["case"], r["rate"]) for r in rows) == [("busy", 1000), ("idle", 1000)]
    for r in rows:
        assert r["events"] == 1000 and r["missing"] == 0, r
        assert 0 < r["median"] <= r["p95"] <= r["max"] < 5000, r
        assert r["flushes"] > 0 and r["steps"] > 0 and 0 <= r["to_flush"] < 5000, r
    assert "| busy | 1,000 | 1,000 | 0 |" in proc.stdout


def test_live_latency_helpers_match_events_to_observations():
    """latencies(): event i is seen at the first observation counting more than i points;
    stages(): each event's next flush, the step after that flush, and the rest to the browser."""
    import numpy as np

    sys.path.insert(0, str(BENCH))
    from bench_live_latency import latencies, stages

    times = np.array([10.0, 10.1, 10.2, 10.3])
    observed = [[10_150.0, 2], [10_140.0, 1], [10_400.0, 3]]  # ms; a late, lower count is ignored
    lat = latencies(times, observed)
    assert np.allclose(lat[:3], [0.15, 0.05, 0.2]) and np.isnan(lat[3])
    diag = {"flushes": [10.05, 10.25], "steps": [[10.06, 10.08], [10.26, 10.3]]}
    st = stages(times[:3], diag, times[:3] + lat[:3])
    assert st["flushes"] == 2 and st["steps"] == 2
    assert st["to_flush"] == pytest.approx(50.0) and st["flush_to_step"] == pytest.approx(10.0)
    assert st["step"] == pytest.approx(40.0) and st["step_median"] == pytest.approx(30.0)
