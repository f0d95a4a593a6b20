"""End-to-end harness library: a real JupyterLab 4 / Notebook 7 (or classic Notebook 6) server
driven by headless Chromium.

``JupyterServer`` / ``ClassicNotebookServer`` start a server in a subprocess; ``Jupyter`` / ``Classic``
drive one notebook in one browser page (write notebooks into the server root, open them, run cells
through ``window.jupyterapp.commands``, poll the DOM from Python). The pytest fixtures that build
these live in ``conftest.py``; benchmarks import this module directly.

Facts for this machine (see docs/DESIGN and issue 5): Debian's chromium at /usr/bin/chromium
(``TBX_CHROMIUM`` overrides it; a browser is never downloaded), no network, 2 cores, so only one
browser runs at a time. Screenshots go to ``<repo>/test-artifacts/`` (git-ignored), also when a
test fails.
"""
from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("TBX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # No network: every host name except the local server fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SERVER_START_TIMEOUT = 90.0
PAGE_TIMEOUT_MS = 60_000

# JupyterLab front-end plugins that would reach the network or pop dialogs over the notebook.
DISABLED_LAB_PLUGINS = {
    "@jupyterlab/apputils-extension:announcements": True,
}

# --------------------------------------------------------------------------------------------
# Jupyter servers
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class JupyterServer:
    """A JupyterLab (``app="lab"``) or Notebook 7 (``app="notebook"``) server in a subprocess
    (``app="classic"``: ``ClassicNotebookServer``)."""

    def __init__(self, app: str, base: pathlib.Path) -> None:
        assert app in ("lab", "notebook", "classic")
        self.app = app
        self.base = base
        self.root = base / "root"
        self.root.mkdir(parents=True)
        self.port = _free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.app_class = "LabApp" if app == "lab" else "JupyterNotebookApp"

    # -- lifecycle ---------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        # Isolate from the user's Jupyter and IPython configuration; the venv's own
        # share/jupyter (labextensions, the python3 kernelspec) is still on the path.
        env = dict(os.environ)
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "IPYTHONDIR": "ipython",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        }
        for var, name in dirs.items():
            path = self.base / name
            path.mkdir(exist_ok=True)
            env[var] = str(path)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env.pop("JUPYTER_PATH", None)
        env.pop("PYTHONWARNINGS", None)
        # The kernel imports the editable checkout, whatever the current directory.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
        )
        labconfig = self.base / "config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": DISABLED_LAB_PLUGINS})
        )
        return env

    def command(self) -> list[str]:
        module = "jupyterlab" if self.app == "lab" else "notebook"
        app_class = self.app_class
        cmd = [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--ServerApp.root_dir={self.root}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.open_browser=False",
            "--ServerApp.allow_remote_access=False",
            "--ServerApp.terminals_enabled=False",
            "--ServerApp.password=",
            f"--{app_class}.expose_app_in_browser=True",
            # Kernels that the tests leave running are culled rather than piling up.
            "--MappingKernelManager.cull_idle_timeout=600",
        ]
        if self.app == "lab":
            cmd += [
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                # Not for Notebook 7: there an invalid --JupyterNotebookApp.news_url voids all of
                # that app's options (expose_app_in_browser included); the page_config above
                # turns its announcements plugin off instead.
                "--LabApp.news_url=None",
                "--LabApp.extension_manager=readonly",  # no PyPI queries
            ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers and CI runners
        return cmd

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.root,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kernels included on stop
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter {self.app} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                status = self.api("GET", "/api/status", timeout=2)
                if "started" in status:
                    # The app page too (its handlers load after the REST API).
                    page = "/lab" if self.app == "lab" else "/tree"
                    with urllib.request.urlopen(
                        f"{self.url}{page}?token={self.token}", timeout=10
                    ) as resp:
                        resp.read()
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"jupyter {self.app} did not answer in {SERVER_START_TIMEOUT:.0f} s:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.25)

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        if proc.poll() is None:
            try:  # the clean way: the server shuts its kernels down, then exits
                self.api("POST", "/api/shutdown", timeout=5)
            except (OSError, urllib.error.URLError, ValueError):
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left in its process group (a stuck kernel): terminate, then kill.
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        proc.wait()

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    # -- REST --------------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def shutdown_kernels(self) -> None:
        """End every session (and so its kernel): the next test starts from a quiet server."""
        try:
            for session in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
        except (OSError, urllib.error.URLError, ValueError):
            pass

    # -- notebooks ---------------------------------------------------------------------------

    def path_for_app(self, name: str) -> str:
        return f"/lab/tree/{name}" if self.app == "lab" else f"/notebooks/{name}"

    def notebook_url(self, name: str) -> str:
        query = f"token={self.token}"
        if self.app == "lab":
            query += "&reset"  # a clean layout: no notebook restored from an earlier test
        return f"{self.url}{self.path_for_app(name)}?{query}"

    def write_notebook(self, cells: list[str], name: str | None = None) -> str:
        """Write an nbformat 4 notebook of code cells into the server root; return its name."""
        name = name or f"e2e-{uuid.uuid4().hex[:8]}.ipynb"
        nb = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                # Without a kernelspec a kernel-selection dialog blocks the run.
                "kernelspec": {
                    "name": "python3",
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                },
                "language_info": {"name": "python"},
            },
            "cells": [
                {
                    "cell_type": "code",
                    "id": uuid.uuid4().hex[:12],
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": source,
                }
                for source in cells
            ],
        }
        (self.root / name).write_text(json.dumps(nb, indent=1))
        return name


