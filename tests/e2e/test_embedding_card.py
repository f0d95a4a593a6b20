"""Embeddings (issue 18) in a real JupyterLab 4: three Gaussian clusters logged with add_embedding
(labels, a class column, label_img sprites) draw as three separated colour groups (pixels, after
the browser's PCA); hovering a point shows its label and thumbnail; a search highlights the
matches; 3-D mode rotates on drag. Screenshots in light and dark theme go to test-artifacts/."""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LOG = """
import numpy as np
from tbx_widget import SummaryWriter
rng = np.random.default_rng(0)
per, dims = 60, 16
labels = np.repeat(np.arange(3), per)
mat = np.eye(3, dims)[labels] * 12 + rng.normal(size=(3 * per, dims))
meta = [[f"p{c}_{i % per}", f"class{c}"] for i, c in enumerate(labels)]
img = np.zeros((3 * per, 3, 8, 8))
for i, c in enumerate(labels):
    img[i, c] = 1.0  # red, green or blue thumbnails
with SummaryWriter("runs/emb/run1") as w:
    w.add_scalar("loss", 1.0, 0)
    w.add_embedding(mat, metadata=meta, label_img=img, global_step=5, tag="features", metadata_header=["name", "class"])
d = SummaryWriter("runs/emb").show(height=900)
"""

LIVE = """
big = np.eye(3, 50)[np.repeat(np.arange(3), 1000)] * 12 + rng.normal(size=(3000, 50))
with SummaryWriter("runs/emb/run1") as w:  # a larger embedding, logged while the dashboard is shown
    w.add_embedding(big, metadata=[f"q{i}" for i in range(3000)], global_step=9, tag="features")
"""

READ = """
const root = document.querySelector('.tbx-dashboard');
if (!root) return null;
const card = root.querySelector('[data-tbx-kind="embeddings"][data-tbx-tag="features"]');
if (!card) return {events: Number(root.dataset.tbxEvents)};
const c = card.querySelector('canvas.tbx-emb-canvas');
const hexes = ['#0072B2', '#9966FF', '#669999'];
const groups = hexes.map((hx) => { const v = parseInt(hx.slice(1), 16); return {rgb: [(v >> 16) & 255, (v >> 8) & 255, v & 255], n: 0, sx: 0, sy: 0, sxx: 0, syy: 0}; });
let drawn = 0, sum = 0;
if (c && c.width) {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] < 200) continue;
    drawn++;
    sum = (sum * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1000000007;
    const x = (i / 4) % c.width, y = Math.floor(i / 4 / c.width);
    for (const g of groups) {
      if (Math.abs(d[i] - g.rgb[0]) + Math.abs(d[i + 1] - g.rgb[1]) + Math.abs(d[i + 2] - g.rgb[2]) < 60) { g.n++; g.sx += x; g.sy += y; g.sxx += x * x; g.syy += y * y; }
    }
  }
}
const tip = card.querySelector('.tbx-emb-tip');
return {
  events: Number(root.dataset.tbxEvents),
  emb: JSON.parse(card.dataset.tbxEmbedding || '{}'),
  first: card.dataset.tbxFirstPoint || '',
  hover: card.dataset.tbxHover || '',
  thumb: card.dataset.tbxThumb || '',
  tip: tip && tip.style.display !== 'none' ? tip.textContent : '',
  matches: Number(card.dataset.tbxMatches),
  pix: [drawn, sum],
  groups: groups.map((g) => g.n ? {n: g.n, cx: g.sx / g.n, cy: g.sy / g.n, spread: Math.sqrt(Math.max(0, g.sxx / g.n - (g.sx / g.n) ** 2 + g.syy / g.n - (g.sy / g.n) ** 2))} : {n: 0}),
  yaw: card.dataset.tbxDrawn,
  renderer: card.dataset.tbxRenderer || '',
  projection: card.dataset.tbxProjection || '',
  where: card.dataset.tbxUmapWhere || '',
  note: (card.querySelector('.tbx-card-note') || {}).textContent || '',
};
"""



