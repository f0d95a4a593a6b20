"""A sweep of 1,000 trainings in a real JupyterLab 4 and Notebook 7 (issue 19, "Sweeps at
scale"): each training logs a loss and one add_hparams session. The runs panel lists 1,000 entries (sessions folded in)
but holds only the rows in view, scrolling shows the last runs, the regex filter works and a
keystroke in it is timed; the HParams table of 1,000 sessions sorts and filters with only the
rows in view in the DOM, and each is timed. Screenshots go to test-artifacts/."""
from __future__ import annotations

from typing import Any

import pytest
from harness import PIXELS_JS

pytestmark = pytest.mark.e2e

N = 1000

LOG = f"""
from tbx_widget import Dashboard, SummaryWriter
for i in range({N}):
    lr = 10 ** -(1 + i % 4)
    with SummaryWriter(f"runs/sweep/run-{{i:04d}}") as w:
        for s in range(3):
            w.add_scalar("loss", 1.0 / (s + 1) + lr, s)
        w.add_hparams({{"lr": lr, "seed": i, "opt": ["sgd", "adam"][i % 2]}}, {{"hparam/acc": (i * 7919 % 1000) / 1000}})
d = Dashboard("runs/sweep", height=700)
d
"""

# The page's long tasks (the longest first), from before the dashboard is made.
WATCH_LONG_TASKS = """
window.__tbxLong = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__tbxLong.push(e.duration); }).observe({ type: "longtask" });
"""

# The loss card of the sweep: runs drawn (its test hook, set once every line is painted) and
# the pixels on its canvas.
LOSS = PIXELS_JS + """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const card = root && root.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]');
if (!card || !card.tbxChart || !card.dataset.tbxSeries) return null;
return { runs: Object.keys(JSON.parse(card.dataset.tbxSeries)).length, pixels: pix(card.tbxChart.ctx.canvas),
         series: card.tbxChart.series.length - 1, long: [...(window.__tbxLong || [])].sort((a, b) => b - a).slice(0, 5) };
"""

READ = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
if (!root) return null;
const list = root.querySelector('.tbx-run-list');
const hp = root.querySelector('[data-tbx-kind="hparams"]');
return {
  count: root.querySelector('.tbx-runs .tbx-count').textContent,
  rows: Array.from(list.querySelectorAll('.tbx-run')).map(li => li.dataset.tbxRun),
  listHeight: list.clientHeight, listScroll: list.scrollHeight,
  sessions: hp ? Array.from(hp.querySelectorAll('tbody tr[data-tbx-run]')).map(tr => tr.dataset.tbxRun) : [],
  sessionCount: hp ? hp.closest('details').querySelector('.tbx-count').textContent : null,
};
"""

# The runs panel's swatches and the loss chart's legend (built for few lines, shown or not): run -> colour.
COLOURS = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const swatches = (sel, key) => Object.fromEntries(Array.from(root.querySelectorAll(sel)).map(e => [key(e), e.querySelector('.tbx-swatch').style.background]));
return {
  rows: swatches('.tbx-run-list .tbx-run', (li) => li.dataset.tbxRun),
  legend: swatches('[data-tbx-kind="scalars"][data-tbx-tag="loss"] .tbx-legend-item', (e) => e.title),
};
"""

