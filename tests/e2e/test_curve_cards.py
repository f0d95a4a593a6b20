"""Curves and surfaces (issue 18) in a real JupyterLab 4: a curve card and a surface card draw
(pixels on their canvases), their step sliders change the picture, dragging the 3-D view rotates
it. Screenshots of both cards in light and dark theme go to test-artifacts/."""
from __future__ import annotations

from typing import Any

import pytest

from harness import PIXELS_JS

pytestmark = pytest.mark.e2e

LOG = """
import numpy as np
from tbx_widget import SummaryWriter
x = np.linspace(-3, 3, 200)
gx, gy = np.linspace(-2, 2, 40), np.linspace(-1.5, 1.5, 30)
X, Y = np.meshgrid(gx, gy)
with SummaryWriter("runs/curves/fit") as w:
    for step in range(5):
        a = (step + 1) / 5
        w.add_curve("fit", x, {"model": np.tanh(a * x), "target": np.tanh(x)}, step)
        w.add_surface("loss", X, Y, (X - a) ** 2 + 2 * (Y + a / 2) ** 2, step)  # the tutorials' (x, y, z) order
    # A sphere of 20 x 20 quads (two triangles each), coloured by height; squashed at step 1.
    th, ph = np.meshgrid(np.linspace(0, np.pi, 21), np.linspace(0, 2 * np.pi, 21), indexing="ij")
    v = np.stack([np.sin(th) * np.cos(ph), np.cos(th), np.sin(th) * np.sin(ph)], -1).reshape(-1, 3)
    q = np.array([[i * 21 + j, i * 21 + j + 1, (i + 1) * 21 + j] for i in range(20) for j in range(20)]
                 + [[i * 21 + j + 1, (i + 1) * 21 + j + 1, (i + 1) * 21 + j] for i in range(20) for j in range(20)])
    c = np.stack([(v[:, 1] + 1) * 120, np.full(len(v), 90), (1 - v[:, 1]) * 120], -1)
    for step, squash in ((0, 1.0), (1, 0.4)):
        w.add_mesh("sphere", (v * [1, squash, 1])[None], colors=c[None], faces=q[None], global_step=step)
d = SummaryWriter("runs/curves").show(height=1400)
"""

LIVE = """
with SummaryWriter("runs/curves/fit") as w:  # a new step while the dashboard is shown
    w.add_curve("fit", x, {"model": np.tanh(2 * x), "target": np.tanh(x)}, 9)
"""

READ = PIXELS_JS + """
const root = document.querySelector('.tbx-dashboard');
if (!root) return null;
const card = (kind, tag) => root.querySelector(`[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`);
const cv = card('curves', 'fit'), sf = card('surfaces', 'loss'), me = card('meshes', 'sphere');
return {
  events: Number(root.dataset.tbxEvents),
  curves: cv ? JSON.parse(cv.dataset.tbxCurves || '{}') : null,
  curvePix: cv ? pix(cv.querySelector('canvas')) : null,
  curveStep: cv ? cv.querySelector('.tbx-step-label').textContent : null,
  surface: sf ? JSON.parse(sf.dataset.tbxSurface || '{}') : null,
  yaw: sf ? sf.dataset.tbxYaw : null,
  heatPix: sf ? pix(sf.querySelector('canvas.tbx-surface-heat')) : null,
  viewPix: sf ? pix(sf.querySelector('canvas.tbx-surface-3d')) : null,
  mesh: me ? JSON.parse(me.dataset.tbxMesh || '{}') : null,
  meshYaw: me ? me.dataset.tbxYaw : null,
  meshPix: me ? pix(me.querySelector('canvas')) : null,
  renderers: [sf ? sf.dataset.tbxRenderer : null, me ? me.dataset.tbxRenderer : null],
};
"""


def _click_left_end(page: Any, loc: Any) -> None:
    loc.scroll_into_view_if_needed()
    box = loc.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] / 2)



