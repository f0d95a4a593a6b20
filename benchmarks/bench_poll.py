"""The dashboard's kernel-side poll against ``load()`` of the same logdir (issue 13).

A Dashboard's first poll (``Follower.poll``: read the logdir and encode every batch for the
browser) must cost at most 2x ``load()`` plus a constant, for 10,000 tags in one run and for
5,000 and 20,000 runs; an idle re-poll of 20,000 runs (nothing new on disk) must cost less than
the 0.5 s poll interval and grow at most linearly with the number of runs. Each figure is the
best of a few rounds, in wall time and in this process's CPU time (on a shared machine the wall
time also counts the wait for a CPU; the CPU ratios are the steadier).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from synth import STEP0, scalar_records  # noqa: E402

from tbx_widget._proto import event_pb2  # noqa: E402
from tbx_widget.records import encode_record  # noqa: E402

POLL_INTERVAL = 0.5  # the Dashboard's default
HEADER = encode_record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())
FULL = {"tags": 10_000, "runs": (5_000, 20_000), "points": 10}
TINY = {"tags": 300, "runs": (50, 200), "points": 3}


def write_tags(directory: str, tags: int, points: int) -> None:
    """One event file with ``tags`` scalar tags of ``points`` points each, step-major."""
    os.makedirs(directory, exist_ok=True)
    steps = np.arange(points) + STEP0
    rows = [scalar_records(f"metric/{t}", steps, 1.7e9 + steps * 0.01, np.sin(steps * 1e-3) + t) for t in range(tags)]
    with open(os.path.join(directory, "events.out.tfevents.1700000000.synthetic"), "wb") as f:
        f.write(HEADER)
        for s in range(points):
            f.write(b"".join(r[s].tobytes() for r in rows))


def write_runs(root: str, runs: int, points: int) -> None:
    """``runs`` run directories, each one event file of 2 tags x ``points`` points."""
    write_tags(os.path.join(root, "run00000"), 2, points)
    first = os.path.join(root, "run00000", "events.out.tfevents.1700000000.synthetic")
    for r in range(1, runs):
        os.makedirs(os.path.join(root, f"run{r:05d}"))
        shutil.copyfile(first, os.path.join(root, f"run{r:05d}", os.path.basename(first)))


def best(fn: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """The least wall time and the least CPU time of this process over ``rounds`` calls."""
    wall, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def first_poll(root: str, on_request: bool | None = None) -> int:
    """A Follower's first poll of ``root``, as the Dashboard makes it (``on_request`` None: the
    Dashboard's default, full data on request for a big logdir; False: everything sent); the
    points it sent or holds for requests."""
    from tbx_widget.live.follower import Follower
    from tbx_widget.widget import FULL_ON_REQUEST

    events = [0]

    def emit(batch: Any) -> None:
        events[0] += batch.events

    follower = Follower(root, on_request=FULL_ON_REQUEST if on_request is None else on_request)
    try:
        follower.poll(emit)
        return events[0] + follower.held_points()
    finally:
        follower.close()


def compare(root: str, expected_points: int, rounds: int, everything_too: bool = False) -> dict[str, float]:
    """``load()`` and a Dashboard's first poll of ``root``, plus a check that every point was sent
    (or held for requests); ``everything_too``: also the first poll with everything sent
    (``poll_all``: what a big logdir's poll costs without full data on request)."""
    from tbx_widget import load

    for on_request in (None, False) if everything_too else (None,):
        sent = first_poll(root, on_request)  # also warms the page cache
        if sent != expected_points:
            raise AssertionError(f"the first poll (on_request={on_request}) sent or held {sent} points, expected {expected_points}")
    out: dict[str, float] = {}
    out["load"], out["load_cpu"] = best(lambda: load(root), rounds)
    out["poll"], out["poll_cpu"] = best(lambda: first_poll(root), rounds)
    if everything_too:
        out["poll_all"], out["poll_all_cpu"] = best(lambda: first_poll(root, False), rounds)
    return out


def idle(root: str, rounds: int) -> tuple[float, float]:
    """One idle re-poll of ``root`` (nothing new on disk), the tree quiet for ``SETTLE_NS``:
    (wall seconds, CPU seconds of this process; on a busy machine the wall time also counts
    the wait for a CPU)."""
    from tbx_widget.live.follower import Follower
    from tbx_widget.reader import logs as logs_module

    follower = Follower(root)
    follower.poll(lambda batch: None)
    quiet_at = max(os.stat(d).st_mtime_ns for d in (root, *(e.path for e in os.scandir(root)))) + logs_module.SETTLE_NS
    time.sleep(max(0.0, (quiet_at - time.time_ns()) / 1e9))
    follower.poll(lambda batch: None)  # directories listed before they settled are listed again once

    def poll() -> None:
        if follower.poll(lambda batch: None):
            raise AssertionError("an idle poll emitted a batch")

    return best(poll, rounds)


def measure(tags: int, runs: tuple[int, ...], points: int, rounds: int = 3) -> dict[str, Any]:
    """Every figure of this benchmark, in seconds: ``tags`` -> {load, poll}; ``runs`` -> {run
    count: {load, poll, idle}}."""
    out: dict[str, Any] = {"points": points, "tags": {}, "runs": {}}
    with tempfile.TemporaryDirectory() as root:
        write_tags(os.path.join(root, "run"), tags, points)
        out["tags"] = {"count": tags, **compare(root, tags * points, rounds)}
    for n in runs:
        with tempfile.TemporaryDirectory() as root:
            write_runs(root, n, points)
            figures = compare(root, 2 * n * points, max(1, rounds - 1) if n > 10_000 else rounds)
            figures["idle"], figures["idle_cpu"] = idle(root, 2 * rounds)
            out["runs"][n] = figures
    return out


def report(m: dict[str, Any]) -> str:
    p = m["points"]
    rows = [
        "## Dashboard poll: first poll against load(), idle re-polls\n",
        "First poll: read the logdir and encode every batch for the browser (target: at most 2x",
        "`load()` of the same logdir plus a constant). Idle poll: nothing new on disk (target: under",
        f"the {POLL_INTERVAL} s poll interval, growing at most linearly with the runs).\n",
        "| logdir | load() | first poll | poll / load (wall) | poll / load (CPU) | idle poll | idle poll (CPU) | CPU per run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def first(f: dict[str, float]) -> str:
        return (f"{f['load']:.2f} s | {f['poll']:.2f} s | {f['poll'] / f['load']:.2f}x | "
                f"{f['poll_cpu'] / max(f['load_cpu'], 1e-9):.2f}x")

    t = m["tags"]
    rows.append(f"| 1 run x {t['count']:,} tags x {p} points | {first(t)} | | | |")
    for n, f in m["runs"].items():
        rows.append(
            f"| {n:,} runs x 2 tags x {p} points | {first(f)} "
            f"| {f['idle'] * 1e3:.0f} ms | {f['idle_cpu'] * 1e3:.0f} ms | {f['idle_cpu'] / n * 1e6:.1f} µs |"
        )
    counts = sorted(m["runs"])
    if len(counts) > 1:
        a, b = counts[0], counts[-1]
        growth = m["runs"][b]["idle_cpu"] / m["runs"][a]["idle_cpu"]
        rows.append(f"\nIdle poll (CPU), {b:,} runs against {a:,}: {growth:.1f}x for {b / a:.0f}x the runs.")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tiny", action="store_true", help="tiny sizes (smoke test)")
    args = ap.parse_args()
    print(report(measure(**(TINY if args.tiny else FULL))))


if __name__ == "__main__":
    main()
