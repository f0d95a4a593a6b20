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
    with pytest.raises(TypeError, match="log_dir"):
        TensorBoard(3)


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    return model, x, (x.sum(axis=1) > 0).astype("float32")


def test_keras_signature_fits_with_keras_tag_layout(tmp_path):
    model, x, y = _model()
    cb = TensorBoard(log_dir=tmp_path, histogram_freq=1, write_graph=True, update_freq="epoch", profile_batch=0,
                     write_images=True, write_steps_per_second=True, embeddings_freq=0, embeddings_metadata=None)
    assert cb.log_dir == cb.logdir == str(tmp_path)
    model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, callbacks=[cb], verbose=0)
    logs = load(tmp_path)
    assert logs.runs == ["train", "validation"]
    train = logs.tags("train")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "epoch_steps_per_second"} <= set(train["scalars"])
    assert not any(t.startswith("batch_") for t in train["scalars"])  # update_freq="epoch"
    assert logs.scalars("train", "epoch_steps_per_second").value.min() > 0
    paths = [w.path.replace(":", "_") for w in model.weights]
    assert sorted(train["histograms"]) == sorted(f"{p}/histogram" for p in paths)
    # like Keras, a weight that squeezes to a scalar (the last layer's 1-element bias) gets no image
    drawable = [w.path.replace(":", "_") for w in model.weights if any(d != 1 for d in w.shape)]
    assert len(drawable) == len(paths) - 1
    assert sorted(train["images"]) == sorted(f"{p}/image" for p in drawable)
    assert {"epoch_loss", "epoch_accuracy"} <= set(logs.tags("validation")["scalars"])


def test_logdir_alias_and_default(tmp_path):
    assert TensorBoard(logdir=tmp_path).log_dir == str(tmp_path)
    assert TensorBoard().log_dir == "logs"  # Keras's default
    with pytest.raises(TypeError, match="not both"):
        TensorBoard(log_dir=tmp_path, logdir=tmp_path)


@pytest.mark.parametrize("profile_batch", [2, "10,20", (1, 3)])
def test_profiling_warns_that_it_is_not_supported(tmp_path, profile_batch):
    with pytest.warns(UserWarning, match="profil") as record:
        TensorBoard(log_dir=tmp_path, profile_batch=profile_batch)
    assert len(record) == 1


def test_embeddings_warn_that_they_are_not_supported(tmp_path):
    with pytest.warns(UserWarning, match="embeddings_freq"):
        TensorBoard(log_dir=tmp_path, embeddings_freq=1)


def test_unknown_and_bad_keras_arguments(tmp_path):
    with pytest.raises(TypeError, match="histogram_frq"):
        TensorBoard(log_dir=tmp_path, histogram_frq=1)
    with pytest.raises(ValueError, match="profile_batch"):
        TensorBoard(log_dir=tmp_path, profile_batch=(3, 1))
    with pytest.raises(ValueError, match="embeddings_freq"):
        TensorBoard(log_dir=tmp_path, embeddings_freq=-1)
