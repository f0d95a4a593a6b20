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
