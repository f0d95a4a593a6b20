"""saved_view: previews, the curves saved with the notebook, and the Logs view the snapshot reads."""
from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

import tbx_widget
from tbx_widget import SummaryWriter
from tbx_widget.reader import ScalarSeries
from tbx_widget.saved_view import CurvesLogs, Preview, read_saved_curves, saved_curves_json
from tbx_widget.snapshot import snapshot_html


def test_saved_curves_round_trip_through_json(tmp_path):
    with SummaryWriter(tmp_path / "a") as w:
        for step, v in enumerate([1.0, float("nan"), 0.25]):
            w.add_scalar("loss", v, step)
    text = saved_curves_json(tbx_widget.load(tmp_path))
    saved = json.loads(text)
    assert saved["runs"] == ["a"] and saved["series"][0]["value"] == [1.0, None, 0.25]
    logs = read_saved_curves(text)
    assert logs.runs == ["a"] and logs.tags("a") == {"scalars": ["loss"]}
    s = logs.scalars("a", "loss")
    assert s.step.dtype == np.int64 and s.step.tolist() == [0, 1, 2]
    assert np.isnan(s.value[1]) and s.value[2] == 0.25
    assert saved_curves_json(logs) == text  # what is read back writes the same JSON


def test_saved_curves_are_thinned_evenly_keeping_both_ends():
    logs = CurvesLogs(["a", "b"], {
        (run, "x"): (lambda: ScalarSeries(np.arange(1000), np.zeros(1000), np.arange(1000.0))) for run in "ab"})
    saved = json.loads(saved_curves_json(logs, max_points=100))
    for series in saved["series"]:
        assert len(series["step"]) == 50 and series["step"][0] == 0 and series["step"][-1] == 999
        assert series["value"] == [float(s) for s in series["step"]]


def test_a_preview_view_draws_the_snapshot():
    p = Preview()
    p.add(ScalarSeries(np.arange(3), np.zeros(3), np.array([3.0, 2.0, 1.5])))
    page = snapshot_html(CurvesLogs.of_previews(["r"], {("r", "loss"): p}), title="t")
    assert "<b>loss</b>" in page and "r: 1.5" in page


@pytest.mark.parametrize("bad", ["not json", "[1, 2]", '{"series": [{"tag": "x"}]}'])
def test_unreadable_saved_curves_raise_value_error_naming_the_argument(bad):
    with pytest.raises(ValueError, match="text is not saved curves JSON"):
        read_saved_curves(bad)


def test_saved_curves_must_be_text():
    with pytest.raises(TypeError, match="text must be the saved curves' JSON string, got bytes"):
        read_saved_curves(b"{}")  # type: ignore[arg-type]


def test_old_import_names_still_work():
    from tbx_widget.live.follower import Preview as OldPreview

    assert OldPreview is Preview


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 700), st.integers(1, 60)), min_size=1, max_size=12))
def test_a_preview_keeps_every_stride_th_point_and_at_most_twice_its_limit(pieces):
    """Pieces of any size, limits that fall as series are added: the points kept are exactly
    those whose index is a multiple of the stride, the stride as small as the limit allows."""
    p, seen, lowest = Preview(), 0, 10**9
    for n, limit in pieces:
        limit = lowest = min(lowest, limit)  # the follower only ever lowers it
        s = ScalarSeries(np.arange(seen, seen + n), np.arange(seen, seen + n) * 0.5, np.arange(seen, seen + n) * 2.0)
        p.shrink(limit)  # as the follower lowers the limit of every preview
        p.add(s, limit)
        seen += n
        assert p.step.tolist() == list(range(0, seen, p.stride))
        assert len(p.step) <= 2 * limit and (p.stride == 1 or -(-seen // (p.stride // 2)) > 2 * limit)
        assert np.array_equal(p.value, p.step * 2.0) and np.array_equal(p.wall, p.step * 0.5)
        assert p.series().step[-1] == seen - 1  # the last point is kept too
