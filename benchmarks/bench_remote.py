"""Remote logdirs (issue 16): loading 1,000,000 scalar events (10 tags x 100,000 steps) from an S3
server (moto's standalone server on 127.0.0.1, started here) against the same file on local
disk, and TensorBoard's EventAccumulator on the same bucket (its TensorFlow-free ``gfile`` reads
``s3://`` through boto3, pointed at the server by ``S3_ENDPOINT``); then the live latency from a
remote writer's ``flush()`` returning (in a separate process) to the point being in a
dashboard follower's batch in this process (kernel level: the browser adds its own poll, see
bench_live_latency.py).

moto keeps objects in memory and answers on loopback, so these figures are the client's own
cost (requests, parsing) without a real network's round trips.
"""
from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from bench_load import write_logdir  # noqa: E402
from storage_server import Server, ServerDidNotStart, moto_s3  # noqa: E402  (tests/storage_server.py)

KEY = SECRET = "testing"  # moto accepts any credentials

WRITER = r"""
import sys, time
from tbx_widget import SummaryWriter
url, endpoint, n, gap = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
w = SummaryWriter(url, storage_options={"key": "testing", "secret": "testing", "endpoint_url": endpoint}, flush_secs=3600)
for i in range(n):
    w.add_scalar("latency", float(i), i)
    w.flush()
    print(i, repr(time.time()), flush=True)
    time.sleep(gap)
w.close()
"""


def start_moto(cwd: str) -> Server:
    """moto's S3 server (tests/storage_server.py), started, its log in ``cwd``."""
    server = moto_s3(cwd)
    server.start()
    try:
        server.wait()
    except ServerDidNotStart as exc:
        raise RuntimeError(f"{exc}\n(is moto installed? pip install 'moto[server]')") from None
    return server


def count_ours(url: str, options: dict | None) -> int:
    from tbx_widget import load

    logs = load(url, storage_options=options) if options else load(url)
    return sum(len(logs.scalars(run, tag).value) for run in logs.runs for tag in logs.tags(run)["scalars"])


def count_event_accumulator(path: str) -> int:
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(path, size_guidance={ea.SCALARS: 0})
    acc.Reload()
    return sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])


def timed(fn, *args) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result)."""
    gc.collect()
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return time.perf_counter() - t, time.process_time() - c, out


def best(fn, args: tuple, n: int, repeats: int) -> tuple[float, float, str]:
    runs = []
    for _ in range(repeats):
        wall, cpu, got = timed(fn, *args)
        assert got == n, f"{fn.__name__} read {got} points, expected {n}"
        runs.append((wall, cpu))
    wall = float(np.median([r[0] for r in runs]))
    cpu = float(np.median([r[1] for r in runs]))
    return wall, cpu, ""


EA_ON_S3 = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])
from bench_remote import count_event_accumulator
out = []
for _ in range(int(sys.argv[2])):
    t, c = time.perf_counter(), time.process_time()
    got = count_event_accumulator(sys.argv[1])
    out.append((time.perf_counter() - t, time.process_time() - c, got))
print(json.dumps(out))
"""


