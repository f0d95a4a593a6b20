"""A bad argument raises at the call and nothing else is lost; an error met by the background
thread is reported by a later call without costing that call's own event; workers keep what they
log. (Issue 13, writer section.)"""
from __future__ import annotations

import enum
import errno
import multiprocessing
import os
import shutil
import time

import numpy as np
import pytest

from tbx_widget import SummaryWriter, load
from tbx_widget import event_file as ef

BAD_CALLS = [
    # (method, args, kwargs, error, argument the message must name)
    ("add_scalar", ("bad\ud800", 1.0, 0), {}, ValueError, "tag"),
    ("add_scalar", ("x", 1.0, 2**63), {}, ValueError, "global_step"),
    ("add_scalar", ("x", 1.0, 2**64), {}, ValueError, "global_step"),
    ("add_scalar", ("x", 1.0, -(2**70)), {}, ValueError, "global_step"),
    ("add_scalar", ("x", 1.0, 1e30), {}, ValueError, "global_step"),
    ("add_scalar", ("x", 1.0, np.uint64(2**64 - 1)), {}, ValueError, "global_step"),
    ("add_scalar", ("x", 10**400, 0), {}, ValueError, "scalar_value"),
    ("add_scalar", ("x", 1.0, 0), {"walltime": 10**400}, ValueError, "walltime"),
    ("add_scalar", ("x", 1.0, 0), {"display_name": "a\udc80"}, ValueError, "display_name"),
    ("add_scalars", ("main", {"a\udfff": 1.0}), {}, ValueError, "tag_scalar_dict key"),
    ("add_text", ("t", "text \ud800"), {}, ValueError, "text_string"),
    ("add_text", ("t\ud800", "text"), {}, ValueError, "tag"),
    ("add_histogram", ("h", [1.0, 2.0]), {"bins": 10**9}, ValueError, "bins"),
    ("add_histogram", ("h", [1.0, 2.0]), {"bins": np.linspace(0, 1, 200_002)}, ValueError, "bins"),
    ("add_histogram", ("h", np.r_[np.zeros(10_000), np.arange(1, 10_001) * 1e-9, 1e12]), {"bins": "fd"}, ValueError, "bins"),
    ("add_histogram", ("h", [1.0, 2.0]), {"global_step": 2**63}, ValueError, "global_step"),
    ("add_histogram", ("h", np.array([1 + 2j])), {}, TypeError, "values"),
    ("add_histogram_raw", ("h", 0, 1, 2, 1, 1, [1, 2], [1, np.nan]), {}, ValueError, "bucket_counts"),
    ("add_video", ("v", np.zeros((1, 2, 3, 4, 4))), {"fps": float("inf")}, ValueError, "fps"),
    ("add_video", ("v", np.zeros((1, 2, 3, 4, 4))), {"fps": float("nan")}, ValueError, "fps"),
    ("add_video", ("v", np.zeros((1, 2, 3, 4, 4))), {"fps": 1e-4}, ValueError, "fps"),
    ("add_video", ("v", np.zeros((1, 0, 3, 4, 4))), {}, ValueError, "vid_tensor"),
    ("add_audio", ("a", np.zeros(10)), {"sample_rate": float("inf")}, ValueError, "sample_rate"),
    ("add_audio", ("a", np.zeros(10, dtype=complex)), {}, TypeError, "snd_tensor"),
    ("add_image_with_boxes", ("i", np.zeros((3, 8, 8)), np.array([[0, 0, np.nan, 4]])), {}, ValueError, "box_tensor"),
    ("add_image_with_boxes", ("i", np.zeros((3, 8, 8)), np.array([[0, 0, 4, 4]])), {"labels": ["\ud800"]}, ValueError, "labels[0]"),
    ("add_pr_curve", ("pr", [0, 1], [0.2, 0.8]), {"weights": [1.0, np.nan]}, ValueError, "weights"),
    ("add_pr_curve", ("pr", [0, 1], [0.2, 0.8]), {"weights": [1.0, -1.0]}, ValueError, "weights"),
    ("add_hparams", ({1: 0.1}, {"m": 1.0}), {}, TypeError, "hparam_dict key"),
    ("add_hparams", ({"lr": "x\ud800"}, {"m": 1.0}), {}, ValueError, "hparam_dict['lr']"),
    ("add_hparams", ({"lr": 10**400}, {"m": 1.0}), {}, ValueError, "hparam_dict['lr']"),
    ("add_hparams", ({"lr": 0.1}, {"m": 1.0}), {"hparam_domain_discrete": {"lr": [0.1, [2]]}}, TypeError,
     "hparam_domain_discrete['lr'][1]"),
    ("add_hparams", ({"lr": 0.1}, {"m": 1.0}), {"hparam_domain_discrete": {"lr": 0.1}}, TypeError, "hparam_domain_discrete['lr']"),
    ("add_hparams", ({"lr": 0.1}, {"m": 1.0}), {"hparam_domain_discrete": {"other": [1]}}, ValueError, "hparam_domain_discrete key"),
    ("add_hparams", ({"lr": 0.1}, {2: 1.0}), {}, TypeError, "metric_dict key"),
    ("add_custom_scalars", ({"c\ud800": {"t": ["Multiline", ["a"]]}},), {}, ValueError, "layout category"),
    ("add_custom_scalars", ({"c": {"t": ["Multiline", ["a\ud800"]]}},), {}, ValueError, "tags[0]"),
    ("add_embedding", (np.zeros((2, 2)),), {"metadata": ["a", "b\ud800"]}, ValueError, "metadata[1]"),
    ("add_embedding", (np.zeros((2, 2), dtype=complex),), {}, TypeError, "mat"),
]


