"""The dashboard in a real JupyterLab and Notebook 7: it fills while the training cell runs, the
browser holds exactly what the kernel logged, and hostile content stays inert text."""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.e2e

STEPS = 60

SETUP = """
import time
import numpy as np
from tbx_widget import SummaryWriter
w = SummaryWriter("runs/live")
d = w.show(height=700)
"""

TRAIN = f"""
for step in range({STEPS}):
    w.add_scalar("train/loss", 1.0 / (step + 1), step)
    w.add_scalar("train/acc", step / {STEPS}, step)
    time.sleep(0.08)
rng = np.random.default_rng(0)
w.add_histogram("weights", rng.normal(size=1000), {STEPS - 1})
w.add_image("sample", rng.random((3, 16, 24)), {STEPS - 1})
w.add_text("note", "**done** and _well_", {STEPS - 1})
w.flush()
print("logged")
"""

READ = """
const cell = nb().content.widgets[arg];
const root = cell.node.querySelector('.tbx-dashboard');
if (!root) return null;
const card = (kind, tag) => root.querySelector(`[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`);
const loss = card('scalars', 'train/loss');
const img = card('images', 'sample');
const text = card('text', 'note/text_summary');
const pic = img ? img.querySelector('img') : null;
return {
  events: Number(root.dataset.tbxEvents),
  loss: loss ? loss.dataset.tbxSeries || null : null,
  xmax: loss && loss.tbxChart ? loss.tbxChart.scales.x.max : null,
  kinds: Array.from(root.querySelectorAll('[data-tbx-kind]')).map(e => e.dataset.tbxKind + ':' + e.dataset.tbxTag),
  // shown cards whose canvases are all blank (nothing drawn)
  blank: Array.from(root.querySelectorAll('[data-tbx-kind]')).filter(card => !card.closest('[hidden]')).filter(card => {
    const canvases = Array.from(card.querySelectorAll('canvas'));
    if (!canvases.length) return false;
    return !canvases.some(c => {
      if (!c.width || !c.height) return false;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
      return false;
    });
  }).map(e => e.dataset.tbxKind + ':' + e.dataset.tbxTag),
  image: pic ? [pic.naturalWidth, pic.naturalHeight, pic.getAttribute('src').slice(0, 5)] : null,
  strong: text ? Array.from(text.querySelectorAll('strong')).map(e => e.textContent) : [],
  prompt: (nb().content.widgets[arg + 1].node.querySelector('.jp-InputPrompt') || {}).textContent || '',
};
"""


def test_live_dashboard_shows_what_the_kernel_logged(jupyter: Any) -> None:
    name = jupyter.server.write_notebook([SETUP, TRAIN])
    jupyter.open(name)
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    assert not jupyter.cell_errors(), jupyter.cell_errors()
    jupyter.poll(lambda: jupyter.js(READ, 0), 60, "the dashboard to render")

    jupyter.run_cell(1)
    jupyter.poll(lambda: jupyter.cell_running(1), 30, "the training cell to start")

    def live(at_least: int) -> dict | None:
        state = jupyter.js(READ, 0)
        if "[*]" not in state["prompt"]:
            pytest.fail(f"the cell finished before {at_least} events were seen while it ran: {state}\n{jupyter.console()}")
        return state if state["events"] >= at_least else None

    first = jupyter.poll(lambda: live(4), 5.0, "scalars during the run")
    second = jupyter.poll(lambda: live(first["events"] + 20), 5.0, "more scalars during the run")
    jupyter.screenshot("running")
    assert second["events"] > first["events"]

    jupyter.wait_cell_done(1)
    assert "logged" in jupyter.cell_text(1)
    total = 2 * STEPS + 3  # scalar points + one histogram step + one image + one text
    final = jupyter.poll(lambda: (lambda s: s if s["events"] == total and s["image"] and s["strong"] else None)(jupyter.js(READ, 0)),
                         30, f"all {total} events, the image and the text")
    jupyter.screenshot("done")
    series = json.loads(final["loss"])
    assert list(series) == ["."]
    points, last_step, last_value = series["."]
    assert (points, last_step) == (STEPS, STEPS - 1)
    assert last_value == pytest.approx(float(np.float32(1 / STEPS)))
    for hook in ("scalars:train/loss", "scalars:train/acc", "histograms:weights", "distributions:weights", "images:sample", "text:note/text_summary"):
        assert hook in final["kinds"], final["kinds"]
    assert final["image"][:2] == [24, 16] and final["image"][2] == "blob:"
    assert final["xmax"] >= STEPS - 1  # the chart follows the data as it grows (not zoomed)
    assert final["blank"] == [], final["blank"]  # every chart drew something
    assert final["strong"] == ["done"]


