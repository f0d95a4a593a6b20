"""Live latency: from ``add_scalar`` returning in the kernel to the point being in the browser's
data, measured through the end-to-end harness (JupyterLab in headless Chromium), at 1,000 and
50,000 events a second. Target: median at most 200 ms, p95 at most 500 ms.

The kernel records the time each ``add_scalar`` returned; a MutationObserver in the page records
when the dashboard's ``data-tbx-events`` counter changed. Both clocks are this machine's wall
clock, so event i's latency is the first observation with count > i minus its logging time.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
from types import SimpleNamespace

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

SETUP = """
import time, json
import numpy as np
from tbx_widget import SummaryWriter
w = SummaryWriter("runs/latency-{rate}")  # a fresh logdir per rate: no earlier events counted
d = w.show(height=400)
"""

RUN = """
rate, seconds = {rate}, {seconds}
n = int(rate * seconds)
times = np.empty(n)
per_ms = rate / 1000.0
t0 = time.perf_counter()
i = 0
while i < n:
    due = min(n, int((time.perf_counter() - t0) * 1000.0 * per_ms) + 1)
    while i < due:
        w.add_scalar("latency", float(i), i)
        times[i] = time.time()
        i += 1
    time.sleep(0.001)
w.flush()
time.sleep(1.5)
json.dump(times.tolist(), open("times-{rate}.json", "w"))
print("done", n)
"""

OBSERVE = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
window.__tbx_obs = [];
const mo = new MutationObserver(() => window.__tbx_obs.push([Date.now(), Number(root.dataset.tbxEvents)]));
mo.observe(root, { attributes: true, attributeFilter: ['data-tbx-events'] });
return Number(root.dataset.tbxEvents);
"""


def latencies(times: np.ndarray, observed: list[list[float]]) -> np.ndarray:
    obs = np.array(observed, dtype=np.float64).reshape(-1, 2)
    when, count = obs[:, 0] / 1000.0, obs[:, 1]
    count = np.maximum.accumulate(count)
    # first observation whose count exceeds i (event i is the (i+1)-th point)
    idx = np.searchsorted(count, np.arange(len(times)) + 1, side="left")
    seen = idx < len(when)
    out = np.full(len(times), np.nan)
    out[seen] = when[idx[seen]] - times[seen]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    args = ap.parse_args()
    from harness import CHROMIUM, CHROMIUM_ARGS, Jupyter, JupyterServer  # the e2e harness (tests/e2e/harness.py)
    from playwright.sync_api import sync_playwright

    seconds = 1.0 if args.tiny else 5.0
    rates = [1000] if args.tiny else [1000, 50_000]
    rows = []
    with tempfile.TemporaryDirectory() as base:
        server = JupyterServer("lab", pathlib.Path(base))
        server.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for rate in rates:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    request = SimpleNamespace(node=SimpleNamespace(nodeid=f"bench-{rate}", _tbx_console=[]))
                    jupyter = Jupyter(server, page, request)
                    name = server.write_notebook([SETUP.format(rate=rate), RUN.format(rate=rate, seconds=seconds)])
                    jupyter.open(name)
                    jupyter.run_cell(0)
                    jupyter.wait_cell_done(0)
                    jupyter.poll(lambda: jupyter.js("return !!nb().content.widgets[0].node.querySelector('.tbx-dashboard')"), 60, "dashboard")
                    before = jupyter.js(OBSERVE)
                    assert before == 0, f"the dashboard already holds {before} events: latencies would be wrong"
                    jupyter.run_cell(1)
                    jupyter.wait_cell_done(1, timeout=120 + seconds * 4)
                    observed = jupyter.js("return window.__tbx_obs")
                    times = np.array(json.loads((server.root / f"times-{rate}.json").read_text()))
                    lat = latencies(times, observed)
                    missing = int(np.isnan(lat).sum())
                    lat = lat[~np.isnan(lat)] * 1000.0
                    rows.append((rate, len(times), missing, np.median(lat), np.percentile(lat, 95)))
                    server.shutdown_kernels()
                    page.close()
                browser.close()
        finally:
            server.stop()
    print("## Live latency: add_scalar returning -> point in the browser's data\n")
    print("JupyterLab 4 in headless Chromium, kernel and browser on this machine.\n")
    print("| events per second | events | not seen | median | p95 | target |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for rate, n, missing, med, p95 in rows:
        print(f"| {rate:,} | {n:,} | {missing} | {med:.0f} ms | {p95:.0f} ms | median <= 200 ms, p95 <= 500 ms |")
    print("\nTensorBoard's page reloads every 30 s at the fastest.")


if __name__ == "__main__":
    main()