# Classic Notebook 6.5 with ipywidgets 7.7.1 and widgetsnbextension 3: the closest local stand-in
# for Colab's widget stack. It lives in its own venv (``make .venv-classic/.installed``), named by
# TBX_CLASSIC_VENV like TBX_CHROMIUM names the browser; server and kernel both run from it.
CLASSIC_VENV = pathlib.Path(os.environ.get("TBX_CLASSIC_VENV", REPO / ".venv-classic"))


class ClassicNotebookServer(JupyterServer):
    """A classic Notebook 6 server (its own ``NotebookApp`` options) from the classic venv."""

    def __init__(self, base: pathlib.Path, venv: pathlib.Path) -> None:
        super().__init__("classic", base)
        self.venv = venv.resolve()
        self.app_class = "NotebookApp"

    def command(self) -> list[str]:
        cmd = [
            str(self.venv / "bin" / "python"),
            "-m",
            "notebook",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--NotebookApp.notebook_dir={self.root}",
            f"--NotebookApp.token={self.token}",
            "--NotebookApp.password=",
            "--NotebookApp.open_browser=False",
            "--NotebookApp.allow_remote_access=False",
            "--NotebookApp.terminals_enabled=False",
            "--MappingKernelManager.cull_idle_timeout=600",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def _env(self) -> dict[str, str]:
        env = super()._env()
        # The venv's own bin first: the kernel and its subprocesses use the classic stack.
        env["PATH"] = os.pathsep.join([str(self.venv / "bin"), env.get("PATH", "")])
        env["VIRTUAL_ENV"] = str(self.venv)
        return env


def artifact_name(nodeid: str) -> str:
    """A file-name-safe label for a test id (its part after the file name, at most 120 characters)."""
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in nodeid.split("::", 1)[-1])
    return keep.strip("-")[:120]


# --------------------------------------------------------------------------------------------
# Driving a notebook
# --------------------------------------------------------------------------------------------

# JS helpers run in the page. ``nb()`` is the current notebook panel, in Lab and Notebook 7 alike.
_JS_PRELUDE = """
const app = window.jupyterapp;
const nb = () => {
  const w = app && app.shell && app.shell.currentWidget;
  return w && w.sessionContext && w.content && w.content.widgets ? w : null;
};
"""


