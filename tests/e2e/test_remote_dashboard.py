"""A Dashboard in JupyterLab following an s3:// logdir on moto's S3 server (started here, on
127.0.0.1) while a separate process writes to the bucket with flushes (issue 16): new points
arrive in the browser while the writer runs, and at the end the points the card holds (its JSON
download, as the browser would save it) are exactly what was written."""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Iterator

import numpy as np
import pytest

from harness import Jupyter
from storage_server import Server, moto_s3  # tests/storage_server.py

pytestmark = pytest.mark.e2e

STEPS = 40

WRITER = """
import sys, time
from tbx_widget import SummaryWriter
url, endpoint, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = {"key": "testing", "secret": "testing", "endpoint_url": endpoint}
with SummaryWriter(url, storage_options=options, flush_secs=3600) as w:
    for step in range(steps):
        w.add_scalar("loss", 1.0 / (step + 1), step)
        w.flush()
        time.sleep(0.2)
"""

DASHBOARD = """
from tbx_widget import Dashboard
d = Dashboard({url!r}, storage_options={options!r}, height=500)
d
"""

READ = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
if (!root) return null;
const card = root.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]');
return { events: Number(root.dataset.tbxEvents), series: card ? card.dataset.tbxSeries || null : null };
"""

# The scalar card's JSON download (what a user saving it gets): capture the Blob it hands to
# URL.createObjectURL and return its text.
DOWNLOAD = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const card = root.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]');
const button = Array.from(card.querySelectorAll('button')).find(b => b.textContent.trim() === 'JSON');
if (!button) return null;
const saved = URL.createObjectURL;
let blob = null;
URL.createObjectURL = (b) => { blob = b; return saved.call(URL, b); };
try { button.click(); } finally { URL.createObjectURL = saved; }
return blob ? await blob.text() : null;
"""


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """moto's S3 server on a free loopback port (tests/storage_server.py)."""
    for module in ("moto", "fsspec", "s3fs"):
        pytest.importorskip(module)
    server = moto_s3(str(tmp_path_factory.mktemp("moto")))
    server.start()
    try:
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_dashboard_follows_a_bucket_written_by_another_process(jupyter: Jupyter, moto: Server) -> None:
    lab = jupyter
    url = moto.url(moto.new_bucket(), "runs")
    lab.open_and_run_first([DASHBOARD.format(url=url, options=moto.storage_options)])
    lab.poll(lambda: lab.js(READ), 60, "the dashboard on an empty bucket")

    writer = subprocess.Popen([sys.executable, "-c", WRITER, f"{url}/worker", moto.storage_options["endpoint_url"], str(STEPS)],
                              cwd=lab.server.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def while_running(at_least: int) -> dict | None:
            state = lab.js(READ)
            if writer.poll() is not None:
                pytest.fail(f"the writer finished before {at_least} points were shown while it ran: {state}\n"
                            f"{writer.stdout.read() if writer.stdout else ''}")
            return state if state and state["events"] >= at_least else None

        first = lab.poll(lambda: while_running(1), 30, "the first points while the writer runs")
        second = lab.poll(lambda: while_running(first["events"] + 5), 20, "more points while the writer runs")
        assert second["events"] > first["events"]
        lab.screenshot("running")
        assert writer.wait(60) == 0, writer.stdout.read() if writer.stdout else ""
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(10)
        if writer.stdout is not None:
            writer.stdout.close()

    final = lab.poll(lambda: (lambda s: s if s and s["events"] == STEPS else None)(lab.js(READ)), 30, f"all {STEPS} points")
    lab.screenshot("done")
    points, last_step, last_value = json.loads(final["series"])["worker"]
    assert (points, last_step) == (STEPS, STEPS - 1)
    shown = json.loads(lab.poll(lambda: lab.js(DOWNLOAD), 10, "the loss card's JSON download"))
    (run,) = shown["runs"]
    assert run["run"] == "worker"
    assert run["step"] == list(range(STEPS))
    written = [float(np.float32(1.0 / (s + 1))) for s in range(STEPS)]  # scalars travel as float32
    assert run["value"] == written
    # the kernel and the writer ran in the server's root: no local directory named after the scheme
    assert not [p.name for p in lab.server.root.iterdir() if p.name.endswith(":")]