@pytest.mark.parametrize("method,args,kwargs,error,argument", BAD_CALLS, ids=[f"{i}-{c[0]}" for i, c in enumerate(BAD_CALLS)])
def test_a_bad_call_among_200_good_scalars_raises_at_the_call_and_loses_nothing(tmp_path, method, args, kwargs, error, argument):
    pytest.importorskip("PIL")  # add_video's checks come after its Pillow check
    with SummaryWriter(tmp_path, flush_secs=3600) as w:
        for step in range(100):
            w.add_scalar("good", float(step), step)
        with pytest.raises(error) as info:
            getattr(w, method)(*args, **kwargs)
        assert argument in str(info.value), str(info.value)
        for step in range(100, 200):
            w.add_scalar("good", float(step), step)
        w.flush()  # nothing from the bad call is left to fail here
    logs = load(tmp_path)
    good = logs.scalars(".", "good")
    assert good.step.tolist() == list(range(200)) and good.value.tolist() == [float(s) for s in range(200)]
    assert logs.runs == ["."]
    assert sum(len(v) for v in logs.tags(".").values()) == 1, logs.tags(".")
    assert not (tmp_path / "00000").exists()  # no half-written embedding


def test_int64_steps_at_the_edges_are_kept_exactly(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in (2**63 - 1, -(2**63), np.int64(-5), np.uint64(2**63 - 1)):
            w.add_scalar("x", 1.0, step)
    assert load(tmp_path).scalars(".", "x").step.tolist() == [2**63 - 1, -(2**63), -5, 2**63 - 1]


def test_fractional_steps_beyond_int64_and_purge_step_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="purge_step"):
        SummaryWriter(tmp_path / "a", purge_step=2**63)
    with SummaryWriter(tmp_path / "b") as w, pytest.raises(ValueError, match="global_step must fit"):
        w.add_scalars("m", {"a": 1.0}, -(2**63) - 1)


class Kind(enum.StrEnum):
    LOSS = "loss"


