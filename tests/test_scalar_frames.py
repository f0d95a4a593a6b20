"""scalar_frames: many scalar events framed at once are byte for byte the events
encode_scalar_events makes, each framed by records.encode_record, in the same order."""
from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tbx_widget import scalar_frames
from tbx_widget.records import encode_record, scan_records
from tbx_widget.summary.scalar import encode_scalar_events


def reference(points):
    return b"".join(encode_record(e) for e in encode_scalar_events(points))


EDGES = [
    ("a", 1.5, 0, 0.0),  # step 0 and wall 0: both left out
    ("b", float("nan"), -1, -0.0),  # a negative step: ten varint bytes
    ("ünï/ß", 1e300, 2**63 - 1, float("nan")),  # beyond float32: infinity; a NaN wall is written
    ("x" * 200, -1e300, 127, 1.0),
    ("y", float("inf"), 128, 2.0),  # varint lengths change at 128 and 16384
    ("a", 3.0, 16383, 3.0),
    ("a", 3.0, 16384, 3.0),
    ("z" * 20000, 0.1, 5, 1e9),  # a tag longer than 16383 bytes
    ("a", -0.0, -(2**63), 5.0),
]


def test_edge_cases_match_the_one_by_one_bytes():
    assert scalar_frames.framed_scalar_events(EDGES) == reference(EDGES)
    assert scalar_frames.framed_scalar_events([]) == b""


@given(st.lists(st.tuples(
    st.sampled_from(["loss", "acc", "lr/group_0", "é"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 300)),
    st.one_of(st.just(0.0), st.floats(allow_nan=True, allow_infinity=True)),
), max_size=60))
@settings(max_examples=200, deadline=None)
def test_any_points_match_the_one_by_one_bytes(points):
    assert scalar_frames.framed_scalar_events(points) == reference(points)


def test_chunks_keep_the_order(monkeypatch):
    monkeypatch.setattr(scalar_frames, "CHUNK", 7)
    points = [(f"t{i % 3}", float(i), i, 1.0 + i) for i in range(50)]
    assert scalar_frames.framed_scalar_events(points) == reference(points)


def test_without_the_compiled_kernel(monkeypatch):
    monkeypatch.setattr(scalar_frames, "native", None)
    points = [(f"t{i % 3}", float(i), i * 1000, 1.0 + i) for i in range(40)] + EDGES
    assert scalar_frames.framed_scalar_events(points) == reference(points)


def test_records_read_back():
    points = [(f"busy/{i % 10}", float(i), 100_000 + i // 10, 1_700_000_000.5) for i in range(5000)]
    data = scalar_frames.framed_scalar_events(points)
    scan = scan_records(data)
    assert scan.skipped == 0 and scan.end == len(data)
    assert scan.records == encode_scalar_events(points)


def test_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="points must be a sequence"):
        scalar_frames.framed_scalar_events(iter([]))


def test_five_thousand_points_take_well_under_the_one_by_one_time():
    """The writer thread's share of a busy loop's GIL: 5,000 scalars per flush (50,000 events/s,
    0.1 s flushes) framed at once, against one by one (CPU time, best of five)."""
    from tbx_widget.event_queue import _frame_into

    points = [(f"busy/{i % 10}", float(i), 100_000 + i // 10, time.time()) for i in range(5000)]

    def one_by_one():
        buf = bytearray()
        for e in encode_scalar_events(points):
            _frame_into(buf, e)

    def best(fn):
        out = []
        for _ in range(5):
            t = time.process_time()
            fn()
            out.append(time.process_time() - t)
        return min(out)

    bulk, single = best(lambda: scalar_frames.framed_scalar_events(points)), best(one_by_one)
    assert bulk < 0.75 * single, f"bulk {bulk * 1e3:.1f} ms, one by one {single * 1e3:.1f} ms"


def test_the_writer_frames_a_big_take_at_once_and_reads_back(tmp_path):
    from tbx_widget import SummaryWriter, load
    from tbx_widget.event_queue import Framed

    w = SummaryWriter(str(tmp_path))
    try:
        w._scalars.extend((f"t/{i % 4}", float(i), i // 4, 1.0 + i) for i in range(scalar_frames.BULK_MIN))
        w._armed = True  # taken here, not by the writer thread
        assert isinstance(w._take_scalars(), Framed)
        w._scalars.extend((f"t/{i % 4}", float(i), i // 4, 1.0 + i) for i in range(10))
        assert not isinstance(w._take_scalars(), Framed)  # a few: one by one is faster
        w._armed = False
        for i in range(2000):
            w.add_scalar(f"loss/{i % 5}", i * 0.5, i // 5)
    finally:
        w.close()
    logs = load(str(tmp_path))
    for k in range(5):
        s = logs.scalars(".", f"loss/{k}")
        assert np.array_equal(s.step, np.arange(400))
        assert np.array_equal(s.value, (np.arange(400) * 5 + k) * 0.5)