# Time a synchronous UI action from the event to the end of the work it triggers (the dashboard
# redraws synchronously on a UiState change; the frame after it is awaited and timed too).
TIMED = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const [what, value] = arg;
const t0 = performance.now();
if (what === 'filter') {
  const input = root.querySelector('input[aria-label="run filter"]');
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
} else if (what === 'hpfilter') {
  const input = root.querySelector('input[aria-label="hparams filter"]');
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
} else {
  root.querySelector(`[data-tbx-kind="hparams"] th[data-tbx-column="${value}"]`).click();
}
const sync = performance.now() - t0;
await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
return { sync, frame: performance.now() - t0 };
"""


@pytest.mark.parametrize("jupyter", ["lab", "notebook"], indirect=True)
def test_a_sweep_of_1000_runs(jupyter: Any) -> None:
    lab = jupyter
    name = lab.server.write_notebook([LOG, "print('still executing', 6 * 7)"])
    lab.open(name)
    lab.js(WATCH_LONG_TASKS)
    lab.run_cell(0)
    lab.wait_cell_done(0, timeout=240)
    assert not lab.cell_errors(), lab.cell_errors()
    state = lab.poll(lambda: (lambda s: s if s and s["count"] == str(N) and s["sessionCount"] == str(N) else None)(lab.js(READ)),
                     180, f"{N} runs and {N} sessions")

    # ---- runs panel: far fewer rows than runs, the list as tall as all of them.
    assert 0 < len(state["rows"]) < 80, len(state["rows"])
    assert state["rows"][0] == "run-0000"
    assert state["listScroll"] > 15 * N, state  # about one row height per run
    panel = lab.page.locator(".tbx-dashboard .tbx-runs")
    panel.screenshot(path=str(lab.screenshot("runs").parent / f"sweep-runs-top-{lab.app}.png"))
    lab.js("const l = document.querySelector('.tbx-dashboard .tbx-run-list'); l.scrollTop = l.scrollHeight;")
    state = lab.poll(lambda: (lambda s: s if "run-0999" in s["rows"] else None)(lab.js(READ)), 10, "the last run after scrolling down")
    assert len(state["rows"]) < 80 and "run-0000" not in state["rows"]
    panel.screenshot(path=str(lab.screenshot("runs").parent / f"sweep-runs-bottom-{lab.app}.png"))
    lab.js("const l = document.querySelector('.tbx-dashboard .tbx-run-list'); l.scrollTop = l.scrollHeight / 2;")
    state = lab.poll(lambda: (lambda s: s if "run-0500" in s["rows"] else None)(lab.js(READ)), 10, "the middle runs")
    assert len(state["rows"]) < 80

    # ---- the filter: typed a key at a time, each timed; the list follows.
    times = [lab.js(TIMED, ["filter", text]) for text in ["r", "ru", "run", "run-", "run-0", "run-09", "run-09[5-9]7$"]]
    state = lab.js(READ)
    assert state["rows"] == ["run-0957", "run-0967", "run-0977", "run-0987", "run-0997"], state["rows"]
    assert state["count"] == f"5 of {N}"
    # the chart draws the five runs in the colours the panel shows
    colours = lab.poll(lambda: (lambda c: c if sorted(c["legend"]) == state["rows"] else None)(lab.js(COLOURS)), 20, "the loss chart of the five runs")
    assert len(set(colours["rows"].values())) == 5 and colours["legend"] == colours["rows"], colours
    times.append(lab.js(TIMED, ["filter", ""]))
    state = lab.poll(lambda: (lambda s: s if s["count"] == str(N) else None)(lab.js(READ)), 10, "the filter cleared")
    assert len(state["rows"]) < 80
    # ---- colours within the selection: runs that share a colour among 1,000 (12 colours) are
    # told apart once a filter leaves a few of them, in the chart and in the panel alike.
    by_colour: dict[str, list[str]] = {}
    for run, colour in lab.js(COLOURS)["rows"].items():
        by_colour.setdefault(colour, []).append(run)
    sharing = sorted(max(by_colour.values(), key=len))[:6]
    assert len(sharing) >= 2, by_colour  # more rows in view than colours: some share one
    lab.js(TIMED, ["filter", "^(" + "|".join(sharing) + ")$"])
    colours = lab.poll(lambda: (lambda c: c if sorted(c["legend"]) == sharing else None)(lab.js(COLOURS)), 20, "the loss chart of the runs sharing a colour")
    assert sorted(colours["rows"]) == sharing and colours["legend"] == colours["rows"], colours
    assert len(set(colours["rows"].values())) == len(sharing), colours
    lab.page.locator(".tbx-dashboard").first.screenshot(path=str(lab.screenshot("runs").parent / f"sweep-selection-colours-{lab.app}.png"))
    lab.js(TIMED, ["filter", ""])
    lab.poll(lambda: (lambda s: s if s["count"] == str(N) else None)(lab.js(READ)), 10, "the filter cleared")
    print("run filter keystrokes (ms, sync / to the next frame):", [(round(t["sync"], 1), round(t["frame"], 1)) for t in times])
    sync = sorted(t["sync"] for t in times)
    # The whole dashboard (the loss chart of 1,000 runs included) redraws on each keystroke. The
    # bounds here are coarse on purpose: they catch a panel or table that renders all 1,000 rows
    # (seconds), not a loaded machine's slower frame (speed targets belong to benchmarks/).
    assert sync[len(sync) // 2] < 300, times

    # ---- HParams: 1,000 sessions, only the rows in view in the DOM; sort and filter timed.
    hp = lab.page.locator('[data-tbx-kind="hparams"]')
    hp.scroll_into_view_if_needed()
    assert 0 < len(state["sessions"]) < 80, len(state["sessions"])
    hp_times = {
        "sort acc": lab.js(TIMED, ["sort", "m:hparam/acc"]),
        "sort acc desc": lab.js(TIMED, ["sort", "m:hparam/acc"]),
        "sort opt": lab.js(TIMED, ["sort", "h:opt"]),
        "sort run": lab.js(TIMED, ["sort", "run"]),
    }
    state = lab.js(READ)
    assert state["sessions"][0].startswith("run-0000/"), state["sessions"][:3]  # by run name again
    hp_times["filter adam"] = lab.js(TIMED, ["hpfilter", "adam"])
    state = lab.js(READ)
    assert state["sessionCount"] == f"{N // 2} of {N}"
    assert len(state["sessions"]) < 80
    hp.screenshot(path=str(lab.screenshot("hparams").parent / f"sweep-hparams-{lab.app}.png"))
    hp_times["filter none"] = lab.js(TIMED, ["hpfilter", ""])
    print("hparams (ms, sync / to the next frame):", {k: (round(v["sync"], 1), round(v["frame"], 1)) for k, v in hp_times.items()})
    for what, t in hp_times.items():
        assert t["sync"] < 250, (what, hp_times)

    # ---- the notebook still executes cells.
    lab.run_cell(1)
    lab.wait_cell_done(1)
    assert "still executing 42" in lab.cell_text(1)

    # ---- the loss chart: every run painted, in Light and in Dark (chart rebuilt and repainted).
    card = lab.page.locator('.tbx-dashboard [data-tbx-kind="scalars"][data-tbx-tag="loss"]')
    card.scroll_into_view_if_needed()
    # (four distinct curves: a run's loss depends on its learning rate alone)
    light = lab.poll(lambda: (lambda s: s if s and s["runs"] == N and s["pixels"] and s["pixels"][0] > 1000 else None)(lab.js(LOSS)),
                     60, "the loss chart of every run painted")
    assert light["series"] == N, light
    print("longest tasks while the sweep loaded and drew (ms):", [round(t) for t in light["long"]])
    card.screenshot(path=str(lab.screenshot("runs").parent / f"sweep-loss-{lab.app}-light.png"))
    lab.set_theme(dark=True)
    try:
        dark = lab.poll(lambda: (lambda s: s if s and s["runs"] == N and s["pixels"] and s["pixels"][1] != light["pixels"][1] else None)(lab.js(LOSS)),
                        60, "the loss chart repainted in the Dark theme")
        assert dark["pixels"][0] > 1000, dark
        card.screenshot(path=str(lab.screenshot("runs").parent / f"sweep-loss-{lab.app}-dark.png"))
    finally:
        lab.set_theme(dark=False)
