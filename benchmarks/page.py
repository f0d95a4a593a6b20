"""The benchmark page shared by the browser benchmarks (bench_frontend.py, bench_sweep.py).

``PRELUDE`` is the top of the page's module script: it loads the built bundle with a stand-in
anywidget model, times the work of every animation-frame callback (``window.__work``, microtasks
included: uPlot draws in one) and defines helpers; ``run_page`` serves the bundle, the page and
any extra files from a temporary directory and evaluates one expression in headless Chromium
(software rendering, the e2e harness's flags, GC exposed, precise heap figures).

What the prelude defines on ``window``:

- ``model``: the stand-in model; ``emit(msg, buffers)`` delivers a custom message as the
  widget framework would; ``model.sent`` collects what the page sent (acks, ready, ...) and
  ``onSend`` (settable) is called with each.
- ``frames()``: resolves after two animation frames; ``tick()``: after a ``setTimeout(0)``.
- ``redrawMs(chart, lo, hi)``: the work of one zoom of a uPlot chart to [lo, hi] (uPlot's own
  redraw plus every frame callback until two frames have passed).
- ``heapAfterGc()``: the used JS heap after two GCs (null without ``performance.memory``).

For the benchmarks that need a real notebook (bench_live_latency.py, bench_remote.py),
``jupyter_lab()`` starts JupyterLab and headless Chromium through the e2e harness and yields a
``Lab``; ``Lab.notebook(label)`` opens a fresh page with the harness's ``Jupyter`` driver on it
(a stand-in for pytest's request names its screenshots and collects the page's console),
``open_dashboard`` runs a notebook's first cell until its dashboard is on the page, and
``watch_events`` records every change of the dashboard's event counter in ``window.__tbx_obs``.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import pathlib
import sys
import tempfile
import threading
from types import SimpleNamespace
from typing import Any, Iterator, Mapping

HERE = pathlib.Path(__file__).resolve().parent
STATIC = HERE.parent / "tbx_widget" / "static"

PRELUDE = """import w from "./index.js";
const rawRAF = window.requestAnimationFrame.bind(window);
window.__work = [];
window.requestAnimationFrame = (cb) => rawRAF((ts) => {
  const t = performance.now();
  cb(ts);
  queueMicrotask(() => window.__work.push(performance.now() - t));
});
const handlers = {};
const model = { attrs: {logdir: "runs", height: 800, status: "ok", error: "", tag_filter: "", run_filter: ""},
  sent: [], onSend: null,
  get(k) { return this.attrs[k]; }, on(e, cb) { (handlers[e] ||= []).push(cb); }, off() {},
  send(content) { this.sent.push(content); if (this.onSend) this.onSend(content); } };
window.model = model;
window.emit = (msg, buffers) => { for (const cb of handlers["msg:custom"] || []) cb(msg, buffers); };
w.initialize({ model });
w.render({ model, el: document.getElementById("host") });
window.frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
window.tick = () => new Promise((r) => setTimeout(r, 0));
window.redrawMs = async (chart, lo, hi) => {
  window.__work = [];
  const t = performance.now();
  chart.setScale("x", { min: lo, max: hi });
  await Promise.resolve();
  const direct = performance.now() - t;  // uPlot's own redraw at the new scale
  await frames();
  return direct + window.__work.reduce((a, b) => a + b, 0);
};
window.heapAfterGc = async () => {
  if (window.gc) { window.gc(); await frames(); window.gc(); }
  return performance.memory ? performance.memory.usedJSHeapSize : null;
};
"""


def page_html(script: str) -> str:
    """A benchmark page: the dashboard's host element, then ``PRELUDE`` and ``script`` in one
    module script (which should end by setting ``document.title = "ready"``)."""
    return ('<!doctype html><html><head><link rel="stylesheet" href="index.css"></head>\n'
            '<body style="width:1200px"><div id="host"></div>\n<script type="module">\n'
            + PRELUDE + script + "\n</script></body></html>\n")


def e2e_harness() -> Any:
    """The e2e harness module (tests/e2e/harness.py: servers, page drivers, Chromium's path and flags)."""
    sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
    try:
        import harness
    finally:
        sys.path.pop(0)
    return harness


@contextlib.contextmanager
def open_page(script: str, *, static: pathlib.Path = STATIC, files: Mapping[str, pathlib.Path] | None = None,
              timeout_ms: int = 900_000) -> Iterator[Any]:
    """Serve the bundle in ``static``, the page (``page_html(script)``) and ``files`` (name ->
    path on disk, served by name), open the page in headless Chromium and yield it (a Playwright
    page: ``page.evaluate``, ``page.context.new_cdp_session(page)``) once it is ready."""
    harness = e2e_harness()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as root:
        for name in ("index.js", "index.css"):
            (pathlib.Path(root) / name).write_bytes((static / name).read_bytes())
        for name, path in (files or {}).items():
            (pathlib.Path(root) / name).symlink_to(pathlib.Path(path).resolve())
        (pathlib.Path(root) / "page.html").write_text(page_html(script))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=harness.CHROMIUM, headless=True,
                                             args=harness.CHROMIUM_ARGS + ["--enable-precise-memory-info", "--js-flags=--max-old-space-size=4096 --expose-gc"])
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 1000})
                    page.set_default_timeout(timeout_ms)
                    page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/page.html")
                    page.wait_for_function("document.title == 'ready'")
                    yield page
                finally:
                    browser.close()
        finally:
            httpd.shutdown()
            httpd.server_close()


