"""gil.hold/release: the switch interval is lowered while live work is pending, counted across
holders, and given back as it was (or left alone when someone else changed it meanwhile)."""
from __future__ import annotations

import sys
import threading

import pytest

from tbx_widget import gil


@pytest.fixture(autouse=True)
def default_interval():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    assert gil.holders() == 0
    sys.setswitchinterval(before)


def test_hold_lowers_and_the_last_release_restores():
    gil.hold()
    assert sys.getswitchinterval() == pytest.approx(gil.HANDOFF_SECS)
    gil.hold()  # a second holder (another thread's work)
    gil.release()
    assert sys.getswitchinterval() == pytest.approx(gil.HANDOFF_SECS)  # one holder left
    gil.release()
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_holders_on_other_threads_are_counted():
    inside, done = threading.Event(), threading.Event()

    def work():
        with gil.handoff():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=work)
    t.start()
    assert inside.wait(5)
    with gil.handoff():
        pass
    assert sys.getswitchinterval() == pytest.approx(gil.HANDOFF_SECS)  # the thread still holds
    done.set()
    t.join(5)
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_a_shorter_interval_is_kept_and_restored_untouched():
    sys.setswitchinterval(0.0002)
    with gil.handoff():
        assert sys.getswitchinterval() == pytest.approx(0.0002)
    assert sys.getswitchinterval() == pytest.approx(0.0002)


def test_an_interval_set_meanwhile_by_someone_else_is_left_alone():
    with gil.handoff():
        sys.setswitchinterval(0.003)  # the user's own choice, made while held
    assert sys.getswitchinterval() == pytest.approx(0.003)


def test_release_without_hold_raises():
    with pytest.raises(RuntimeError, match="without a matching hold"):
        gil.release()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_starts_with_the_interval_given_back():
    import os

    gil.hold()
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report and leave at once
            os.close(r)
            os.write(w, f"{sys.getswitchinterval()} {gil.holders()}".encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            interval, holders = f.read().split()
        os.waitpid(pid, 0)
        assert float(interval) == pytest.approx(0.005)
        assert int(holders) == 0
        assert sys.getswitchinterval() == pytest.approx(gil.HANDOFF_SECS)  # the parent still holds
    finally:
        gil.release()
