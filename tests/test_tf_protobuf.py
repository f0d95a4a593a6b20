"""TensorFlow, protobuf 4.25 and tbx_widget in one process (Colab's situation).

TensorFlow 2.15-2.17 require protobuf<5, and Colab has shipped them with protobuf 4.25. The test
imports TensorFlow first (its generated modules register tensorboard.* messages in protobuf's
default pool), then tbx_widget, writes one run with ``tf.summary`` and one with our SummaryWriter
into one logdir, and reads both back with ``tbx_widget.load``.

It runs in its own venv, ``make test-tf`` (TensorFlow CPU 2.17.1 + protobuf 4.25.9; about 1.4 GB,
about 2 minutes to install), which sets TBX_REQUIRE_TF=1 so a missing TensorFlow fails instead of
skipping. Elsewhere it is skipped when TensorFlow is absent.
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

from google import protobuf  # noqa: E402

import tbx_widget  # noqa: E402  (after TensorFlow on purpose: its protos are registered first)
from tbx_widget import SummaryWriter  # noqa: E402

STEPS = 25


def loss_at(step: int) -> float:
    return float(np.float32(1.0 / (step + 1)))


def test_runtime_is_the_pinned_one():
    if os.environ.get("TBX_REQUIRE_TF") != "1":
        pytest.skip("only meaningful in the make test-tf venv")
    assert protobuf.__version__.startswith("4.25."), protobuf.__version__
    assert tf.__version__.startswith("2.17."), tf.__version__


def test_tf_summary_and_our_writer_in_one_logdir(tmp_path):
    logdir = tmp_path / "logs"
    tf_writer = tf.summary.create_file_writer(str(logdir / "tf"))
    with tf_writer.as_default():
        for step in range(STEPS):
            tf.summary.scalar("train/loss", loss_at(step), step=step)
            if step % 10 == 0:
                tf.summary.histogram("weights", tf.constant(np.linspace(-1, 1, 101), tf.float32), step=step)
        tf.summary.text("note", tf.constant("written by tf.summary"), step=0)
    tf_writer.close()

    ours = SummaryWriter(str(logdir / "ours"))
    for step in range(STEPS):
        ours.add_scalar("train/loss", loss_at(step), step)
    ours.add_text("note", "written by tbx_widget", 0)
    ours.close()

    logs = tbx_widget.load(logdir)
    assert sorted(logs.runs) == ["ours", "tf"]
    tf_loss = logs.scalars("tf", "train/loss")
    our_loss = logs.scalars("ours", "train/loss")
    expected = np.array([loss_at(s) for s in range(STEPS)])
    np.testing.assert_array_equal(tf_loss.step, np.arange(STEPS))
    np.testing.assert_array_equal(our_loss.step, np.arange(STEPS))
    np.testing.assert_allclose(tf_loss.value, expected, rtol=0, atol=0)
    np.testing.assert_allclose(our_loss.value, tf_loss.value, rtol=0, atol=0)

    assert logs.tags("tf")["histograms"] == ["weights"]
    hist = logs.histograms("tf", "weights")
    assert [h.step for h in hist] == [0, 10, 20]
    assert float(np.sum(hist[0].bucket_counts)) == pytest.approx(101)

    assert [t.text for t in logs.texts("tf", "note")] == ["written by tf.summary"]
    assert [t.text for t in logs.texts("ours", "note/text_summary")] == ["written by tbx_widget"]
