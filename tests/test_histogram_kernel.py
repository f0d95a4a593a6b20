"""The compiled histogram kernel (tbx_widget/_native.c, tf_histogram): buckets, min, max and
numpy's sums in one pass, and histogram_proto's use of it (one read of the values, no copy,
NaN and Inf still left out with the warning)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tracemalloc
import warnings

import numpy as np
import pytest

from tbx_widget.summary import histogram as H

native = pytest.mark.skipif(H._native is None, reason="compiled kernels not built (no C compiler)")


def reference(x):
    """Counts by binary search on the edges, and numpy's min, max and sums."""
    ref = np.clip(np.searchsorted(H._upper_edges(), x.astype(np.float64), side="right"), 0, len(H._upper_edges()) - 1)
    counts = np.bincount(ref, minlength=len(H._upper_edges()))
    return counts, float(x.min()), float(x.max()), H.numpy_sums(x, np.getbufsize())


def kernel(x, block=None):
    counts = np.zeros(len(H._upper_edges()), dtype=np.int64)
    out = H._native.tf_histogram(x, H._upper_edges(), counts, np.getbufsize() if block is None else block)
    return counts, out


SIZES = [1, 3, 7, 8, 9, 16, 127, 128, 129, 255, 257, 1000, 8191, 8192, 8193, 10_007, 65_537, 300_001]


@native
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_counts_extremes_and_sums_are_numpys_bit_for_bit(dtype):
    rng = np.random.default_rng(7)
    for n in SIZES:
        x = (rng.normal(size=n) * 10.0 ** rng.integers(-9, 9, size=n)).astype(dtype)
        counts, (lo, hi, total, squares) = kernel(x)
        want_counts, want_lo, want_hi, (want_total, want_squares) = reference(x)
        assert np.array_equal(counts, want_counts), n
        assert (lo, hi) == (want_lo, want_hi), n
        assert np.float64(total).tobytes() == np.float64(want_total).tobytes(), n
        assert np.float64(squares).tobytes() == np.float64(want_squares).tobytes(), n
        assert total == float(x.sum(dtype=np.float64)), n  # the sum numpy (and so the writer before) gives
        if dtype == np.float64:
            assert squares == float((x * x).sum()), n


@native
def test_kernel_sums_follow_numpys_buffer_size():
    x = np.random.default_rng(8).normal(size=50_000).astype(np.float32) * 1e3
    old = np.getbufsize()
    try:
        np.setbufsize(4096)
        assert kernel(x)[1][2] == float(x.sum(dtype=np.float64))
    finally:
        np.setbufsize(old)
    assert kernel(x, block=4096)[1][2:] == H.numpy_sums(x, 4096)


@native
def test_kernel_marks_nan_and_inf_by_a_sum_that_is_not_finite():
    for bad in (np.nan, np.inf, -np.inf):
        x = np.arange(1000.0)
        x[517] = bad
        counts, (_, _, total, _) = kernel(x)
        assert not np.isfinite(total)
        assert counts.sum() == 1000  # counted somewhere, memory-safe; the caller leaves them out first


@native
def test_kernel_rejects_bad_arguments_naming_them():
    upper, counts = H._upper_edges(), np.zeros(len(H._upper_edges()), dtype=np.int64)
    with pytest.raises(TypeError, match="float64 or float32"):
        H._native.tf_histogram(np.arange(5), upper, counts, 0)
    with pytest.raises(TypeError, match="float64 or float32"):
        H._native.tf_histogram(np.zeros(0), upper, counts, 0)
    with pytest.raises(ValueError, match="increasing"):
        H._native.tf_histogram(np.ones(3), upper[::-1].copy(), counts, 0)
    with pytest.raises(ValueError, match="counts int64"):
        H._native.tf_histogram(np.ones(3), upper, counts[:-1].copy(), 0)
    with pytest.raises(ValueError):
        H._native.tf_histogram(np.ones(3), upper, counts.astype(np.int32), 0)
    with pytest.raises(TypeError):
        H._native.tf_histogram(np.ones(3), upper, counts)


