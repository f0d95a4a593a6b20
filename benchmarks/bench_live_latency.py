"""Live latency: from ``add_scalar`` returning in the kernel to the point being in the browser's
data, measured through the end-to-end harness (JupyterLab in headless Chromium), at 1,000 and
50,000 events a second. Target: median at most 200 ms, p95 at most 500 ms.

Two training loops (``--case``):

- ``idle``: one tag, the loop sleeps every millisecond (the GIL is mostly free).
- ``busy``: ``TAGS`` tags per step and a loop that never sleeps: between steps it spins in pure
  Python for ``SPIN_MS`` (holding the GIL; other threads get it only when the interpreter forces a
  switch, every ``sys.getswitchinterval()``), then logs every step that is due.

The kernel records the time each ``add_scalar`` returned; a MutationObserver in the page records
when the dashboard's ``data-tbx-events`` counter changed. Both clocks are this machine's wall
clock, so event i's latency is the first observation with count > i minus its logging time.

``--diagnose`` adds, per run: per-event stage medians (logged -> the writer's flush announced ->
the pump's step -> the browser), per-batch wire stages (comm send, send end -> websocket frame in
the page, frame -> counted), the kernel's CPU seconds by thread, and how long the pacer held the
pump back for acks; ``--dump DIR`` keeps the raw timings, the writer thread's drains and writes
included (wall and thread CPU each).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # page.py (and through it the e2e harness)

SETUP = """
import time, json
import numpy as np
from tbx_widget import SummaryWriter
w = SummaryWriter("runs/latency-{name}")  # a fresh logdir per rate: no earlier events counted
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
json.dump(times.tolist(), open("times-{name}.json", "w"))
print("done", n)
"""

RUN_BUSY = """
import sys
rate, seconds, tags, spin = {rate}, {seconds}, {tags}, {spin_ms} / 1000.0
steps = max(1, int(rate * seconds / tags))
n = steps * tags
names = ["busy/%d" % k for k in range(tags)]
times = np.empty(n)
clock = time.perf_counter
def work(secs):  # pure-Python work: holds the GIL except when the interpreter forces a switch
    end = clock() + secs
    x = 0
    while clock() < end:
        x += 1
    return x
t0 = clock()
s = i = 0
while s < steps:
    work(spin)
    due = min(steps, int((clock() - t0) * rate / tags) + 1)
    while s < due:
        for name in names:
            w.add_scalar(name, float(s), s)
            times[i] = time.time()
            i += 1
        s += 1
w.flush()
work(1.5)  # still busy while the last points travel
json.dump(times.tolist(), open("times-{name}.json", "w"))
print("done", n, sys.getswitchinterval())
"""

DIAGNOSE = """
# where the time goes: when the writer's flushes were announced, when the pump's steps ran,
# when each batch was handed to the comm (and how long that took)
from tbx_widget import signals as _signals
_flushes, _steps, _sends = [], [], []
_signals.subscribe(lambda path: _flushes.append(time.time()))
_inner = d._pump._step
def _timed_step():
    t = time.time()
    try:
        _inner()
    finally:
        _steps.append((t, time.time()))
d._pump._step = _timed_step
_send = d._send_batch
def _timed_send(batch):
    t = time.time()
    _send(batch)
    _sends.append((batch.content["seq"], t, time.time(), batch.events))
d._send_batch = _timed_send
# the writer thread's rounds: each drain (wall start, wall s, thread CPU s) and each write/flush
from tbx_widget import event_queue as _eq
_drains, _writes = [], []
_drain0, _write0 = _eq.EventQueue._drain, _eq.EventQueue._write_buffer
def _timed_drain(self):
    t, c = time.time(), time.thread_time()
    _drain0(self)
    _drains.append((t, time.time() - t, time.thread_time() - c))
def _timed_write(self, *, announce):
    t, c = time.time(), time.thread_time()
    _write0(self, announce=announce)
    _writes.append((t, time.time() - t, time.thread_time() - c, announce))
_eq.EventQueue._drain, _eq.EventQueue._write_buffer = _timed_drain, _timed_write
def _thread_cpu():  # seconds of CPU per thread of this kernel, by name (Linux /proc)
    import os, threading
    names = {t.native_id: t.name for t in threading.enumerate()}
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(tid)) or open(f"/proc/self/task/{tid}/comm").read().strip()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out
"""

DIAGNOSE_DUMP = """
_cpu1 = _thread_cpu()
_cpu = {{k: round(v - _cpu0.get(k, 0.0), 3) for k, v in _cpu1.items()}}
json.dump({{"flushes": _flushes, "steps": _steps, "sends": _sends, "error": d.error, "thread_cpu": _cpu,
           "drains": _drains, "writes": _writes,
           "pacer_waited": d._pacer.waited}}, open("diag-{name}.json", "w"))
