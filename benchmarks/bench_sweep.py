"""A sweep at scale (issue 19): 1,000 runs x 10 tags x 1,000 steps (10M points).

Front end (headless Chromium, software rendering): the page loads the built bundle with a
stand-in model and is fed protocol batches as the kernel sends them (a few runs' tags per
batch); measured are the first draw of the scalars section (first batch received -> every
scalar card in view drawn with every run's points), a zoom redraw per chart (median of 20
zooms at different ranges on one card) and the JS heap after a GC. Kernel: a Dashboard's first
poll (``Follower.poll``) against ``load()`` of the same logdir. Targets: first draw <= 2 s,
zoom redraw <= 16 ms per chart, first poll <= 2x load(); the heap is stated.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import threading
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
STATIC = HERE.parent / "tbx_widget" / "static"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

FULL = {"runs": 1_000, "tags": 10, "steps": 1_000, "per_batch": 20}
TINY = {"runs": 30, "tags": 3, "steps": 200, "per_batch": 7}
TARGET_FIRST_MS = 2_000
TARGET_REDRAW_MS = 16

PAGE = """<!doctype html><html><head><link rel="stylesheet" href="index.css"></head>
<body style="width:1200px"><div id="host"></div>
<script type="module">
import w from "./index.js";
// The work of every animation-frame callback, microtasks included (see bench_frontend.py).
const rawRAF = window.requestAnimationFrame.bind(window);
window.__work = [];
window.requestAnimationFrame = (cb) => rawRAF((ts) => {
  const t = performance.now();
  cb(ts);
  queueMicrotask(() => window.__work.push(performance.now() - t));
});
const h = {};
const model = { attrs: {logdir: "runs", height: 800, status: "ok", error: "", tag_filter: "", run_filter: ""},
  get(k) { return this.attrs[k]; }, on(e, cb) { (h[e] ||= []).push(cb); }, off() {}, send() {} };
w.initialize({ model });
w.render({ model, el: document.getElementById("host") });
const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
const tick = () => new Promise((r) => setTimeout(r, 0));
window.bench = async (runs, tags, n, perBatch) => {
  // Columns built before the clock starts: steps and wall times shared, one value column per run
  // shared by its tags (the dashboard copies every column out of the message buffers anyway).
  const step = new Float64Array(n), wall = new Float64Array(n);
  for (let i = 0; i < n; i++) { step[i] = i; wall[i] = 1.7e9 + i * 0.01; }
  const values = [];
  for (let r = 0; r < runs; r++) {
    const v = new Float64Array(n); let x = 1 + r / runs;
    for (let i = 0; i < n; i++) { x = 0.995 * x + 0.002 * Math.sin(i / 97 + r); v[i] = x + 0.05 * Math.random(); }
    values.push(v);
  }
  const names = []; for (let r = 0; r < runs; r++) names.push("lr=" + (r / runs).toFixed(4) + ",seed=" + r);
  const tagNames = []; for (let t = 0; t < tags; t++) tagNames.push("metric/" + t);
  const batches = [];
  for (let r0 = 0, seq = 1; r0 < runs; r0 += perBatch, seq++) {
    const bufs = [new DataView(step.buffer), new DataView(wall.buffer)], items = [];
    const rs = names.slice(r0, r0 + perBatch);
    rs.forEach((name, k) => {
      bufs.push(new DataView(values[r0 + k].buffer));
      for (const tag of tagNames) items.push({ kind: "scalars", run: name, tag, n, step_buf: 0, wall_time_buf: 1, value_buf: bufs.length - 1 });
    });
    batches.push([{ type: "batch", protocol: 1, seq, reset: seq === 1, runs: rs, items }, bufs]);
  }
  const cards = () => [...document.querySelectorAll('[data-tbx-kind="scalars"]')];
  const complete = (c) => {
    if (!c.tbxChart || !c.dataset.tbxSeries) return false;
    const pts = Object.values(JSON.parse(c.dataset.tbxSeries));
    return pts.length === runs && pts.every((v) => v[0] === n);
  };
  const inView = (c) => { const b = c.getBoundingClientRect(); return b.bottom > 0 && b.top < window.innerHeight && b.width > 0; };
  const t0 = performance.now();
  for (const [msg, bufs] of batches) {  // as the kernel sends them: one message per task
    for (const cb of h["msg:custom"]) cb(msg, bufs);
    await tick();
  }
  batches.length = 0;
  let shown = [];
  for (;;) {
    shown = cards().filter(inView);
    if (cards().length === tags && shown.length > 0 && shown.every(complete)) break;
    await frames();
  }
  const first = performance.now() - t0;
  const card = shown[0];
  const chart = card.tbxChart;
  const redraws = [];
  for (let k = 0; k < 20; k++) {
    const lo = (k * 37) % Math.max(1, Math.floor(n * 0.8)), hi = lo + Math.max(2, Math.floor(n * (0.05 + 0.01 * k)));
    window.__work = [];
    const t = performance.now();
    chart.setScale("x", { min: lo, max: hi });
    await Promise.resolve();
    const direct = performance.now() - t;
    await frames();
    redraws.push(direct + window.__work.reduce((a, b) => a + b, 0));
  }
  const idle = [];
  for (let k = 0; k < 10; k++) { const t = performance.now(); await frames(); idle.push(performance.now() - t); }
  values.length = 0;
  if (window.gc) { window.gc(); await frames(); window.gc(); }
  const heap = performance.memory ? performance.memory.usedJSHeapSize : null;
  return { first, redraws, idle, heap, cards: cards().length, shown: shown.length,
           series: chart.series.length - 1, points: JSON.parse(card.dataset.tbxSeries) };
};
document.title = "ready";
</script></body></html>
"""


def front_end(runs: int, tags: int, steps: int, per_batch: int, static: pathlib.Path = STATIC) -> dict[str, Any]:
    """The browser's figures: first draw and zoom redraws (ms), heap (bytes), what was drawn."""
    from harness import CHROMIUM, CHROMIUM_ARGS  # the e2e harness (tests/e2e/harness.py)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as root:
        for name in ("index.js", "index.css"):
            (pathlib.Path(root) / name).write_bytes((static / name).read_bytes())
        (pathlib.Path(root) / "page.html").write_text(PAGE)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS + ["--enable-precise-memory-info", "--js-flags=--max-old-space-size=4096 --expose-gc"])
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.set_default_timeout(900_000)
                page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/page.html")
                page.wait_for_function("document.title == 'ready'")
                res = page.evaluate(f"bench({runs}, {tags}, {steps}, {per_batch})")
                browser.close()
        finally:
            httpd.shutdown()
            httpd.server_close()
    if len(res["points"]) != runs or not all(v[0] == steps for v in res["points"].values()):
        raise AssertionError(f"the card drew {len(res['points'])} runs, expected {runs} of {steps} points")
    return {"first_ms": res["first"], "redraw_ms": statistics.median(res["redraws"]), "idle_ms": statistics.median(res["idle"]),
            "heap": res["heap"], "cards": res["cards"], "shown": res["shown"], "series": res["series"]}


