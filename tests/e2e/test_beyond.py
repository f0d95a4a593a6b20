"""Past TensorBoard's front end (issue 14) in JupyterLab 4 and Notebook 7: a card pinned with its pin button
moves to the "Pinned" section on top, the pin reaches the kernel's view_settings, and a re-rendered
view of the same widget (displayed again) shows it pinned too. A step clicked on a scalar chart, or
picked on any step slider, is shown by the image and text cards (nearest step at or before it);
an image card's brightness control filters its images in the page's style."""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LOG = """
from tbx_widget import Dashboard, SummaryWriter
with SummaryWriter("runs/beyond/a") as w:
    for s in range(20):
        w.add_scalar("loss", 1 / (s + 1), s)
        w.add_scalar("acc", s / 20, s)
        w.add_scalar("train/lr", 0.1, s)
d = Dashboard("runs/beyond", height=600)
d
"""

SETTINGS = "print('pinned:', d.view_settings.get('pinned'))"
AGAIN = "d"

# Per dashboard view on the page: the sections in order, and the tags of the pinned cards.
READ = """
return Array.from(document.querySelectorAll('.tbx-dashboard')).map(root => ({
  sections: Array.from(root.querySelectorAll('.tbx-main > .tbx-section')).filter(s => !s.hidden).map(s => s.dataset.tbxSection),
  pinned: Array.from(root.querySelectorAll('[data-tbx-section="pinned"] .tbx-card')).map(c => c.dataset.tbxTag),
  drawn: Array.from(root.querySelectorAll('[data-tbx-section="pinned"] .tbx-card')).map(c => !!(c.tbxChart && c.tbxChart.ctx.canvas.width)),
}));
"""


@pytest.mark.parametrize("jupyter", ["lab", "notebook"], indirect=True)
def test_a_pinned_card_goes_on_top_and_stays_pinned_in_a_rerendered_view(jupyter: Any) -> None:
    lab = jupyter
    name = lab.server.write_notebook([LOG, SETTINGS, AGAIN])
    lab.open(name)
    lab.run_cell(0)
    lab.wait_cell_done(0)
    assert not lab.cell_errors(), lab.cell_errors()
    lab.poll(lambda: lab.js(READ) and "scalars" in lab.js(READ)[0]["sections"] or None, 90, "the scalars section")
    assert lab.js(READ)[0]["pinned"] == []

    acc = lab.page.locator('.tbx-card[data-tbx-kind="scalars"][data-tbx-tag="acc"]').first
    acc.scroll_into_view_if_needed()
    acc.locator(".tbx-card-pin").click()
    first = lab.poll(lambda: (lambda r: r[0] if r and r[0]["pinned"] == ["acc"] else None)(lab.js(READ)), 20, "acc pinned")
    assert first["sections"][0] == "pinned", first
    lab.poll(lambda: all(lab.js(READ)[0]["drawn"]) or None, 20, "the pinned chart drawn")
    lab.screenshot("pinned")

    def kernel_has_it() -> str | None:
        lab.run_cell(1)
        lab.wait_cell_done(1)
        text = lab.cell_text(1)
        return text if "['scalars/acc']" in text else None

    lab.poll(kernel_has_it, 20, "view_settings.pinned in the kernel", interval=0.5)

    # The same widget displayed again: the new view starts with acc pinned and drawn.
    lab.run_cell(2)
    lab.wait_cell_done(2)
    views = lab.poll(lambda: (lambda r: r if r and len(r) == 2 and r[1]["pinned"] == ["acc"] else None)(lab.js(READ)), 60, "the second view")
    assert views[1]["sections"][0] == "pinned", views
    # a chart is drawn when it is in view (views/visibility.ts): bring the second view's up
    lab.page.locator('[data-tbx-section="pinned"] .tbx-card').nth(1).scroll_into_view_if_needed()
    lab.poll(lambda: all(lab.js(READ)[1]["drawn"]) or None, 20, "the second view's pinned chart drawn")

    # Unpinned in the second view: both views put acc back in the scalars section.
    second = lab.page.locator(".tbx-dashboard").nth(1)
    second.locator('[data-tbx-section="pinned"] .tbx-card-pin').click()
    views = lab.poll(lambda: (lambda r: r if r and all(v["pinned"] == [] for v in r) else None)(lab.js(READ)), 20, "unpinned in both views")
    assert all("pinned" not in v["sections"] for v in views), views


STEPS = """
import numpy as np
from tbx_widget import Dashboard, SummaryWriter
with SummaryWriter("runs/linked/a") as w:
    for s in range(5):
        w.add_scalar("loss", 1 / (s + 1), s)
        w.add_text("notes", f"notes at step {s}", s)
        if s % 2 == 0:
            w.add_image("img", np.full((3, 8, 8), s / 4, dtype=np.float32), s)
d = Dashboard("runs/linked", height=700)
d
"""

