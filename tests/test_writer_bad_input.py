"""Bad input: a clear TypeError or ValueError naming the argument; the writer keeps working and
nothing half-written reaches the file."""
from __future__ import annotations

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load

BAD = [
    # (method, args, kwargs, error, message fragment)
    ("add_scalar", ("loss", "0.5"), {}, TypeError, "scalar_value must be a number"),
    ("add_scalar", ("loss", [1.0, 2.0]), {}, ValueError, "scalar_value must be a single number"),
    ("add_scalar", ("loss", np.ones(3)), {}, ValueError, "scalar_value must be a single number"),
    ("add_scalar", ("loss", None), {}, TypeError, "scalar_value"),
    ("add_scalar", ("", 1.0), {}, ValueError, "tag must not be empty"),
    ("add_scalar", (5, 1.0), {}, TypeError, "tag must be a str"),
    ("add_scalar", ("loss", 1.0, 1.5), {}, ValueError, "global_step must be a whole number"),
    ("add_scalar", ("loss", 1.0, "3"), {}, TypeError, "global_step must be an int"),
    ("add_scalar", ("loss", 1.0, True), {}, TypeError, "global_step must be an int"),
    ("add_scalar", ("loss", 1.0, 1), {"walltime": float("nan")}, ValueError, "walltime must be a finite number"),
    ("add_scalar", ("loss", 1.0, 1), {"walltime": "now"}, TypeError, "walltime must be a number"),
    ("add_scalars", ("main", [1, 2]), {}, TypeError, "tag_scalar_dict must be a dict"),
    ("add_scalars", ("main", {"../x": 1.0}), {}, ValueError, "would leave the logdir"),
    ("add_scalars", ("../main", {"x": 1.0}), {}, ValueError, "would leave the logdir"),
    ("add_scalars", ("main", {"a": "x"}), {}, TypeError, "tag_scalar_dict['a'] must be a number"),
    ("add_histogram", ("h", []), {}, ValueError, "values is empty"),
    ("add_histogram", ("h", [np.nan, np.inf]), {}, ValueError, "values has no finite values"),
    ("add_histogram", ("h", ["a", "b"]), {}, TypeError, "values must be"),
    ("add_histogram", ("h", [1.0]), {"bins": "nonsense"}, ValueError, "bins must be"),
    ("add_histogram", ("h", [1.0]), {"bins": 0}, ValueError, "bins must be a positive number"),
    ("add_histogram", ("h", [1.0]), {"bins": [3, 2, 1]}, ValueError, "increasing"),
    ("add_histogram", ("h", [1.0]), {"max_bins": -1}, ValueError, "max_bins must be a positive int"),
    ("add_histogram_raw", ("h", 0, 1, 2, 1, 1, [1, 2], [1]), {}, ValueError, "same length"),
    ("add_image", ("img", np.zeros((5, 7))), {}, ValueError, "dataformats 'CHW' describes 3"),
    ("add_image", ("img", np.zeros((5, 7, 7))), {}, ValueError, "1, 3 or 4 channels"),
    ("add_image", ("img", np.zeros((3, 7, 7))), {"dataformats": "XYZ"}, ValueError, "dataformats must be made of N, C, H, W"),
    ("add_image", ("img", np.zeros((3, 0, 7))), {}, ValueError, "img_tensor is empty"),
    ("add_image", ("img", "not an image"), {}, TypeError, "img_tensor must be numeric"),
    ("add_image", ("img", np.zeros((3, 4, 4))), {"dataformats": 3}, TypeError, "dataformats must be a str"),
    ("add_images", ("img", np.zeros((3, 4, 4))), {"dataformats": "CHW"}, ValueError, "needs a batch layout"),
    ("add_image_with_boxes", ("img", np.zeros((3, 4, 4)), np.zeros((2, 3))), {}, ValueError, "box_tensor must have shape (N, 4)"),
    ("add_image_with_boxes", ("img", np.zeros((3, 4, 4)), np.zeros((2, 4))), {"labels": ["a"]}, ValueError, "one entry per box"),
    ("add_figure", ("fig", object()), {}, TypeError, "figure must be a matplotlib Figure"),
    ("add_video", ("v", np.zeros((2, 3, 4, 4))), {}, ValueError, "vid_tensor must have shape (N, T, C, H, W)"),
    ("add_video", ("v", np.zeros((1, 2, 3, 4, 4))), {"fps": 0}, ValueError, "fps must be a positive number"),
    ("add_text", ("t", 42), {}, TypeError, "text_string must be a str"),
    ("add_text", ("t", b"bytes"), {}, TypeError, "text_string must be a str"),
    ("add_audio", ("a", np.zeros((3, 3, 3))), {}, ValueError, "snd_tensor must have shape"),
    ("add_audio", ("a", np.zeros(10)), {"sample_rate": 0}, ValueError, "sample_rate must be an int"),
    ("add_audio", ("a", [np.nan, 0.0, 0.0]), {}, ValueError, "NaN or infinite"),
    ("add_pr_curve", ("pr", [0, 1, 1], [0.1, 0.2]), {}, ValueError, "labels and predictions must have the same length"),
    ("add_pr_curve", ("pr", [0, 1], [0.1, 1.5]), {}, ValueError, "predictions must be probabilities in [0, 1]"),
    ("add_pr_curve", ("pr", [0, 2], [0.1, 0.5]), {}, ValueError, "labels must be 0/1"),
    ("add_pr_curve", ("pr", [0, 1], [0.1, 0.5]), {"num_thresholds": 1}, ValueError, "num_thresholds must be an int"),
    ("add_pr_curve", ("pr", [0, 1], [0.1, 0.5]), {"weights": [1.0]}, ValueError, "weights must have one entry per label"),
    ("add_pr_curve_raw", ("pr", [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1]), {}, ValueError, "same length"),
    ("add_hparams", ({"lr": [1, 2]}, {"m": 1.0}), {}, TypeError, "hparam_dict['lr'] must be a bool, number or str"),
    ("add_hparams", ({"lr": 0.1}, {"m": "high"}), {}, TypeError, "metric_dict['m'] must be a number"),
    ("add_hparams", ({"lr": 0.1}, {"m": 1.0}), {"name": "../escape"}, ValueError, "name must stay inside the logdir"),
    ("add_hparams", ({"lr": 0.1}, {"m": 1.0}), {"name": "/abs"}, ValueError, "name must stay inside the logdir"),
    ("add_hparams", ([("lr", 0.1)], {"m": 1.0}), {}, TypeError, "hparam_dict and metric_dict must be dicts"),
    ("add_custom_scalars", ({"c": {"t": ["Pie", ["a"]]}},), {}, ValueError, "must be ['Multiline', [tags]]"),
    ("add_custom_scalars", (["not", "a", "dict"],), {}, TypeError, "layout must be a dict"),
    ("add_custom_scalars_marginchart", (["a", "b"],), {}, ValueError, "tags must be [value, lower, upper]"),
    ("add_embedding", (np.zeros(5),), {}, ValueError, "mat must be 2-D"),
    ("add_embedding", (np.zeros((3, 2)),), {"metadata": ["a"]}, ValueError, "metadata must have one entry per row"),
    ("add_embedding", (np.zeros((3, 2)),), {"label_img": np.zeros((2, 3, 4, 4))}, ValueError, "label_img must be (N, C, H, W) with N = 3"),
]