def run_page(script: str, expression: str, *, static: pathlib.Path = STATIC, files: Mapping[str, pathlib.Path] | None = None,
             timeout_ms: int = 900_000) -> Any:
    """Open the page (``open_page``) and return the value of ``expression`` (awaited)."""
    with open_page(script, static=static, files=files, timeout_ms=timeout_ms) as page:
        return page.evaluate(expression)


# --------------------------------------------------------------------------------------------
# A real notebook: JupyterLab and headless Chromium
# --------------------------------------------------------------------------------------------

NOTEBOOK_VIEWPORT = {"width": 1400, "height": 1000}

HAS_DASHBOARD = "return !!nb().content.widgets[0].node.querySelector('.tbx-dashboard')"

# Records [time, event count] in window.__tbx_obs at every change of the first cell's dashboard's
# data-tbx-events counter; returns the count at the start (null if there is no dashboard).
WATCH_EVENTS = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
if (!root) return null;
window.__tbx_obs = [];
const mo = new MutationObserver(() => window.__tbx_obs.push([Date.now(), Number(root.dataset.tbxEvents)]));
mo.observe(root, { attributes: true, attributeFilter: ['data-tbx-events'] });
return Number(root.dataset.tbxEvents);
"""


class Lab:
    """A running JupyterLab server (``server``, the harness's ``JupyterServer``) and one headless
    Chromium (``browser``), as ``jupyter_lab()`` yields them."""

    def __init__(self, server: Any, browser: Any) -> None:
        self.server = server
        self.browser = browser

    @contextlib.contextmanager
    def notebook(self, label: str) -> Iterator[Any]:
        """A fresh page and the harness's ``Jupyter`` driver on it; ``label`` names its screenshots.
        On exit every kernel is shut down and the page closed."""
        harness = e2e_harness()
        page = self.browser.new_page(viewport=NOTEBOOK_VIEWPORT)
        console: list[str] = []
        page.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
        request = SimpleNamespace(node=SimpleNamespace(nodeid=label, _tbx_console=console))  # pytest's, stood in for
        try:
            yield harness.Jupyter(self.server, page, request)
        finally:
            self.server.shutdown_kernels()
            page.close()


@contextlib.contextmanager
def jupyter_lab() -> Iterator[Lab]:
    """Start JupyterLab (in a temporary directory) and headless Chromium (the e2e harness's flags);
    yield them as a ``Lab``; stop both on exit. Raises RuntimeError when there is no Chromium."""
    harness = e2e_harness()
    if not pathlib.Path(harness.CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {harness.CHROMIUM} (set TBX_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as base:
        server = harness.JupyterServer("lab", pathlib.Path(base))
        server.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=harness.CHROMIUM, headless=True, args=harness.CHROMIUM_ARGS)
                try:
                    yield Lab(server, browser)
                finally:
                    browser.close()
        finally:
            server.stop()


def open_dashboard(jupyter: Any, cells: list[str], timeout: float = 60) -> None:
    """Write ``cells`` as a notebook, open it, run its first cell (which should show a dashboard)
    and wait until the dashboard is on the page."""
    jupyter.open(jupyter.server.write_notebook(cells))
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    jupyter.poll(lambda: jupyter.js(HAS_DASHBOARD), timeout, "the dashboard")


def watch_events(jupyter: Any) -> int:
    """Start recording the dashboard's event counter (``[ms since the epoch, count]`` pairs in
    ``window.__tbx_obs``, read them with ``observed_events``); return the count now."""
    count = jupyter.js(WATCH_EVENTS)
    if count is None:
        raise RuntimeError("no dashboard in the notebook's first cell to watch")
    return int(count)


def observed_events(jupyter: Any) -> list[list[float]]:
    """What ``watch_events`` has recorded so far: ``[ms since the epoch, event count]`` pairs."""
    return jupyter.js("return window.__tbx_obs") or []
