"""End-to-end fixtures: one server per app per session (``lab_server``, ``notebook_server``,
``classic_server``), one browser per session, a fresh browser context per test (``page``), and a
``Jupyter`` (``jupyter``, run in Lab and in Notebook 7) or ``Classic`` (``classic``) helper per test.
The harness itself (servers, page drivers, ``poll``) is ``harness.py``.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CLASSIC_VENV,
    PAGE_TIMEOUT_MS,
    Classic,
    ClassicNotebookServer,
    Jupyter,
    JupyterServer,
    artifact_name,
)


# --------------------------------------------------------------------------------------------
# pytest plumbing
# --------------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the item so fixtures can screenshot failed tests.
    report = yield
    setattr(item, f"_tbx_report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    for when in ("setup", "call"):
        report = getattr(request.node, f"_tbx_report_{when}", None)
        if report is not None and report.failed:
            return True
    return False



def _server(app: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    server = JupyterServer(app, tmp_path_factory.mktemp(f"jupyter-{app}"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    yield from _server("lab", tmp_path_factory)


@pytest.fixture(scope="session")
def notebook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    yield from _server("notebook", tmp_path_factory)

@pytest.fixture(scope="session")
def classic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassicNotebookServer]:
    python = CLASSIC_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(
            f"no classic Notebook venv at {CLASSIC_VENV} (set TBX_CLASSIC_VENV, or run "
            "`make .venv-classic/.installed`)"
        )
    server = ClassicNotebookServer(tmp_path_factory.mktemp("jupyter-classic"), CLASSIC_VENV)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM} (set TBX_CHROMIUM); a browser is never downloaded")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"[pageerror] {err}"))
    request.node._tbx_console = console  # for failure messages
    try:
        yield page
    finally:
        if _failed(request):
            name = artifact_name(request.node.nodeid)
            try:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)
                (ARTIFACTS / f"FAILED-{name}.console.txt").write_text("\n".join(console))
            except Exception as exc:  # a dead page must not hide the test's own failure
                print(f"could not save the failure screenshot: {exc!r}")
        context.close()


@pytest.fixture(params=["lab", "notebook"])
def jupyter(request: pytest.FixtureRequest, page: Any) -> Iterator[Jupyter]:
    """The test runs once in JupyterLab 4 and once in Notebook 7."""
    server: JupyterServer = request.getfixturevalue(f"{request.param}_server")
    try:
        yield Jupyter(server, page, request)
    finally:
        server.shutdown_kernels()



@pytest.fixture
def classic(classic_server: ClassicNotebookServer, page: Any, request: pytest.FixtureRequest) -> Iterator[Classic]:
    """A classic Notebook 6.5 page (ipywidgets 7.7.1) for one test."""
    try:
        yield Classic(classic_server, page, request)
    finally:
        classic_server.shutdown_kernels()
