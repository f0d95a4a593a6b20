"""The Keras 3 callback: epoch and batch metrics, learning rate and weight histograms, in the
layout of Keras's own TensorBoard callback (runs train/ and validation/)."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from tbx_widget import load  # noqa: E402
from tbx_widget.keras import TensorBoard  # noqa: E402


def test_fit_logs_what_keras_reports(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    cb = TensorBoard(tmp_path, update_freq=2, histogram_freq=1)
    hist = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, callbacks=[cb], verbose=0)
    logs = load(tmp_path)
    assert logs.runs == ["train", "validation"]
    np.testing.assert_allclose(logs.scalars("train", "epoch_loss").value, hist.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(logs.scalars("validation", "epoch_loss").value, hist.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(logs.scalars("validation", "epoch_accuracy").value, hist.history["val_accuracy"], rtol=1e-6)
    assert logs.scalars("train", "epoch_learning_rate").value.tolist() == pytest.approx([0.01] * 3)
    batches = logs.scalars("train", "batch_loss")
    assert batches.step.tolist() == [2, 4, 6, 8]  # every 2nd of 9 batches (3 epochs x 48 samples / 16)
    hists = logs.tags("train")["histograms"]
    assert len(hists) == 4 and all(len(logs.histograms("train", t)) == 3 for t in hists)


def test_bad_arguments():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard("x", update_freq="sometimes")
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard("x", histogram_freq=-1)
    with pytest.raises(TypeError, match="logdir"):
        TensorBoard(3)
