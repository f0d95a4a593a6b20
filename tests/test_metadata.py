"""tbx_widget.metadata: the one vocabulary per kind that writer, reader and follower share."""
from __future__ import annotations

import pytest

from tbx_widget import metadata as md
from tbx_widget._proto import types_pb2
from tbx_widget.live.encode import ENCODED_KINDS
from tbx_widget.metadata import dtypes
from tbx_widget.reader import KINDS as READER_KINDS

def test_plugin_names_and_tags_are_tensorboards():
    """Each module names the plugin and tags TensorBoard's plugins/<kind>/metadata.py name."""
    tb = pytest.importorskip("tensorboard.plugins")
    from tensorboard.plugins.audio import metadata as audio
    from tensorboard.plugins.custom_scalar import metadata as custom_scalar
    from tensorboard.plugins.graph import metadata as graph
    from tensorboard.plugins.histogram import metadata as histogram
    from tensorboard.plugins.hparams import metadata as hparams
    from tensorboard.plugins.image import metadata as image
    from tensorboard.plugins.mesh import metadata as mesh
    from tensorboard.plugins.pr_curve import metadata as pr_curve
    from tensorboard.plugins.scalar import metadata as scalar
    from tensorboard.plugins.text import metadata as text

    assert tb is not None
    pairs = [(md.scalar, scalar), (md.histogram, histogram), (md.image, image), (md.audio, audio),
             (md.text, text), (md.pr_curve, pr_curve), (md.hparams, hparams), (md.custom_scalar, custom_scalar),
             (md.mesh, mesh)]
    for ours, theirs in pairs:
        assert ours.PLUGIN_NAME == theirs.PLUGIN_NAME, ours.__name__
    assert md.custom_scalar.CONFIG_TAG == custom_scalar.CONFIG_SUMMARY_TAG
    assert md.hparams.EXPERIMENT_TAG == hparams.EXPERIMENT_TAG
    assert md.hparams.SESSION_START_TAG == hparams.SESSION_START_INFO_TAG
    assert md.hparams.SESSION_END_TAG == hparams.SESSION_END_INFO_TAG
    assert md.graph.KERAS_PLUGIN_NAME == graph.PLUGIN_NAME_KERAS_MODEL


def test_one_list_of_kinds_for_reader_and_follower():
    """The reader's kinds are metadata.KINDS and the follower encodes each of them, and the
    projector's live kind; every module of the package is reachable from it (protocol.ts's copy
    is checked by the golden batches)."""
    assert READER_KINDS == md.KINDS
    assert len(set(md.KINDS)) == len(md.KINDS)
    assert set(ENCODED_KINDS) == set(md.KINDS)
    assert md.embedding.KIND == "embeddings" and md.tensor.PLUGIN_NAME == "tensor"


def test_dtypes_are_the_generated_enum():
    for name in dtypes.__all__:
        assert getattr(dtypes, name) == types_pb2.DataType.Value(name)
    assert (dtypes.DT_FLOAT, dtypes.DT_DOUBLE, dtypes.DT_STRING, dtypes.DT_BFLOAT16) == (1, 2, 7, 14)
