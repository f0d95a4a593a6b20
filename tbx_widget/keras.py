"""A Keras 3 callback that logs through tbx_widget (any backend; keras is imported only here).

    from tbx_widget.keras import TensorBoard
    model.fit(x, y, validation_split=0.2, epochs=10,
              callbacks=[TensorBoard(log_dir="runs/mlp", show=True, histogram_freq=1)])

The layout follows Keras's own TensorBoard callback, so existing habits and tools carry over:
the same arguments, runs ``<log_dir>/train`` and ``<log_dir>/validation``, tags ``epoch_<metric>`` (validation
metrics drop their ``val_`` prefix and go to the validation run), ``evaluation_<metric>_vs_iterations``
in the validation run at the optimizer's iteration count after each evaluation (fit's validation
or ``model.evaluate(callbacks=...)``), ``batch_<metric>`` when
``update_freq`` is ``"batch"`` or a number of batches, ``epoch_learning_rate``,
``epoch_steps_per_second``/``batch_steps_per_second`` with ``write_steps_per_second``, weight
histograms ``<variable path>/histogram`` every ``histogram_freq`` epochs, and with ``write_graph``
the model's config (``model.to_json()``) as Keras writes it: tag ``keras`` at step 0 in the train
run, plugin ``graph_keras_model``, which TensorBoard's Graphs dashboard and ``load().graphs(run)`` read.
"""
from __future__ import annotations

import os
import time
import warnings
from typing import Any

import keras
import numpy as np

from ._proto import summary_pb2, tensor_pb2
from .convert import to_float, to_numpy
from .metadata import graph as _graph_md
from .metadata.dtypes import DT_STRING

__all__ = ["TensorBoard", "keras_model_summary", "model_config_value"]

KERAS_MODEL_TAG = "keras"
"""The tag Keras's own callback writes the model config under."""

_UNSUPPORTED = "tbx_widget.keras.TensorBoard does not support {what}; {arg}={value!r} is accepted and ignored"


