"""Card and control defects of issue 14 in a real JupyterLab 4 and Notebook 7: keys reach the
dashboard's sliders, the smoothing box applies on Enter, image cards keep their size and their
slider's place across steps and enlarge on click, add_hparams sessions fold into their training
run, PR statistics say why a ratio is undefined, the root run is named after the logdir.
Screenshots of each card in light and dark theme go to test-artifacts/."""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

STEPS = list(range(0, 100, 10))  # labels from "step 0 (1/10)" to "step 90 (10/10)"

LOG = f"""
import numpy as np
from tbx_widget import SummaryWriter
rng = np.random.default_rng(0)
with SummaryWriter("runs/cards") as root:
    root.add_scalar("root_metric", 1.0, 0)
for lr, opt, acc in [(0.1, "sgd", 0.91), (0.01, "adam", 0.75), (0.001, "sgd", 0.5)]:
    with SummaryWriter(f"runs/cards/lr={{lr}}") as w:
        for step in {STEPS}:
            w.add_scalar("loss", 1.0 / (step + 1) + lr, step)
            yy, xx = np.mgrid[0:28, 0:28]
            img = np.stack([(xx + step) % 28 / 27, yy / 27, np.full((28, 28), lr * 5)])
            w.add_image("samples", img, step)
        labels = rng.integers(0, 2, 200)
        w.add_pr_curve("pr", labels, 0.3 * rng.random(200), 0, num_thresholds=11)  # untrained: nothing >= 0.5
        w.add_pr_curve("pr", labels, np.clip(0.4 * labels + 0.6 * rng.random(200), 0, 1), 1, num_thresholds=11)
        w.add_hparams({{"learning_rate": lr, "optimizer": opt, "batch_size": int(32 / lr ** 0.25), "dropout": 0.1 + lr,
                        "weight_decay": lr / 10, "augmentation": "flip+crop" if lr > 0.005 else "none"}},
                       {{"hparam/accuracy": acc, "hparam/validation_loss_at_the_end": 1 - acc + 0.003}})
d = SummaryWriter("runs/cards").show(height=1600)
"""

