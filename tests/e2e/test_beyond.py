"""Past TensorBoard's front end (issue 14) in a real JupyterLab 4: a card pinned with its 📌 button
moves to the "Pinned" section on top, the pin reaches the kernel's view_settings, and a re-rendered
view of the same widget (displayed again) shows it pinned too."""
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


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
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
    lab.poll(lambda: all(lab.js(READ)[1]["drawn"]) or None, 20, "the second view's pinned chart drawn")

    # Unpinned in the second view: both views put acc back in the scalars section.
    second = lab.page.locator(".tbx-dashboard").nth(1)
    second.locator('[data-tbx-section="pinned"] .tbx-card-pin').click()
    views = lab.poll(lambda: (lambda r: r if r and all(v["pinned"] == [] for v in r) else None)(lab.js(READ)), 20, "unpinned in both views")
    assert all("pinned" not in v["sections"] for v in views), views