def test_str_subclass_tags_are_accepted_as_their_value(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar(np.str_("np_tag"), 1.0, 0)
        w.add_scalar(Kind.LOSS, 2.0, 0)
        w.add_histogram(np.str_("h"), [1.0, 2.0], 0)
        w.add_text(Kind.LOSS, np.str_("note"), 0)
        w.add_scalars(np.str_("main"), {np.str_("a"): 1.0}, 0)
        w.add_hparams({np.str_("lr"): np.str_("adam")}, {Kind.LOSS: 0.5}, name=np.str_("trial"))
    logs = load(tmp_path)
    tags = logs.tags(".")
    assert sorted(tags["scalars"]) == ["loss", "np_tag"] and all(type(t) is str for t in tags["scalars"])
    assert logs.scalars(".", "loss").value.tolist() == [2.0]
    assert logs.texts(".", "loss/text_summary")[0].text == "note"
    assert logs.scalars("main/a", "main").value.tolist() == [1.0]
    (row,) = logs.hparams_table()
    assert row["hparams"] == {"lr": "adam"} and row["metrics"] == {"loss": 0.5}


def test_torch_meta_tensors_raise_a_value_error_naming_the_argument(tmp_path):
    torch = pytest.importorskip("torch")
    meta = torch.empty(3, device="meta")
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="scalar_value is a tensor on the meta device"):
            w.add_scalar("x", torch.empty((), device="meta"), 0)
        with pytest.raises(ValueError, match="values is a tensor on the meta device"):
            w.add_histogram("h", meta, 0)
        with pytest.raises(ValueError, match="global_step is a tensor on the meta device"):
            w.add_scalar("x", 1.0, torch.empty((), device="meta"))
        with pytest.raises(ValueError, match=r"hparam_dict\['lr'\] is a tensor on the meta device"):
            w.add_hparams({"lr": torch.empty((), device="meta")}, {"m": 1.0})
        w.add_scalar("x", torch.tensor(1.5), torch.tensor(2))
    assert load(tmp_path).scalars(".", "x").value.tolist() == [1.5]


# -- errors met on the writer thread ------------------------------------------------------------


def _fail_writes_to(monkeypatch, writer: SummaryWriter, state: dict) -> None:
    """os.write in event_file fails with ENOSPC for this writer's file while state["full"]."""
    real = os.write
    target = writer._file

    def write(fd, data):
        if state["full"] and fd == target._sink.fd:
            state["failures"] += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(ef.os, "write", write)


