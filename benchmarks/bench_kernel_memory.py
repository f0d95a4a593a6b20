"""Kernel memory of a dashboard following a big logdir: 10 runs x 10 tags x 1,000,000 points.

The follower reads the logdir piece by piece through a streaming reader (``Logs(retain=False)``:
it keeps no points) and emits every batch (discarded here, as if sent); the figure is the process's peak RSS (target: under 1 GB) with the
time to stream the whole logdir."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import resource
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from synth import write_scalar_run  # noqa: E402


def _hwm() -> int:
    """Peak RSS of this process in bytes (VmHWM: unlike ru_maxrss, not inherited over fork)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def follow(root: str) -> None:
    """Child process: stream the logdir through a Follower; print JSON figures."""
    from tbx_widget.live.follower import Follower

    base = _hwm()
    sent = {"points": 0, "bytes": 0}

    def emit(batch) -> None:
        sent["points"] += batch.events
        sent["bytes"] += sum(len(b) for b in batch.buffers)

    t = time.perf_counter()
    Follower(root).poll(emit)
    elapsed = time.perf_counter() - t
    peak = _hwm()
    print(json.dumps({**sent, "seconds": elapsed, "peak": peak, "base": base}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--follow", metavar="LOGDIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.follow:
        return follow(args.follow)
    runs, tags, points = (10, 10, 2_000) if args.tiny else (10, 10, 1_000_000)
    with tempfile.TemporaryDirectory() as root:
        first = write_scalar_run(os.path.join(root, "run0"), tags, points)
        for r in range(1, runs):
            os.makedirs(os.path.join(root, f"run{r}"))
            shutil.copy(first, os.path.join(root, f"run{r}", os.path.basename(first)))
        size = sum(os.path.getsize(os.path.join(root, f"run{r}", os.path.basename(first))) for r in range(runs))

        # The follower runs in a fresh process, so its peak RSS is its own.
        out = subprocess.run([sys.executable, __file__, "--follow", root], capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
    sent, elapsed, peak, base_rss = res, res["seconds"], res["peak"], res["base"]
    total = runs * tags * points
    assert sent["points"] == total, sent
    print(f"## Kernel memory: a dashboard following {runs} runs x {tags} tags x {points:,} points\n")
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| event files | {size / 2**30:.2f} GiB |")
    print(f"| points streamed to the (simulated) browser | {sent['points']:,} in {elapsed:.1f} s |")
    print(f"| peak RSS of the kernel process | {peak / 2**20:.0f} MiB (target < 1024 MiB; {base_rss / 2**20:.0f} MiB after imports) |")


if __name__ == "__main__":
    main()
