"""Run groups (tbx_widget/groups.py), aggregation over runs (reader/aggregate.py, Logs.aggregate,
to_pandas(group=...)) and one run per rank (SummaryWriter(rank=...), distributed.py)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget.distributed import is_rank_zero, rank_from_env, rank_logdir
from tbx_widget.groups import group_key, group_runs, parse_grouping
from tbx_widget.magics import parse_tbx_args
from tbx_widget.reader.aggregate import aggregate

SHARED = json.loads((pathlib.Path(__file__).parent / "fixtures" / "groups_cases.json").read_text())
CASES = SHARED["cases"]


# -- grouping rules (the same cases js/tests/groups.test.ts checks) ------------------------------

@pytest.mark.parametrize("case", CASES, ids=[json.dumps(c["group"]) for c in CASES])
def test_shared_cases(case):
    hparams = case.get("hparams", {})
    got = {run: group_key(run, case["group"], hparams.get(run)) for run in case["keys"]}
    assert got == case["keys"]


def test_group_runs_keeps_order_and_places_every_run():
    runs = ["lr=0.1,s=1", "base", "lr=0.2,s=1", "lr=0.1,s=2"]
    assert group_runs(runs, r"(lr=[^,]+)") == {"lr=0.1": ["lr=0.1,s=1", "lr=0.1,s=2"], "base": ["base"], "lr=0.2": ["lr=0.2,s=1"]}
    assert group_runs(["gpu_0", "gpu_1", "cpu"], {"by": "ranks"}) == {"gpu_*": ["gpu_0", "gpu_1"], "cpu": ["cpu"]}


def test_parse_grouping_forms_and_errors():
    import re

    assert parse_grouping(None) == {"by": "off"}
    assert parse_grouping("a(b)") == parse_grouping(re.compile("a(b)")) == {"by": "regex", "pattern": "a(b)"}
    assert parse_grouping({"by": "prefix"}) == {"by": "prefix", "sep": "/"}
    with pytest.raises(ValueError, match=r"group pattern '\(' is not a valid regular expression"):
        parse_grouping("(")
    with pytest.raises(ValueError, match=r"group\['by'\] must be one of .* got 'rank'"):
        parse_grouping({"by": "rank"})
    with pytest.raises(TypeError, match="group must be None, a regex string or a dict.*got int"):
        parse_grouping(3)
    with pytest.raises(ValueError, match="'hparam' needs a non-empty 'name'"):
        parse_grouping({"by": "hparam"})
    with pytest.raises(ValueError, match="'prefix' needs a non-empty 'sep'"):
        parse_grouping({"by": "prefix", "sep": ""})
    assert parse_grouping({"by": "ranks", "stat": "median", "band": "std", "members": True}) == \
        {"by": "ranks", "stat": "median", "band": "std", "members": True}
    with pytest.raises(ValueError, match=r"group\['band'\] must be one of \['minmax', 'std', 'none'\], got 'range'"):
        parse_grouping({"by": "ranks", "band": "range"})
    with pytest.raises(ValueError, match=r"group\['members'\] must be one of \[True, False\], got 1"):
        parse_grouping({"by": "ranks", "members": 1})


# -- aggregation -------------------------------------------------------------------------------

def _arr(*xs):
    return np.array(xs, dtype=np.float64)


def _nan(xs):
    return np.array([np.nan if x is None else x for x in xs], dtype=np.float64)


@pytest.mark.parametrize("case", SHARED["aggregate"])
def test_shared_aggregate_cases(case):
    g = aggregate([(np.array(m["step"], dtype=np.int64), _nan(m["value"])) for m in case["members"]])
    want = case["want"]
    np.testing.assert_array_equal(g.step, want["step"])
    np.testing.assert_array_equal(g.count, want["count"])
    for stat in ("mean", "median", "min", "max", "std"):
        np.testing.assert_allclose(getattr(g, stat), _nan(want[stat]), rtol=1e-12, err_msg=stat)


def test_aggregate_hand_computed_ragged_steps():
    a = (np.array([0, 1, 2]), _arr(1.0, 2.0, 3.0))
    b = (np.array([0, 1]), _arr(3.0, 6.0))
    c = (np.array([0, 2, 4]), _arr(5.0, 9.0, 7.0))
    g = aggregate([a, b, c], runs=["a", "b", "c"])
    np.testing.assert_array_equal(g.step, [0, 1, 2, 4])
    np.testing.assert_array_equal(g.count, [3, 2, 2, 1])
    np.testing.assert_allclose(g.mean, [3.0, 4.0, 6.0, 7.0])
    np.testing.assert_allclose(g.median, [3.0, 4.0, 6.0, 7.0])
    np.testing.assert_allclose(g.min, [1.0, 2.0, 3.0, 7.0])
    np.testing.assert_allclose(g.max, [5.0, 6.0, 9.0, 7.0])
    # population std: step 0 values 1, 3, 5 -> sqrt(8/3); step 1: 2, 6 -> 2; step 2: 3, 9 -> 3
    np.testing.assert_allclose(g.std, [np.sqrt(8 / 3), 2.0, 3.0, 0.0])
    assert g.runs == ("a", "b", "c") and len(g) == 4
    assert g.step.dtype == np.int64 and g.count.dtype == np.int64


def test_aggregate_median_of_odd_and_even_counts_unsorted_values():
    g = aggregate([(np.array([5]), _arr(10.0)), (np.array([5]), _arr(-2.0)), (np.array([5]), _arr(4.0)), (np.array([7]), _arr(1.0))])
    np.testing.assert_allclose(g.median, [4.0, 1.0])
    g2 = aggregate([(np.array([5]), _arr(x)) for x in (10.0, -2.0, 4.0, 0.0)])
    np.testing.assert_allclose(g2.median, [2.0])  # (0 + 4) / 2


def test_aggregate_nan_is_not_counted_and_repeated_step_takes_last():
    a = (np.array([0, 1, 1]), _arr(np.nan, 1.0, 5.0))  # step 1 logged twice: 5 counts
    b = (np.array([0, 1]), _arr(np.nan, 3.0))
    g = aggregate([a, b])
    np.testing.assert_array_equal(g.step, [0, 1])
    np.testing.assert_array_equal(g.count, [0, 2])
    assert np.isnan(g.mean[0]) and np.isnan(g.min[0]) and np.isnan(g.std[0])
    np.testing.assert_allclose([g.mean[1], g.min[1], g.max[1]], [4.0, 3.0, 5.0])


def test_aggregate_empty_and_bad_input():
    g = aggregate([])
    assert len(g) == 0 and g.count.dtype == np.int64
    with pytest.raises(ValueError, match=r"series\[0\]: step and value must be 1-d arrays of one length"):
        aggregate([(np.array([0, 1]), _arr(1.0))])
    with pytest.raises(ValueError, match=r"series\[0\]: steps must be integers, got dtype float64"):
        aggregate([(_arr(0.5), _arr(1.0))])
    with pytest.raises(TypeError, match=r"series\[0\] must be a \(step, value\) tuple"):
        aggregate([[np.array([0]), _arr(1.0)]])


def _sweep(logdir: pathlib.Path) -> None:
    values = {"lr=0.1,seed=1": [4.0, 2.0, 1.0], "lr=0.1,seed=2": [6.0, 4.0], "lr=0.5,seed=1": [1.0, 1.0, 1.0, 0.5], "base": [9.0]}
    for run, vs in values.items():
        with SummaryWriter(logdir / run) as w:
            for step, v in enumerate(vs):
                w.add_scalar("loss", v, step * 10)
            w.add_scalar("other", 1.0, 0)


def test_logs_aggregate_by_regex(logdir):
    _sweep(logdir)
    logs = load(logdir)
    groups = logs.aggregate("loss", group=r"(lr=[^,]+)")
    assert list(groups) == ["base", "lr=0.1", "lr=0.5"]  # runs are read in sorted order
    g = groups["lr=0.1"]
    assert g.runs == ("lr=0.1,seed=1", "lr=0.1,seed=2")
    np.testing.assert_array_equal(g.step, [0, 10, 20])
    np.testing.assert_array_equal(g.count, [2, 2, 1])
    np.testing.assert_allclose(g.mean, [5.0, 3.0, 1.0])
    np.testing.assert_allclose(g.min, [4.0, 2.0, 1.0])
    np.testing.assert_allclose(g.max, [6.0, 4.0, 1.0])
    np.testing.assert_allclose(g.std, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(groups["lr=0.5"].count, [1, 1, 1, 1])
    everything = logs.aggregate("loss")
    assert list(everything) == ["*"] and everything["*"].count[0] == 4
    with pytest.raises(KeyError, match="no run has a scalar tag 'nope'"):
        logs.aggregate("nope", group=r"(lr=[^,]+)")
    with pytest.raises(TypeError, match="tag must be a str, got int"):
        logs.aggregate(1)


def test_to_pandas_group_column(logdir):
    _sweep(logdir)
    df = load(logdir).to_pandas(group=r"(lr=[^,]+)")
    assert list(df.columns) == ["run", "group", "tag", "step", "wall_time", "value"]
    by_run = dict(zip(df["run"], df["group"]))
    assert by_run == {"lr=0.1,seed=1": "lr=0.1", "lr=0.1,seed=2": "lr=0.1", "lr=0.5,seed=1": "lr=0.5", "base": "base"}
    means = df[df.tag == "loss"].groupby(["group", "step"])["value"].mean()
    assert means[("lr=0.1", 10)] == 3.0
    assert "group" not in load(logdir).to_pandas().columns


def test_aggregate_by_hparam(logdir):
    for i, lr in enumerate([0.1, 0.1, 0.2]):
        with SummaryWriter(logdir / f"trial{i}") as w:
            w.add_scalar("acc", float(i), 0)
            w.add_hparams({"lr": lr}, {"hp/acc": float(i)}, run_name=".")
    with SummaryWriter(logdir / "trial3") as w:  # tensorboardX's layout: the session in a child run
        w.add_scalar("acc", 3.0, 0)
        w.add_hparams({"lr": 1e-5}, {"hp/acc": 3.0})
    groups = load(logdir).aggregate("acc", group={"by": "hparam", "name": "lr"})
    assert {k: g.runs for k, g in groups.items()} == {"lr=0.1": ("trial0", "trial1"), "lr=0.2": ("trial2",), "lr=0.00001": ("trial3",)}
    np.testing.assert_allclose(groups["lr=0.1"].mean, [0.5])


# -- dashboard / magic arguments -----------------------------------------------------------------

def test_magic_and_dashboard_take_the_grouping(logdir):
    assert parse_tbx_args("runs --group ranks")["group"] == {"by": "ranks"}
    assert parse_tbx_args("runs --group '(lr=[^,]+)'")["group"] == {"by": "regex", "pattern": "(lr=[^,]+)"}
    with pytest.raises(ValueError, match="not a valid regular expression"):
        parse_tbx_args("runs --group '('")
    from tbx_widget import Dashboard

    d = Dashboard(logdir, group=r"(lr=[^,]+)")
    try:
        assert d.view_settings == {"group": {"by": "regex", "pattern": "(lr=[^,]+)"}}
    finally:
        d.close()
    with pytest.raises(ValueError, match=r"group\['by'\] must be one of"):
        Dashboard(logdir, group={"by": "bogus"})
    d = Dashboard(logdir, group={"by": "hparam", "name": "lr", "stat": "median"})
    try:
        assert d.view_settings == {"group": {"by": "hparam", "name": "lr", "stat": "median"}}
    finally:
        d.close()


# -- one run per rank --------------------------------------------------------------------------

def test_rank_logdir_and_env():
    assert rank_logdir("runs", None) == "runs"
    assert rank_logdir("runs", 3) == os.path.join("runs", "rank_3")
    assert rank_from_env({"RANK": "2", "WORLD_SIZE": "4", "LOCAL_RANK": "0"}) == 2
    assert rank_from_env({"LOCAL_RANK": "1"}) == 1
    assert rank_from_env({}) == 0
    with pytest.raises(ValueError, match="rank 4 from the environment is not below WORLD_SIZE=4"):
        rank_from_env({"RANK": "4", "WORLD_SIZE": "4"})
    with pytest.raises(ValueError, match="RANK='x' is not an integer"):
        rank_from_env({"RANK": "x"})
    for bad in (-1, True, "0", 1.0):
        with pytest.raises(ValueError, match="rank must be None, an int >= 0 or 'env'"):
            rank_logdir("runs", bad)


RANK_SCRIPT = """
import sys
from tbx_widget import SummaryWriter
with SummaryWriter(sys.argv[1], rank="env") as w:
    import os
    r = int(os.environ["RANK"])
    for step in range(3):
        w.add_scalar("loss", float(r + step), step)
