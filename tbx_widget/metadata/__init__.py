"""One vocabulary per kind, as TensorBoard's ``plugins/<kind>/metadata.py``: each module names a
kind's plugin (``PLUGIN_NAME``, what ``SummaryMetadata.plugin_data.plugin_name`` holds), the
reader's kind (``KIND``, the key of ``Logs.tags(run)`` and of the live protocol) and any fixed
tags. The writer (``summary/*``), the reader (``reader/*``) and the follower import these instead
of repeating string literals. ``dtypes`` names TensorFlow's DataType enum values.
"""
from __future__ import annotations

from . import (audio, custom_scalar, curve, embedding, graph, histogram, hparams, image, mesh, pr_curve, scalar,
               surface, tensor, text)

__all__ = ["KINDS", "TENSOR_PLUGINS"]

KINDS: tuple[str, ...] = (
    scalar.KIND, histogram.KIND, image.KIND, text.KIND, pr_curve.KIND, hparams.KIND, audio.KIND,
    custom_scalar.KIND, graph.KIND, curve.KIND, surface.KIND, mesh.KIND,
)
"""Every kind the reader yields, in the order ``Logs.tags(run)`` lists them."""

TENSOR_PLUGINS: frozenset[str] = frozenset({
    scalar.PLUGIN_NAME, histogram.PLUGIN_NAME, image.PLUGIN_NAME, text.PLUGIN_NAME,
    pr_curve.PLUGIN_NAME, audio.PLUGIN_NAME, custom_scalar.PLUGIN_NAME,
})
"""Plugins whose values are tensors the reader decodes by plugin name (TensorBoard's own)."""