def kernel(runs: int, tags: int, steps: int, rounds: int) -> dict[str, float]:
    """load() and a Dashboard's first poll of a logdir of ``runs`` x ``tags`` x ``steps``, seconds."""
    from bench_poll import compare
    from synth import write_scalar_run

    with tempfile.TemporaryDirectory() as root:
        first = write_scalar_run(os.path.join(root, "run0000"), tags, steps)
        for r in range(1, runs):
            os.makedirs(os.path.join(root, f"run{r:04d}"))
            shutil.copyfile(first, os.path.join(root, f"run{r:04d}", os.path.basename(first)))
        return compare(root, runs * tags * steps, rounds)


def measure(runs: int, tags: int, steps: int, per_batch: int, rounds: int = 1, static: pathlib.Path = STATIC) -> dict[str, Any]:
    """Every figure of this benchmark: {size, front: {...}, kernel: {...}}; ``static`` holds the
    bundle the page loads (index.js, index.css: to compare builds)."""
    return {"size": (runs, tags, steps), "front": front_end(runs, tags, steps, per_batch, static), "kernel": kernel(runs, tags, steps, rounds)}


def report(m: dict[str, Any]) -> str:
    runs, tags, steps = m["size"]
    f, k = m["front"], m["kernel"]
    heap = f"{f['heap'] / 2**20:.0f} MiB" if f["heap"] else "n/a"
    return "\n".join([
        f"## Sweep: {runs:,} runs x {tags} tags x {steps:,} steps ({runs * tags * steps / 1e6:g}M points), browser and kernel\n",
        f"Browser: headless Chromium, software rendering, {f['cards']} scalar cards ({f['shown']} in view), the kernel's",
        "batches fed to the page one per task. Kernel: a Dashboard's first poll against `load()`.\n",
        "| measure | value | target |",
        "| --- | ---: | --- |",
        f"| first draw of the scalars section (first batch -> cards in view drawn) | {f['first_ms']:.0f} ms | <= {TARGET_FIRST_MS} ms |",
        f"| zoom redraw of one chart ({f['series']} uPlot series), median of 20 | {f['redraw_ms']:.1f} ms | <= {TARGET_REDRAW_MS} ms |",
        f"| JS heap after loading (after a GC) | {heap} | stated |",
        f"| load() | {k['load']:.2f} s | |",
        f"| first poll | {k['poll']:.2f} s | |",
        f"| first poll / load() (wall, CPU) | {k['poll'] / k['load']:.2f}x, {k['poll_cpu'] / max(k['load_cpu'], 1e-9):.2f}x | <= 2x |",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tiny", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--runs", type=int, default=0, help="number of runs (default: 1,000; --tiny: 30)")
    ap.add_argument("--static", type=pathlib.Path, default=STATIC, help="directory of the bundle to load (index.js, index.css)")
    args = ap.parse_args()
    size = dict(TINY if args.tiny else FULL)
    if args.runs:
        size["runs"] = args.runs
    print(report(measure(**size, static=args.static)))


if __name__ == "__main__":
    main()
