"""The harness, and the design's key fact: kernel -> browser widget messages arrive while the
cell that sends them is still running (in JupyterLab 4 and Notebook 7).

A tiny anywidget defined inline counts custom messages (each with a binary buffer) into DOM
attributes; the cell displays it and then sends one message every 100 ms for a few seconds.
The test reads the counter and the cell's ``[*]`` prompt in the same instant, twice, and wants
the counter to have grown between two readings taken while the cell was still executing.
"""
from __future__ import annotations

import sys
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

SEND_SECONDS = 5.0
PERIOD = 0.1
N_MESSAGES = int(SEND_SECONDS / PERIOD)

KERNEL_CELL = "import sys\nprint('prefix=' + sys.prefix)\nprint('executable=' + sys.executable)"

WIDGET_CELL = f'''
import time
import anywidget

class Counter(anywidget.AnyWidget):
    _esm = """
    function render({{ model, el }}) {{
      const d = document.createElement("div");
      d.className = "e2e-counter";
      d.dataset.count = "0";
      d.dataset.bytes = "0";
      d.textContent = "messages: 0";
      model.on("msg:custom", (msg, buffers) => {{
        const n = Number(d.dataset.count) + 1;
        d.dataset.count = String(n);
        d.dataset.last = String(msg.i);
        d.dataset.bytes = String(Number(d.dataset.bytes) + buffers.reduce((s, b) => s + b.byteLength, 0));
        d.textContent = "messages: " + n + " (last " + msg.i + ")";
      }});
      el.appendChild(d);
    }}
    export default {{ render }};
    """

counter = Counter()
display(counter)
for i in range({N_MESSAGES}):
    counter.send({{"i": i}}, buffers=[bytes(16)])
    time.sleep({PERIOD})
print("sent", {N_MESSAGES})
'''

READ_COUNTER = """
const w = nb();
const cell = w.content.widgets[arg];
const d = cell.node.querySelector('.e2e-counter');
const prompt = cell.node.querySelector('.jp-InputPrompt');
const out = cell.node.querySelector('.jp-OutputArea');
return {
  count: d ? Number(d.dataset.count) : -1,
  last: d ? Number(d.dataset.last ?? -1) : -1,
  bytes: d ? Number(d.dataset.bytes) : -1,
  prompt: prompt ? prompt.textContent.trim() : null,
  output: out ? out.innerText : '',
};
"""


def test_messages_arrive_while_the_cell_runs(jupyter: Any) -> None:
    name = jupyter.server.write_notebook([KERNEL_CELL, WIDGET_CELL])
    jupyter.open(name)

    # The kernel is the venv's python, the one running these tests.
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    out = jupyter.cell_text(0)
    assert f"prefix={sys.prefix}" in out, out

    jupyter.run_cell(1)
    jupyter.poll(lambda: jupyter.cell_running(1), 30, "the widget cell to start running")

    def running_with_messages(at_least: int) -> dict | None:
        state = jupyter.js(READ_COUNTER, 1)
        # Still executing: the prompt says [*] and the loop's last line is not printed yet.
        running = "[*]" in (state["prompt"] or "") and "sent" not in state["output"]
        if not running:
            pytest.fail(
                f"the cell finished before {at_least} messages were seen while it ran: {state}\n"
                f"{jupyter.console()}"
            )
        return state if state["count"] >= at_least else None

    first = jupyter.poll(
        lambda: running_with_messages(1), SEND_SECONDS, "the first message during the run"
    )
    second = jupyter.poll(
        lambda: running_with_messages(first["count"] + 5),
        SEND_SECONDS,
        "five more messages during the run",
    )
    jupyter.screenshot("running")
    assert second["last"] > first["last"]
    assert second["bytes"] == 16 * second["count"], "binary buffers arrive with each message"

    final = jupyter.wait_cell_done(1)
    assert final["count"] is not None and "*" not in final["prompt"]
    state = jupyter.js(READ_COUNTER, 1)
    # Messages sent before the view rendered are dropped (anywidget), the rest all arrive.
    assert state["last"] == N_MESSAGES - 1, state
    assert 0 < state["count"] <= N_MESSAGES
    assert f"sent {N_MESSAGES}" in jupyter.cell_text(1)
    jupyter.screenshot("done")