@native
def test_kernel_takes_other_edges_without_disturbing_the_default_ones():
    """Edges other than the first seen get a table of their own for the call."""
    edges = np.array([-10.0, -1.0, 0.0, 2.0, 50.0, np.inf])
    x = np.array([-20.0, -10.0, -1.5, -1.0, -0.0, 0.0, 1.999, 2.0, 49.0, 50.0, 1e30])
    counts = np.zeros(len(edges), dtype=np.int64)
    H._native.tf_histogram(x, edges, counts, 0)
    assert counts.tolist() == np.bincount(np.clip(np.searchsorted(edges, x, side="right"), 0, 5), minlength=6).tolist()
    y = np.random.default_rng(9).normal(size=1000)
    assert np.array_equal(kernel(y)[0], reference(y)[0])


@native
def test_histogram_proto_reads_the_values_once_and_copies_nothing(monkeypatch):
    """Default bins, finite float64: one kernel call gives buckets, min, max, both sums and the
    finite check; no numpy pass (the finite check's sum, min, max, dot) and no copy of the values."""
    x = np.random.default_rng(10).normal(size=400_000)
    want = H.histogram_proto(x)
    calls = []
    real = H._native.tf_histogram

    class Counting:
        def tf_histogram(self, *args):
            calls.append(len(args[0]))
            return real(*args)

    def no_numpy_pass(*args, **kwargs):
        raise AssertionError("a numpy pass over the values")

    monkeypatch.setattr(H, "_native", Counting())
    monkeypatch.setattr(H, "_finite_and_sum", no_numpy_pass)
    monkeypatch.setattr(H, "_sum_squares", no_numpy_pass)
    monkeypatch.setattr(H, "numpy_counts", no_numpy_pass)
    H.histogram_proto(x)  # warm-up: the one-off sum check against numpy is done by now
    calls.clear()
    tracemalloc.start()
    try:
        got = H.histogram_proto(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert calls == [len(x)]
    assert peak < x.nbytes / 20, peak  # buckets and the proto only
    assert got == want


@native
def test_sum_of_squares_is_numpys_dot_up_to_dot_max_then_the_pairwise_sum():
    rng = np.random.default_rng(11)
    small = rng.normal(size=H.DOT_MAX)
    assert H.histogram_proto(small).sum_squares == float(np.dot(small, small))  # as the peers compute it
    big = rng.normal(size=H.DOT_MAX + 1)
    assert H.histogram_proto(big).sum_squares == float((big * big).sum())
    big32 = big.astype(np.float32)
    assert H.histogram_proto(big32).sum_squares == H.numpy_sums(big32, np.getbufsize())[1]


@native
def test_sums_come_from_numpy_where_the_kernels_are_not_numpys(monkeypatch):
    """Should a numpy version add in another order, the one-off check fails and numpy's own sums
    are written (buckets, min and max still come from the kernel)."""
    monkeypatch.setattr(H, "_native_sums_are_numpys", lambda dtype, bufsize: False)
    x = np.random.default_rng(12).normal(size=50_000) * 1e3
    h = H.histogram_proto(x)
    assert h.sum == float(x.sum()) and h.sum_squares == float((x * x).sum())


def test_histogram_proto_leaves_out_nan_and_inf_with_the_warning_as_before():
    rng = np.random.default_rng(13)
    for dtype in (np.float64, np.float32):
        x = rng.normal(size=30_000).astype(dtype)
        x[[5, 500, 29_999]] = [np.nan, np.inf, -np.inf]
        with pytest.warns(H.NonFiniteWarning, match=r"lbl: left out 3 NaN or infinite values of 30000") as record:
            h = H.histogram_proto(x.reshape(100, 300), label="lbl")
        assert record[0].filename == __file__  # stacklevel: the caller of histogram_proto
        finite = x[np.isfinite(x)]
        assert h == H.histogram_proto(finite, checked=True)
        assert (h.num, h.min, h.max) == (len(finite), finite.min(), finite.max())
    with pytest.raises(ValueError, match="values has no finite values"):
        H.histogram_proto(np.full(10, np.nan))


def test_histogram_proto_checks_rule_buckets_when_not_checked():
    with pytest.raises(ValueError, match="bins='fd'"):
        H.histogram_proto(np.array([-1e308, 1e308, 0.0]), bins="fd")


def test_a_sum_past_float64_with_every_value_finite_is_no_warning():
    x = np.full(20, 1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = H.histogram_proto(x)
    assert h.sum == np.inf and h.num == 20 and h.max == 1e308


def test_the_numpy_path_writes_what_the_kernel_writes(monkeypatch):
    """The same proto with the kernel and without it (the numpy fallback, where no compiler was
    found), bit for bit."""
    rng = np.random.default_rng(14)
    for x in (rng.normal(size=5000), rng.standard_cauchy(20_000), rng.normal(size=3000).astype(np.float32),
              rng.normal(size=70_001).astype(np.float32), rng.normal(size=300_000)):
        with_kernel = H.histogram_proto(x)
        monkeypatch.setattr(H, "_native", None)
        without = H.histogram_proto(x)
        monkeypatch.undo()
        assert without.SerializeToString() == with_kernel.SerializeToString(), (x.dtype, len(x))


@pytest.mark.parametrize("n", [1, 9, 128, 129, 32_768, 32_769, 65_544, 100_003, 1_000_000])
def test_pairwise_squares_are_numpys_without_the_array_of_squares(n):
    x = np.random.default_rng(n).normal(size=n) * 10.0 ** np.random.default_rng(n + 1).integers(-8, 8, size=n)
    assert np.float64(H._pairwise_squares(x)).tobytes() == np.float64((x * x).sum()).tobytes()


@pytest.mark.slow
@native
def test_the_kernel_without_simd_gives_the_same_figures(tmp_path):
    """The portable build (no SSE2 intrinsics: other CPUs, or TBX_NO_SIMD) counts and sums as
    the SSE2 one does, and its table CRC32C gives what the crc32 instruction gives."""
    if shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) is None:
        pytest.skip("no C compiler")
    source = os.path.join(os.path.dirname(H.__file__), "..", "_native.c")
    build = textwrap.dedent(f"""
        import tempfile
        from setuptools import Distribution, Extension
        ext = Extension("tbx_widget._native", sources=[{os.path.abspath(source)!r}], define_macros=[("TBX_NO_SIMD", "1")])
        cmd = Distribution({{"name": "t", "ext_modules": [ext]}}).get_command_obj("build_ext")
        with tempfile.TemporaryDirectory() as t:
            cmd.build_temp, cmd.build_lib = t, {str(tmp_path)!r}
            cmd.ensure_finalized()
            cmd.run()
    """)
    subprocess.run([sys.executable, "-c", build], check=True, capture_output=True, timeout=300)
    (built,) = (tmp_path / "tbx_widget").glob("_native*")
    import importlib.util

    spec = importlib.util.spec_from_file_location("tbx_widget._native", built)  # the name its init function has; not put in sys.modules
    portable = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(portable)
    rng = np.random.default_rng(16)
    for dtype in (np.float64, np.float32):
        for n in (5, 129, 10_007, 100_003):
            x = (rng.normal(size=n) * 10.0 ** rng.integers(-9, 9, size=n)).astype(dtype)
            c1, c2 = (np.zeros(len(H._upper_edges()), dtype=np.int64) for _ in range(2))
            a = portable.tf_histogram(x, H._upper_edges(), c1, 8192)
            b = H._native.tf_histogram(x, H._upper_edges(), c2, 8192)
            assert np.array_equal(c1, c2) and np.array(a).tobytes() == np.array(b).tobytes(), (dtype, n)
    # CRC32C by tables (portable) and by the crc32 instruction (where the CPU has it)
    buf = rng.integers(0, 256, size=20_000, dtype=np.uint8)
    starts = rng.integers(0, 10_000, size=500).astype(np.int64)
    lengths = rng.integers(0, 10_000, size=500).astype(np.int64)
    crcs = [np.empty(500, dtype=np.uint32) for _ in range(2)]
    portable.masked_crc32c_spans(buf, starts, lengths, crcs[0])
    H._native.masked_crc32c_spans(buf, starts, lengths, crcs[1])
    assert np.array_equal(*crcs)


@native
def test_add_histogram_reads_finite_values_once(tmp_path, monkeypatch):
    """The writer hands the values over unchecked: the kernel's pass is the finite check too."""
    from tbx_widget import SummaryWriter, load

    x = np.random.default_rng(17).normal(size=200_000)
    want = H.histogram_proto(x)

    def no_numpy_pass(*args, **kwargs):
        raise AssertionError("a numpy pass over the values")

    monkeypatch.setattr(H, "_finite_and_sum", no_numpy_pass)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", x, 0)
    (item,) = load(tmp_path).histograms(".", "h")
    assert (item.min, item.max, item.num, item.sum, item.sum_squares) == (want.min, want.max, want.num, want.sum, want.sum_squares)
    assert item.bucket_counts.tolist() == list(want.bucket)


def test_add_histogram_warns_at_the_callers_line_naming_the_tag(tmp_path):
    from tbx_widget import SummaryWriter

    with SummaryWriter(tmp_path) as w:
        for values in (np.array([1.0, np.nan, 2.0]), np.array([1.0, np.inf], dtype=np.float32), [1, 2.0, float("nan")]):
            with pytest.warns(H.NonFiniteWarning, match=r"add_histogram\('h'\): left out 1 NaN or infinite values of") as rec:
                w.add_histogram("h", values, 0)
            assert rec[0].filename == __file__
        with pytest.raises(ValueError, match="values has no finite values"):
            w.add_histogram("h", np.full((3, 3), np.nan), 0)
        with pytest.raises(ValueError, match="values is empty"):
            w.add_histogram("h", np.zeros((0, 4)), 0)


def test_the_numpy_path_saturates_squares_past_float64_without_a_warning(monkeypatch):
    monkeypatch.setattr(H, "_native", None)
    for x in (np.full(40_000, 1e200), np.full(40_000, 1e154), np.full(40_000, 3e38, dtype=np.float32)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            h = H.histogram_proto(x)
        with np.errstate(over="ignore"):
            assert h.sum_squares == float((x.astype(np.float64) ** 2).sum())


def test_histogram_proto_takes_array_subclasses_and_unaligned_arrays_as_their_values():
    """np.matrix stays 2-D under reshape: its values are counted as a plain array's are; an
    unaligned float64 array (a view into bytes) goes to numpy and gives the same histogram."""
    rng = np.random.default_rng(18)
    data = rng.normal(size=(40, 50))
    want = H.histogram_proto(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # np.matrix
        assert H.histogram_proto(np.asmatrix(data)) == want
    raw = np.zeros(data.size * 8 + 1, dtype=np.uint8)
    unaligned = raw[1:].view(np.float64)
    unaligned[:] = data.reshape(-1)
    assert not unaligned.flags.aligned
    assert H.histogram_proto(unaligned) == want


@pytest.mark.parametrize("n", [0, 1, 15, 16, 300, 20_000])
def test_histogram_message_is_what_protobuf_builds(n):
    """The proto parsed from the wire form written by hand equals protobuf's own, for bucket
    lists whose packed length takes one to three varint bytes, and special stats."""
    rng = np.random.default_rng(n)
    limits, counts = np.cumsum(rng.random(n)), np.round(rng.random(n) * 50)
    for stats in ((1.5, 2.5, 3.0, 4.0, 5.0), (0.0, -0.0, 0.0, np.inf, np.inf), (-1e308, 5e-324, 1e6, -3.25, 0.0)):
        got = H._histogram_message(*stats, limits, counts)
        want = H.summary_pb2.HistogramProto(min=stats[0], max=stats[1], num=stats[2], sum=stats[3], sum_squares=stats[4],
                                            bucket_limit=limits.tolist(), bucket=counts.tolist())
        assert got == want and got.SerializeToString() == want.SerializeToString()
    assert [H._varint(v) for v in (0, 127, 128, 300, 2**21)] == [b"\x00", b"\x7f", b"\x80\x01", b"\xac\x02", b"\x80\x80\x80\x01"]
