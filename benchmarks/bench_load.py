"""Loading 1,000,000 scalar events (10 tags x 100,000 steps) into arrays.

Peers: TensorBoard's EventAccumulator keeping every scalar (size_guidance 0) and tbparse's
SummaryReader (which builds a pandas DataFrame). Ours: ``tbx_widget.load`` then every series.
Peak memory of ours is measured with tracemalloc in a second pass, against the bytes of the
arrays it returns (target: at most 2x).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tbx_widget._proto import event_pb2  # noqa: E402
from tbx_widget.records import encode_record  # noqa: E402


def write_logdir(root: str, tags: int, steps: int) -> None:
    os.makedirs(os.path.join(root, "run"), exist_ok=True)
    with open(os.path.join(root, "run", "events.out.tfevents.1700000000.bench"), "wb") as f:
        f.write(encode_record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()))
        chunk = []
        for step in range(steps):
            for t in range(tags):
                e = event_pb2.Event(wall_time=1.7e9 + step * 0.01, step=step)
                e.summary.value.add(tag=f"metric/{t}", simple_value=step * 0.001 + t)
                chunk.append(encode_record(e.SerializeToString()))
            if len(chunk) > 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))


def ours(root: str) -> int:
    from tbx_widget import load

    logs = load(root)
    n = 0
    for run in logs.runs:
        for tag in logs.tags(run)["scalars"]:
            n += len(logs.scalars(run, tag).value)
    return n


def ours_peak(root: str) -> tuple[int, int]:
    from tbx_widget import load

    gc.collect()
    tracemalloc.start()
    logs = load(root)
    kept = []
    for run in logs.runs:
        for tag in logs.tags(run)["scalars"]:
            kept.append(logs.scalars(run, tag))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    returned = sum(s.step.nbytes + s.wall_time.nbytes + s.value.nbytes for s in kept)
    return peak, returned


def event_accumulator(root: str) -> int:
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(os.path.join(root, "run"), size_guidance={ea.SCALARS: 0})
    acc.Reload()
    return sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])


def tbparse_reader(root: str) -> int | None:
    try:
        from tbparse import SummaryReader
    except ImportError:
        return None
    return len(SummaryReader(root, pivot=False).scalars)


def numpy_only(root: str) -> float | None:
    """Our load time with the compiled kernels switched off (None when they are not built)."""
    from tbx_widget.reader import fast_scalars, spans

    if spans._native is None:
        return None
    saved = spans._native, fast_scalars._native
    spans._native = fast_scalars._native = None
    try:
        return min(timed(ours, root)[0] for _ in range(3))
    finally:
        spans._native, fast_scalars._native = saved


def timed(fn, *args):
    gc.collect()
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    args = ap.parse_args()
    tags, steps = (10, 1000) if args.tiny else (10, 100_000)
    with tempfile.TemporaryDirectory() as root:
        write_logdir(root, tags, steps)
        n = tags * steps
        t_ours = min(timed(ours, root)[0] for _ in range(3))
        assert ours(root) == n
        t_numpy = numpy_only(root)
        peak, returned = ours_peak(root)
        t_ea, got = timed(event_accumulator, root)
        assert got == n, got
        t_tbp, got_tbp = timed(tbparse_reader, root)
    print(f"## Loading {n:,} scalar events ({tags} tags x {steps:,} steps)\n")
    print("| reader | seconds | ours is faster by |")
    print("| --- | ---: | ---: |")
    print(f"| tbx_widget.load | {t_ours:.3f} | |")
    print(f"| TensorBoard EventAccumulator (all scalars kept) | {t_ea:.2f} | {t_ea / t_ours:.1f}x (target 20x) |")
    if got_tbp is None:
        print("| tbparse | not installed | |")
    else:
        print(f"| tbparse SummaryReader | {t_tbp:.2f} | {t_tbp / t_ours:.1f}x (target > 1x) |")
    if t_numpy is not None:
        print(f"\nRead with the compiled kernels (tbx_widget/_native.c); without them (numpy, where the install"
              f" found no C compiler): {t_numpy:.3f} s, {t_ea / t_numpy:.0f}x faster than EventAccumulator.")
    else:
        print("\nRead with numpy: this install has no compiled kernels.")
    print(f"\nPeak memory of tbx_widget.load (tracemalloc): {peak / 2**20:.1f} MiB for {returned / 2**20:.1f} MiB of "
          f"returned arrays = {peak / returned:.2f}x (target at most 2x).")


if __name__ == "__main__":
    main()