def tensorboard_on_s3(server: Server, url: str, n: int, repeats: int) -> tuple[float, float, str] | str:
    """EventAccumulator on ``url`` through the tf-stub gfile, or why it cannot run. In its own
    process: the gfile registers its S3 filesystem, reading ``S3_ENDPOINT``, when first imported."""
    import json

    try:
        import boto3  # noqa: F401
        import tensorboard  # noqa: F401
    except ImportError as exc:
        return f"not run: {exc.name} is not installed"
    env = dict(os.environ, S3_ENDPOINT=server.storage_options["endpoint_url"], AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.run([sys.executable, "-c", EA_ON_S3, url, str(repeats), HERE], env=env, capture_output=True,
                          text=True, timeout=3600)
    if proc.returncode != 0:
        last = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ["(no message)"]
        return f"failed: {last[0]}"
    runs = json.loads(proc.stdout.strip().splitlines()[-1])
    if any(got != n for _, _, got in runs):
        return f"failed: read {[got for _, _, got in runs]} points, expected {n}"
    return float(np.median([r[0] for r in runs])), float(np.median([r[1] for r in runs])), ""


def live_latency(server: Server, bucket: str, points: int, gap: float) -> np.ndarray:
    """Seconds from a separate writer process's ``flush()`` returning to each point being in a
    ``Follower`` batch here (the follower polls back to back, 10 ms apart)."""
    from tbx_widget.live.follower import Follower

    url = f"s3://{bucket}/live"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, f"{url}/run", server.storage_options["endpoint_url"], str(points), str(gap)],
                            stdout=subprocess.PIPE, text=True)
    flushed: dict[int, float] = {}

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            i, t = line.split()
            flushed[int(i)] = float(t)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    seen: dict[int, float] = {}

    def emit(batch) -> None:
        now = time.time()
        for item in batch.content["items"]:
            if item["kind"] == "scalars" and item["tag"] == "latency":
                for s in np.frombuffer(batch.buffers[item["step_buf"]], "<f8"):
                    seen.setdefault(int(s), now)

    follower = None
    initial: set[int] = set()
    deadline = time.monotonic() + 60 + points * (gap + 1)
    while len(seen) < points and time.monotonic() < deadline:
        if follower is None:
            try:
                follower = Follower(url, storage_options=server.storage_options)
                follower.resend(emit)
                initial = set(seen)  # points already there when the follower started: no latency
            except (FileNotFoundError, OSError):
                follower = None
        else:
            follower.poll(emit)
        time.sleep(0.01)
    proc.wait(60)
    thread.join(10)
    if proc.returncode != 0 or len(seen) < points:
        raise RuntimeError(f"live latency: writer exit {proc.returncode}, {len(seen)} of {points} points seen")
    return np.array([seen[i] - flushed[i] for i in sorted(seen) if i not in initial and i in flushed])


BROWSER_CELL = """
from tbx_widget import Dashboard
d = Dashboard({url!r}, storage_options={options!r}, height=400)
d
"""

