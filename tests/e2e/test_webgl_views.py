"""The 3-D views (issue 18) without WebGL, in a real JupyterLab 4: with ``getContext("webgl")``
failing (patched before the page loads), the surface, mesh and 3-D embedding cards still draw
through their canvas-2D painter, and dragging still rotates them. (With WebGL, the software-rendered
Chromium of these tests, see test_curve_cards.py and test_embedding_card.py.)"""
from __future__ import annotations

from typing import Any

import pytest

from harness import PIXELS_JS

pytestmark = pytest.mark.e2e

NO_WEBGL = """
(() => {
  const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    if (kind === 'webgl' || kind === 'webgl2' || kind === 'experimental-webgl') return null;
    return get.call(this, kind, ...rest);
  };
})();
"""

LOG = """
import numpy as np
from tbx_widget import SummaryWriter
gx, gy = np.linspace(-2, 2, 30), np.linspace(-1.5, 1.5, 20)
X, Y = np.meshgrid(gx, gy)
th, ph = np.meshgrid(np.linspace(0, np.pi, 13), np.linspace(0, 2 * np.pi, 13), indexing="ij")
v = np.stack([np.sin(th) * np.cos(ph), np.cos(th), np.sin(th) * np.sin(ph)], -1).reshape(-1, 3)
q = np.array([[i * 13 + j, i * 13 + j + 1, (i + 1) * 13 + j] for i in range(12) for j in range(12)])
c = np.stack([(v[:, 1] + 1) * 120, np.full(len(v), 90), (1 - v[:, 1]) * 120], -1)
rng = np.random.default_rng(0)
labels = np.repeat(np.arange(3), 40)
with SummaryWriter("runs/nogl/run1") as w:
    w.add_surface("loss", X ** 2 + 2 * Y ** 2, x=gx, y=gy, global_step=0)
    w.add_mesh("ball", v[None], colors=c[None], faces=q[None], global_step=0)
    w.add_embedding(np.eye(3, 8)[labels] * 10 + rng.normal(size=(120, 8)), metadata=[f"c{k}" for k in labels], global_step=0, tag="feat")
d = SummaryWriter("runs/nogl").show(height=1600)
"""

READ = PIXELS_JS + """
const root = document.querySelector('.tbx-dashboard');
if (!root) return null;
const card = (kind, tag) => root.querySelector(`[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`);
const sf = card('surfaces', 'loss'), me = card('meshes', 'ball'), em = card('embeddings', 'feat');
return {
  webgl: !!document.createElement('canvas').getContext('webgl'),
  renderers: [sf, me, em].map((c) => (c ? c.dataset.tbxRenderer || '' : null)),
  mode: em ? JSON.parse(em.dataset.tbxEmbedding || '{}').mode : null,
  surface: sf ? pix(sf.querySelector('canvas.tbx-surface-3d')) : null,
  mesh: me ? pix(me.querySelector('canvas.tbx-mesh-3d')) : null,
  emb: em ? pix(em.querySelector('canvas.tbx-emb-canvas')) : null,
};
"""


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_3d_views_fall_back_to_canvas_2d_without_webgl(jupyter: Any) -> None:
    page = jupyter.page
    page.add_init_script(NO_WEBGL)
    jupyter.open_and_run_first([LOG, "d"])
    emb = page.locator('[data-tbx-kind="embeddings"][data-tbx-tag="feat"]')
    emb.locator("select.tbx-emb-dims").select_option("3")
    state = jupyter.until(READ, lambda s: s["mode"] == 3 and all(p and p[0] > 1000 for p in (s["surface"], s["mesh"], s["emb"])),
                      "the three 3-D views drawn")
    assert state["webgl"] is False and state["renderers"] == ["canvas2d"] * 3, state

    for kind, tag, canvas, key in (("surfaces", "loss", "canvas.tbx-surface-3d", "surface"), ("meshes", "ball", "canvas.tbx-mesh-3d", "mesh"),
                                   ("embeddings", "feat", "canvas.tbx-emb-canvas", "emb")):
        before = jupyter.js(READ)
        jupyter.drag(page.locator(f'[data-tbx-kind="{kind}"][data-tbx-tag="{tag}"] {canvas}'), 70, 15)
        jupyter.until(READ, lambda s, k=key: s[k] != before[k] and s[k][0] > 1000, f"the {key} view rotated (canvas 2D)")
    artifacts = jupyter.screenshot("nowebgl").parent
    for kind, tag in (("surfaces", "loss"), ("meshes", "ball"), ("embeddings", "feat")):
        loc = page.locator(f'[data-tbx-kind="{kind}"][data-tbx-tag="{tag}"]')
        loc.scroll_into_view_if_needed()
        loc.screenshot(path=str(artifacts / f"nowebgl-{kind}-lab-light.png"))
