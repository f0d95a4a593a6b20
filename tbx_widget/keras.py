"""A Keras 3 callback that logs through tbx_widget (any backend; keras is imported only here).

    from tbx_widget.keras import TensorBoard
    model.fit(x, y, validation_split=0.2, epochs=10,
              callbacks=[TensorBoard("runs/mlp", show=True, histogram_freq=1)])

The layout follows Keras's own TensorBoard callback, so existing habits and tools carry over:
runs ``<logdir>/train`` and ``<logdir>/validation``, tags ``epoch_<metric>`` (validation
metrics drop their ``val_`` prefix and go to the validation run), ``batch_<metric>`` when
``update_freq`` is ``"batch"`` or a number of batches, ``epoch_learning_rate``, and weight
histograms named by the variable's path every ``histogram_freq`` epochs.
"""
from __future__ import annotations

import os
from typing import Any

import keras

from .convert import to_float, to_numpy

__all__ = ["TensorBoard"]


class TensorBoard(keras.callbacks.Callback):
    """Log Keras training to TensorBoard event files and, with ``show=True``, a live dashboard."""

    def __init__(
        self,
        logdir: str | os.PathLike[str] = "runs",
        *,
        update_freq: str | int = "epoch",
        histogram_freq: int = 0,
        write_learning_rate: bool = True,
        show: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(logdir, (str, os.PathLike)):
            raise TypeError(f"logdir must be a path (str or os.PathLike), got {type(logdir).__name__}")
        if update_freq not in ("epoch", "batch") and not (
            isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0
        ):
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive int, got {update_freq!r}")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"histogram_freq must be an int >= 0 (0 disables histograms), got {histogram_freq!r}")
        self.logdir = os.fspath(logdir)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.histogram_freq = histogram_freq
        self.write_learning_rate = write_learning_rate
        self.show = show
        self.dashboard: Any = None
        self._writers: dict[str, Any] = {}
        self._batch_step = 0

    def _writer(self, run: str):
        writer = self._writers.get(run)
        if writer is None:
            from .writer import SummaryWriter

            writer = self._writers[run] = SummaryWriter(os.path.join(self.logdir, run))
        return writer

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._writer("train")
        if self.show and self.dashboard is None:
            from IPython.display import display

            from .widget import Dashboard

            self.dashboard = Dashboard(self.logdir)
            display(self.dashboard)
            del display

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._batch_step += 1
        if self.update_freq == "epoch" or self._batch_step % self.update_freq:
            return
        writer = self._writer("train")
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
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for variable in self.model.weights:
                values = to_numpy(variable.value, variable.path)
                if values.size:
                    train.add_histogram(variable.path, values, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


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