def _wait_for_background_error(writer: SummaryWriter, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while writer._file._queue._error is None:
        assert time.monotonic() < deadline, "the background thread never met the error"
        time.sleep(0.005)


def _writer_after_a_full_disk(logdir, monkeypatch) -> SummaryWriter:
    """A writer whose periodic flush of scalar ("x", 0.0, 0) failed on a full disk, nobody told
    yet; the space has been freed since."""
    w = SummaryWriter(logdir, flush_secs=0.02)
    state = {"full": True, "failures": 0}
    _fail_writes_to(monkeypatch, w, state)
    w.add_scalar("x", 0.0, 0)
    _wait_for_background_error(w)  # the periodic flush hit the full disk
    state["full"] = False
    assert state["failures"] >= 1
    return w


def test_the_add_scalar_that_reports_a_full_disk_keeps_its_scalar_and_later_ones(tmp_path, monkeypatch):
    w = _writer_after_a_full_disk(tmp_path, monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        w.add_scalar("x", 1.0, 1)  # reports the error, and still queues its own scalar
    for step in range(2, 100):
        w.add_scalar("x", float(step), step)
    w.close()
    assert load(tmp_path).scalars(".", "x").step.tolist() == list(range(100))


def test_scalars_keep_reaching_disk_while_the_disk_is_full_on_and_off(tmp_path, monkeypatch):
    w = SummaryWriter(tmp_path, flush_secs=0.01)
    state = {"full": False, "failures": 0}
    _fail_writes_to(monkeypatch, w, state)
    reported = 0
    for step in range(400):
        state["full"] = (step // 50) % 2 == 1  # full for 50 steps, free for 50
        try:
            w.add_scalar("x", float(step), step)
        except OSError:
            reported += 1
        time.sleep(0.001)
    state["full"] = False
    try:
        w.close()
    except OSError:
        reported += 1
    assert state["failures"] >= 1 and reported >= 1
    assert load(tmp_path).scalars(".", "x").step.tolist() == list(range(400))


def test_close_reports_an_error_nobody_reported_yet(tmp_path, monkeypatch):
    w = _writer_after_a_full_disk(tmp_path, monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        w.close()
    assert load(tmp_path).scalars(".", "x").value.tolist() == [0.0]  # retried at close


def test_the_add_image_that_reports_an_earlier_error_keeps_its_image(tmp_path, monkeypatch):
    w = _writer_after_a_full_disk(tmp_path, monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        w.add_image("img", np.ones((3, 4, 5)), 1)
    w.close()
    logs = load(tmp_path)
    (image,) = logs.images(".", "img")
    assert (image.width, image.height, image.step) == (5, 4, 1)
    assert logs.scalars(".", "x").value.tolist() == [0.0]


def test_add_scalars_and_hparams_queue_their_events_before_reporting(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=0.02)
    w.add_scalars("m", {"a": 0.0, "b": 0.0}, 0)
    w.add_hparams({"lr": 0.1}, {"acc": 0.5}, name="trial", global_step=0)
    for child in w._children.values():  # as if each child's periodic flush had failed once
        child.report(OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(OSError):
        w.add_scalars("m", {"a": 1.0, "b": 1.0}, 1)
    with pytest.raises(OSError):
        w.add_hparams({"lr": 0.1}, {"acc": 0.7}, name="trial", global_step=1)
    with pytest.raises(OSError):  # the second child's error, reported once in its turn
        w.close()
    logs = load(tmp_path)
    assert logs.scalars("m/a", "m").step.tolist() == [0, 1] and logs.scalars("m/b", "m").step.tolist() == [0, 1]
    assert logs.scalars("trial", "acc").value.tolist() == pytest.approx([0.5, 0.7])


def test_an_event_file_deleted_under_the_writer_costs_only_what_it_held(tmp_path):
    logdir = tmp_path / "run"
    w = SummaryWriter(logdir, flush_secs=0.02)
    for step in range(10):
        w.add_scalar("x", float(step), step)
    w.flush()
    shutil.rmtree(logdir)  # the logdir removed under a running writer
    w.add_scalar("x", 10.0, 10)
    _wait_for_background_error(w)  # the next periodic flush notices and opens a new file
    with pytest.raises(FileNotFoundError, match="was deleted"):
        w.add_scalar("x", 11.0, 11)
    for step in range(12, 110):
        w.add_scalar("x", float(step), step)
    w.close()  # nothing left unreported
    assert load(logdir).scalars(".", "x").step.tolist() == list(range(11, 110))


def test_a_scalar_that_still_fails_on_the_writer_thread_costs_itself_alone(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    w.add_scalar("x", 0.0, 0)
    w._scalars.append(("x\ud800", 1.0, 1, 1.0))  # what the checks at the call now prevent
    w.add_scalar("x", 2.0, 2)
    with pytest.raises(ValueError):
        w.flush()
    w.add_scalar("x", 3.0, 3)
    w.close()
    assert load(tmp_path).scalars(".", "x").step.tolist() == [0, 2, 3]


# -- forked multiprocessing workers -------------------------------------------------------------

_pool_writer: SummaryWriter | None = None


def _log_from_worker(task: int) -> int:
    for k in range(100):
        _pool_writer.add_scalar("x", float(task * 100 + k), task * 100 + k)
    return os.getpid()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_forked_pool_workers_keep_what_they_log_through_an_inherited_writer(tmp_path):
    global _pool_writer
    _pool_writer = SummaryWriter(tmp_path, flush_secs=3600)  # no periodic flush saves the workers
    _pool_writer.add_scalar("parent", 1.0, 0)
    try:
        pool = multiprocessing.get_context("fork").Pool(4)
        pids = set(pool.map(_log_from_worker, range(40), chunksize=1))
        pool.close()
        pool.join()  # workers leave through os._exit: only multiprocessing's finalizers run
    finally:
        _pool_writer.close()
        _pool_writer = None
    logs = load(tmp_path)
    steps = sorted(logs.scalars(".", "x").step.tolist())
    assert steps == list(range(4000))
    assert len([f for f in os.listdir(tmp_path) if "tfevents" in f]) == 1 + len(pids)
    assert logs.scalars(".", "parent").value.tolist() == [1.0]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_workers_of_a_pool_left_by_with_keep_what_they_log(tmp_path):
    """Leaving ``with Pool()`` terminates the workers (SIGTERM): they close their writers first."""
    global _pool_writer
    _pool_writer = SummaryWriter(tmp_path, flush_secs=3600)
    try:
        with multiprocessing.get_context("fork").Pool(4) as pool:
            pool.map(_log_from_worker, range(40), chunksize=1)
    finally:
        _pool_writer.close()
        _pool_writer = None
    assert sorted(load(tmp_path).scalars(".", "x").step.tolist()) == list(range(4000))


def _terminated_child(logdir: str, handler: str) -> None:
    import signal

    if handler == "own":
        signal.signal(signal.SIGTERM, lambda *_: os._exit(3))  # the program's own handler stays in charge
    w = SummaryWriter(logdir, flush_secs=3600)
    w.add_scalar("x", 1.0, 0)
    time.sleep(60)


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
@pytest.mark.parametrize("handler", ["default", "own"])
def test_a_terminated_child_still_dies_and_its_own_sigterm_handler_is_kept(tmp_path, handler):
    proc = multiprocessing.get_context("spawn").Process(target=_terminated_child, args=(str(tmp_path), handler))
    proc.start()
    deadline = time.monotonic() + 60
    while not any("tfevents" in f for f in os.listdir(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # past the first add_scalar
    proc.terminate()
    proc.join(30)
    if handler == "default":
        assert proc.exitcode == -15  # died of SIGTERM, as it would have
        assert load(tmp_path).scalars(".", "x").value.tolist() == [1.0]
    else:
        assert proc.exitcode == 3


def _terminated_while_holding_the_writer_lock(logdir: str) -> None:
    import signal

    w = SummaryWriter(logdir, flush_secs=3600)
    for k in range(50):
        w.add_scalar("x", float(k), k)
    queue = w._file._queue
    # SIGTERM arrives while this (the main) thread holds the writer's lock, as it does for an
    # instant in add_scalar and flush, or throughout closing the writers on multiprocessing's
    # exit path: the handler must not wait for that lock on this very thread.
    with queue._cond:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
    time.sleep(60)


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_a_child_terminated_while_holding_the_writer_lock_keeps_its_events_and_dies(tmp_path):
    proc = multiprocessing.get_context("spawn").Process(target=_terminated_while_holding_the_writer_lock,
                                                         args=(str(tmp_path),))
    started = time.monotonic()
    proc.start()
    proc.join(60)
    assert proc.exitcode == -15  # died of SIGTERM, as it would have
    assert time.monotonic() - started < 30
    assert load(tmp_path).scalars(".", "x").step.tolist() == list(range(50))


# -- small bounded caches and projector config ---------------------------------------------------


def test_the_tag_prefix_cache_is_bounded(tmp_path):
    from tbx_widget.summary import scalar

    with SummaryWriter(tmp_path, flush_secs=3600) as w:
        for k in range(scalar.TAG_PREFIX_CACHE_SIZE + 3000):
            w.add_scalar(f"tag/{k}", 1.0, k)
    assert scalar._tag_prefix.cache_info().currsize <= scalar.TAG_PREFIX_CACHE_SIZE
    assert len(load(tmp_path).tags(".")["scalars"]) == scalar.TAG_PREFIX_CACHE_SIZE + 3000


def test_embedding_tags_with_line_breaks_and_quotes_keep_the_projector_config_parseable(tmp_path):
    pytest.importorskip("tensorboard.plugins.projector")
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    tags = ["two\nlines", 'quote " and \\ back', "tab\there\r\x01", "ünï 😀"]
    with SummaryWriter(tmp_path) as w:
        for k, tag in enumerate(tags):
            w.add_embedding(np.eye(3) * k, metadata=["a\nb", "c\td", "e"], global_step=k, tag=tag)
    config = text_format.Parse((tmp_path / "projector_config.pbtxt").read_text(encoding="utf-8"), ProjectorConfig())
    assert [e.tensor_name for e in config.embeddings] == [f"{t}:{k:05d}" for k, t in enumerate(tags)]
    for e in config.embeddings:
        assert (tmp_path / e.tensor_path).is_file() and (tmp_path / e.metadata_path).is_file()
        assert (tmp_path / e.metadata_path).read_text(encoding="utf-8").splitlines() == ["a b", "c d", "e"]



# -- audit: whatever the arguments, the call fails or the writer thread cannot ------------------

import warnings  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tbx_widget.summary.histogram import NonFiniteWarning  # noqa: E402

_any_text = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)  # surrogates included
_any_number = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10**400, -(10**400), np.float32(1e38), np.int64(-(2**63)), np.uint64(2**64 - 1), True]),
)
_any_value = st.one_of(_any_number, _any_text, st.none(), st.lists(_any_number, max_size=3))
# Mostly valid, sometimes hostile: so that calls get past their first check often.
_tag = st.one_of(st.just("t"), _any_text)
_step = st.one_of(st.none(), st.integers(0, 100), _any_value)
_numbers = st.lists(st.one_of(st.floats(-10, 10), _any_number), max_size=5)
_call = st.one_of(
    st.tuples(st.just("add_scalar"), st.tuples(_tag, _any_number, _step), st.fixed_dictionaries({}, optional={
        "walltime": _any_value, "new_style": st.booleans(), "display_name": _any_value})),
    st.tuples(st.just("add_scalars"), st.tuples(_tag, st.dictionaries(_any_text, _any_value, max_size=2), _step), st.just({})),
    st.tuples(st.just("add_text"), st.tuples(_tag, st.one_of(_any_text, _any_value), _step), st.just({})),
    st.tuples(st.just("add_histogram"), st.tuples(_tag, _numbers, _step), st.fixed_dictionaries({}, optional={
        "bins": st.one_of(st.integers(-5, 2 * 10**5), _any_number, st.sampled_from(["fd", "auto", "scott", "x"]))})),
    st.tuples(st.just("add_audio"), st.tuples(_tag, _numbers, _step),
              st.fixed_dictionaries({}, optional={"sample_rate": st.one_of(st.integers(-5, 2 * 10**6), _any_number)})),
    st.tuples(st.just("add_pr_curve"), st.tuples(_tag, st.lists(st.integers(0, 1), min_size=2, max_size=2),
                                                 st.lists(st.one_of(st.floats(0, 1), _any_number), min_size=2, max_size=2), _step),
              st.fixed_dictionaries({}, optional={"weights": st.lists(_any_number, min_size=2, max_size=2)})),
    st.tuples(st.just("add_image"), st.tuples(_tag, st.lists(st.lists(st.lists(_any_number, min_size=2, max_size=2),
                                                                        min_size=2, max_size=2), min_size=1, max_size=3), _step),
              st.just({})),
    st.tuples(st.just("add_histogram_raw"), st.tuples(_tag, _any_number, _any_number, _any_number, _any_number, _any_number,
                                                      _numbers, _numbers, _step), st.just({})),
    st.tuples(st.just("add_pr_curve_raw"), st.tuples(_tag, *[st.lists(_any_number, min_size=2, max_size=2)] * 6, _step),
              st.just({})),
    st.tuples(st.just("add_image_with_boxes"), st.tuples(_tag, st.just(np.zeros((3, 4, 4))), st.lists(
        st.lists(_any_number, min_size=4, max_size=4), min_size=1, max_size=2), _step), st.just({})),
    st.tuples(st.just("add_hparams"), st.tuples(st.dictionaries(st.one_of(_any_text, st.integers()), _any_value, max_size=2),
                                                st.dictionaries(_any_text, _any_value, max_size=2)), st.just({})),
    st.tuples(st.just("add_custom_scalars"), st.tuples(st.dictionaries(_any_text, st.dictionaries(
        _any_text, st.tuples(st.just("Multiline"), st.lists(_any_text, max_size=2)), max_size=1), max_size=1)), st.just({})),
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(calls=st.lists(_call, min_size=1, max_size=6))
def test_any_arguments_fail_at_the_call_or_not_at_all(tmp_path_factory, calls):
    logdir = tmp_path_factory.mktemp("fuzz")
    with warnings.catch_warnings(), SummaryWriter(logdir, flush_secs=3600) as w:
        warnings.simplefilter("ignore", NonFiniteWarning)  # NaN left out of a histogram, as documented
        for method, args, kwargs in calls:
            try:
                getattr(w, method)(*args, **kwargs)
            except (TypeError, ValueError):
                pass  # rejected at the call, as promised; anything else fails the test
            w.add_scalar("good", 1.0, 0)
        w.flush()  # nothing accepted may fail on the writer thread
    assert len(load(logdir).scalars(".", "good")) == len(calls)


def test_integer_tensor_steps_are_exact_beyond_float_precision(tmp_path):
    torch = pytest.importorskip("torch")
    big = 2**62 + 1  # not representable as a float64
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("x", 1.0, torch.tensor(big))
        w.add_scalar("x", 2.0, np.array([big + 2]))
        w.add_histogram("h", [1.0], torch.tensor([big], dtype=torch.int64))
    logs = load(tmp_path)
    assert logs.scalars(".", "x").step.tolist() == [big, big + 2]
    assert [h.step for h in logs.histograms(".", "h")] == [big]
