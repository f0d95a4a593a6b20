"""Kernel memory of a dashboard following a big logdir: 10 runs x 10 tags x 1,000,000 points.

The follower reads the logdir piece by piece, emits every batch (discarded here, as if sent)
and releases what it sent; the figure is the process's peak RSS (target: under 1 GB) with the
time to stream the whole logdir."""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from synth import write_scalar_run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    args = ap.parse_args()
    runs, tags, points = (10, 10, 2_000) if args.tiny else (10, 10, 1_000_000)
    with tempfile.TemporaryDirectory() as root:
        first = write_scalar_run(os.path.join(root, "run0"), tags, points)
        for r in range(1, runs):
            os.makedirs(os.path.join(root, f"run{r}"))
            shutil.copy(first, os.path.join(root, f"run{r}", os.path.basename(first)))
        size = sum(os.path.getsize(os.path.join(root, f"run{r}", os.path.basename(first))) for r in range(runs))

        from tbx_widget.live.follower import Follower

        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        sent = {"points": 0, "bytes": 0}

        def emit(batch) -> None:
            sent["points"] += batch.events
            sent["bytes"] += sum(len(b) for b in batch.buffers)

        t = time.perf_counter()
        follower = Follower(root)
        follower.poll(emit)
        elapsed = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    total = runs * tags * points
    assert sent["points"] == total, sent
    print(f"## Kernel memory: a dashboard following {runs} runs x {tags} tags x {points:,} points\n")
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| event files | {size / 2**30:.2f} GiB |")
    print(f"| points streamed to the (simulated) browser | {sent['points']:,} in {elapsed:.1f} s |")
    print(f"| peak RSS of the kernel process | {peak / 2**20:.0f} MiB (target < 1024 MiB; {base_rss / 2**20:.0f} MiB before reading) |")


if __name__ == "__main__":
    main()