def browser_latency(server: Server, bucket: str, points: int, gap: float) -> np.ndarray | str:
    """Seconds from a separate writer process's ``flush()`` returning to the point being counted
    by a Dashboard in JupyterLab (headless Chromium, through the e2e harness) following the
    bucket at its default poll interval; or why it could not run."""
    try:
        import playwright  # noqa: F401
        from page import e2e_harness, jupyter_lab, observed_events, open_dashboard, watch_events
        chromium = e2e_harness().CHROMIUM
    except ImportError as exc:
        return f"not measured: {exc}"
    if not os.path.exists(chromium):
        return f"not measured: no Chromium at {chromium} (set TBX_CHROMIUM)"
    from bench_live_latency import latencies

    url = f"s3://{bucket}/browser"
    with jupyter_lab() as lab, lab.notebook("bench-remote") as jupyter:
        open_dashboard(jupyter, [BROWSER_CELL.format(url=url, options=server.storage_options)])
        before = watch_events(jupyter)
        if before != 0:
            raise RuntimeError(f"the dashboard already holds {before} points: latencies would be wrong")
        proc = subprocess.run([sys.executable, "-c", WRITER, f"{url}/run", server.storage_options["endpoint_url"], str(points), str(gap)],
                              capture_output=True, text=True, timeout=120 + points * 5)
        if proc.returncode != 0:
            raise RuntimeError(f"browser latency: the writer failed: {proc.stderr[-2000:]}")
        flushed = dict((int(i), float(t)) for i, t in (line.split() for line in proc.stdout.splitlines()))
        times = np.array([flushed[i] for i in range(points)])
        jupyter.poll(lambda: (observed_events(jupyter) or [[0, 0]])[-1][1] >= points, 30, "every point")
        observed = observed_events(jupyter)
    lat = latencies(times, observed)
    return lat[~np.isnan(lat)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--no-browser", dest="browser", action="store_false",
                    help="skip the browser latency (JupyterLab in headless Chromium; never run with --tiny)")
    args = ap.parse_args()
    tags, steps = (10, 1000) if args.tiny else (10, 100_000)
    repeats = 1 if args.tiny else 3
    points, gap = (8, 0.1) if args.tiny else (40, 0.25)
    n = tags * steps
    server_dir = tempfile.TemporaryDirectory()
    server = start_moto(server_dir.name)
    try:
        fs = server.filesystem()
        bucket = server.new_bucket()
        with tempfile.TemporaryDirectory() as root:
            write_logdir(root, tags, steps)
            local = os.path.join(root, "run", "events.out.tfevents.1700000000.bench")
            size = os.path.getsize(local)
            fs.put_file(local, f"{bucket}/logs/run/events.out.tfevents.1700000000.bench")
            url = f"s3://{bucket}/logs"
            t_local = best(count_ours, (root, None), n, repeats)
            t_s3 = best(count_ours, (url, server.storage_options), n, repeats)
            t_ea_local = best(count_event_accumulator, (os.path.join(root, "run"),), n, repeats)
            t_ea_s3 = tensorboard_on_s3(server, f"{url}/run", n, 1)  # minutes at full size: one run
        lat = live_latency(server, bucket, points, gap)
        seen = browser_latency(server, bucket, points, gap) if args.browser and not args.tiny else "not measured (--tiny)"
    finally:
        server.stop()
        server_dir.cleanup()
    print(f"## Remote logdirs: {n:,} scalar events ({tags} tags x {steps:,} steps, {size / 2**20:.1f} MiB) "
          f"on moto's S3 server (loopback) vs local disk\n")
    print(f"Median of {repeats} run(s) (TensorBoard on S3: one run); CPU is the reading process's (the server's own "
          f"work is not counted).\n")
    print("| reader | where | wall s | CPU s | vs tbx_widget from S3 |")
    print("| --- | --- | ---: | ---: | ---: |")
    print(f"| tbx_widget.load | local disk | {t_local[0]:.3f} | {t_local[1]:.3f} | |")
    print(f"| tbx_widget.load | s3:// (moto) | {t_s3[0]:.3f} | {t_s3[1]:.3f} | 1.0x |")
    print(f"| TensorBoard EventAccumulator | local disk | {t_ea_local[0]:.2f} | {t_ea_local[1]:.2f} | "
          f"{t_ea_local[0] / t_s3[0]:.1f}x slower |")
    if isinstance(t_ea_s3, str):
        print(f"| TensorBoard EventAccumulator (tf-stub gfile, boto3, S3_ENDPOINT) | s3:// (moto) | {t_ea_s3} | | |")
    else:
        print(f"| TensorBoard EventAccumulator (tf-stub gfile, boto3, S3_ENDPOINT; own process) | s3:// (moto) | {t_ea_s3[0]:.2f} | "
              f"{t_ea_s3[1]:.2f} | {t_ea_s3[0] / t_s3[0]:.1f}x slower |")
    print(f"\nLive latency, remote writer's `flush()` returning (separate process, one point per flush, "
          f"{gap * 1000:.0f} ms apart) to the point in a `Follower` batch (polling every 10 ms), {len(lat)} points: "
          f"median {np.median(lat) * 1000:.0f} ms, p90 {np.percentile(lat, 90) * 1000:.0f} ms, "
          f"max {lat.max() * 1000:.0f} ms.")
    if isinstance(seen, str):
        print(f"\nTo the browser: {seen}.")
    else:
        print(f"\nTo the browser (a Dashboard in JupyterLab, headless Chromium, following the bucket at its default "
              f"poll interval, which adapts to the listing's latency; the point counted by the page), {len(seen)} points: "
              f"median {np.median(seen) * 1000:.0f} ms, p90 {np.percentile(seen, 90) * 1000:.0f} ms, "
              f"max {seen.max() * 1000:.0f} ms.")


if __name__ == "__main__":
    main()