def _separated(groups: list[dict[str, Any]]) -> bool:
    if any(g["n"] < 50 for g in groups):
        return False
    far = min(((a["cx"] - b["cx"]) ** 2 + (a["cy"] - b["cy"]) ** 2) ** 0.5 for i, a in enumerate(groups) for b in groups[i + 1 :])
    return far > 3 * max(g["spread"] for g in groups)


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_embedding_card_draws_three_clusters_hover_and_search(jupyter: Any) -> None:
    jupyter.open_and_run_first([LOG, "d", LIVE])
    page = jupyter.page
    state = jupyter.until(READ, lambda s: s.get("emb", {}).get("points") == 180 and s["pix"][0] > 500, "the embedding card drawn")
    assert state["emb"] | {"pcaMs": 0} == {"run": "run1", "step": 5, "points": 180, "dims": 16, "colorBy": "class", "mode": 2, "pcaMs": 0}
    assert _separated(state["groups"]), state["groups"]  # three colour groups, apart from each other

    # ---- hover the first point (p0_0, class0): its label and its thumbnail.
    card = page.locator('[data-tbx-kind="embeddings"][data-tbx-tag="features"]')
    canvas = card.locator("canvas.tbx-emb-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y = (float(v) for v in state["first"].split(","))
    page.mouse.move(box["x"] + x, box["y"] + y)
    hovered = jupyter.until(READ, lambda s: s["hover"] and s["thumb"] == "0", "the hover label and thumbnail of point 0")
    assert hovered["hover"] == "class0" and "name: p0_0" in hovered["tip"], hovered
    artifacts = jupyter.screenshot("embeddings").parent
    card.screenshot(path=str(artifacts / "embeddings-hover-lab-light.png"))
    page.mouse.move(box["x"] + 2, box["y"] + 2)

    # ---- search: the matches drawn on top with a ring, the rest faded.
    card.locator("input.tbx-emb-search").fill("class1")
    searched = jupyter.until(READ, lambda s: s["matches"] == 60 and s["pix"] != state["pix"], "60 matches highlighted")
    g = searched["groups"]
    assert g[1]["n"] > 50 and g[0]["n"] < state["groups"][0]["n"] / 3, g  # class1 solid, the others faded
    card.screenshot(path=str(artifacts / "embeddings-search-lab-light.png"))
    card.locator("input.tbx-emb-search").fill("")
    jupyter.until(READ, lambda s: s["matches"] == -1 and s["pix"] == state["pix"], "the search cleared")

    # ---- 3-D: dragging rotates the picture.
    card.locator("select.tbx-emb-dims").select_option("3")
    three = jupyter.until(READ, lambda s: s["emb"].get("mode") == 3 and s["pix"] != state["pix"], "the 3-D view")
    assert three["renderer"] == "webgl" and _separated(three["groups"]), three  # WebGL points, still three groups
    jupyter.drag(canvas, 80, 20)
    jupyter.until(READ, lambda s: s["pix"] != three["pix"], "the 3-D view rotated")
    card.screenshot(path=str(artifacts / "embeddings-3d-lab-light.png"))
    card.locator("select.tbx-emb-dims").select_option("2")
    jupyter.until(READ, lambda s: s["emb"].get("mode") == 2, "back to 2-D")

    # ---- UMAP (umap-js, in slices): another picture, the three groups still apart, its epochs in the note.
    card.locator("select.tbx-emb-dims").select_option("u2")
    umap = jupyter.until(READ, lambda s: s["projection"].startswith("umap:done") and s["pix"][0] > 500 and s["pix"] != state["pix"],
                     "the UMAP layout finished")
    assert _separated(umap["groups"]) and "UMAP 2-D: " in umap["note"] and " epochs" in umap["note"], umap
    assert umap["where"] == "worker", umap  # umap-js in a Web Worker made from the bundle's Blob
    card.screenshot(path=str(artifacts / "embeddings-umap-lab-light.png"))
    card.locator("select.tbx-emb-dims").select_option("u3")
    umap3 = jupyter.until(READ, lambda s: s["projection"].startswith("umap:done") and s["emb"].get("mode") == 3 and s["renderer"] == "webgl",
                      "the UMAP 3-D layout finished")
    assert _separated(umap3["groups"]), umap3["groups"]
    jupyter.drag(canvas, -70, 25)
    jupyter.until(READ, lambda s: s["pix"] != umap3["pix"], "the UMAP 3-D view rotated")
    card.screenshot(path=str(artifacts / "embeddings-umap3d-lab-light.png"))
    card.locator("select.tbx-emb-dims").select_option("2")
    jupyter.until(READ, lambda s: s["projection"] == "pca" and s["pix"] == state["pix"], "back to the PCA")

    # ---- dark theme: still three separated groups.
    jupyter.set_theme(dark=True)
    dark = jupyter.until(READ, lambda s: s["pix"][0] > 500 and _separated(s["groups"]), "three groups in the dark theme")
    assert dark["emb"]["points"] == 180
    card.screenshot(path=str(artifacts / "embeddings-lab-dark.png"))
    card.locator("select.tbx-emb-dims").select_option("u3")  # the finished UMAP 3-D layout, WebGL on the dark theme
    dark3 = jupyter.until(READ, lambda s: s["projection"].startswith("umap:done") and s["emb"].get("mode") == 3 and _separated(s["groups"]),
                      "the UMAP 3-D view in the dark theme")
    assert dark3["renderer"] == "webgl", dark3
    card.screenshot(path=str(artifacts / "embeddings-umap3d-lab-dark.png"))
    card.locator("select.tbx-emb-dims").select_option("2")
    jupyter.until(READ, lambda s: s["projection"] == "pca", "back to the PCA")
    jupyter.set_theme(dark=False)
    card.screenshot(path=str(artifacts / "embeddings-lab-light.png"))

    # ---- live: 3,000 points x 50 dims logged now reach the card (the newest step), PCA'd in the browser;
    # its only column (3,000 distinct labels) does not colour, so none is picked.
    jupyter.run_cell(2)
    jupyter.wait_cell_done(2)
    assert not jupyter.cell_errors(), jupyter.cell_errors()
    big = jupyter.until(READ, lambda s: s["emb"].get("step") == 9 and s["emb"].get("points") == 3000 and s["pix"][0] > 500,
                    "the live embedding of step 9 drawn")
    assert big["emb"]["dims"] == 50 and big["emb"]["colorBy"] == "" and big["emb"]["pcaMs"] < 1000, big["emb"]
    print(f"browser PCA of 3,000 x 50: {big['emb']['pcaMs']} ms")
    assert card.locator(".tbx-step-label").text_content() == "step 9 (2/2)"
    card.screenshot(path=str(artifacts / "embeddings-3000-lab-light.png"))

    # ---- UMAP of the 3,000 points: progress in the note, 'stop' stops it where it is, 'resume' goes on;
    # the page's longest wait for a 20 ms timer meanwhile (the worker keeps the page free) is printed.
    jupyter.js("""window.__tbxGap = 0; let last = performance.now();
      window.__tbxTimer = setInterval(() => { const t = performance.now(); window.__tbxGap = Math.max(window.__tbxGap, t - last); last = t; }, 20);""")
    card.locator("select.tbx-emb-dims").select_option("u2")
    moving = jupyter.until(READ, lambda s: s["projection"].startswith("umap:layout:"), "the UMAP layout of 3,000 points under way", 120)
    assert "UMAP 2-D: epoch " in moving["note"] and moving["where"] == "worker", moving
    gap = jupyter.js("clearInterval(window.__tbxTimer); return window.__tbxGap;")
    print(f"UMAP of 3,000 x 50 in the worker: longest timer gap on the page {gap:.0f} ms until the layout moved")
    card.locator("button.tbx-emb-umap-stop").click()
    stopped = jupyter.until(READ, lambda s: s["projection"].startswith("umap:stopped:"), "UMAP stopped")
    page.wait_for_timeout(1500)
    still = jupyter.js(READ)
    assert still["projection"] == stopped["projection"] and "stopped at epoch" in still["note"], (stopped, still)
    assert card.locator("button.tbx-emb-umap-stop").text_content() == "resume"
    card.screenshot(path=str(artifacts / "embeddings-umap-3000-stopped-lab-light.png"))
    card.locator("button.tbx-emb-umap-stop").click()
    jupyter.until(READ, lambda s: s["projection"] != stopped["projection"] and not s["projection"].startswith("umap:stopped"), "UMAP resumed")
    card.locator("select.tbx-emb-dims").select_option("2")
    jupyter.until(READ, lambda s: s["projection"] == "pca", "back to the PCA")
