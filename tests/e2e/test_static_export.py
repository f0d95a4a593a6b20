"""A notebook executed and exported to HTML shows its dashboards' curves with no kernel and no
internet (headless Chromium, every host name unresolvable: tests/e2e/conftest.py).

Plain ``nbconvert --execute --to html`` picks the widget view, whose renderer comes from a CDN:
offline that output is blank. ``tbx_widget.snapshot.static_snapshots`` (an nbconvert
preprocessor) and ``export_html`` turn each dashboard output into its static SVG snapshot,
redrawn from the logdir, with the widget view tag kept for a renderer that can load.
"""
from __future__ import annotations

import io
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from tbx_widget.snapshot import run_colors

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"  # as in conftest.py

nbformat = pytest.importorskip("nbformat")

pytestmark = pytest.mark.e2e

CELLS = [
    "from tbx_widget import Dashboard, SummaryWriter\nDashboard('runs/export', height=400)",
    # Written after the dashboard was displayed: the snapshot taken at display time is empty.
    "import math\n"
    "for run, rate in (('fast', 8.0), ('slow', 40.0)):\n"
    "    with SummaryWriter(f'runs/export/{run}') as w:\n"
    "        for step in range(120):\n"
    "            w.add_scalar('loss', math.exp(-step / rate) + 0.05, step)\n"
    "print('trained')",
]
# The dashboard's colours for these names (the snapshot shares runstyle.ts's palette and rule).
COLOURS = {run: tuple(int(hex_[i : i + 2], 16) for i in (1, 3, 5)) for run, hex_ in run_colors(["fast", "slow"]).items()}


def _nbconvert(work: pathlib.Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute", *args, "export.ipynb"]
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    work = tmp_path_factory.mktemp("export")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nbformat.write(nb, work / "export.ipynb")
    # What the README tells users to run, in one command.
    _nbconvert(work, "--HTMLExporter.preprocessors=tbx_widget.snapshot.static_snapshots", "--output", "cli.html")
    _nbconvert(work, "--output", "plain.html")
    from tbx_widget.snapshot import export_html

    helper = export_html(work / "export.ipynb", work / "helper.html", execute=True)
    return {"cli": work / "cli.html", "helper": helper, "plain": work / "plain.html"}


def _open_offline(browser: Any, path: pathlib.Path) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    remote: list[str] = []
    page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(1500)  # let the CDN script tags fail
    return context, page, remote


def _pixels_near(png: bytes, colour: tuple[int, int, int], tol: int = 40) -> int:
    from PIL import Image

    import numpy as np

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return int((np.abs(rgb - np.array(colour)).max(axis=-1) <= tol).sum())


@pytest.mark.parametrize("kind", ["cli", "helper"])
def test_exported_html_shows_the_curves_offline(browser: Any, exported: dict[str, pathlib.Path], kind: str) -> None:
    context, page, remote = _open_offline(browser, exported[kind])
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"static_export_{kind}.png"), full_page=True)
        lines = page.locator(".tbx-snapshot svg polyline")
        assert lines.count() == 2
        titles = sorted(lines.nth(i).locator("title").text_content() for i in range(2))
        assert titles == ["fast", "slow"]
        assert page.locator(".tbx-snapshot").first.is_visible()
        svg = page.locator(".tbx-snapshot svg").first
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 80
        shot = svg.screenshot()
        for run, colour in COLOURS.items():
            assert _pixels_near(shot, colour) > 100, f"the {run} curve is not drawn"
        text = page.locator(".tbx-snapshot").first.inner_text()
        assert "fast: 0.05" in text and "no scalars yet" not in text
        # The page tried the CDN (widget renderer, require.js) and did without it.
        assert any("unpkg.com" in url or "cdnjs" in url for url in remote)
    finally:
        context.close()


def test_plain_export_is_blank_offline(browser: Any, exported: dict[str, pathlib.Path]) -> None:
    """Why the preprocessor exists: without it nbconvert picks the widget view, and offline
    nothing draws it."""
    context, page, _ = _open_offline(browser, exported["plain"])
    try:
        assert page.locator(".tbx-snapshot").count() == 0
        assert page.locator("script[type='application/vnd.jupyter.widget-view+json']").count() == 1
        assert page.locator(".tbx-header").count() == 0
    finally:
        context.close()