def _wait_for(fn: Callable[[], Any], timeout: float, interval: float = 0.1) -> bool:
    """Call ``fn`` until it returns something truthy (True) or ``timeout`` s pass (False)."""
    deadline = time.monotonic() + timeout
    while not fn():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def poll(
    fn: Callable[[], Any],
    timeout: float,
    what: str,
    interval: float = 0.1,
) -> Any:
    """Call ``fn`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


PIXELS_JS = """
// Pixels drawn on a canvas: how many are not transparent, and a checksum of the picture.
const pix = (c) => {
  if (!c || !c.width || !c.height) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0, sum = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) { n++; sum = (sum * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1000000007; }
  return [n, sum];
};
"""
"""A JS snippet defining ``pix(canvas)``: [pixels drawn, checksum], for a test's page script."""


class PageDriver:
    """What the notebook drivers share: ``poll``, screenshots named after the test, the page's console."""

    page: Any
    request: pytest.FixtureRequest
    js: Callable[..., Any]  # evaluate a function body in the page (each driver's own)
    poll = staticmethod(poll)

    def screenshot(self, label: str) -> pathlib.Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{artifact_name(self.request.node.nodeid)}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def console(self) -> str:
        return "\n".join(getattr(self.request.node, "_tbx_console", [])[-40:])

    def until(self, script: str, ok: Callable[[Any], Any], what: str, timeout: float = 30) -> Any:
        """Evaluate ``script`` (a ``js`` body) until it gives a value for which ``ok`` holds; return
        that value (fail with ``what`` after ``timeout`` s)."""
        return poll(lambda: (lambda s: s if s and ok(s) else None)(self.js(script)), timeout, what)

    def drag(self, target: Any, dx: float, dy: float) -> None:
        """Drag from the middle of ``target`` (a locator, scrolled into view) by ``dx``, ``dy`` pixels."""
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        assert box is not None, f"{target} has no box to drag"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + dx, y + dy, steps=5)
        self.page.mouse.up()


class Jupyter(PageDriver):
    """One notebook app in one browser page."""

    def __init__(self, server: JupyterServer, page: Any, request: pytest.FixtureRequest) -> None:
        self.server = server
        self.page = page
        self.app = server.app
        self.request = request

    def js(self, body: str, arg: Any = None) -> Any:
        """Evaluate ``body`` (a function body that may use ``app``, ``nb()`` and ``arg``)."""
        return self.page.evaluate(
            f"async (arg) => {{ {_JS_PRELUDE}\n{body} }}", arg
        )

    def set_theme(self, dark: bool) -> None:
        """Switch JupyterLab to its Dark or Light theme, wait until it is applied, and give the
        dashboard a moment to redraw in it."""
        name = "JupyterLab Dark" if dark else "JupyterLab Light"
        self.js("await app.commands.execute('apputils:change-theme', { theme: arg });", name)
        poll(lambda: self.js("return document.body.dataset.jpThemeLight;") == ("false" if dark else "true"),
             30, f"the {name} theme")
        self.page.wait_for_timeout(500)

    def open(self, name: str, timeout: float = 90) -> None:
        """Open a notebook and wait until its kernel is idle and ready to run cells."""
        self.page.goto(self.server.notebook_url(name), wait_until="domcontentloaded")
        poll(
            lambda: self.js(
                """
                const w = nb();
                if (!w || !w.context.isReady) return false;
                const k = w.sessionContext.session && w.sessionContext.session.kernel;
                return !!(k && k.connectionStatus === 'connected' && k.status === 'idle'
                          && w.content.widgets.length > 0);
                """
            ),
            timeout,
            f"{name} open in {self.app} with an idle kernel",
            interval=0.25,
        )

    def open_and_run_first(self, cells: list[str]) -> str:
        """Write ``cells`` as a notebook, open it, run its first cell and wait until it is done;
        fail if any output is an error. Returns the notebook's name."""
        name = self.server.write_notebook(cells)
        self.open(name)
        self.run_cell(0)
        self.wait_cell_done(0)
        errors = self.cell_errors()
        assert not errors, errors
        return name

    def run_all(self) -> None:
        self.js("await nb().content.activate(); app.commands.execute('notebook:run-all-cells');")

    def run_cell(self, index: int) -> None:
        self.js(
            """
            const w = nb();
            w.content.activeCellIndex = arg;
            w.content.activate();
            app.commands.execute('notebook:run-cell');
            """,
            index,
        )

    def cell_state(self, index: int) -> dict[str, Any]:
        """The cell's prompt text, execution count, and the kernel status, read at one instant."""
        return self.js(
            """
            const w = nb();
            const cell = w.content.widgets[arg];
            const prompt = cell.node.querySelector('.jp-InputPrompt');
            const k = w.sessionContext.session && w.sessionContext.session.kernel;
            return {
              prompt: prompt ? prompt.textContent.trim() : null,
              count: cell.model.executionCount,
              kernel: k ? k.status : null,
            };
            """,
            index,
        )

    def cell_running(self, index: int) -> bool:
        # The prompt, not the kernel status: JupyterLab shows the status of the kernel's latest
        # iopub status message, and while a cell runs, replies to the front end's own requests
        # (comm info, widget state) flip it to "idle" and back.
        return "[*]" in (self.cell_state(index)["prompt"] or "")

    def wait_cell_done(self, index: int, timeout: float = 120) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            state = self.cell_state(index)
            ok = state["count"] is not None and state["kernel"] == "idle"
            return state if ok else None

        return poll(done, timeout, f"cell {index} to finish", interval=0.2)

    def cell_text(self, index: int) -> str:
        """The text of the cell's outputs (streams, results, errors)."""
        return self.js(
            """
            const cell = nb().content.widgets[arg];
            const out = cell.node.querySelector('.jp-OutputArea');
            return out ? out.innerText : '';
            """,
            index,
        )

    def cell_errors(self) -> list[str]:
        return self.js(
            """
            return nb().content.widgets.flatMap(c =>
              Array.from(c.node.querySelectorAll('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'))
                .map(n => n.innerText));
            """
        )


