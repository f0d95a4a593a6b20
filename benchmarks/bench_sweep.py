"""A sweep at scale (issue 19): 1,000 runs x 10 tags x 1,000 steps (10M points).

Front end (headless Chromium, software rendering): the page loads the built bundle with a
stand-in model and is fed what the kernel really sends: the batches of a ``Follower``'s first
poll of the logdir (overviews first, then the full data: docs/protocol.md, "Overviews"),
written to files and fetched by the page before the clock starts, then delivered one message
per task and paced as the kernel paces them (at most 16 MB unacknowledged; the page's acks free
the window), each no earlier than the kernel sent it: the page's clock starts as the kernel's
poll did (the dashboard opened), and a batch is delivered at the time the kernel emitted it in
that poll (less the time this benchmark spent writing the batches to files; the kernel ran
before the page, not beside it: on a real machine they share the CPU). Measured from opening:
the first message, the first draw (a card in view drawn from overviews, some runs), the first
complete draw of the scalar cards in view (every run), the time until full resolution is in
(every batch applied and the cards in view drawn from full data), the longest gap between
animation frames meanwhile, a zoom redraw per chart (median of 20 zooms at different ranges on
one card) and the JS heap after a GC. Kernel: how long its first poll takes to send the
overviews, and a Dashboard's first poll (``Follower.poll``) against ``load()`` of the same logdir.
Then the same with full data on request (``Follower(on_request=True)``, docs/protocol.md): the
kernel sends overviews only and the page's "want" messages for the cards in view are answered
with the kernel's ``send_full`` batches (recorded beforehand, delivered no earlier than the end of
the kernel's first poll); the JS heap and the store's scalar arrays are compared.
Targets: first draw <= 2 s, zoom redraw <= 16 ms per chart, first poll <= 2x load(); the heap is stated.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
STATIC = HERE.parent / "tbx_widget" / "static"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from heap import breakdown, format_breakdown  # noqa: E402
from page import open_page  # noqa: E402

# read_bytes: the follower's read piece (the dashboard's default at full size; small at tiny
# size so that the tiny logdir, too, is read in pieces and sent overviews first).
FULL = {"runs": 1_000, "tags": 10, "steps": 1_000, "read_bytes": 64 << 20}
TINY = {"runs": 60, "tags": 3, "steps": 200, "read_bytes": 64 << 10}
TARGET_FIRST_MS = 2_000
TARGET_REDRAW_MS = 16
WINDOW_BYTES = 16 << 20  # as tbx_widget.live.pacing.WINDOW_BYTES

SCRIPT = """
window.bench = async (runs, tags, n, manifest, windowBytes, answers, pollMs) => {
  // Every batch fetched before the clock starts (as if already on the wire).
  const batches = [];
  for (const m of manifest) {
    const [j, bin] = await Promise.all([fetch(`b${m.seq}.json`).then((r) => r.json()), fetch(`b${m.seq}.bin`).then((r) => r.arrayBuffer())]);
    let off = 0;
    const bufs = j.sizes.map((size) => { const v = new DataView(bin, off, size); off += size; return v; });
    batches.push({ seq: m.seq, msg: j.content, bufs, bytes: m.bytes, at: m.t * 1000 });
  }
  let lastSeq = batches.length ? batches[batches.length - 1].seq : 0;
  // Full data on request (answers: tag -> the kernel's answer batches for every run of it): a
  // "want" naming a tag is answered with them, numbered on, fetched then (as read from disk).
  const answered = new Set();
  let wants = 0;
  const answer = async (tag) => {
    for (const a of answers[tag]) {
      const [j, bin] = await Promise.all([fetch(`${a.name}.json`).then((r) => r.json()), fetch(`${a.name}.bin`).then((r) => r.arrayBuffer())]);
      let off = 0;
      const bufs = j.sizes.map((size) => { const v = new DataView(bin, off, size); off += size; return v; });
      j.content.seq = ++lastSeq;
      // The kernel answers after the poll under way (its pump thread): not before it ended.
      batches.push({ seq: j.content.seq, msg: j.content, bufs, bytes: a.bytes, at: pollMs });
    }
    pump();
  };
  const lastOverviewSeq = manifest.reduce((a, m) => (m.overview ? m.seq : a), 0);
  let overviewIn = null;  // when every overview batch had been applied (acknowledged)
  // Paced as the kernel paces (tbx_widget.live.pacing): at most windowBytes unacknowledged (a
  // bigger batch goes alone); each message arrives in its own task, as from the websocket.
  let next = 0, inFlight = 0, acked = 0, delivering = false;
  const unacked = [], ready = [];
  const deliver = () => {
    const b = ready.shift();
    if (b && firstMsg === null) firstMsg = performance.now() - t0;
    if (b) emit(b.msg, b.bufs);
    if (ready.length) setTimeout(deliver, 0); else delivering = false;
  };
  // A batch goes no earlier than the kernel sent it (ms since its poll started = t0 here: the
  // dashboard opened), and within the window.
  let waiting = false, firstMsg = null;
  const pump = () => {
    while (next < batches.length) {
      const b = batches[next];
      if (inFlight > 0 && inFlight + b.bytes > windowBytes) break;
      const early = b.at - (performance.now() - t0);
      if (early > 0) {
        if (!waiting) { waiting = true; setTimeout(() => { waiting = false; pump(); }, early); }
        break;
      }
      batches[next++] = null;  // the page keeps no reference once delivered
      inFlight += b.bytes;
      unacked.push([b.seq, b.bytes]);
      ready.push(b);
    }
    if (ready.length && !delivering) { delivering = true; setTimeout(deliver, 0); }
  };
  let answering = Promise.resolve();
  model.onSend = (c) => {
    if (c.type === "want" && answers) {
      wants++;
      for (const [, tag] of c.series) {
        if (answered.has(tag) || !answers[tag]) continue;
        answered.add(tag);
        answering = answering.then(() => answer(tag));
      }
      return;
    }
    if (c.type !== "ack") return;
    acked = Math.max(acked, c.seq);
    if (overviewIn === null && acked >= lastOverviewSeq) overviewIn = performance.now() - t0;
    while (unacked.length && unacked[0][0] <= c.seq) inFlight -= unacked.shift()[1];
    pump();
  };
  // The longest gap between animation frames while the data comes in.
  let lastFrame = performance.now(), maxGap = 0, watching = true;
  const watch = () => { const t = performance.now(); maxGap = Math.max(maxGap, t - lastFrame); lastFrame = t; if (watching) requestAnimationFrame(watch); };
  const cards = () => [...document.querySelectorAll('[data-tbx-kind="scalars"]')];
  const inView = (c) => { const b = c.getBoundingClientRect(); return b.bottom > 0 && b.top < window.innerHeight && b.width > 0; };
  const some = (c) => c.tbxChart && c.dataset.tbxSeries && Object.values(JSON.parse(c.dataset.tbxSeries)).some((v) => v[0] > 0);
  const drawn = (c, full) => {
    if (!c.tbxChart || !c.dataset.tbxSeries) return false;
    const pts = Object.values(JSON.parse(c.dataset.tbxSeries));
    return pts.length === runs && pts.every((v) => v[0] > 0) && (!full || (c.dataset.tbxOverview === "0" && pts.every((v) => v[0] === n)));
  };
  const t0 = performance.now();
  lastFrame = t0;
  requestAnimationFrame(watch);
  pump();
  let shown = [];
  let firstAny = null;
  for (;;) {
    if (firstAny === null && cards().filter(inView).some(some)) firstAny = performance.now() - t0;
    shown = cards().filter(inView);
    if (cards().length === tags && shown.length > 0 && shown.every((c) => drawn(c, false))) break;
    await frames();
  }
  const first = performance.now() - t0;
  if (firstAny === null) firstAny = first;
  const overviewDrawn = shown.filter((c) => c.dataset.tbxOverview !== "0").length;
  for (;;) {
    shown = cards().filter(inView);
    if (acked === lastSeq && next === batches.length && shown.every((c) => drawn(c, true))) break;
    await frames();
  }
  const full = performance.now() - t0;
  watching = false;
  const card = shown[0];
  const chart = card.tbxChart;
  const redraws = [];
  for (let k = 0; k < 20; k++) {
    const lo = (k * 37) % Math.max(1, Math.floor(n * 0.8)), hi = lo + Math.max(2, Math.floor(n * (0.05 + 0.01 * k)));
    redraws.push(await redrawMs(chart, lo, hi));
  }
  const heap = await heapAfterGc();
  const root = document.querySelector(".tbx-dashboard");
  const storeBytes = root && root.tbxScalarBytes ? root.tbxScalarBytes() : null;
  return { storeBytes, wants, answered: answered.size, first, firstAny, firstMsg, full, maxGap, overviewIn, overviewDrawn, redraws, heap, cards: cards().length, shown: shown.length,
           series: chart.series.length - 1, sliceMs: Number(root ? root.dataset.tbxSliceMs : NaN), points: JSON.parse(card.dataset.tbxSeries) };
};
document.title = "ready";
"""


def logdir(root: str, runs: int, tags: int, steps: int) -> None:
    """``runs`` run directories in ``root``, each one event file of ``tags`` x ``steps`` points."""
    from synth import write_scalar_run

    first = write_scalar_run(os.path.join(root, "run0000"), tags, steps)
    for r in range(1, runs):
        os.makedirs(os.path.join(root, f"run{r:04d}"))
        shutil.copyfile(first, os.path.join(root, f"run{r:04d}", os.path.basename(first)))


def kernel_batches(root: str, out: pathlib.Path, read_bytes: int, on_request: bool = False) -> dict[str, Any]:
    """A Follower's first poll of ``root``, each batch written to ``out`` (b<seq>.json: content and
    buffer sizes; b<seq>.bin: the buffers). Returns the manifest and the kernel's timings. With
    ``on_request`` (full data on request), also its answers to a "want" of each tag's series
    (a<k>_<i>.json / .bin), timed: ``answers`` {tag: [{name, bytes}]}."""
    from tbx_widget.live.follower import Follower

    manifest: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    marks = {"overview_s": None, "first_overview_s": None, "writing": 0.0}

    def emit(batch: Any) -> None:
        # When the kernel sends it, from the poll's start, less this benchmark's own file writing.
        t = time.perf_counter() - t0 - marks["writing"]
        w0 = time.perf_counter()
        seq = batch.content["seq"]
        overview = any(it.get("overview") for it in batch.content["items"])
        head = json.dumps({"content": batch.content, "sizes": [len(b) for b in batch.buffers]}).encode()
        (out / f"b{seq}.json").write_bytes(head)
        with open(out / f"b{seq}.bin", "wb") as f:
            for b in batch.buffers:
                f.write(b)
        size = sum(len(b) for b in batch.buffers)
        # as the Pacer counts a batch (buffers plus JSON)
        manifest.append({"seq": seq, "bytes": size + len(head), "overview": overview, "t": t})
        if overview:
            marks["overview_s"] = t  # the last overview batch so far went out
            if marks["first_overview_s"] is None:
                marks["first_overview_s"] = t
        marks["writing"] += time.perf_counter() - w0

    follower = Follower(root, read_bytes=read_bytes, on_request=on_request)
    follower.poll(emit)
    poll_s = time.perf_counter() - t0 - marks["writing"]
    ov = [m for m in manifest if m["overview"]]
    answers: dict[str, list[dict[str, Any]]] | None = None
    answer_s = 0.0
    if on_request:
        by_tag: dict[str, list[tuple[str, str]]] = {}
        for run, tag in follower.held_series():
            by_tag.setdefault(tag, []).append((run, tag))
        answers = {}
        for k, (tag, keys) in enumerate(sorted(by_tag.items())):
            got: list[Any] = []
            a0 = time.perf_counter()
            follower.send_full(got.append, keys)
            answer_s = max(answer_s, time.perf_counter() - a0)
            answers[tag] = []
            for i, batch in enumerate(got):
                name = f"a{k}_{i}"
                head = json.dumps({"content": batch.content, "sizes": [len(b) for b in batch.buffers]}).encode()
                (out / f"{name}.json").write_bytes(head)
                with open(out / f"{name}.bin", "wb") as f:
                    for b in batch.buffers:
                        f.write(b)
                answers[tag].append({"name": name, "bytes": sum(len(b) for b in batch.buffers) + len(head)})
    follower.close()
    return {"manifest": manifest, "answers": answers, "answer_s": answer_s, "poll_s": poll_s, "overview_s": marks["overview_s"] if ov else None,
            "first_overview_s": marks["first_overview_s"],
            "bytes": sum(m["bytes"] for m in manifest), "overview_bytes": sum(m["bytes"] for m in ov)}


def front_end(runs: int, tags: int, steps: int, read_bytes: int, static: pathlib.Path = STATIC, root: str | None = None,
              on_request: bool = False, heap_detail: bool = False) -> dict[str, Any]:
    """The browser's figures, fed the kernel's batches: first draw, full resolution, zoom
    redraw (ms), heap (bytes), what was drawn; plus the kernel's timing of that poll.
    ``on_request``: full data on request (the page asks for the cards in view);
    ``heap_detail``: also what holds the heap (a heap snapshot's summary, heap.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        if root is None:
            root = os.path.join(tmp, "logdir")
            logdir(root, runs, tags, steps)
        out = pathlib.Path(tmp) / "batches"
        out.mkdir()
        k = kernel_batches(root, out, read_bytes, on_request)
        files = {p.name: p for p in out.iterdir()}
        with open_page(SCRIPT, static=static, files=files) as page:
            res = page.evaluate(f"bench({runs}, {tags}, {steps}, {json.dumps(k['manifest'])}, {WINDOW_BYTES}, {json.dumps(k['answers'])}, {k['poll_s'] * 1000})")
            detail = breakdown(page, save=os.environ.get("TBX_HEAP_SNAPSHOT")) if heap_detail else None
    if len(res["points"]) != runs or not all(v[0] == steps for v in res["points"].values()):
        raise AssertionError(f"the card drew {len(res['points'])} runs, expected {runs} of {steps} points")
    return {"overview_in_ms": res["overviewIn"], "first_ms": res["first"], "first_any_ms": res["firstAny"], "first_msg_ms": res["firstMsg"],
            "kernel_first_overview_s": k["first_overview_s"], "full_ms": res["full"], "max_gap_ms": res["maxGap"], "slice_ms": res["sliceMs"],
            "overview_cards": res["overviewDrawn"], "redraw_ms": statistics.median(res["redraws"]),
            "heap": res["heap"], "cards": res["cards"], "shown": res["shown"], "series": res["series"],
            "batches": len(k["manifest"]), "mb": k["bytes"] / 2**20, "overview_mb": k["overview_bytes"] / 2**20,
            "kernel_overview_s": k["overview_s"], "kernel_poll_s": k["poll_s"],
            "store_bytes": res["storeBytes"], "wants": res["wants"], "answered_tags": res["answered"], "kernel_answer_s": k["answer_s"], "heap_detail": detail}


def kernel(runs: int, tags: int, steps: int, rounds: int) -> dict[str, float]:
    """load() and a Dashboard's first poll of a logdir of ``runs`` x ``tags`` x ``steps``, seconds."""
    from bench_poll import compare

    with tempfile.TemporaryDirectory() as root:
        logdir(root, runs, tags, steps)
        return compare(root, runs * tags * steps, rounds, everything_too=True)


def measure(runs: int, tags: int, steps: int, read_bytes: int, rounds: int = 1, static: pathlib.Path = STATIC) -> dict[str, Any]:
    """Every figure of this benchmark: {size, front: {...}, kernel: {...}}; ``static`` holds the
    bundle the page loads (index.js, index.css: to compare builds)."""
    return {"size": (runs, tags, steps), "front": front_end(runs, tags, steps, read_bytes, static),
            "on_request": front_end(runs, tags, steps, read_bytes, static, on_request=True),
            "kernel": kernel(runs, tags, steps, rounds)}


GROWTH = {"runs": 200, "tags": (10, 40), "steps": 1_000, "read_bytes": 16 << 20}


def growth(runs: int, tags: tuple[int, ...], steps: int, read_bytes: int, static: pathlib.Path = STATIC) -> list[dict[str, Any]]:
    """The JS heap as the logdir grows by tags out of view (the same cards in view): per tag
    count, the heap and the store's scalar bytes with everything sent and with full data on
    request (bytes)."""
    rows = []
    for t in tags:
        sent = front_end(runs, t, steps, read_bytes, static)
        asked = front_end(runs, t, steps, read_bytes, static, on_request=True)
        rows.append({"runs": runs, "tags": t, "steps": steps, "shown": asked["shown"], "sent_heap": sent["heap"], "sent_store": sent["store_bytes"],
                     "asked_heap": asked["heap"], "asked_store": asked["store_bytes"]})
    return rows


def growth_report(rows: list[dict[str, Any]]) -> str:
    """``growth``'s rows as a Markdown table."""
    lines = ["## The JS heap as a logdir grows by tags out of view\n",
             "Headless Chromium fed a Follower's first poll (as above); the JS heap after a GC, and of it the store's",
             "scalar arrays, with everything sent and with full data on request (the page asks for the cards in view).\n",
             "| logdir | cards in view | heap, everything sent | heap, on request | store, everything sent | store, on request |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        pts = r["runs"] * r["tags"] * r["steps"]
        lines.append(f"| {r['runs']:,} runs x {r['tags']} tags x {r['steps']:,} steps ({pts / 1e6:g}M points) | {r['shown']} | "
                     f"{mib(r['sent_heap'])} | {mib(r['asked_heap'])} | {mib(r['sent_store'])} | {mib(r['asked_store'])} |")
    return "\n".join(lines)


def mib(n: Any) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "n/a"


def report(m: dict[str, Any]) -> str:
    runs, tags, steps = m["size"]
    f, k = m["front"], m["kernel"]
    heap = f"{f['heap'] / 2**20:.0f} MiB" if f["heap"] else "n/a"
    r = m["on_request"]
    rheap = f"{r['heap'] / 2**20:.0f} MiB" if r["heap"] else "n/a"
    ov = (f"{f['kernel_overview_s']:.2f} s of {f['kernel_poll_s']:.2f} s" if f["kernel_overview_s"] is not None
          else "no overviews (one read piece)")
    return "\n".join([
        f"## Sweep: {runs:,} runs x {tags} tags x {steps:,} steps ({runs * tags * steps / 1e6:g}M points), browser and kernel\n",
        f"Browser: headless Chromium, software rendering, {f['cards']} scalar cards ({f['shown']} in view), fed a Follower's",
        f"first poll as the kernel sends it: {f['batches']} batches, {f['mb']:.0f} MiB ({f['overview_mb']:.0f} MiB of overviews first),",
        "one message per task, at most 16 MiB unacknowledged. Kernel: a Dashboard's first poll against `load()`.\n",
        "| measure | value | target |",
        "| --- | ---: | --- |",
        f"| first message (the kernel's first batch; from opening) | {f['first_msg_ms']:.0f} ms | |",
        f"| first draw from opening: a card in view drawn (some runs, from overviews) | {f['first_any_ms']:.0f} ms | <= {TARGET_FIRST_MS} ms |",
        f"| first complete draw from opening: cards in view drawn, every run ({f['overview_cards']} of them from overviews) | {f['first_ms']:.0f} ms | <= {TARGET_FIRST_MS} ms |",
        f"| the same from the first message | {f['first_ms'] - f['first_msg_ms']:.0f} ms | |",
        f"| overviews applied (every overview batch acknowledged; from opening) | {f['overview_in_ms'] or 0:.0f} ms | |",
        f"| full resolution in (every batch applied, cards in view drawn from full data; from opening) | {f['full_ms']:.0f} ms | |",
        f"| longest gap between animation frames meanwhile; longest slice of applying batches | {f['max_gap_ms']:.0f} ms; {f['slice_ms']:.0f} ms | a frame or two |",
        f"| zoom redraw of one chart ({f['series']} series; a sweep's lines drawn in one pass), median of 20 | {f['redraw_ms']:.1f} ms | <= {TARGET_REDRAW_MS} ms |",
        f"| JS heap after loading (after a GC) | {heap} | stated |",
        f"| of which the store's scalar arrays (each buffer once) | {mib(f['store_bytes'])} | |",
        f"| kernel: first overview batch sent after (in the first poll that fed the page) | {f['kernel_first_overview_s'] or 0:.2f} s | |",
        f"| kernel: last overview batch sent after (the same poll) | {ov} | |",
        f"| load() | {k['load']:.2f} s | |",
        f"| first poll (the Dashboard's: full data held for requests) | {k['poll']:.2f} s | |",
        f"| first poll / load() (wall, CPU) | {k['poll'] / k['load']:.2f}x, {k['poll_cpu'] / max(k['load_cpu'], 1e-9):.2f}x | <= 2x |",
        f"| first poll with everything sent (`Follower(on_request=False)`) / load() (wall, CPU) | {k['poll_all'] / k['load']:.2f}x, {k['poll_all_cpu'] / max(k['load_cpu'], 1e-9):.2f}x | |",
        "",
        "Full data on request (`Follower(on_request=True)`, docs/protocol.md): the same logdir, the kernel",
        f"sends overviews only ({r['batches']} batches, {r['mb']:.0f} MiB); the page asks for the series of the cards in view",
        f"({r['wants']} want messages, {r['answered_tags']} tags answered: the kernel's answers, read from its series file, fetched when asked,",
        "delivered no earlier than the end of the kernel's first poll: its pump thread answers after the poll under way).\n",
        "| measure | value | target |",
        "| --- | ---: | --- |",
        f"| first draw from opening (some runs); complete (every run) | {r['first_any_ms']:.0f} ms; {r['first_ms']:.0f} ms | <= {TARGET_FIRST_MS} ms |",
        f"| full resolution in for the cards in view (from opening) | {r['full_ms']:.0f} ms | |",
        f"| longest gap between animation frames; longest slice | {r['max_gap_ms']:.0f} ms; {r['slice_ms']:.0f} ms | a frame or two |",
        f"| zoom redraw of one chart, median of 20 | {r['redraw_ms']:.1f} ms | <= {TARGET_REDRAW_MS} ms |",
        f"| JS heap after loading (after a GC) | {rheap} (everything sent: {heap}) | bounded by what is drawn |",
        f"| of which the store's scalar arrays | {mib(r['store_bytes'])} (everything sent: {mib(f['store_bytes'])}) | |",
        f"| kernel: one tag's answer ({runs:,} series, read back and encoded), the longest | {r['kernel_answer_s']:.2f} s | |",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tiny", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--runs", type=int, default=0, help="number of runs (default: 1,000; --tiny: 60)")
    ap.add_argument("--static", type=pathlib.Path, default=STATIC, help="directory of the bundle to load (index.js, index.css)")
    ap.add_argument("--growth", action="store_true", help="only the JS heap as the logdir grows by tags out of view (200 runs x 10 and 40 tags x 1,000 steps)")
    ap.add_argument("--heap", action="store_true", help="only what holds the JS heap (a heap snapshot's summary), everything sent and on request")
    args = ap.parse_args()
    size = dict(TINY if args.tiny else FULL)
    if args.runs:
        size["runs"] = args.runs
    if args.growth:
        print(growth_report(growth(**GROWTH, static=args.static)))
        return
    if args.heap:
        for on_request in (False, True):
            f = front_end(**size, static=args.static, on_request=on_request, heap_detail=True)
            title = f"{'On request' if on_request else 'Everything sent'}: JS heap {mib(f['heap'])}, store {mib(f['store_bytes'])}"
            print(format_breakdown(f["heap_detail"], title) + "\n")
        return
    print(report(measure(**size, static=args.static)))


if __name__ == "__main__":
    main()