STEP_STATE = """
const root = document.querySelector('.tbx-dashboard');
if (!root) return null;
const label = (kind) => { const c = root.querySelector(`.tbx-card[data-tbx-kind="${kind}"] .tbx-step-label`); return c ? c.textContent : null; };
const text = root.querySelector('.tbx-card[data-tbx-kind="text"] .tbx-text-entry');
const bar = root.querySelector('.tbx-stepbar');
const loss = root.querySelector('.tbx-card[data-tbx-kind="scalars"][data-tbx-tag="loss"]');
const u = loss && loss.tbxChart;
return {
  bar: bar && !bar.hidden ? bar.dataset.tbxStep : null,  // "" linked, no step picked
  img: label('images'), notes: label('text'),  // add_text's tag is notes/text_summary
  text: text ? text.textContent : null,
  x2: u && u.ctx.canvas.width ? u.valToPos(2, 'x') : null,
};
"""


@pytest.mark.parametrize("jupyter", ["lab", "notebook"], indirect=True)
def test_a_step_clicked_on_a_chart_or_picked_on_a_slider_shows_in_the_other_cards(jupyter: Any) -> None:
    lab = jupyter
    name = lab.server.write_notebook([STEPS])
    lab.open(name)
    lab.run_cell(0)
    lab.wait_cell_done(0)
    assert not lab.cell_errors(), lab.cell_errors()
    lab.poll(lambda: (lambda r: r if r and r["x2"] is not None else None)(lab.js(STEP_STATE)), 90, "the loss chart drawn")
    lab.page.locator('.tbx-card[data-tbx-kind="text"]').first.scroll_into_view_if_needed()
    st = lab.poll(lambda: (lambda r: r if r["img"] and r["notes"] else None)(lab.js(STEP_STATE)), 30, "image and text cards")
    assert st["bar"] is None and st["img"] == "step 4 (3/3)" and st["notes"] == "step 4 (5/5)", st

    # Steps linked with a slider's link button; then a click at step 2 on the loss chart selects it.
    lab.page.locator('.tbx-card[data-tbx-kind="images"] .tbx-step-link').first.click()
    lab.poll(lambda: (lambda r: r if r and r["bar"] == "" else None)(lab.js(STEP_STATE)), 20, "steps linked")
    over = lab.page.locator('.tbx-card[data-tbx-kind="scalars"][data-tbx-tag="loss"] .u-over').first
    over.scroll_into_view_if_needed()
    x2 = lab.js(STEP_STATE)["x2"]
    box = over.bounding_box()
    lab.page.mouse.click(box["x"] + x2, box["y"] + box["height"] / 2)
    # (cards off screen catch up once the page is quiet: poll until both show it)
    st = lab.poll(lambda: (lambda r: r if r and r["bar"] == "2" and r["notes"] == "step 2 (3/5)" else None)(lab.js(STEP_STATE)), 20, "step 2 selected")
    assert st["img"] == "step 2 (2/3)" and st["notes"] == "step 2 (3/5)" and "notes at step 2" in st["text"], st
    lab.screenshot("step-2-selected")

    # Step 3 picked on the text card's slider: the image card shows step 2 (at or before 3).
    notes = lab.page.locator('.tbx-card[data-tbx-kind="text"] .tbx-step-range').first
    notes.scroll_into_view_if_needed()
    notes.focus()
    lab.page.keyboard.press("ArrowRight")
    st = lab.poll(lambda: (lambda r: r if r and r["bar"] == "3" and r["notes"] == "step 3 (4/5)" else None)(lab.js(STEP_STATE)), 20, "step 3 selected")
    assert st["img"] == "step 2 (2/3)" and st["notes"] == "step 3 (4/5)", st

    # "unlink" from the bar: both back to their newest step.
    lab.page.locator(".tbx-stepbar-unlink").first.click()
    st = lab.poll(lambda: (lambda r: r if r and r["bar"] is None and r["img"] == "step 4 (3/3)" and r["notes"] == "step 4 (5/5)" else None)(lab.js(STEP_STATE)), 20, "selection cleared")
    assert st["img"] == "step 4 (3/3)" and st["notes"] == "step 4 (5/5)", st

    # Brightness 0 on the image card: its thumbnail's computed filter (the stylesheet applies it).
    img_card = lab.page.locator('.tbx-card[data-tbx-kind="images"]').first
    img_card.scroll_into_view_if_needed()
    img_card.get_by_role("button", name="adjust").click()
    img_card.locator('input[aria-label="brightness"]').fill("0")
    filt = lab.poll(lambda: (lambda f: f if f and f != "none" else None)(lab.js(
        "const i = document.querySelector('.tbx-card[data-tbx-kind=\"images\"] img.tbx-image'); return i && getComputedStyle(i).filter;")),
        10, "the image filtered")
    assert filt == "brightness(0) contrast(1)", filt
    lab.screenshot("image-brightness-0")
