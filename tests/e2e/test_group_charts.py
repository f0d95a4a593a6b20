"""Run groups in a real JupyterLab 4: four per-rank runs gpu_0..gpu_3, grouped with the toolbar's
"group runs" control, draw as one line with a min-max band (pixels), the tooltip names the group
with its 4 runs, and the setting reaches the kernel's view_settings."""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LOG = """
import math
from tbx_widget import Dashboard, SummaryWriter
for r in range(4):
    with SummaryWriter(f"runs/groups/gpu_{r}") as w:
        for s in range(30):
            w.add_scalar("loss", r + 0.1 * math.sin(s), s)
d = Dashboard("runs/groups", height=700)
d
"""

SETTINGS = "print('group:', d.view_settings.get('group'))"

# The loss card: its groups, its lines, and the alpha of the canvas where the band is (between
# the group's mean 1.5 and max 3, away from every run's own line) at step 15.
READ = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const card = root && root.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]');
const u = card && card.tbxChart;
if (!u || !u.ctx.canvas.width) return null;
const px = (x, y) => u.ctx.getImageData(Math.round(u.valToPos(x, 'x', true)), Math.round(u.valToPos(y, 'y', true)), 1, 1).data;
return {
  groups: JSON.parse(card.dataset.tbxGroups || '{}'),
  series: u.series.length,
  bands: (u.bands || []).length,
  bandAlpha: px(15, 2.45)[3],
  meanAlpha: px(15, u.data[2][Array.from(u.data[0]).indexOf(15)])[3],
};
"""

TIP = """
const tip = document.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"] .tbx-chart-tip');
if (!tip || tip.hidden) return null;
return Array.from(tip.querySelectorAll('.tbx-tip-name')).map(e => e.textContent);
"""


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_per_rank_runs_draw_as_one_group_with_a_band(jupyter: Any) -> None:
    lab = jupyter
    name = lab.server.write_notebook([LOG, SETTINGS])
    lab.open(name)
    lab.run_cell(0)
    lab.wait_cell_done(0)
    assert not lab.cell_errors(), lab.cell_errors()
    ungrouped = lab.poll(lambda: (lambda s: s if s and s["series"] == 9 else None)(lab.js(READ)), 90, "4 runs drawn")
    assert ungrouped["groups"] == {} and ungrouped["bands"] == 0
    assert ungrouped["bandAlpha"] == 0, ungrouped  # nothing drawn between the runs' lines

    lab.page.locator('.tbx-group select[aria-label="group runs"]').first.select_option("ranks")
    grouped = lab.poll(lambda: (lambda s: s if s and s["groups"] else None)(lab.js(READ)), 20, "the group drawn")
    assert grouped["groups"] == {"gpu_*": ["gpu_0", "gpu_1", "gpu_2", "gpu_3"]}, grouped
    assert grouped["bands"] == 1, grouped
    # x, centre raw, centre smoothed, band lower and upper, member count
    assert grouped["series"] == 6, grouped
    assert grouped["bandAlpha"] > 0, grouped  # the band's fill
    assert grouped["meanAlpha"] > grouped["bandAlpha"], grouped  # the mean line over it
    lab.screenshot("grouped")

    over = lab.page.locator('[data-tbx-kind="scalars"][data-tbx-tag="loss"] .u-over').first
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    lab.page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    names = lab.poll(lambda: lab.js(TIP), 10, "the tooltip")
    assert names == ["gpu_* (4 runs)"], names
    lab.page.mouse.move(0, 0)

    # The setting is kept with the others in the widget's view_settings.
    def kernel_has_it() -> str | None:
        lab.run_cell(1)
        lab.wait_cell_done(1)
        text = lab.cell_text(1)
        return text if "'by': 'ranks'" in text else None

    text = lab.poll(kernel_has_it, 20, "view_settings.group in the kernel", interval=0.5)
    assert "'band': 'minmax'" in text and "'stat': 'mean'" in text, text
