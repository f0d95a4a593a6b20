"""The static SVG fallback (snapshot.py) and the offline HTML export's preprocessors (nbexport.py)."""
from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import tbx_widget
from tbx_widget import SummaryWriter
from tbx_widget.nbexport import WIDGET_STATE, WIDGET_VIEW, export_html, refresh_fallbacks, static_fallbacks
from tbx_widget.snapshot import run_label, snapshot_html


def _polylines(page: str) -> list[list[tuple[float, float]]]:
    out = []
    for pts in re.findall(r"points=['\"]([^'\"]*)['\"]", page):
        out.append([tuple(map(float, p.split(","))) for p in pts.split()])
    return out


def _area(points: list[tuple[float, float]]) -> float:
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _write(logdir, run, values, steps=None):
    with SummaryWriter(str(logdir / run) if run != "." else str(logdir)) as w:
        for step, v in zip(steps if steps is not None else range(len(values)), values):
            w.add_scalar("loss", v, step)


def test_curves_are_open_lines_even_when_filled(tmp_path):
    _write(tmp_path, ".", np.exp(-np.arange(50) / 10.0))
    _write(tmp_path, "b", [3.0, 1.0, 2.0, 0.5], steps=[3, 0, 2, 1])  # written out of step order
    page = snapshot_html(tbx_widget.load(tmp_path), title=str(tmp_path))
    lines = _polylines(page)
    assert len(lines) == 2
    for pts in lines:
        # A filled polyline is closed from its last point to its first; the curve encloses no
        # area and ends where it started, so no closing segment and no fill can show.
        assert pts[0] == pts[-1]
        assert _area(pts) == pytest.approx(0.0, abs=1e-6)
        forward = pts[: (len(pts) + 1) // 2]
        assert [p[0] for p in forward] == sorted(p[0] for p in forward)  # drawn in step order
    assert "fill='none'" in page


def test_decimated_curve_stays_open_and_in_order(tmp_path):
    rng = np.random.default_rng(0)
    _write(tmp_path, "long", rng.normal(size=3000))
    (pts,) = _polylines(snapshot_html(tbx_widget.load(tmp_path)))
    forward = pts[: (len(pts) + 1) // 2]
    assert len(forward) <= 400
    assert pts[0] == pts[-1] and _area(pts) == pytest.approx(0.0, abs=1e-6)
    assert [p[0] for p in forward] == sorted(p[0] for p in forward)


def test_root_run_is_named_after_the_logdir(tmp_path):
    logdir = tmp_path / "experiment7"
    _write(logdir, ".", [1.0, 0.5])
    _write(logdir, "other", [1.0, 0.7])
    page = snapshot_html(tbx_widget.load(logdir), title=str(logdir))
    assert "<title>experiment7</title>" in page and "<title>other</title>" in page
    assert "<title>.</title>" not in page and " .: " not in page
    assert "experiment7: 0.5" in page
    assert run_label(".", "") == "(root)"
    assert run_label(".", "/") == "(root)"
    assert run_label(".", "runs/quick/") == "quick"
    assert run_label("a/b", "runs") == "a/b"


def test_constant_series_is_drawn_mid_card(tmp_path):
    _write(tmp_path, ".", [0.001] * 5)
    (pts,) = _polylines(snapshot_html(tbx_widget.load(tmp_path)))
    assert {y for _, y in pts} == {60.0}


def test_names_are_escaped(tmp_path):
    _write(tmp_path, "<img src=x onerror=alert(1)>", [1.0, 2.0])
    page = snapshot_html(tbx_widget.load(tmp_path), title="<b>")
    assert "<img" not in page and "&lt;img" in page and "<code>&lt;b&gt;</code>" in page


def _notebook(state: dict, html: str = "<div class='tbx-snapshot'>no scalars yet.</div>") -> dict:
    view = {"version_major": 2, "version_minor": 1, "model_id": "m1"}
    return {
        "metadata": {"widgets": {WIDGET_STATE: {"version_major": 2, "version_minor": 0,
                                                "state": {"m1": {"model_name": "AnyModel", "state": state}}}}},
        "cells": [
            {"cell_type": "code", "source": "", "outputs": [
                {"output_type": "display_data", "metadata": {},
                 "data": {WIDGET_VIEW: view, "text/html": html, "text/plain": "Dashboard()"}},
                {"output_type": "display_data", "metadata": {},
                 "data": {WIDGET_VIEW: {"version_major": 2, "version_minor": 1, "model_id": "slider"},
                          "text/plain": "IntSlider()"}},
            ]},
        ],
    }


def test_preprocessor_redraws_from_the_logdir_on_disk(tmp_path):
    _write(tmp_path / "runs", "a", [1.0, 0.5, 0.25])
    nb = _notebook({"logdir": "runs", "_snapshot": "{}"})  # saved before the trait's rename
    nb, _ = static_fallbacks(nb, {"metadata": {"path": str(tmp_path)}})
    dashboard, slider = nb["cells"][0]["outputs"]
    assert WIDGET_VIEW not in dashboard["data"]  # nbconvert then chooses the HTML
    html = dashboard["data"]["text/html"]
    assert "no scalars yet" not in html and "a: 0.25" in html and len(_polylines(html)) == 1
    # The view tag stays for an online widget renderer, hiding the snapshot once it draws.
    assert json.dumps({"version_major": 2, "version_minor": 1, "model_id": "m1"}) in html
    assert ":has(.tbx-header)" in html
    assert WIDGET_VIEW in slider["data"]  # other widgets are left alone
    # The saved state a live renderer draws from is brought up to date from disk as well.
    state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]["m1"]["state"]
    saved = json.loads(state["_saved_curves"])
    assert "_snapshot" not in state  # the old trait's stale curves go
    assert saved["runs"] == ["a"] and saved["series"][0]["value"] == [1.0, 0.5, 0.25]
    assert state["status"] == "ok"


@pytest.mark.parametrize("trait", ["_saved_curves", "_snapshot"])  # _snapshot: saved before the rename
def test_preprocessor_falls_back_to_the_saved_widget_state(tmp_path, trait):
    saved = {"runs": ["x"], "series": [{"run": "x", "tag": "acc", "step": [0, 1, 2], "wall_time": [0, 0, 0],
                                        "value": [0.1, None, 0.9]}]}
    nb = _notebook({"logdir": "gone", trait: json.dumps(saved)})
    nb, _ = static_fallbacks(nb, {"metadata": {"path": str(tmp_path)}})
    html = nb["cells"][0]["outputs"][0]["data"]["text/html"]
    assert "<b>acc</b>" in html and "x: 0.9" in html
    (pts,) = _polylines(html)
    assert len(pts) == 3  # two finite points, forward and back


def test_preprocessor_keeps_the_display_time_snapshot_without_data(tmp_path):
    nb, _ = static_fallbacks(_notebook({"logdir": "gone"}), {"metadata": {"path": str(tmp_path)}})
    assert "no scalars yet" in nb["cells"][0]["outputs"][0]["data"]["text/html"]


def test_export_html_rejects_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="notebook must be a path"):
        export_html(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a file"):
        export_html(tmp_path / "missing.ipynb")
    with pytest.raises(ValueError, match="timeout must be a positive int"):
        export_html(tmp_path / "x.ipynb", timeout=0)


def test_run_colours_match_the_dashboard(tmp_path):
    """The palette and name hash of js/src/runstyle.ts (values below computed with it in node)."""
    from tbx_widget.snapshot import PALETTE, hash_name, run_colors

    source = (pathlib.Path(__file__).resolve().parents[1] / "js" / "src" / "runstyle.ts").read_text()
    block = source[source.index("PALETTE"):source.index("];", source.index("PALETTE"))]
    assert tuple(re.findall(r'"(#[0-9A-Fa-f]{6})"', block)) == PALETTE
    assert hash_name("fast") == 43254447 and hash_name("slow") == 1838498488
    assert hash_name(".") == 722245873 and hash_name("é🙂run") == 792671292
    assert run_colors(["fast", "slow"]) == {"fast": PALETTE[3], "slow": PALETTE[4]}  # 43254447 % 12 == 3
    # A name hashing to a taken slot moves to the next free one, as in RunColors.
    assert run_colors(["lr=0.1,hidden=4", "é🙂run"]) == {"lr=0.1,hidden=4": PALETTE[0], "é🙂run": PALETTE[1]}
    assert len(set(run_colors([f"r{i}" for i in range(12)]).values())) == 12
    _write(tmp_path, "fast", [1.0, 0.5])
    page = snapshot_html(tbx_widget.load(tmp_path))
    assert f"stroke='{PALETTE[3]}'" in page


def test_refresh_keeps_the_widget_and_redraws_the_fallback_without_widget_state(tmp_path):
    (tmp_path / "runs").mkdir()
    empty = snapshot_html(tbx_widget.load(tmp_path / "runs"), title="runs")  # shown before training
    assert "no scalars yet" in empty
    _write(tmp_path / "runs", "a", [1.0, 0.5, 0.25])
    nb = _notebook({}, html=empty)
    del nb["metadata"]["widgets"]  # saved without widget state: the logdir comes from the fallback
    nb, _ = refresh_fallbacks(nb, {"metadata": {"path": str(tmp_path)}})
    data = nb["cells"][0]["outputs"][0]["data"]
    assert data[WIDGET_VIEW]["model_id"] == "m1"  # still a live widget where widgets render
    assert "no scalars yet" not in data["text/html"] and "a: 0.25" in data["text/html"]
    assert "<script" not in data["text/html"]


def test_logdir_names_are_escaped_in_the_data_attribute(tmp_path):
    page = snapshot_html(tbx_widget.load(tmp_path), title="x' onmouseover='alert(1)")
    assert "data-logdir='x&#x27; onmouseover=&#x27;alert(1)'" in page


def test_old_preprocessor_paths_resolve_to_nbexport():
    """nbconvert configs naming ``tbx_widget.snapshot.static_snapshots`` keep working."""
    import tbx_widget.snapshot as snapshot
    from traitlets.utils.importstring import import_item

    import tbx_widget.nbexport as nbexport

    assert import_item("tbx_widget.snapshot.static_snapshots") is nbexport.static_fallbacks
    assert import_item("tbx_widget.snapshot.refresh_snapshots") is nbexport.refresh_fallbacks
    from tbx_widget.snapshot import export_html as old_export

    assert old_export is nbexport.export_html
    with pytest.raises(AttributeError, match="no_such_name"):
        snapshot.no_such_name  # noqa: B018


def test_nbexport_imports_first_in_a_fresh_interpreter():
    """Either module may be imported first (nbexport imports snapshot; snapshot's aliases are lazy)."""
    import subprocess
    import sys

    for first in ("tbx_widget.nbexport", "tbx_widget.snapshot"):
        code = (f"import {first}; from tbx_widget.snapshot import static_snapshots; "
                "from tbx_widget.nbexport import static_fallbacks; assert static_snapshots is static_fallbacks")
        subprocess.run([sys.executable, "-c", code], check=True)