"""

# Browser side of --diagnose: when each batch's websocket frame arrived (before JupyterLab's own
# handler runs), read from the start of the frame, where the message's JSON parts are.
WS_PROBE = """
(() => {
  window.__tbx_ws = [];
  const Native = window.WebSocket;
  const dec = new TextDecoder();
  const re = /"type":\\s*"batch"[^}]*?"seq":\\s*(\\d+)/;
  class Probe extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const t = Date.now();
        const d = e.data;
        const text = typeof d === 'string' ? d.slice(0, 16384)
          : d instanceof ArrayBuffer ? dec.decode(new Uint8Array(d, 0, Math.min(d.byteLength, 16384))) : '';
        const m = re.exec(text);
        if (m) window.__tbx_ws.push([Number(m[1]), t]);
      });
    }
  }
  window.WebSocket = Probe;
})();
"""

TAGS = 10  # tags logged per step in the busy loop
SPIN_MS = 2.0  # pure-Python work between two logging bursts of the busy loop

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


def stages(times: np.ndarray, diag: dict, seen_at: np.ndarray) -> dict:
    """Median ms per stage for each event: logged -> the writer's next flush announced -> the pump's
    next step started -> that step ended (batch handed to the comm) -> seen in the browser."""
    flushes = np.sort(np.array(diag["flushes"], dtype=np.float64))
    steps = np.array(diag["steps"], dtype=np.float64).reshape(-1, 2)
    steps = steps[np.argsort(steps[:, 0])]
    fi = np.searchsorted(flushes, times, side="left")
    ok = fi < len(flushes)
    f = np.where(ok, flushes[np.minimum(fi, len(flushes) - 1)], np.nan)
    si = np.searchsorted(steps[:, 0], f, side="left")
    ok &= si < len(steps)
    s0 = np.where(ok, steps[np.minimum(si, len(steps) - 1), 0], np.nan)
    s1 = np.where(ok, steps[np.minimum(si, len(steps) - 1), 1], np.nan)
    ms = lambda a: float(np.nanmedian(a) * 1000.0)
    return {
        "to_flush": ms(f - times), "flush_to_step": ms(s0 - f), "step": ms(s1 - s0),
        "step_to_browser": ms(seen_at - s1), "steps": len(steps), "flushes": len(flushes),
        "step_median": ms(steps[:, 1] - steps[:, 0]) if len(steps) else float("nan"),
    }


def wire_stages(diag: dict, arrivals: list[list[float]], observed: list[list[float]]) -> dict:
    """Median ms per batch (weighted by its events): the comm send on the pump thread, from its end
    to the frame arriving in the page (IOPub thread, Jupyter server, websocket), and from there to
    the dashboard counting its events (decode, apply, the next redraw)."""
    sends = np.array([s for s in diag.get("sends", []) if s[3] > 0], dtype=np.float64).reshape(-1, 4)
    if not len(sends) or not arrivals:
        return {}
    sends = sends[np.argsort(sends[:, 0])]
    arrived = {int(seq): t / 1000.0 for seq, t in arrivals}
    obs = np.array(observed, dtype=np.float64).reshape(-1, 2)
    when, count = obs[:, 0] / 1000.0, np.maximum.accumulate(obs[:, 1])
    total = np.cumsum(sends[:, 3])
    rows = []
    for (seq, t0, t1, events), upto in zip(sends, total):
        w = arrived.get(int(seq))
        k = int(np.searchsorted(count, upto, side="left"))
        if w is None or k >= len(when):
            continue
        rows.append((t1 - t0, w - t1, when[k] - w, events))
    if not rows:
        return {}
    r = np.array(rows)
    weights = r[:, 3].astype(np.int64)
    ms = lambda col: float(np.median(np.repeat(r[:, col], weights)) * 1000.0)
    return {"send": ms(0), "send_to_page": ms(1), "page_to_counted": ms(2), "batches": len(r)}


def measure(
    cases: list[str], rates: list[int], seconds: float, diagnose: bool = False, switch_ms: float = 0.0,
    dump: str = "",
) -> list[dict]:
    """Run each (case, rate) in a fresh kernel and page; one dict of figures per run (latencies in ms)."""
    for case in cases:
        if case not in ("idle", "busy"):
            raise ValueError(f"case must be 'idle' or 'busy', got {case!r}")
    from page import jupyter_lab, observed_events, open_dashboard, watch_events  # benchmarks/page.py

    rows = []
    with jupyter_lab() as lab:
        server = lab.server
        for case, rate in [(c, r) for r in rates for c in cases]:
            with lab.notebook(f"bench-{case}-{rate}") as jupyter:
                if diagnose:
                    jupyter.page.add_init_script(WS_PROBE)
                run = RUN if case == "idle" else RUN_BUSY
                open_dashboard(jupyter, [
                    SETUP.format(name=f"{case}-{rate}") + (DIAGNOSE if diagnose else "")
                    + (f"import sys; sys.setswitchinterval({switch_ms / 1000.0!r})\n" if switch_ms else ""),
                    ("_cpu0 = _thread_cpu()\n" if diagnose else "")
                    + run.format(rate=rate, name=f"{case}-{rate}", seconds=seconds, tags=TAGS, spin_ms=SPIN_MS)
                    + (DIAGNOSE_DUMP.format(name=f"{case}-{rate}") if diagnose else ""),
                ])
                before = watch_events(jupyter)
                assert before == 0, f"the dashboard already holds {before} events: latencies would be wrong"
                jupyter.run_cell(1)
                jupyter.wait_cell_done(1, timeout=120 + seconds * 4)
                observed = observed_events(jupyter)
                times = np.array(json.loads((server.root / f"times-{case}-{rate}.json").read_text()))
                lat = latencies(times, observed)
                extra = {}
                if diagnose:
                    diag = json.loads((server.root / f"diag-{case}-{rate}.json").read_text())
                    extra = stages(times, diag, times + lat)
                    arrivals = jupyter.js("return window.__tbx_ws || []")
                    extra.update(wire_stages(diag, arrivals, observed))
                    if dump:
                        raw = {"times": times.tolist(), "observed": observed, "arrivals": arrivals, **diag}
                        pathlib.Path(dump, f"live-{case}-{rate}.json").write_text(json.dumps(raw))
                    extra["thread_cpu"] = diag.get("thread_cpu", {})
                    extra["pacer_waited"] = diag.get("pacer_waited", float("nan"))
                missing = int(np.isnan(lat).sum())
                lat = lat[~np.isnan(lat)] * 1000.0
                rows.append({**extra,
                    "case": case, "rate": rate, "events": len(times), "missing": missing,
                    "median": float(np.median(lat)) if len(lat) else float("nan"),
                    "p95": float(np.percentile(lat, 95)) if len(lat) else float("nan"),
                    "max": float(lat.max()) if len(lat) else float("nan"),
                })
    return rows


def report(rows: list[dict]) -> str:
    """The Markdown section for RESULTS.md."""
    out = [
        "## Live latency: add_scalar returning -> point in the browser's data\n",
        "JupyterLab 4 in headless Chromium, kernel and browser on this machine. Loops: *idle* logs one tag",
        f"and sleeps every millisecond; *busy* logs {TAGS} tags per step and never sleeps ({SPIN_MS:g} ms of",
        "pure-Python work between logging bursts, holding the GIL).\n",
        "| loop | events per second | events | not seen | median | p95 | max | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        if "to_flush" in r:
            out.append(
                f"<!-- {r['case']} {r['rate']}: logged->flush {r['to_flush']:.0f} ms, flush->step {r['flush_to_step']:.0f} ms,"
                f" step {r['step']:.0f} ms, step end->browser {r['step_to_browser']:.0f} ms; {r['steps']} steps,"
                f" {r['flushes']} flushes; the pacer waited {r.get('pacer_waited', float('nan')) * 1000:.0f} ms in all -->"
            )
        if "send" in r:
            out.append(
                f"<!-- {r['case']} {r['rate']}: per batch, comm send {r['send']:.0f} ms, send end->frame in page"
                f" {r['send_to_page']:.0f} ms, frame->counted by the dashboard {r['page_to_counted']:.0f} ms;"
                f" {r['batches']} batches -->"
            )
        if r.get("thread_cpu"):
            busiest = sorted(r["thread_cpu"].items(), key=lambda kv: -kv[1])[:6]
            out.append(f"<!-- {r['case']} {r['rate']}: kernel CPU seconds by thread during the run: "
                       + ", ".join(f"{k} {v:.2f}" for k, v in busiest) + " -->")
        out.append(
            f"| {r['case']} | {r['rate']:,} | {r['events']:,} | {r['missing']} | {r['median']:.0f} ms | {r['p95']:.0f} ms"
            f" | {r['max']:.0f} ms | median <= 200 ms, p95 <= 500 ms |"
        )
    out.append("\nTensorBoard's page reloads every 30 s at the fastest.")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--case", choices=["idle", "busy", "all"], default="all")
    ap.add_argument("--rates", default="", help="comma-separated events per second (default 1000,50000; tiny: 1000)")
    ap.add_argument("--seconds", type=float, default=0.0, help="seconds of logging per run (default 5; tiny: 1)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON after the table")
    ap.add_argument("--switch-ms", type=float, default=0.0, help="set the kernel's sys.setswitchinterval (ms) first")
    ap.add_argument("--diagnose", action="store_true", help="also time the stages (writer flush, pump step) in the kernel")
    ap.add_argument("--dump", default="", help="with --diagnose: write each run's raw timings to this directory")
    args = ap.parse_args()
    seconds = args.seconds or (1.0 if args.tiny else 5.0)
    rates = [int(r) for r in args.rates.split(",")] if args.rates else ([1000] if args.tiny else [1000, 50_000])
    cases = ["idle", "busy"] if args.case == "all" else [args.case]
    rows = measure(cases, rates, seconds, diagnose=args.diagnose, switch_ms=args.switch_ms, dump=args.dump)
    print(report(rows))
    if args.json:
        print("JSON " + json.dumps(rows))


if __name__ == "__main__":
    main()
