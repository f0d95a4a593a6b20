"""PyTorch Lightning's ``TensorBoardLogger`` writes with torch's SummaryWriter, so its
``lightning_logs`` directory is a logdir tbx_widget reads and follows as it is:

    from pytorch_lightning.loggers import TensorBoardLogger
    trainer = Trainer(logger=TensorBoardLogger(save_dir="."), max_epochs=5)
    %load_ext tbx_widget
    %tbx lightning_logs          # in another cell, before or during trainer.fit(...)

A tiny fit on the CPU (a few steps) proves it: ``tbx_widget.load`` returns the metrics with the
values the module logged, and the dashboard's follower sends them.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("pytorch_lightning")

from tbx_widget import load  # noqa: E402
from tbx_widget.live.follower import Follower  # noqa: E402

# What Lightning warns about in a toy fit: filtered here, each by its text, not globally (pytest
# turns warnings into errors). The first is Lightning 2.6 on torch 2.13; the second comes on
# machines with more than a few cores.
LIGHTNING_NOISE = [
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",
    r"The '\w+_dataloader' does not have many workers",
]


class Tiny(pl.LightningModule):
    """A linear regression that remembers what it logged: (name, global_step, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.logged: list[tuple[str, int, float]] = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=False)
        self.logged.append(("train_loss", self.global_step, float(loss.detach())))
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("val_loss", loss, on_step=False, on_epoch=True)
        self.logged.append(("val_loss", self.global_step, float(loss.detach())))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _loader(seed: int, n: int, batch_size: int) -> torch.utils.data.DataLoader:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x.sum(dim=1, keepdim=True)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("pl")
    pl.seed_everything(0, verbose=False)
    model = Tiny()
    with warnings.catch_warnings():
        for message in LIGHTNING_NOISE:
            warnings.filterwarnings("ignore", message=message)
        trainer = pl.Trainer(
            max_epochs=2, accelerator="cpu", devices=1, log_every_n_steps=1, logger=pl.loggers.TensorBoardLogger(save_dir=root),
            enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False, num_sanity_val_steps=0,
        )
        trainer.fit(model, _loader(0, 24, 8), _loader(1, 16, 16))
    return root / "lightning_logs", model


def test_load_returns_what_the_module_logged(fitted):
    logdir, model = fitted
    logs = load(logdir)
    assert logs.runs == ["version_0"]
    scalars = logs.tags("version_0")["scalars"]
    assert {"train_loss", "val_loss", "epoch"} <= set(scalars)
    train = [(step, value) for name, step, value in model.logged if name == "train_loss"]
    series = logs.scalars("version_0", "train_loss")
    assert series.step.tolist() == [step for step, _ in train] == list(range(6))  # 3 batches x 2 epochs
    np.testing.assert_allclose(series.value, [value for _, value in train], rtol=1e-6)
    val = logs.scalars("version_0", "val_loss")
    assert val.step.tolist() == [2, 5]  # Lightning logs an epoch's metric at its last step
    np.testing.assert_allclose(val.value, [value for name, _, value in model.logged if name == "val_loss"], rtol=1e-6)
    epoch = logs.scalars("version_0", "epoch")  # Lightning adds it to each log call: train steps, then val
    assert epoch.step.tolist() == [0, 1, 2, 2, 3, 4, 5, 5]
    assert epoch.value.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_the_dashboard_follower_sends_them(fitted):
    logdir, model = fitted
    batches: list = []
    Follower(str(logdir)).poll(batches.append)
    sent = {}
    for b in batches:
        for item in b.content["items"]:
            if item["kind"] == "scalars":
                sent.setdefault((item["run"], item["tag"]), []).extend(
                    zip(np.frombuffer(b.buffers[item["step_buf"]], "<f8").tolist(),
                        np.frombuffer(b.buffers[item["value_buf"]], "<f8").tolist()))
    train = [(float(step), value) for name, step, value in model.logged if name == "train_loss"]
    got = sent[("version_0", "train_loss")]
    assert [s for s, _ in got] == [s for s, _ in train]
    np.testing.assert_allclose([v for _, v in got], [v for _, v in train], rtol=1e-6)
    assert ("version_0", "val_loss") in sent


def test_tbx_magic_shows_a_dashboard_of_lightning_logs(fitted, monkeypatch):
    """``%tbx lightning_logs --runs version_0`` (the magic's function, with IPython's display caught)."""
    import IPython.display

    from tbx_widget import magics
    from tbx_widget.widget import Dashboard

    logdir, model = fitted
    shown: list = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    magics.tbx(f"'{logdir}' --runs version_0")
    (dash,) = shown
    try:
        assert isinstance(dash, Dashboard) and dash.logdir == str(logdir) and dash.run_filter == "version_0"
        deadline = time.monotonic() + 30
        while dash.status == "no_runs" and time.monotonic() < deadline:
            time.sleep(0.1)
        values = dash._follower.with_preview(lambda logs: logs.scalars("version_0", "train_loss").value.tolist())
        np.testing.assert_allclose(values, [v for name, _, v in model.logged if name == "train_loss"], rtol=1e-6)
    finally:
        dash.close()
