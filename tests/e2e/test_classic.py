"""The live dashboard in classic Notebook 6.5 with ipywidgets 7.7.1 and widgetsnbextension 3.

This is the closest local stand-in for Colab's widget stack (Colab ships ipywidgets 7.7.1 and a
classic-style page; Colab itself cannot run here). One cell displays a Dashboard and then logs
scalars in a loop with sleeps; the test reads the dashboard root's ``data-tbx-events`` and the
cell's ``In [*]`` prompt in the same instant and wants the count to grow while the cell runs, to
end equal to what was logged, and the scalar cards' canvases to hold drawn pixels.
"""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

STEPS = 60
PERIOD = 0.12
TAGS = ("train/loss", "train/acc")

STACK_CELL = """
import sys, ipywidgets, widgetsnbextension, notebook
print("stack", ipywidgets.__version__, widgetsnbextension.__version__, notebook.__version__)
print("prefix=" + sys.prefix)
"""

TRAIN_CELL = f"""
import time
from tbx_widget import Dashboard, SummaryWriter
w = SummaryWriter("runs/classic")
display(Dashboard("runs", height=600))
for step in range({STEPS}):
    w.add_scalar("{TAGS[0]}", 1.0 / (step + 1), step)
    w.add_scalar("{TAGS[1]}", step / {STEPS}, step)
    w.flush()
    time.sleep({PERIOD})
w.close()
print("logged", {STEPS})
"""

# Classic Notebook's page: window.Jupyter.notebook, cells with .input_prompt ("In [*]:" while running).
READ = """
const nb = window.Jupyter && Jupyter.notebook;
if (!nb) return null;
const cell = nb.get_cell(arg);
if (!cell) return null;
const el = cell.element[0];
const prompt = el.querySelector('.input_prompt');
const out = el.querySelector('.output_wrapper .output');
const root = el.querySelector('.tbx-dashboard');
const drawn = (card) => Array.from(card.querySelectorAll('canvas')).some(c => {
  if (!c.width || !c.height) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
  return false;
});
const cards = root ? Array.from(root.querySelectorAll('[data-tbx-kind="scalars"]')) : [];
return {
  prompt: prompt ? prompt.textContent.trim() : '',
  output: out ? out.innerText : '',
  events: root ? Number(root.dataset.tbxEvents) : -1,
  scalars: cards.map(c => c.dataset.tbxTag),
  drawn: cards.filter(c => !c.closest('[hidden]') && drawn(c)).map(c => c.dataset.tbxTag),
};
"""


def test_dashboard_fills_live_with_ipywidgets_7(classic: Any) -> None:
    name = classic.server.write_notebook([STACK_CELL, TRAIN_CELL])
    classic.open(name)
    classic.js("Jupyter.notebook.execute_all_cells();")

    # The kernel runs the classic venv's stack, not the test runner's ipywidgets 8.
    stack = classic.poll(lambda: (lambda s: s if "prefix=" in s["output"] else None)(classic.js(READ, 0)), 60, "the stack cell")
    assert "stack 7.7.1 3." in stack["output"] and " 6.5." in stack["output"], stack["output"]
    assert f"prefix={classic.server.venv}" in stack["output"], stack["output"]

    def live(at_least: int) -> dict[str, Any] | None:
        state = classic.js(READ, 1)
        if "[*]" not in state["prompt"] or "logged" in state["output"]:
            pytest.fail(f"the cell finished before {at_least} events were seen while it ran: {state}\n{classic.console()}")
        return state if state["events"] >= at_least else None

    classic.poll(lambda: "[*]" in classic.js(READ, 1)["prompt"], 60, "the training cell to start")
    first = classic.poll(lambda: live(4), STEPS * PERIOD, "the first scalars while the cell runs")
    second = classic.poll(lambda: live(first["events"] + 10), STEPS * PERIOD, "more scalars while the cell runs")
    assert second["events"] > first["events"]
    classic.screenshot("running")

    seen: dict[str, Any] = {}

    def finished() -> dict[str, Any] | None:
        state = seen["last"] = classic.js(READ, 1)
        done = "[*]" not in state["prompt"] and f"logged {STEPS}" in state["output"]
        return state if done and state["events"] == len(TAGS) * STEPS and len(state["drawn"]) == len(TAGS) else None

    try:
        final = classic.poll(finished, 60, f"all {len(TAGS) * STEPS} events and both scalar cards drawn")
    except pytest.fail.Exception:
        classic.screenshot("timeout")
        pytest.fail(f"the dashboard did not end with every event drawn: {seen.get('last')}\n{classic.console()}")
    classic.screenshot("done")
    assert sorted(final["scalars"]) == sorted(TAGS)
    assert sorted(final["drawn"]) == sorted(TAGS)
    assert "Traceback" not in final["output"] and "Error" not in final["output"], final["output"]
