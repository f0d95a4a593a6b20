"""PR/ROC curves with confusion matrices, audio players, the HParams comparison and custom-scalar
charts, in a real JupyterLab and Notebook 7: the browser shows what the kernel logged."""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tbx_widget import load

pytestmark = pytest.mark.e2e

LOG = """
import numpy as np
from tbx_widget import SummaryWriter
rng = np.random.default_rng(0)
labels = rng.integers(0, 2, 300)
preds = np.clip(0.3 * labels + 0.7 * rng.random(300), 0, 1)
w = SummaryWriter("runs/views")
w.add_pr_curve("pr/cls", labels, preds, 0, num_thresholds=11)
sr = 8000
w.add_audio("tone", 0.5 * np.sin(2 * np.pi * 440 * np.arange(sr // 2) / sr), 0, sample_rate=sr)
for step in range(5):
    w.add_scalar("loss/train", 1.0 / (step + 1), step)
    w.add_scalar("loss/val", 1.2 / (step + 1), step)
    w.add_scalar("m", step, step)
    w.add_scalar("m_lo", step - 0.5, step)
    w.add_scalar("m_hi", step + 0.5, step)
w.add_custom_scalars({"cat": {"losses": ["Multiline", ["loss/.*"]], "band": ["Margin", ["m", "m_lo", "m_hi"]]}})
for lr, acc in [(0.1, 0.91), (0.01, 0.75), (0.001, 0.5)]:
    w.add_hparams({"lr": lr, "opt": "sgd"}, {"hp/acc": acc}, run_name=f"lr_{lr}")
w.close()
w.show(height=1400)
"""

MORE = """
with SummaryWriter("runs/views") as w2:
    for step in range(5, 8):
        w2.add_scalar("loss/train", 1.0 / (step + 1), step)
        w2.add_scalar("loss/val", 1.2 / (step + 1), step)
"""

