"""Training-loop cost of an open dashboard: a loop doing a little numpy work and logging 10
scalars per step, timed with the writer alone and with a Dashboard following the same logdir
(kernel side: reading, encoding and sending every batch; the comm is a no-op outside Jupyter).
Target: at most 3% slower with the dashboard.

The matmul runs on one BLAS thread: on a shared 2-core machine multi-threaded BLAS made the same
loop take anywhere from 0.7 to 15 s, drowning the dashboard's share. Process CPU time (every
thread: the loop, the writer's thread, the dashboard's) is reported beside wall time; it is the
steadier figure when the machine is loaded."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def loop(logdir: str, steps: int, with_dashboard: bool) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of the loop, the writer closed at its end."""
    from tbx_widget import Dashboard, SummaryWriter

    w = SummaryWriter(logdir)
    dash = Dashboard(logdir, poll_interval=0.5) if with_dashboard else None
    a = np.random.default_rng(0).random((192, 192))
    t, cpu = time.perf_counter(), time.process_time()
    for step in range(steps):
        b = a @ a  # the "training" work of a step
        for k in range(10):
            w.add_scalar(f"metric/{k}", float(b[k, k]), step)
    w.close()
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    if dash is not None:
        dash.refresh()
        dash.close()
    return elapsed, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    args = ap.parse_args()
    steps, rounds = (300, 1) if args.tiny else (5000, 11)
    alone, with_dash = [], []
    with tempfile.TemporaryDirectory() as root:
        loop(os.path.join(root, "warm"), steps // 5, True)  # imports and first-use costs, in neither
        for r in range(rounds):  # interleaved, in alternating order, so drift hits both alike
            order = (False, True) if r % 2 == 0 else (True, False)
            for dashboard in order:
                t = loop(os.path.join(root, f"{'d' if dashboard else 'a'}{r}"), steps, dashboard)
                (with_dash if dashboard else alone).append(t)
    a, d = statistics.median(t for t, _ in alone), statistics.median(t for t, _ in with_dash)
    ca, cd = statistics.median(c for _, c in alone), statistics.median(c for _, c in with_dash)
    print("## Training-loop cost of an open dashboard\n")
    print(f"A loop of {steps:,} steps (a 192x192 matmul on one BLAS thread and 10 `add_scalar` calls each),")
    print(f"median of {rounds} rounds:\n")
    print("| setup | seconds | per step | CPU seconds (all threads) |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| writer alone | {a:.3f} | {a / steps * 1e6:.0f} us | {ca:.3f} |")
    print(f"| writer + Dashboard following the logdir | {d:.3f} | {d / steps * 1e6:.0f} us | {cd:.3f} |")
    print(f"\nSlowdown with the dashboard: {100 * (d / a - 1):+.1f}% wall, {100 * (cd / ca - 1):+.1f}% CPU"
          f" (target at most +3%; load average {os.getloadavg()[0]:.1f} at the end).")


if __name__ == "__main__":
    main()