# -- the online path, with the CDN played by the npm registry's own packages ---------------------

CDN_PACKAGES = ["@jupyter-widgets/html-manager@1", "requirejs@2", "anywidget@0.11"]


@pytest.fixture(scope="module")
def cdn_mirror(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """What unpkg, cdnjs and jsdelivr would serve the exported page, unpacked from the npm
    registry (skipped where the registry cannot be reached)."""
    work = tmp_path_factory.mktemp("cdn")
    try:
        done = subprocess.run(["npm", "pack", "--silent", *CDN_PACKAGES], cwd=work, capture_output=True,
                              text=True, timeout=180)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"npm pack failed: {exc}")
    if done.returncode != 0:
        pytest.skip(f"npm registry not reachable: {done.stderr[-300:]}")
    out = {}
    for tgz in work.glob("*.tgz"):
        dest = work / tgz.stem
        dest.mkdir()
        subprocess.run(["tar", "xzf", str(tgz), "-C", str(dest)], check=True)
        out[tgz.stem.rsplit("-", 1)[0]] = dest / "package"
    return out


def test_online_the_live_dashboard_replaces_the_snapshot(browser: Any, exported: dict[str, pathlib.Path],
                                                         cdn_mirror: dict[str, pathlib.Path]) -> None:
    served: list[str] = []

    def cdn(route: Any) -> None:
        url = route.request.url
        name = url.split("?")[0].rsplit("/", 1)[-1]
        if "cdnjs" in url and "require" in url:
            body = (cdn_mirror["requirejs"] / "require.js").read_bytes()
        elif "html-manager" in url:
            body = (cdn_mirror["jupyter-widgets-html-manager"] / "dist" / name).read_bytes()
        elif "anywidget" in url:
            body = (cdn_mirror["anywidget"] / "dist" / name).read_bytes()
        else:
            route.abort()  # MathJax and anything else: offline
            return
        served.append(url)
        route.fulfill(body=body, content_type="application/javascript")

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.route(lambda url: url.startswith("http"), cdn)
    try:
        page.goto(exported["cli"].as_uri(), wait_until="load")
        page.locator(".tbx-header").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "static_export_online.png"), full_page=True)
        assert any("html-manager" in u for u in served) and any("anywidget" in u for u in served)
        assert not page.locator(".tbx-snapshot").first.is_visible()  # the live view took its place
        # It draws the curves saved with the page: both runs, not an empty "no log directory".
        assert page.locator(".tbx-static canvas").count() >= 1
        assert "no log directory" not in page.locator(".tbx-header").first.inner_text()
        runs_text = page.locator(".tbx-static").first.inner_text()
        assert "fast" in runs_text and "slow" in runs_text
    finally:
        context.close()


def test_jupyterlab_export_menu_uses_the_preprocessor_from_server_config(
        exported: dict[str, pathlib.Path], tmp_path: pathlib.Path) -> None:
    """File > Save and Export Notebook As > HTML asks the server's /nbconvert/html handler,
    which reads ``c.HTMLExporter.preprocessors`` from jupyter_server_config.py."""
    import os
    import socket
    import time
    import urllib.request

    work = exported["cli"].parent
    run = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                          "--output", "saved.ipynb", "export.ipynb"], cwd=work, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.py").write_text(
        'c.HTMLExporter.preprocessors = ["tbx_widget.snapshot.static_snapshots"]\n')
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", "--port-retries=0",
           "--IdentityProvider.token=t0k", f"--ServerApp.root_dir={work}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    server = subprocess.Popen(cmd, env={**os.environ, "JUPYTER_CONFIG_DIR": str(config)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token=t0k", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "jupyter server did not start"
                time.sleep(0.5)
        with urllib.request.urlopen(f"{base}/nbconvert/html/saved.ipynb?download=false&token=t0k", timeout=120) as r:
            page = r.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "tbx-static" in page and "no scalars yet" not in page
    assert page.count("<polyline") == 2 and "fast: 0.05" in page
