"""Text, PR curves, audio, custom-scalar layouts: values → ``Summary.Value`` protos."""
from __future__ import annotations

import io
import wave
from typing import Any

import numpy as np

from .._proto import layout_pb2, plugins_pb2, summary_pb2, tensor_pb2
from ..convert import check_text
from ..metadata import custom_scalar, pr_curve
from ..metadata import text as _text_md
from ..metadata import audio as _audio
from ..metadata.dtypes import DT_FLOAT, DT_STRING
from .scalar import plugin_metadata

__all__ = ["text_value", "pr_curve_counts", "pr_curve_value", "audio_value", "layout_value", "CUSTOM_SCALARS_TAG"]

CUSTOM_SCALARS_TAG = custom_scalar.CONFIG_TAG
_MIN_COUNT = 1e-7  # keeps precision and recall finite where nothing was predicted positive


def _string_tensor(values: list[bytes], shape: tuple[int, ...]) -> tensor_pb2.TensorProto:
    t = tensor_pb2.TensorProto(dtype=DT_STRING, string_val=values)
    t.tensor_shape.SetInParent()
    for d in shape:
        t.tensor_shape.dim.add(size=d)
    return t


def text_value(tag: str, text: str | bytes) -> summary_pb2.Summary.Value:
    """tensorboardX's and torch's layout: tag ``<tag>/text_summary``, a one-element string tensor
    (``text`` as a str, or already encoded as UTF-8)."""
    return summary_pb2.Summary.Value(
        tag=f"{tag}{_text_md.TAG_SUFFIX}",
        tensor=_string_tensor([text if isinstance(text, bytes) else text.encode("utf-8")], (1,)),
        metadata=plugin_metadata(_text_md.PLUGIN_NAME, plugins_pb2.TextPluginData(version=0).SerializeToString()),
    )


def pr_curve_counts(labels: np.ndarray, predictions: np.ndarray, num_thresholds: int, weights: np.ndarray | None) -> np.ndarray:
    """The [6, num_thresholds] table TensorBoard's PR-curve plugin reads: TP, FP, TN, FN,
    precision, recall at thresholds i / (num_thresholds - 1). A prediction p counts as positive
    at threshold t when floor(p * (n - 1)) >= t * (n - 1)."""
    n = num_thresholds
    w = np.ones(len(labels)) if weights is None else weights.astype(np.float64)
    bucket = np.clip(np.floor(predictions.astype(np.float64) * (n - 1)).astype(np.int64), 0, n - 1)
    positive = labels.astype(np.float64)
    tp_at = np.bincount(bucket, weights=positive * w, minlength=n)
    fp_at = np.bincount(bucket, weights=(1.0 - positive) * w, minlength=n)
    tp = np.cumsum(tp_at[::-1])[::-1]
    fp = np.cumsum(fp_at[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(_MIN_COUNT, tp + fp)
    recall = tp / np.maximum(_MIN_COUNT, tp + fn)
    return np.stack([tp, fp, tn, fn, precision, recall]).astype(np.float32)


def pr_curve_value(tag: str, table: np.ndarray) -> summary_pb2.Summary.Value:
    n = table.shape[1]
    tensor = tensor_pb2.TensorProto(dtype=DT_FLOAT, tensor_content=np.ascontiguousarray(table, dtype="<f4").tobytes())
    tensor.tensor_shape.dim.add(size=6)
    tensor.tensor_shape.dim.add(size=n)
    content = plugins_pb2.PrCurvePluginData(version=0, num_thresholds=n).SerializeToString()
    return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=plugin_metadata(pr_curve.PLUGIN_NAME, content))


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV of (frames, channels) float samples in [-1, 1] (clipped)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def audio_value(tag: str, samples: np.ndarray, sample_rate: int) -> summary_pb2.Summary.Value:
    frames, channels = samples.shape
    audio = summary_pb2.Summary.Audio(
        sample_rate=float(sample_rate), num_channels=channels, length_frames=frames,
        encoded_audio_string=encode_wav(samples, sample_rate), content_type=_audio.ENCODING,
    )
    return summary_pb2.Summary.Value(tag=tag, audio=audio)


def layout_proto(layout: dict[str, dict[str, list[Any]]]) -> layout_pb2.Layout:
    """``{category: {chart title: ["Multiline", [tags...]] | ["Margin", [value, lower, upper]]}}``."""
    if not isinstance(layout, dict):
        raise TypeError(f"layout must be a dict of categories, got {type(layout).__name__}")
    proto = layout_pb2.Layout()
    for category, charts in layout.items():
        if not isinstance(charts, dict):
            raise TypeError(f"layout[{category!r}] must be a dict of charts, got {type(charts).__name__}")
        cat = proto.category.add(title=_text(category, "layout category"))
        for title, spec in charts.items():
            where = f"layout[{category!r}][{title!r}]"
            if not (isinstance(spec, (list, tuple)) and len(spec) == 2 and spec[0] in ("Multiline", "Margin")):
                raise ValueError(f"{where} must be ['Multiline', [tags]] or ['Margin', [value, lower, upper]], got {spec!r}")
            chart = cat.chart.add(title=_text(title, f"layout[{category!r}] chart title"))
            kind, tags = spec
            if isinstance(tags, (str, bytes)) or not isinstance(tags, (list, tuple)):
                raise TypeError(f"{where} tags must be a list of str, got {type(tags).__name__}")
            names = [_text(t, f"{where} tags[{i}]") for i, t in enumerate(tags)]
            if kind == "Multiline":
                chart.multiline.tag.extend(names)
            else:
                if len(names) != 3:
                    raise ValueError(f"a Margin chart needs three tags [value, lower, upper], got {tags!r}")
                chart.margin.series.add(value=names[0], lower=names[1], upper=names[2])
    return proto


def _text(value: Any, name: str) -> str:
    """A layout string: str as is (other values through ``str``, as before), valid as UTF-8."""
    return check_text(value if isinstance(value, str) else str(value), name)


def layout_value(layout: layout_pb2.Layout) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(
        tag=CUSTOM_SCALARS_TAG, tensor=_string_tensor([layout.SerializeToString()], ()),
        metadata=plugin_metadata(custom_scalar.PLUGIN_NAME),
    )