"""


def test_four_rank_processes_write_one_run_each_grouped_by_default(logdir):
    procs = []
    for r in range(4):
        env = {**os.environ, "RANK": str(r), "WORLD_SIZE": "4", "LOCAL_RANK": str(r)}
        procs.append(subprocess.Popen([sys.executable, "-c", RANK_SCRIPT, str(logdir)], env=env))
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    logs = load(logdir)
    assert sorted(logs.runs) == ["rank_0", "rank_1", "rank_2", "rank_3"]
    groups = logs.aggregate("loss", group={"by": "ranks"})
    assert list(groups) == ["rank_*"]
    g = groups["rank_*"]
    np.testing.assert_array_equal(g.count, [4, 4, 4])
    np.testing.assert_allclose(g.mean, [1.5, 2.5, 3.5])
    np.testing.assert_allclose(g.min, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(g.max, [3.0, 4.0, 5.0])


def test_writer_rank_argument_and_show_groups_all_ranks(logdir):
    w = SummaryWriter(logdir, rank=1)
    try:
        assert w.logdir == os.path.join(str(logdir), "rank_1")
        w.add_scalar("x", 1.0, 0)
        w.flush()
        d = w.show()
        try:
            assert d.logdir == str(logdir) and d.view_settings["group"] == {"by": "ranks"}
        finally:
            d.close()
        d = w.show(group={"by": "regex", "pattern": r"(rank_\d)", "band": "std"})
        try:
            assert d.view_settings["group"] == {"by": "regex", "pattern": r"(rank_\d)", "band": "std"}
        finally:
            d.close()
    finally:
        w.close()
    with pytest.raises(ValueError, match="rank must be None, an int >= 0 or 'env', got -2"):
        SummaryWriter(logdir, rank=-2)


RANK_ZERO_SCRIPT = """
import sys
from tbx_widget import SummaryWriter
from tbx_widget.distributed import is_rank_zero
with SummaryWriter(sys.argv[1], write_to_disk=is_rank_zero()) as w:
    w.add_scalar("loss", 1.0, 0)