READ = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
if (!root) return null;
const card = (kind, tag) => root.querySelector(`[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`);
const pr = card('pr_curves', 'pr/cls');
const audio = root.querySelector('[data-tbx-kind="audio"] audio');
const hp = card('hparams', 'sessions');
const acc = card('scalars', 'hp/acc');
const drawn = c => {
  if (!c || !c.width || !c.height) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
  return false;
};
return {
  events: Number(root.dataset.tbxEvents),
  curves: pr ? JSON.parse(pr.dataset.tbxCurves || '{}') : null,
  prDrawn: pr ? drawn(pr.querySelector('canvas')) : false,
  matrix: pr ? Array.from(pr.querySelectorAll('.tbx-confusion td')).map(td => td.textContent) : [],
  audio: audio ? { ready: audio.readyState, duration: audio.duration, src: audio.getAttribute('src').slice(0, 5) } : null,
  rows: hp ? Array.from(hp.querySelectorAll('tbody tr')).map(tr => Array.from(tr.children).map(td => td.textContent.trim())) : [],
  parallelDrawn: hp ? drawn(hp.querySelector('canvas')) : false,
  highlight: acc ? JSON.parse(acc.dataset.tbxHighlight || '[]') : null,
  highlightedRows: hp ? Array.from(hp.querySelectorAll('tbody tr.tbx-highlight')).map(tr => tr.dataset.tbxRun) : [],
  losses: card('custom_scalars', 'losses') ? JSON.parse(card('custom_scalars', 'losses').dataset.tbxSeries) : null,
  band: card('custom_scalars', 'band') ? JSON.parse(card('custom_scalars', 'band').dataset.tbxSeries) : null,
  bandDrawn: card('custom_scalars', 'band') ? drawn(card('custom_scalars', 'band').querySelector('canvas')) : false,
  lossesPlotted: (() => { const u = (card('custom_scalars', 'losses') || {}).tbxChart; return u ? Array.from(u.data[0]) : null; })(),
};
"""


def _roc_auc(tp: np.ndarray, fp: np.ndarray, tn: np.ndarray, fn: np.ndarray) -> float:
    """Area under the ROC curve from counts at ascending thresholds (trapezoids from (0, 0))."""
    tpr = np.concatenate([[0.0], (tp / (tp + fn))[::-1]])
    fpr = np.concatenate([[0.0], (fp / (fp + tn))[::-1]])
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def test_pr_roc_audio_hparams_and_custom_scalars(jupyter: Any) -> None:
    name = jupyter.server.write_notebook([LOG, MORE])
    jupyter.open(name)
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    assert not jupyter.cell_errors(), jupyter.cell_errors()

    # What the kernel wrote, read back from the files.
    logs = load(jupyter.server.root / "runs" / "views")
    [pr] = logs.pr_curves(".", "pr/cls")
    tp, fp, tn, fn = (np.asarray(a, dtype=float) for a in (pr.tp, pr.fp, pr.tn, pr.fn))
    at_half = 5  # threshold 0.5 among 11
    expected_events = 1 + 1 + 5 * 5 + 1 + 3 * 3 + 3  # PR step, clip, scalars, layout, 3 hparams records x 3 runs, hp/acc x 3

    def ready() -> dict | None:
        s = jupyter.js(READ)
        if not s or s["events"] != expected_events or not s["audio"] or s["audio"]["ready"] < 1 or len(s["rows"]) < 3:
            return None
        return s if s["prDrawn"] and s["parallelDrawn"] and s["bandDrawn"] else None

    state = jupyter.poll(ready, 60, f"{expected_events} events, the audio metadata and every chart drawn")
    artifacts = jupyter.screenshot("views").parent
    for kind in ("pr_curves", "hparams", "custom_scalars", "audio"):  # one picture per new card, for reviewers
        card = jupyter.page.locator(f'[data-tbx-kind="{kind}"]').first
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(artifacts / f"card-{kind}-{jupyter.server.app}.png"))

    step, thresholds, auc, matrix = state["curves"]["."]
    assert (step, thresholds) == (0, 11)
    assert auc == pytest.approx(_roc_auc(tp, fp, tn, fn), abs=1e-12)
    assert matrix == [tp[at_half], fp[at_half], tn[at_half], fn[at_half]]
    # The table reads TP FN / FP TN.
    assert [float(x) for x in state["matrix"]] == [tp[at_half], fn[at_half], fp[at_half], tn[at_half]]

    assert state["audio"]["src"] == "blob:"
    assert state["audio"]["duration"] == pytest.approx(0.5, abs=0.01)  # the browser decoded our WAV header

    rows = {r[0]: r[1:] for r in state["rows"]}
    assert rows == {
        "lr_0.001": ["0.001", "sgd", "0.5", "success"],
        "lr_0.01": ["0.01", "sgd", "0.75", "success"],
        "lr_0.1": ["0.1", "sgd", "0.91", "success"],
    }

    # Clicking a row highlights its run in the scalar charts; clicking again clears it.
    row = jupyter.page.locator('[data-tbx-kind="hparams"] tbody tr[data-tbx-run="lr_0.01"]')
    # (A chart out of view lets go of its data and is drawn when it comes back: it is looked at.)
    row.click()
    acc = jupyter.page.locator('[data-tbx-kind="scalars"][data-tbx-tag="hp/acc"]')
    acc.scroll_into_view_if_needed()
    state = jupyter.poll(lambda: (lambda s: s if s["highlight"] == ["lr_0.01"] else None)(jupyter.js(READ)), 10, "the highlight")
    assert state["highlightedRows"] == ["lr_0.01"]
    jupyter.screenshot("highlight")
    row.scroll_into_view_if_needed()
    row.click()
    acc.scroll_into_view_if_needed()
    jupyter.poll(lambda: (lambda s: s if s["highlight"] == [] else None)(jupyter.js(READ)), 10, "the highlight to clear")

    assert [line[1] for line in state["losses"]] == ["loss/train", "loss/val"]
    assert all(line[2] == 5 and line[3] == 4 for line in state["losses"])
    assert state["losses"][1][4] == pytest.approx(float(np.float32(1.2 / 5)))
    assert [(line[1], line[2], line[4]) for line in state["band"]] == [("m", 5, 4.0)]
    assert state["lossesPlotted"] == [0, 1, 2, 3, 4]

    # More points for the multiline chart's tags: the plotted data follows.
    jupyter.page.locator('[data-tbx-kind="custom_scalars"][data-tbx-tag="losses"]').scroll_into_view_if_needed()
    jupyter.run_cell(1)
    jupyter.wait_cell_done(1)
    state = jupyter.poll(lambda: (lambda s: s if s["lossesPlotted"] == list(range(8)) else None)(jupyter.js(READ)), 30,
                         "the custom chart to plot the new points")
    assert [line[2:4] for line in state["losses"]] == [[8, 7], [8, 7]]
