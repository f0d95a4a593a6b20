"""Full data on request (issue 19: the browser's heap bounded by what is drawn) in a real
JupyterLab 4 and Notebook 7: a logdir big enough for the overview path sends every scalar series as an
overview; the cards in view ask for their series' full data ({"type": "want"}) and draw it;
a card out of view is neither drawn nor asked for until it is scrolled into view, then gets its
full data too (the exact last values written); the notebook keeps executing cells."""
from __future__ import annotations

import json
import time
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

RUNS, TAGS, STEPS = 6, 12, 1500

LOG = f"""
import functools, tempfile
logdir = tempfile.mkdtemp(prefix="tbx_req_")
from tbx_widget import Dashboard, SummaryWriter, widget
from tbx_widget.live.follower import Follower
widget.FULL_ON_REQUEST = True
widget.Follower = functools.partial(Follower, read_bytes=64 << 10)  # this logdir: many read pieces
for r in range({RUNS}):
    with SummaryWriter(f"{{logdir}}/run{{r}}") as w:
        for s in range({STEPS}):
            for t in range({TAGS}):
                w.add_scalar(f"tag{{t:02d}}", r * 1000 + t + s / {STEPS}, s)
asked = []  # the (run, tag) pairs the browser asks for, in order
widget._want_keys = functools.partial(lambda keys, series: (lambda k: asked.extend(k) or k)(keys(series)), widget._want_keys)
d = Dashboard(logdir, height=600)
d
"""

# Per scalar card: its tag, how many runs are drawn from an overview, whether it is on screen,
# and its series hook {run: [points, last step, last value]}.
READ = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
if (!root) return null;
return Array.from(root.querySelectorAll('[data-tbx-kind="scalars"]')).map((c) => {
  const b = c.getBoundingClientRect();
  return { tag: c.dataset.tbxTag, overview: c.dataset.tbxOverview ?? null, series: c.dataset.tbxSeries ?? null,
           onScreen: b.bottom > 0 && b.top < window.innerHeight && b.height > 0 };
});
"""


def full(card: dict[str, Any]) -> bool:
    if card["overview"] != "0" or not card["series"]:
        return False
    series = json.loads(card["series"])
    t = int(card["tag"][3:])
    return len(series) == RUNS and all(
        v[0] == STEPS and v[1] == STEPS - 1 and abs(v[2] - (int(run[3:]) * 1000 + t + (STEPS - 1) / STEPS)) < 1e-3
        for run, v in series.items())


def test_cards_in_view_get_full_data_on_request_and_others_when_scrolled_to(jupyter: Any) -> None:
    lab = jupyter
    name = lab.server.write_notebook([LOG, "print('asked for', sorted({t for _, t in asked}))", "print('still executing', 6 * 7)"])
    lab.open(name)
    lab.run_cell(0)
    lab.wait_cell_done(0, timeout=240)
    assert not lab.cell_errors(), lab.cell_errors()
    cards = lab.poll(lambda: (lambda c: c if c and len(c) == TAGS and any(full(x) for x in c if x["onScreen"]) else None)(lab.js(READ)),
                     120, "the cards in view drawn from full data")
    shown = [c["tag"] for c in cards if c["onScreen"]]
    hidden = [c for c in cards if not c["onScreen"]]
    assert shown and hidden, cards
    lab.screenshot("full-on-request-top")
    # A card below is not drawn (it would hold its data for no one) and the kernel is not asked
    # for its full data until it is shown.
    last = hidden[-1]["tag"]
    time.sleep(4)  # off-screen cards that keep their data catch up after a quiet second
    card = next(x for x in lab.js(READ) if x["tag"] == last)
    assert card["series"] is None and not card["onScreen"], card
    lab.run_cell(1)
    lab.wait_cell_done(1, timeout=60)
    asked = lab.cell_text(1)
    assert "asked for [" in asked and f"'{shown[0]}'" in asked and f"'{last}'" not in asked, asked
    lab.js(f"nb().content.widgets[0].node.querySelector('[data-tbx-tag=\"{last}\"]').scrollIntoView()")
    lab.poll(lambda: (lambda c: c if c and any(x["tag"] == last and full(x) for x in c) else None)(lab.js(READ)),
             60, f"{last} drawn from full data after scrolling to it")
    lab.screenshot("full-on-request-scrolled")
    lab.run_cell(2)
    lab.wait_cell_done(2, timeout=60)
    assert "still executing 42" in lab.cell_text(2)