@pytest.mark.parametrize("method,args,kwargs,error,fragment", BAD, ids=[f"{i}-{b[0]}" for i, b in enumerate(BAD)])
def test_bad_input_raises_a_clear_error_and_the_writer_keeps_working(tmp_path, method, args, kwargs, error, fragment):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("good", 1.0, 0)
        with pytest.raises(error) as info:
            getattr(w, method)(*args, **kwargs)
        assert fragment in str(info.value), str(info.value)
        w.add_scalar("good", 2.0, 1)
        w.add_text("after", "still fine", 1)
    logs = load(tmp_path)
    assert logs.scalars(".", "good").value.tolist() == [1.0, 2.0]
    assert logs.texts(".", "after/text_summary")[0].text == "still fine"
    # Nothing from the rejected call reached the file, and no directory was created outside.
    tags = logs.tags(".")
    assert sum(len(v) for v in tags.values()) == 2, tags
    assert logs.runs == ["."]
    assert not (tmp_path.parent / "escape").exists() and not (tmp_path.parent / "up").exists()


def test_at_least_thirty_cases():
    assert len(BAD) >= 30


def test_an_error_on_the_writer_thread_surfaces_on_the_next_call(tmp_path, monkeypatch):
    """A failing write (a full disk) is raised by the next call, never lost silently."""
    import tbx_widget.event_sink as ef

    w = SummaryWriter(tmp_path, flush_secs=3600)
    real = ef.write_all
    calls = {"n": 0}

    def failing(fd, data):
        calls["n"] += 1
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ef, "write_all", failing)
    w.add_scalar("x", 1.0, 0)
    with pytest.raises(OSError, match="No space left"):
        w.flush()
    monkeypatch.setattr(ef, "write_all", real)
    w.flush()  # retried: the bytes were kept
    w.close()
    assert load(tmp_path).scalars(".", "x").value.tolist() == [1.0]
    assert calls["n"] >= 1
