"""The Graphs section in a real JupyterLab: a torch model logged with add_graph is drawn (a box per
op or collapsed name scope), clicking a scope expands it, search highlights a node, the wheel
zooms and a drag pans. Screenshots, light and dark, go to test-artifacts/."""
from __future__ import annotations

import pathlib
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "logs"
pytest.importorskip("torch")

# The model is tests/graph_models.py (also traced by tests/test_graph.py), its source run in the kernel.
LOG = (pathlib.Path(__file__).resolve().parents[1] / "graph_models.py").read_text() + """
import warnings
from tbx_widget import SummaryWriter

w = SummaryWriter("runs/graph")
w.add_graph(Net(), torch.randn(2, 3, 8, 8))
w.add_scalar("loss", 1.0, 0)
w.close()
w.show(height=1200)
"""

KERAS = """
from tbx_widget import Dashboard
Dashboard("runs/keras", height=700)
"""

READ = """
const root = nb().content.widgets[arg ? arg.cell : 0].node.querySelector('.tbx-dashboard');
if (!root) return null;
const card = root.querySelector(`[data-tbx-kind="graphs"][data-tbx-tag="${arg ? arg.tag : 'graph_def'}"]`);
if (!card) return null;
const view = card.querySelector('.tbx-graph-view');
const world = card.querySelector('.tbx-graph-world');
return {
  leaves: Number(view.dataset.tbxLeaves || 0),
  nodes: Array.from(card.querySelectorAll('[data-node]')).map(g => g.dataset.node),
  scopes: Array.from(card.querySelectorAll('.tbx-graph-scope')).map(g => g.dataset.node),
  clusters: Array.from(card.querySelectorAll('[data-scope]')).map(g => g.dataset.scope),
  edges: card.querySelectorAll('.tbx-graph-edge').length,
  labels: Array.from(card.querySelectorAll('.tbx-graph-edge-label')).map(t => t.textContent),
  hit: (card.querySelector('.tbx-graph-hit') || {dataset: {}}).dataset.node || null,
  info: card.querySelector('.tbx-graph-info').textContent,
  status: card.querySelector('.tbx-card-note').textContent,
  zoom: Number(view.dataset.tbxZoom || 0),
  transform: world.getAttribute('transform'),
  width: Math.round(view.getBoundingClientRect().width),
};
"""



@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_graph_is_drawn_expanded_searched_zoomed(jupyter: Any) -> None:
    import shutil

    from tbx_widget import load

    shutil.copytree(FIXTURES / "keras", jupyter.server.root / "runs" / "keras")
    jupyter.open_and_run_first([LOG, KERAS])
    (graph,) = load(jupyter.server.root / "runs" / "graph").graphs(".")

    state = jupyter.poll(lambda: (lambda s: s if s and s["leaves"] > 0 else None)(jupyter.js(READ)), 60, "the graph drawn")
    page = jupyter.page
    card = page.locator('[data-tbx-kind="graphs"]')
    card.scroll_into_view_if_needed()
    # The model's own scope is open: its modules are boxes, the inputs and outputs beside it.
    assert state["leaves"] == len(state["nodes"]) >= 4
    assert "Net" in state["clusters"]
    assert {"Net/Block[block]", "Net/Sequential[seq]", "input", "output"} <= set(state["scopes"])
    assert state["edges"] >= 3
    assert "2×3×8×8" in state["labels"]  # the input's shape on its edge
    assert f"{len(graph.nodes)} nodes" in state["status"]
    assert state["width"] > 600  # the card spans the section

    # Clicking a collapsed scope opens it: its modules appear inside a box.
    card.locator('[data-node="Net/Block[block]"]').click()
    state = jupyter.poll(lambda: (lambda s: s if "Net/Block[block]" in s["clusters"] else None)(jupyter.js(READ)), 10, "the scope expanded")
    inside = [n for n in state["nodes"] if n.startswith("Net/Block[block]/")]
    assert {"Net/Block[block]/Conv2d[conv]", "Net/Block[block]/BatchNorm2d[bn]"} <= set(inside)
    assert "Net/Block[block]/input.3" in inside  # the relu op itself
    jupyter.screenshot("graph-expanded")

    # Search: the first match is revealed (its scopes opened), highlighted and described.
    linear = next(n.name for n in graph.nodes if n.op == "aten::linear")
    search = card.locator('input[aria-label="search nodes"]')
    search.fill(linear)
    state = jupyter.poll(lambda: (lambda s: s if s["hit"] == linear else None)(jupyter.js(READ)), 10, "the search hit")
    assert linear in state["nodes"] and "aten::linear" in state["info"]
    jupyter.screenshot("graph-search")

    # Wheel zooms about the pointer; a drag pans.
    view = card.locator(".tbx-graph-view")
    view.scroll_into_view_if_needed()
    box = view.bounding_box()
    assert box is not None
    # the middle of the part of the view that is on screen (the view can be taller than the
    # page, or moved by a card above it drawn as it came into view): the wheel must land on it
    height = page.viewport_size["height"]
    top, bottom = max(box["y"], 0), min(box["y"] + box["height"], height)
    assert bottom - top > 100, (box, height)
    box = {**box, "y": top, "height": bottom - top}
    before = state["zoom"]
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    state = jupyter.poll(lambda: (lambda s: s if s["zoom"] > before * 1.2 else None)(jupyter.js(READ)), 10, "zoom in")
    moved_from = state["transform"]
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=5)
    page.mouse.up()
    state = jupyter.poll(lambda: (lambda s: s if s["transform"] != moved_from else None)(jupyter.js(READ)), 10, "pan")
    card.locator('button:has-text("fit")').click()

    artifacts = jupyter.screenshot("graph").parent
    for theme in ("light", "dark"):
        if theme == "dark":
            jupyter.set_theme(dark=True)
        card.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        card.screenshot(path=str(artifacts / f"graph-{jupyter.server.app}-{theme}.png"))
    jupyter.set_theme(dark=False)

    # A Keras model config (the graph_keras_model plugin, from the TF2/Keras fixture): its layers in
    # the model's scope, the shapes between them on the edges.
    jupyter.run_cell(1)
    jupyter.wait_cell_done(1)
    assert not jupyter.cell_errors(), jupyter.cell_errors()
    keras_read = {"cell": 1, "tag": "keras"}
    state = jupyter.poll(lambda: (lambda s: s if s and s["leaves"] > 0 else None)(jupyter.js(READ, keras_read)), 60, "the Keras graph drawn")
    assert sorted(state["nodes"]) == ["sequential/dense", "sequential/dense_1", "sequential/input_layer"]
    assert state["clusters"] == ["sequential"]
    assert {"?×4", "?×8"} <= set(state["labels"])
    assert "Keras model" in state["status"]
    keras_card = page.locator('[data-tbx-kind="graphs"][data-tbx-tag="keras"]')
    keras_card.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    keras_card.screenshot(path=str(artifacts / f"graph-keras-{jupyter.server.app}.png"))
