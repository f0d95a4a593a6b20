"""load() reads what tensorboardX, torch.utils.tensorboard, TF2's tf.summary and the Keras
callback wrote: committed fixture logdirs (tests/fixtures/make_logs.py), checked value by value
against what each writer was given and against TensorBoard's own EventAccumulator."""
from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from tbx_widget import load

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
WRITERS = ["tensorboardx", "torch", "tf2", "keras"]


def expected(writer: str) -> dict:
    return json.loads((FIXTURES / "expected" / f"{writer}.json").read_text())


@pytest.mark.parametrize("writer", WRITERS)
def test_values_match_what_the_writer_was_given(writer):
    logs = load(FIXTURES / "logs" / writer)
    exp = expected(writer)
    for run, kinds in exp.items():
        if run == "hparams":
            continue
        assert run in logs.runs
        for tag, points in kinds.get("scalars", {}).items():
            s = logs.scalars(run, tag)
            assert s.step.tolist() == [p[0] for p in points]
            np.testing.assert_allclose(s.value, [p[1] for p in points], rtol=1e-6)
            assert (np.diff(s.wall_time) >= 0).all() and s.wall_time[0] > 1.5e9
        for tag, rows in kinds.get("histograms", {}).items():
            hs = logs.histograms(run, tag)
            assert [h.step for h in hs] == [r[0] for r in rows]
            for h, (_, num, lo, hi) in zip(hs, rows):
                assert h.num == pytest.approx(num) and h.bucket_counts.sum() == pytest.approx(num)
                assert h.min == pytest.approx(lo, abs=1e-6) and h.max == pytest.approx(hi, abs=1e-6)
        for tag, rows in kinds.get("images", {}).items():
            ims = logs.images(run, tag)
            assert [[i.step, i.index, i.width, i.height] for i in ims] == rows
            assert all(i.encoded.startswith(b"\x89PNG") for i in ims)
        for tag, rows in kinds.get("text", {}).items():
            assert [[t.step, t.text] for t in logs.texts(run, tag)] == rows
        for tag, rows in kinds.get("audio", {}).items():
            got = logs.audio(run, tag)
            assert [[a.step, a.sample_rate, a.num_channels, a.length_frames] for a in got] == rows
            assert all(a.encoded.startswith(b"RIFF") for a in got)
        for tag, rows in kinds.get("pr_curves", {}).items():
            (pr,) = logs.pr_curves(run, tag)
            step, n, positives = rows[0]
            assert pr.step == step and len(pr.thresholds) == n
            assert pr.tp[0] + pr.fn[0] == positives  # at threshold 0 every positive is predicted


@pytest.mark.parametrize("writer", ["tensorboardx", "torch"])
def test_hparams_sessions(writer):
    logs = load(FIXTURES / "logs" / writer)
    exp = expected(writer)["hparams"]
    (row,) = logs.hparams_table()
    assert row["run"] == "run1/hp"
    assert row["hparams"] == {k: exp[k] for k in ("lr", "bs", "opt")}
    assert row["metrics"] == {exp["metric"][0]: exp["metric"][1]}
    kinds = [h.kind for h in logs.hparams("run1/hp")]
    assert sorted(kinds) == ["experiment", "session_end", "session_start"]


@pytest.mark.parametrize("writer", WRITERS)
def test_every_scalar_equals_tensorboards_event_accumulator(writer):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from tensorboard.util import tensor_util

    logs = load(FIXTURES / "logs" / writer)
    for run in logs.runs:
        path = FIXTURES / "logs" / writer / run
        acc = ea_mod.EventAccumulator(str(path), size_guidance={ea_mod.SCALARS: 0, ea_mod.TENSORS: 0})
        acc.Reload()
        tags = acc.Tags()
        for tag in logs.tags(run)["scalars"]:
            if tag in tags["scalars"]:
                events = acc.Scalars(tag)
                values = [e.value for e in events]
            else:  # TF2 and torch new_style scalars are tensors for TensorBoard
                events = acc.Tensors(tag)
                values = [float(np.asarray(tensor_util.make_ndarray(e.tensor_proto)).reshape(-1)[0]) for e in events]
            s = logs.scalars(run, tag)
            assert s.step.tolist() == [e.step for e in events], (run, tag)
            np.testing.assert_allclose(s.value, values, rtol=1e-6)
            np.testing.assert_array_equal(s.wall_time, [e.wall_time for e in events])