HOSTILE = """
from tbx_widget import SummaryWriter
evil = '<img src=x onerror="window.__tbx_pwned=1">'
w = SummaryWriter("hostile/" + evil)
w.add_scalar('<b onmouseover="window.__tbx_pwned=2">tag</b>', 1.0, 0)
w.add_text("t", '<img src=x onerror="window.__tbx_pwned=3"> <script>window.__tbx_pwned=4</script> [link](javascript:window.__tbx_pwned=5) **ok**', 0)
w.close()
from tbx_widget import Dashboard
Dashboard("hostile", height=500)
"""

READ_HOSTILE = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
if (!root || Number(root.dataset.tbxEvents) < 2) return null;
const text = root.querySelector('[data-tbx-kind="text"]');
return {
  pwned: window.__tbx_pwned === undefined ? null : window.__tbx_pwned,
  rootText: root.textContent,
  injected: root.querySelectorAll('script, img[onerror], [onmouseover], a[href^="javascript"]').length,
  strong: text ? Array.from(text.querySelectorAll('strong')).map(e => e.textContent) : [],
};
"""


def test_hostile_names_and_text_never_run(jupyter: Any) -> None:
    name = jupyter.server.write_notebook([HOSTILE])
    jupyter.open(name)
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    state = jupyter.poll(lambda: (lambda s: s if s and s["strong"] else None)(jupyter.js(READ_HOSTILE)), 60, "the hostile logdir to render")
    # Give any planted handler a chance to fire: hover the tag, wait a moment.
    jupyter.page.mouse.move(200, 300)
    jupyter.page.wait_for_timeout(500)
    state = jupyter.js(READ_HOSTILE)
    jupyter.screenshot("hostile")
    assert state["pwned"] is None, state
    assert state["injected"] == 0
    assert '<img src=x onerror="window.__tbx_pwned=1">' in state["rootText"]  # the run name, as text
    assert '<b onmouseover="window.__tbx_pwned=2">tag</b>' in state["rootText"]  # the tag, as text
    assert state["strong"] == ["ok"]  # Markdown still renders


OTHER_PROCESS = """
%load_ext tbx_widget
%tbx runs/ext --height 400
"""

SPAWN = """
import subprocess, sys, textwrap
code = textwrap.dedent('''
    import time
    from tbx_widget import SummaryWriter
    with SummaryWriter("runs/ext/worker") as w:
        for step in range(40):
            w.add_scalar("loss", float(step), step)
            w.flush()
            time.sleep(0.1)
''')
subprocess.run([sys.executable, "-c", code], check=True)
print("worker done")
"""

READ_EXT = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const prompt = (nb().content.widgets[1].node.querySelector('.jp-InputPrompt') || {}).textContent || '';
return root ? { events: Number(root.dataset.tbxEvents), prompt } : null;
"""


def test_tbx_magic_follows_another_process_live(jupyter: Any) -> None:
    name = jupyter.server.write_notebook([OTHER_PROCESS, SPAWN])
    jupyter.open(name)
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    jupyter.poll(lambda: jupyter.js(READ_EXT), 60, "the %tbx dashboard")
    jupyter.run_cell(1)
    seen = jupyter.poll(lambda: (lambda s: s if s and s["events"] > 0 and "[*]" in s["prompt"] else None)(jupyter.js(READ_EXT)),
                        20, "another process's scalars while the cell runs")
    assert seen["events"] < 40
    jupyter.wait_cell_done(1)
    jupyter.poll(lambda: (lambda s: s if s["events"] == 40 else None)(jupyter.js(READ_EXT)), 20, "all 40 points")
