"""The Keras callback with TensorFlow's ``tf.keras`` (Keras 3 on the TensorFlow backend), side by
side with Keras's own TensorBoard callback in one ``fit``: the same runs, tags, steps and values,
and the same model-config event (``write_graph``).

Runs in the TensorFlow venv, ``make test-tf`` (see tests/test_tf_protobuf.py); skipped elsewhere.
``update_freq="batch"``: with a number of batches that does not divide the batches (or
evaluation batches) seen when an epoch or an evaluation ends, Keras's own callback drops that
epoch's or evaluation's summaries (its ``record_if`` stays active; tensorflow/tensorflow#49109),
which ours does not copy.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

pytestmark = pytest.mark.tf

if os.environ.get("TBX_REQUIRE_TF") == "1":
    import tensorflow as tf
else:
    tf = pytest.importorskip("tensorflow")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # only once TensorFlow is there: keras may be imported later

from tbx_widget import load  # noqa: E402  (after TensorFlow, as in Colab)
from tbx_widget.keras import TensorBoard  # noqa: E402


def _events(run_dir):
    """(tag, step, Summary.Value) of every summary value in ``run_dir``'s event files."""
    out = []
    for name in sorted(os.listdir(run_dir)):
        for record in tf.compat.v1.train.summary_iterator(os.path.join(run_dir, name)):
            for value in record.summary.value:
                out.append((value.tag, record.step, value))
    return out


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("tfkeras")
    keras = tf.keras
    assert keras.backend.backend() == "tensorflow"
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="features")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inp)
    out = keras.layers.Dense(1, activation="sigmoid", name="score")(hidden)
    model = keras.Model(inp, out, name="scorer")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    args = dict(histogram_freq=1, write_graph=True, write_images=True, write_steps_per_second=True, update_freq="batch")
    theirs = keras.callbacks.TensorBoard(log_dir=str(root / "keras"), **args)
    ours = TensorBoard(log_dir=str(root / "ours"), **args)
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, callbacks=[theirs, ours], verbose=0)
    return root, model, history


def test_same_runs_tags_steps_and_values_as_keras(fitted):
    root, _, history = fitted
    keras_logs, our_logs = load(root / "keras"), load(root / "ours")
    assert keras_logs.runs == our_logs.runs == ["train", "validation"]
    for run in ("train", "validation"):
        kt, ot = keras_logs.tags(run), our_logs.tags(run)
        for kind in ("scalars", "histograms", "images", "graphs"):
            assert sorted(ot[kind]) == sorted(kt[kind]), (run, kind)
        for tag in kt["scalars"]:
            if tag.endswith("steps_per_second"):
                continue  # timings
            k, o = keras_logs.scalars(run, tag), our_logs.scalars(run, tag)
            np.testing.assert_array_equal(o.step, k.step, err_msg=f"{run}/{tag}")
            np.testing.assert_allclose(o.value, k.value, rtol=1e-6, err_msg=f"{run}/{tag}")
        for tag in kt["histograms"]:
            assert [h.step for h in our_logs.histograms(run, tag)] == [h.step for h in keras_logs.histograms(run, tag)]
    np.testing.assert_allclose(our_logs.scalars("validation", "epoch_loss").value, history.history["val_loss"], rtol=1e-6)
    assert our_logs.scalars("train", "batch_loss").step.tolist() == list(range(1, 10))
    assert keras_logs.tags("train")["graphs"] == ["keras"]  # no op graph of the train function from Keras 3 either


def test_model_config_event_is_the_one_keras_writes(fitted):
    root, model, _ = fitted
    theirs = [(step, v) for tag, step, v in _events(root / "keras" / "train") if tag == "keras"]
    ours = [(step, v) for tag, step, v in _events(root / "ours" / "train") if tag == "keras"]
    assert len(theirs) == len(ours) == 1
    assert ours[0][0] == theirs[0][0] == 0
    assert ours[0][1].SerializeToString() == theirs[0][1].SerializeToString()  # metadata, dtype, shape, JSON
    assert ours[0][1].tensor.string_val[0] == model.to_json().encode("utf-8")
    (graph,) = load(root / "ours").graphs("train")
    assert [n.name for n in graph.nodes] == ["scorer/features", "scorer/hidden", "scorer/score"]