class TensorBoard(keras.callbacks.Callback):
    """Log Keras training to TensorBoard event files and, with ``show=True``, a live dashboard.

    Takes Keras's own arguments (``log_dir``, ``histogram_freq``, ``write_graph``,
    ``write_images``, ``write_steps_per_second``, ``update_freq``, ``profile_batch``,
    ``embeddings_freq``, ``embeddings_metadata``); ``logdir`` is an alias of ``log_dir`` and
    ``show``/``write_learning_rate`` are ours. Unknown keywords raise ``TypeError``.

    ``write_graph`` writes the model's config at the start of each ``fit`` (Sequential and
    functional models, as Keras does). The op graph of the train function, which Keras may add
    on the TensorFlow backend, is not written (Keras 3.15 on TensorFlow 2.17 does not write it either).
    Profiling (``profile_batch``) and embeddings (``embeddings_freq``) are not supported and warn
    once when enabled. ``write_images`` logs each weight as an image (``<path>/image``) the way
    Keras does: values clipped to [0, 1], dense kernels as one image, conv kernels one per
    output channel (shown as a grid).
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int | str | tuple[int, int] | list[int] = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: str | dict[str, str] | None = None,
        *,
        logdir: str | os.PathLike[str] | None = None,
        write_learning_rate: bool = True,
        show: bool = False,
    ) -> None:
        super().__init__()
        if log_dir is not None and logdir is not None:
            raise TypeError(f"give log_dir or its alias logdir, not both (got log_dir={log_dir!r}, logdir={logdir!r})")
        path = log_dir if log_dir is not None else logdir if logdir is not None else "logs"
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"log_dir must be a path (str or os.PathLike), got {type(path).__name__}")
        if update_freq not in ("epoch", "batch") and not (
            isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0
        ):
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive int, got {update_freq!r}")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"histogram_freq must be an int >= 0 (0 disables histograms), got {histogram_freq!r}")
        if isinstance(embeddings_freq, bool) or not isinstance(embeddings_freq, int) or embeddings_freq < 0:
            raise ValueError(f"embeddings_freq must be an int >= 0 (0 disables embeddings), got {embeddings_freq!r}")
        if _profile_range(profile_batch) != (0, 0):
            warnings.warn(_UNSUPPORTED.format(what="profiling", arg="profile_batch", value=profile_batch), UserWarning, stacklevel=2)
        if embeddings_freq:
            warnings.warn(_UNSUPPORTED.format(what="embeddings", arg="embeddings_freq", value=embeddings_freq), UserWarning, stacklevel=2)
        self.log_dir = os.fspath(path)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self.write_learning_rate = write_learning_rate
        self.show = show
        self.dashboard: Any = None
        self._writers: dict[str, Any] = {}
        self._batch_step = 0
        self._batch_start = 0.0
        self._epoch_start = 0.0
        self._epoch_batches = 0
        self._training = False

    @property
    def logdir(self) -> str:
        """Alias of ``log_dir``."""
        return self.log_dir

    def _writer(self, run: str):
        writer = self._writers.get(run)
        if writer is None:
            from .writer import SummaryWriter

            writer = self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return writer

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._training = True
        train = self._writer("train")
        if self.write_graph and type(self.model).__name__ in ("Functional", "Sequential"):
            keras_model_summary(train, self.model)  # Keras writes these two kinds only
        if self.show and self.dashboard is None:
            from IPython.display import display

            from .widget import Dashboard

            self.dashboard = Dashboard(self.log_dir)
            display(self.dashboard)
            del display

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._batch_step += 1
        self._epoch_batches += 1
        if self.update_freq == "epoch" or self._batch_step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start
            if elapsed > 0:
                writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, self._batch_step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", _to_float(value), self._batch_step)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for name, value in (logs or {}).items():
            run, metric = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writer(run).add_scalar(f"epoch_{metric}", _to_float(value), epoch)
        train = self._writer("train")
        if self.write_learning_rate:
            lr = _learning_rate(self.model)
            if lr is not None:
                train.add_scalar("epoch_learning_rate", lr, epoch)
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start
            if elapsed > 0:
                train.add_scalar("epoch_steps_per_second", self._epoch_batches / elapsed, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for variable in self.model.weights:
                name = variable.path.replace(":", "_")
                values = to_numpy(variable.value, variable.path)
                if values.size:
                    train.add_histogram(f"{name}/histogram", values, epoch)
                    if self.write_images:
                        _log_weight_image(train, f"{name}/image", values, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs: dict | None = None) -> None:
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if iterations is not None and logs:
            step = int(_to_float(iterations))
            validation = self._writer("validation")
            for name, value in logs.items():
                validation.add_scalar(f"evaluation_{name}_vs_iterations", _to_float(value), step)
        if not self._training:  # model.evaluate on its own: no on_train_end will close the files
            self._close_writers()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._training = False
        self._close_writers()

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


def model_config_value(config_json: str | bytes, tag: str = KERAS_MODEL_TAG) -> summary_pb2.Summary.Value:
    """A Keras model config (``model.to_json()``) as the ``Summary.Value`` Keras's callback writes:
    a rank-0 string tensor, plugin ``graph_keras_model``, plugin content ``b"1"`` (its version)."""
    if isinstance(config_json, str):
        config_json = config_json.encode("utf-8")
    if not isinstance(config_json, bytes):
        raise TypeError(f"config_json must be str or bytes (model.to_json()), got {type(config_json).__name__}")
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"tag must be a non-empty str, got {tag!r}")
    tensor = tensor_pb2.TensorProto(dtype=DT_STRING, string_val=[config_json])
    tensor.tensor_shape.SetInParent()
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    value.metadata.plugin_data.plugin_name = _graph_md.KERAS_PLUGIN_NAME
    value.metadata.plugin_data.content = b"1"
    return value


def keras_model_summary(writer: Any, model: Any, tag: str = KERAS_MODEL_TAG, step: int = 0) -> bool:
    """Write ``model``'s config to ``writer`` (a ``SummaryWriter``) the way Keras's callback does
    (see ``model_config_value``). A model whose config does not serialize warns and is skipped,
    as in Keras; returns whether it was written."""
    if not hasattr(writer, "file_writer"):
        raise TypeError(f"writer must be a tbx_widget SummaryWriter, got {type(writer).__name__}")
    file_writer = writer.file_writer
    if file_writer is None:
        raise ValueError("writer is closed: log the model config before close()")
    to_json = getattr(model, "to_json", None)
    if not callable(to_json):
        raise TypeError(f"model must be a Keras model (with to_json()), got {type(model).__name__}")
    try:
        with warnings.catch_warnings():
            # Keras 3 + torch + NumPy 2: the compile config's optimizer reads its learning rate
            # through np.array(variable), which NumPy deprecates; Keras's issue, not the user's.
            warnings.filterwarnings("ignore", message=r"__array__ implementation doesn't accept a copy keyword",
                                    category=DeprecationWarning)
            config_json = to_json()
    except Exception as exc:  # noqa: BLE001 - Keras also only warns: logging must not break training
        warnings.warn(f"Model failed to serialize as JSON, its graph is not written: {exc}", UserWarning, stacklevel=2)
        return False
    summary = summary_pb2.Summary(value=[model_config_value(config_json, tag)])
    file_writer.add_summary(summary, step)
    return True


def _profile_range(profile_batch: Any) -> tuple[int, int]:
    """Keras's ``profile_batch`` (an int, ``"start,stop"`` or a pair) as ``(start, stop)``."""
    value = profile_batch
    if isinstance(value, str):
        parts = value.split(",")
        try:
            value = [int(p) for p in parts]
        except ValueError:
            value = None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
        and value[0] <= value[1]
    ):
        return int(value[0]), int(value[1])
    raise ValueError(
        f"profile_batch must be a non-negative int, 'start,stop' or a (start, stop) pair with start <= stop, got {profile_batch!r}"
    )


def _log_weight_image(writer: Any, tag: str, values: Any, step: int) -> None:
    """A weight as an image, the way Keras's callback draws it (values clipped to [0, 1])."""
    w = np.squeeze(values)
    if w.ndim == 1:  # bias
        img = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:  # dense kernel, long side horizontal
        if w.shape[0] > w.shape[1]:
            w = w.T
        img = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:  # conv kernel: one image per output channel
        if keras.backend.image_data_format() == "channels_last":
            w = np.transpose(w, (2, 0, 1))
        img = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    else:
        return  # Keras does not draw higher-rank weights either
    img = np.clip(img.astype(np.float32), 0.0, 1.0)
    if img.shape[0] == 1:
        writer.add_image(tag, img[0], step, dataformats="HWC")
    else:
        writer.add_images(tag, img, step, dataformats="NHWC")


def _to_float(value: Any) -> float:
    """A metric (a Python number, or a backend tensor or keras Variable) as a float."""
    if isinstance(value, keras.Variable):
        value = value.value
    return to_float(value, "metric")


def _learning_rate(model: Any) -> float | None:
    optimizer = getattr(model, "optimizer", None)
    lr = getattr(optimizer, "learning_rate", None)
    if lr is None:
        return None
    try:
        return _to_float(lr)
    except (TypeError, ValueError):
        return None