READ = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
if (!root) return null;
const card = (kind, tag) => root.querySelector(`[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`);
const img = card('images', 'samples');
const hp = card('hparams', 'sessions');
const pr = card('pr_curves', 'pr');
const rect = e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
const color = e => e ? getComputedStyle(e).backgroundColor : null;
return {
  events: Number(root.dataset.tbxEvents),
  runs: Array.from(root.querySelectorAll('.tbx-run')).map(li => [li.dataset.tbxRun, li.querySelector('.tbx-run-name').textContent,
    color(li.querySelector('.tbx-swatch')), li.dataset.tbxFolded || '']),
  rows: hp ? Array.from(hp.querySelectorAll('tbody tr')).map(tr => [tr.dataset.tbxRun, tr.children[0].textContent.trim(),
    color(tr.querySelector('.tbx-swatch'))]) : [],
  runList: (s => [s.overflowY, s.maxHeight])(getComputedStyle(root.querySelector('.tbx-run-list'))),
  smoothing: root.querySelector('input[aria-label="smoothing"]').value,
  smoothingNum: root.querySelector('input[aria-label="smoothing value"]').value,
  focused: document.activeElement ? document.activeElement.getAttribute('aria-label') : null,
  images: img ? Array.from(img.querySelectorAll('img.tbx-image')).map(i => [i.complete && i.naturalWidth > 0, i.width, i.height]) : [],
  // The card's size, and its slider's place within the card (page scrolling aside).
  imageCard: img ? rect(img).slice(2) : null,
  imageRange: img ? (([x, y], [cx, cy]) => [x - cx, y - cy])(rect(img.querySelector('.tbx-step-range')), rect(img)) : null,
  imageLabel: img ? img.querySelector('.tbx-step-label').textContent : null,
  dialog: img && img.querySelector('dialog') ? { open: img.querySelector('dialog').open,
    large: rect(img.querySelector('dialog img')), text: img.querySelector('dialog').textContent } : null,
  prStats: pr ? Array.from(pr.querySelectorAll('.tbx-pr-stats')).map(e => e.textContent) : [],
  prStep: pr ? pr.querySelector('.tbx-step-label').textContent : null,
};
"""


def _state(jupyter: Any) -> dict[str, Any]:
    return jupyter.js(READ)


def _click_left_end(slider: Any) -> None:
    """Click a step slider at its left end (its first step). The locator finds the slider when
    it clicks, once it is stable: cards coming into view are drawn then and may move it, so a
    position read beforehand can miss."""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    assert box is not None
    slider.click(position={"x": 4, "y": box["height"] / 2})


def _images_settled(jupyter: Any, label: str) -> dict[str, Any]:
    def ok() -> dict[str, Any] | None:
        s = _state(jupyter)
        if s["imageLabel"] != label or not s["images"] or not all(i[0] for i in s["images"]):
            return None
        return s

    return jupyter.poll(ok, 20, f"the image card at {label} with every image loaded")



def test_cards_and_controls(jupyter: Any) -> None:
    name = jupyter.server.write_notebook([LOG, "d.height = 500\nd"])
    jupyter.open(name)
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    assert not jupyter.cell_errors(), jupyter.cell_errors()
    app = jupyter.server.app
    page = jupyter.page
    # 1 root scalar; per training: 10 scalars, 10 images, 2 PR steps, 3 hparams records, 2 metrics.
    expected = 1 + 3 * (10 + 10 + 2 + 3 + 2)
    state = jupyter.poll(lambda: (lambda s: s if s and s["events"] == expected and len(s["rows"]) == 3 else None)(_state(jupyter)),
                         60, f"{expected} events and the HParams rows")

    # ---- runs panel: one entry per training (sessions folded in), the root named after the logdir.
    runs = {r[0]: r for r in state["runs"]}
    assert set(runs) == {".", "lr=0.1", "lr=0.01", "lr=0.001"}, state["runs"]
    assert runs["."][1] == "cards"
    assert state["runList"] == ["auto", "420px"]  # a long list scrolls inside the panel
    for lr in ("lr=0.1", "lr=0.01", "lr=0.001"):
        assert runs[lr][3].startswith(f"{lr}/"), runs[lr]  # the folded session run
    # HParams rows carry the training's name and colour.
    rows = {r[1]: r for r in state["rows"]}
    assert set(rows) == {"lr=0.1", "lr=0.01", "lr=0.001"}
    for lr, row in rows.items():
        assert row[0] == runs[lr][3]
        assert row[2] == runs[lr][2], (row, runs[lr])
    assert len({runs[lr][2] for lr in rows}) == 3

    # ---- keys inside the widget reach its controls (JupyterLab's shortcuts do not swallow them).
    smooth = page.locator('.tbx-dashboard input[aria-label="smoothing"]')
    smooth.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    state = jupyter.poll(lambda: (lambda s: s if s["smoothing"] == "0.62" else None)(_state(jupyter)), 10,
                         "ArrowRight to move the smoothing slider")
    assert state["smoothingNum"] == "0.62"
    # The number box applies on Enter, focus staying in it.
    num = page.locator('.tbx-dashboard input[aria-label="smoothing value"]')
    num.fill("0.9")
    num.press("Enter")
    state = jupyter.poll(lambda: (lambda s: s if s["smoothing"] == "0.9" else None)(_state(jupyter)), 10,
                         "Enter in the smoothing box to apply")
    assert state["focused"] == "smoothing value"

    # ---- image card: size and slider place unchanged across steps; keys move its slider.
    card = page.locator('[data-tbx-kind="images"][data-tbx-tag="samples"]')
    card.scroll_into_view_if_needed()
    before = _images_settled(jupyter, "step 90 (10/10)")
    assert all(i[1:] == [140, 140] for i in before["images"])  # 28 px grown x5 into the 160 px box
    step_range = card.locator(".tbx-step-range")
    step_range.focus()
    page.keyboard.press("ArrowLeft")
    # Right after the change, before the new images decode: nothing moved.
    now = _state(jupyter)
    assert now["imageLabel"] == "step 80 (9/10)"
    assert now["imageCard"] == before["imageCard"] and now["imageRange"] == before["imageRange"]
    for key, label in [("Home", "step 0 (1/10)"), ("ArrowRight", "step 10 (2/10)"), ("End", "step 90 (10/10)")]:
        page.keyboard.press(key)
        after = _images_settled(jupyter, label)
        assert after["imageCard"] == before["imageCard"], (label, after["imageCard"], before["imageCard"])
        assert after["imageRange"] == before["imageRange"], (label, after["imageRange"], before["imageRange"])
    _click_left_end(step_range)  # step 0
    after = _images_settled(jupyter, "step 0 (1/10)")
    assert after["imageCard"] == before["imageCard"] and after["imageRange"] == before["imageRange"]

    # ---- PR at step 0: no predicted positives at 0.5, said in words, never NaN.
    pr = page.locator('[data-tbx-kind="pr_curves"][data-tbx-tag="pr"]')
    # (The keys are checked on the image card above: here an occasional Home in Notebook 7 reached
    # the focused, enabled slider unprevented yet Chromium did not move it, so the mouse is used.)
    pr_step = pr.locator('input[aria-label="step"]')
    _click_left_end(pr_step)
    try:
        state = jupyter.poll(lambda: (lambda s: s if s["prStep"] == "step 0 (1/2)" else None)(_state(jupyter)), 10, "PR step 0")
    except pytest.fail.Exception as e:
        raise AssertionError(f"{e}; the PR card's step label: {_state(jupyter)['prStep']!r}") from None
    assert len(state["prStats"]) == 3
    for text in state["prStats"]:
        assert "NaN" not in text
        assert "precision – (no predicted positives at this threshold)" in text

    # ---- full width: the PR card spans its grid and its plot is redrawn at the new width.
    wide = """const card = document.querySelector('[data-tbx-kind="pr_curves"][data-tbx-tag="pr"]');
      const grid = card.parentElement;
      return [Math.round(card.getBoundingClientRect().width), Math.round(grid.getBoundingClientRect().width),
              card.querySelector('canvas').getBoundingClientRect().width];"""
    narrow_card, grid_width, narrow_canvas = jupyter.js(wide)
    assert narrow_card < grid_width
    pr.locator('button[aria-label="full width"]').click()
    wide_card, _, wide_canvas = jupyter.poll(lambda: (lambda w: w if w[0] == grid_width and w[2] > narrow_canvas + 100 else None)(jupyter.js(wide)),
                                             10, "the PR card at full width with a wider plot")
    pr.screenshot(path=str(jupyter.screenshot("pr-wide").parent / f"cards-pr-wide-{app}.png"))
    pr.locator('button[aria-label="full width"]').click()
    jupyter.poll(lambda: jupyter.js(wide)[0] == narrow_card, 10, "the PR card back in the grid")

    # ---- screenshots, light then dark: the cards, the runs panel, the enlarged image.
    artifacts = jupyter.screenshot("cards").parent
    for theme in ("light", "dark"):
        if theme == "dark":
            jupyter.set_theme(dark=True)
        panel = page.locator(".tbx-dashboard .tbx-runs")
        page.locator(".tbx-dashboard .tbx-toolbar").scroll_into_view_if_needed()
        top = panel.bounding_box()
        assert top is not None
        page.screenshot(path=str(artifacts / f"cards-runs-{app}-{theme}.png"),
                        clip={"x": top["x"], "y": top["y"], "width": top["width"], "height": min(top["height"], 200)})
        for kind, loc in [("hparams", page.locator('[data-tbx-kind="hparams"]')), ("images", card), ("pr", pr)]:
            loc.scroll_into_view_if_needed()
            loc.screenshot(path=str(artifacts / f"cards-{kind}-{app}-{theme}.png"))
        card.locator("img.tbx-image").first.click()
        state = jupyter.poll(lambda: (lambda s: s if s["dialog"] and s["dialog"]["open"] else None)(_state(jupyter)), 10,
                             "the enlarged image")
        assert state["dialog"]["large"][2] > 300, state["dialog"]  # the 28 px image shown much larger
        assert "step 0" in state["dialog"]["text"]
        page.screenshot(path=str(artifacts / f"cards-enlarged-{app}-{theme}.png"))
        page.keyboard.press("Escape")
        jupyter.poll(lambda: _state(jupyter)["dialog"] is None, 10, "Escape to close the enlarged image")
    jupyter.set_theme(dark=False)

    # ---- settings live in the widget's state: a second view of the same widget starts from them.
    page.locator('.tbx-dashboard select[aria-label="x axis"]').select_option("relative")
    page.locator('[data-tbx-section="images"] > summary').click()
    page.wait_for_timeout(500)  # the settings are stored 250 ms after the last change
    jupyter.run_cell(1)
    jupyter.wait_cell_done(1)
    second = jupyter.poll(lambda: jupyter.js("""
      const root = nb().content.widgets[1].node.querySelector('.tbx-dashboard');
      if (!root) return null;
      return [root.querySelector('input[aria-label="smoothing"]').value, root.querySelector('select[aria-label="x axis"]').value,
              root.querySelector('[data-tbx-section="images"]').open];
    """), 30, "the second view")
    assert second == ["0.9", "relative", False]