"""


def test_four_processes_rank_zero_only_write_one_run(logdir, monkeypatch):
    procs = [subprocess.Popen([sys.executable, "-c", RANK_ZERO_SCRIPT, str(logdir / "run")],
                              env={**os.environ, "RANK": str(r), "WORLD_SIZE": "4"}) for r in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert len(os.listdir(logdir / "run")) == 1  # one event file: rank 0's
    monkeypatch.setenv("RANK", "1")
    assert not is_rank_zero()


TORCH_SCRIPT = """
import sys
import torch.distributed as dist
from tbx_widget import SummaryWriter
rank = int(sys.argv[2])
dist.init_process_group("gloo", init_method=sys.argv[3], rank=rank, world_size=4)
with SummaryWriter(sys.argv[1], rank="env") as w:
    w.add_scalar("loss", float(rank), 0)
dist.barrier()
dist.destroy_process_group()
"""


def test_rank_env_follows_torch_distributed_without_rank_variables(logdir):
    pytest.importorskip("torch.distributed")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}
    procs = [subprocess.Popen([sys.executable, "-c", TORCH_SCRIPT, str(logdir), str(r), f"tcp://127.0.0.1:{port}"], env=env)
             for r in range(4)]
    assert [p.wait(timeout=180) for p in procs] == [0, 0, 0, 0]
    logs = load(logdir)
    assert sorted(logs.runs) == ["rank_0", "rank_1", "rank_2", "rank_3"]
    assert [float(logs.scalars(f"rank_{r}", "loss").value[0]) for r in range(4)] == [0.0, 1.0, 2.0, 3.0]