_CLASSIC_READY = """
const nb = window.Jupyter && Jupyter.notebook;
const k = nb && nb.kernel;
const icon = document.querySelector('#kernel_indicator_icon');
return !!(nb && nb._fully_loaded && k && k.is_connected() && k.widget_manager
          && icon && icon.classList.contains('kernel_idle_icon'));
"""


class Classic(PageDriver):
    """One notebook in a classic Notebook 6 page (``window.Jupyter.notebook``; no Lab commands)."""

    def __init__(self, server: ClassicNotebookServer, page: Any, request: pytest.FixtureRequest) -> None:
        self.server, self.page, self.request = server, page, request

    def js(self, body: str, arg: Any = None) -> Any:
        return self.page.evaluate(f"async (arg) => {{ {body} }}", arg)

    def open(self, name: str, timeout: float = 90) -> None:
        """Open a notebook; return once its kernel is idle and the widget manager has loaded.

        widgetsnbextension 3 asks the kernel for its widgets when it connects (ipywidgets 7.7.1
        has no "jupyter.widget.control" comm, so it logs a fallback warning and sends a
        comm_info request). When that answer comes it re-renders every widget output, and a
        widget displayed before then loses its view for good (the view's removal blanks the
        output's model_id). So a cell sent before that request would be answered first and its
        widget would vanish when the cell ends: wait for the warning, then for a comm_info of our
        own (the kernel answers in order) before running anything.
        """
        console = self.request.node._tbx_console
        for attempt in range(3):
            seen = len(console)
            self.page.goto(self.server.notebook_url(name), wait_until="domcontentloaded")
            poll(lambda: self.js(_CLASSIC_READY), timeout, f"{name} open with an idle kernel and the widget manager")
            # A manager made while the kernel's websocket was still opening can lose its first
            # request, and then never loads (a clean-clone CI run waited 90 s for it): open the
            # page again, which is what a user does, rather than wait for what will not come.
            loaded = _wait_for(lambda: any("jupyter.widget.control" in line for line in console[seen:]), 30)
            if loaded:
                break
            print(f"classic: no widget manager load after 30 s (attempt {attempt + 1}); reloading the page")
        else:
            pytest.fail("the widget manager never loaded from the kernel in three page loads")
        self.js("await new Promise(done => Jupyter.notebook.kernel.comm_info('', done));")