@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_curve_and_surface_cards_draw_and_follow_the_slider(jupyter: Any) -> None:
    jupyter.open_and_run_first([LOG, "d", LIVE])
    page = jupyter.page
    state = jupyter.until(READ, lambda s: s["events"] == 12 and s["meshPix"] and s["meshPix"][0] > 1000 and s["curvePix"] and s["heatPix"] and s["viewPix"]
                      and s["curvePix"][0] > 1000 and s["heatPix"][0] > 1000 and s["viewPix"][0] > 1000,
                      "both cards drawn at the last step")
    assert state["curves"] == {"fit": [4, 2, 200]}
    assert state["surface"]["step"] == 4 and (state["surface"]["nx"], state["surface"]["ny"]) == (40, 30)
    assert state["renderers"] == ["webgl", "webgl"], state["renderers"]  # the 3-D views drawn by WebGL (software-rendered here)

    # ---- the curve card's slider: step 0 is another picture.
    curve = page.locator('[data-tbx-kind="curves"][data-tbx-tag="fit"]')
    _click_left_end(page, curve.locator('input[aria-label="step"]'))
    after = jupyter.until(READ, lambda s: s["curves"] == {"fit": [0, 2, 200]} and s["curvePix"] and s["curvePix"] != state["curvePix"],
                      "the curve card at step 0, redrawn")
    assert after["curveStep"] == "step 0 (1/5)"
    # Pin step 0: it stays drawn (fainter) at the last step; overlay then adds the steps between.
    curve.get_by_role("button", name="pin").click()
    curve.locator('input[aria-label="step"]').press("End")
    last = jupyter.until(READ, lambda s: s["curves"] == {"fit": [4, 2, 200]} and s["curvePix"] and s["curvePix"][0] > state["curvePix"][0],
                     "the curve card back at step 4, with step 0 pinned")
    curve.get_by_role("button", name="overlay").click()
    jupyter.until(READ, lambda s: s["curvePix"] and s["curvePix"][0] > last["curvePix"][0], "more lines drawn with the overlay")
    # Live: a step logged after the dashboard opened reaches the card, which follows the newest step.
    jupyter.run_cell(2)
    jupyter.wait_cell_done(2)
    live = jupyter.until(READ, lambda s: s["curves"] == {"fit": [9, 2, 200]}, "the curve card at the step logged live")
    assert live["curveStep"] == "step 9 (6/6)"

    # ---- the surface card's slider and rotation.
    surface = page.locator('[data-tbx-kind="surfaces"][data-tbx-tag="loss"]')
    before = jupyter.js(READ)
    _click_left_end(page, surface.locator('input[aria-label="step"]'))
    moved = jupyter.until(READ, lambda s: s["surface"].get("step") == 0 and s["heatPix"] != before["heatPix"] and s["viewPix"] != before["viewPix"],
                      "the surface card at step 0, both views redrawn")
    jupyter.drag(surface.locator("canvas.tbx-surface-3d"), 80, 10)
    jupyter.until(READ, lambda s: s["yaw"] != moved["yaw"] and s["viewPix"] != moved["viewPix"] and s["heatPix"] == moved["heatPix"],
              "the 3-D view rotated (the heatmap unchanged)")

    # ---- the mesh card: the last step (squashed), step 0 another picture, dragging rotates it.
    assert state["mesh"] == {"run": "fit", "step": 1, "vertices": 441, "faces": 800}, state["mesh"]
    mesh = page.locator('[data-tbx-kind="meshes"][data-tbx-tag="sphere"]')
    before = jupyter.js(READ)
    _click_left_end(page, mesh.locator('input[aria-label="step"]'))
    moved = jupyter.until(READ, lambda s: s["mesh"].get("step") == 0 and s["meshPix"] != before["meshPix"], "the mesh card at step 0, redrawn")
    jupyter.drag(mesh.locator("canvas"), 60, 30)
    jupyter.until(READ, lambda s: s["meshYaw"] != moved["meshYaw"] and s["meshPix"] != moved["meshPix"], "the mesh rotated")

    # ---- screenshots, light then dark.
    artifacts = jupyter.screenshot("curves").parent
    for theme in ("light", "dark"):
        if theme == "dark":
            jupyter.set_theme(dark=True)
        for kind, loc in (("curve", curve), ("surface", surface), ("mesh", mesh)):
            loc.scroll_into_view_if_needed()
            loc.screenshot(path=str(artifacts / f"curves-{kind}-lab-{theme}.png"))
    jupyter.set_theme(dark=False)
