"""The Keras 3 callback: epoch and batch metrics, learning rate and weight histograms, in the
layout of Keras's own TensorBoard callback (runs train/ and validation/)."""
from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from tbx_widget import load  # noqa: E402
from tbx_widget.keras import TensorBoard  # noqa: E402


def test_runs_on_the_requested_backend():
    assert keras.backend.backend() == os.environ["KERAS_BACKEND"]


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


# -- write_graph: the model config, as Keras's own callback writes it ------------------------------


def _functional():
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="features")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inp)
    out = keras.layers.Dense(1, activation="sigmoid", name="score")(hidden)
    model = keras.Model(inp, out, name="scorer")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _to_json(model) -> str:
    with warnings.catch_warnings():  # Keras 3 + torch + NumPy 2 deprecation inside the optimizer's get_config
        warnings.filterwarnings("ignore", message="__array__ implementation", category=DeprecationWarning)
        return model.to_json()


def _fit(model, cb, epochs=1):
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, (x.sum(axis=1) > 0).astype("float32"), epochs=epochs, batch_size=16, validation_split=0.25,
              callbacks=[cb], verbose=0)


def test_write_graph_writes_the_model_config_that_load_and_the_dashboard_read(tmp_path):
    from tbx_widget.live.follower import Follower

    model = _functional()
    _fit(model, TensorBoard(log_dir=tmp_path, write_graph=True), epochs=2)
    logs = load(tmp_path)
    assert logs.tags("train")["graphs"] == ["keras"]
    assert logs.tags("validation")["graphs"] == []  # Keras writes it to the train run only
    (graph,) = logs.graphs("train")
    assert graph.step == 0 and graph.source == "keras"
    assert json.loads(graph.raw) == json.loads(_to_json(model))
    nodes = {n.name: n for n in graph.nodes}
    assert set(nodes) == {"scorer/features", "scorer/hidden", "scorer/score"}
    assert nodes["scorer/hidden"].op == "Dense" and nodes["scorer/hidden"].inputs == ("scorer/features",)
    assert nodes["scorer/score"].inputs == ("scorer/hidden",)

    batches: list = []
    Follower(str(tmp_path)).poll(batches.append)
    sent = [item for b in batches for item in b.content["items"] if item["kind"] == "graphs"]
    assert [(i["run"], i["tag"]) for i in sent] == [("train", "keras")]
    assert {n["name"] for n in sent[0]["items"][0]["nodes"]} == set(nodes)


def test_write_graph_sequential_false_and_subclassed(tmp_path):
    model, x, y = _model()
    model.fit(x, y, epochs=1, batch_size=32, callbacks=[TensorBoard(tmp_path / "seq")], verbose=0)  # Keras's default: True
    (graph,) = load(tmp_path / "seq").graphs("train")
    assert [n.op for n in graph.nodes] == ["InputLayer", "Dense", "Dense"]
    assert [n.inputs for n in graph.nodes[1:]] == [(graph.nodes[0].name,), (graph.nodes[1].name,)]

    model, x, y = _model()
    model.fit(x, y, epochs=1, batch_size=32, callbacks=[TensorBoard(tmp_path / "off", write_graph=False)], verbose=0)
    assert load(tmp_path / "off").graphs("train") == []

    class Net(keras.Model):  # Keras writes no config for subclassed models either
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    net = Net()
    net.compile(optimizer="sgd", loss="mse")
    net.fit(x, y, epochs=1, batch_size=32, callbacks=[TensorBoard(tmp_path / "sub")], verbose=0)
    logs = load(tmp_path / "sub")
    assert logs.runs == ["train"] and logs.graphs("train") == []


def test_model_config_event_matches_what_tensorboard_reads(tmp_path):
    """The event as Keras writes it (tf.summary.write of model.to_json(): a rank-0 string tensor,
    plugin graph_keras_model, content b"1", step 0), read with TensorBoard's own loader and turned
    into a GraphDef by its graph plugin's keras_util."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    keras_util = pytest.importorskip("tensorboard.plugins.graph.keras_util")
    model = _functional()
    _fit(model, TensorBoard(log_dir=tmp_path))
    acc = event_accumulator.EventAccumulator(str(tmp_path / "train"), size_guidance={"tensors": 0})
    acc.Reload()
    assert "keras" in acc.Tags()["tensors"]
    meta = acc.SummaryMetadata("keras")
    assert meta.plugin_data.plugin_name == "graph_keras_model" and meta.plugin_data.content == b"1"
    (event,) = acc.Tensors("keras")
    proto = event.tensor_proto
    assert event.step == 0 and proto.dtype == 7 and len(proto.tensor_shape.dim) == 0  # DT_STRING, rank 0
    assert list(proto.string_val) == [_to_json(model).encode("utf-8")]
    graph_def = keras_util.keras_model_to_graph_def(json.loads(proto.string_val[0]))
    assert [(n.name, list(n.input)) for n in graph_def.node] == [
        ("scorer/features", []), ("scorer/hidden", ["scorer/features"]), ("scorer/score", ["scorer/hidden"])]


def test_keras_model_summary_bad_input_and_unserializable_model(tmp_path):
    from tbx_widget import SummaryWriter
    from tbx_widget.keras import keras_model_summary, model_config_value

    model = _functional()
    with pytest.raises(TypeError, match="writer"):
        keras_model_summary(str(tmp_path), model)
    with SummaryWriter(tmp_path / "a") as w:
        with pytest.raises(TypeError, match="model"):
            keras_model_summary(w, object())

        class Broken:
            def to_json(self):
                raise RuntimeError("no config")

        with pytest.warns(UserWarning, match="no config"):
            assert keras_model_summary(w, Broken()) is False
        assert keras_model_summary(w, model, tag="net", step=3) is True
    with pytest.raises(ValueError, match="closed"):
        keras_model_summary(w, model)
    (graph,) = load(tmp_path / "a").graphs(".")
    assert graph.step == 3 and {n.op for n in graph.nodes} == {"InputLayer", "Dense"}
    with pytest.raises(TypeError, match="config_json"):
        model_config_value({"class_name": "Sequential"})
    with pytest.raises(TypeError, match="tag"):
        model_config_value("{}", tag=None)


def test_evaluations_are_logged_against_optimizer_iterations_as_keras_does(tmp_path):
    model, x, y = _model()
    hist = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, callbacks=[TensorBoard(tmp_path / "fit")], verbose=0)
    logs = load(tmp_path / "fit")
    series = logs.scalars("validation", "evaluation_loss_vs_iterations")
    assert series.step.tolist() == [3, 6]  # 48 training samples / 16 a batch, after each epoch
    np.testing.assert_allclose(series.value, hist.history["val_loss"], rtol=1e-6)
    assert "evaluation_accuracy_vs_iterations" in logs.tags("validation")["scalars"]
    assert not any(t.startswith("evaluation_") for t in logs.tags("train")["scalars"])

    result = model.evaluate(x, y, batch_size=16, callbacks=[cb := TensorBoard(tmp_path / "eval")], verbose=0, return_dict=True)
    loss = float(result["loss"])
    assert cb._writers == {}  # evaluate alone: the file is closed at its end
    logs = load(tmp_path / "eval")
    assert logs.runs == ["validation"]
    (point,) = zip(*[logs.scalars("validation", "evaluation_loss_vs_iterations").step,
                     logs.scalars("validation", "evaluation_loss_vs_iterations").value])
    assert point[0] == 6 and point[1] == pytest.approx(loss, rel=1e-6)
