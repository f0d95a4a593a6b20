"""Record framing and the resumable, resynchronising reader."""
from __future__ import annotations

import os
import struct
import warnings

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tbx_widget.records import (
    CorruptRecordWarning,
    RecordReader,
    encode_record,
    mask_crc,
    masked_crc32c,
    scan_records,
)

# CRC32C check values from RFC 3720 (iSCSI), appendix B.4, and the classic "123456789".
CRC32C_VECTORS = [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
]


def reference_mask(crc: int) -> int:
    rotated = ((crc >> 15) | (crc << 17)) & 0xFFFFFFFF
    return (rotated + 0xA282EAD8) & 0xFFFFFFFF


@pytest.mark.parametrize("data,crc", CRC32C_VECTORS)
def test_masked_crc_of_known_vectors(data, crc):
    assert masked_crc32c(data) == reference_mask(crc)
    assert mask_crc(crc) == reference_mask(crc)


def test_record_layout():
    data = b"hello event"
    record = encode_record(data)
    assert len(record) == 8 + 4 + len(data) + 4
    assert struct.unpack("<Q", record[:8])[0] == len(data)
    assert struct.unpack("<I", record[8:12])[0] == masked_crc32c(record[:8])
    assert record[12:-4] == data
    assert struct.unpack("<I", record[-4:])[0] == masked_crc32c(data)


def test_matches_tensorboardx_record_writer():
    tbx = pytest.importorskip("tensorboardX.record_writer")
    import io

    buf = io.BytesIO()
    writer = tbx.RecordWriter.__new__(tbx.RecordWriter)
    writer._writer = buf
    writer.write(b"payload bytes")
    assert buf.getvalue() == encode_record(b"payload bytes")


def test_scan_round_trip_and_partial():
    payloads = [b"a", b"", b"x" * 1000, bytes(range(256))]
    blob = b"".join(encode_record(p) for p in payloads)
    scan = scan_records(blob)
    assert scan.records == payloads and scan.end == len(blob) and scan.skipped == 0
    for cut in range(len(blob)):
        scan = scan_records(blob[:cut])
        assert scan.skipped == 0
        assert scan.records == payloads[: len(scan.records)]
        rest = scan_records(blob, scan.end)
        assert scan.records + rest.records == payloads


def write(path, data, mode="ab"):
    with open(path, mode) as f:
        f.write(data)


def test_reader_resumes_partial_last_record(tmp_path):
    path = tmp_path / "events"
    first, second = encode_record(b"one"), encode_record(b"two" * 50)
    write(path, first + second[:7], "wb")
    reader = RecordReader(path)
    assert reader.read() == [b"one"]
    assert reader.offset == len(first)
    assert reader.read() == []  # still incomplete: nothing returned twice, nothing lost
    write(path, second[7:])
    assert reader.read() == [b"two" * 50]
    assert reader.read() == []
    # A reader recreated from the saved offset continues from there.
    write(path, encode_record(b"three"))
    assert RecordReader(path, offset=reader.offset).read() == [b"three"]


def test_reader_of_missing_and_empty_files(tmp_path):
    assert RecordReader(tmp_path / "nope").read() == []
    (tmp_path / "empty").write_bytes(b"")
    assert RecordReader(tmp_path / "empty").read() == []


def test_bad_data_crc_skips_only_that_record(tmp_path):
    records = [encode_record(f"rec{i}".encode() * 10) for i in range(5)]
    blob = bytearray(b"".join(records))
    blob[len(records[0]) + 20] ^= 0xFF  # flip a byte inside record 1's data
    path = tmp_path / "events"
    path.write_bytes(bytes(blob))
    reader = RecordReader(path)
    with pytest.warns(CorruptRecordWarning, match="skipped"):
        got = reader.read()
    assert got == [f"rec{i}".encode() * 10 for i in (0, 2, 3, 4)]
    assert reader.skipped_bytes == len(records[1])


def test_bad_length_resyncs_at_next_record(tmp_path):
    records = [encode_record(f"rec{i}".encode() * 10) for i in range(4)]
    blob = bytearray(b"".join(records))
    blob[len(records[0]) + 2] ^= 0x10  # corrupt record 1's length field
    path = tmp_path / "events"
    path.write_bytes(bytes(blob))
    with pytest.warns(CorruptRecordWarning):
        got = RecordReader(path).read()
    assert got == [f"rec{i}".encode() * 10 for i in (0, 2, 3)]


def test_garbage_in_the_middle_and_appended(tmp_path):
    good = [encode_record(b"A" * 30), encode_record(b"B" * 30)]
    path = tmp_path / "events"
    path.write_bytes(good[0] + os.urandom(1000) + good[1] + b"\x00garbage-tail-bytes")
    reader = RecordReader(path)
    with pytest.warns(CorruptRecordWarning):
        got = reader.read()
    assert got == [b"A" * 30, b"B" * 30]
    assert reader.skipped_bytes >= 1000


def test_huge_length_allocates_nothing(tmp_path):
    header = struct.pack("<Q", 1 << 40)
    bogus = header + struct.pack("<I", masked_crc32c(header)) + b"tiny"
    path = tmp_path / "events"
    path.write_bytes(encode_record(b"ok") + bogus + encode_record(b"after"))
    with pytest.warns(CorruptRecordWarning):
        got = RecordReader(path).read()  # would raise MemoryError if it tried to allocate 1 TiB
    assert got == [b"ok", b"after"]


def test_plausible_length_past_eof_waits(tmp_path):
    header = struct.pack("<Q", 5000)
    path = tmp_path / "events"
    path.write_bytes(encode_record(b"ok") + header + struct.pack("<I", masked_crc32c(header)) + b"x" * 10)
    reader = RecordReader(path)
    assert reader.read() == [b"ok"]
    assert reader.read() == []  # a record still being written: neither an error nor a skip
    assert reader.skipped_bytes == 0


def test_record_larger_than_read_chunk(tmp_path):
    big = os.urandom(3000)
    path = tmp_path / "events"
    path.write_bytes(encode_record(b"a") + encode_record(big) + encode_record(b"b"))
    assert RecordReader(path, chunk_size=256).read() == [b"a", big, b"b"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payloads=st.lists(st.binary(max_size=200), max_size=8),
    noise=st.binary(max_size=300),
    boundary=st.integers(min_value=0),
    flips=st.lists(st.integers(min_value=0), max_size=3),
)
def test_fuzz_every_undamaged_record_survives(tmp_path, payloads, noise, boundary, flips):
    """Noise inserted between records and bytes flipped inside them lose only the touched records."""
    records = [encode_record(p) for p in payloads]
    starts = [sum(len(r) for r in records[:i]) for i in range(len(records) + 1)]
    blob = bytearray(b"".join(records))
    damaged = set()
    for pos in {f % len(blob) for f in flips} if blob else ():
        blob[pos] ^= 0x5A
        damaged.add(max(i for i in range(len(records)) if starts[i] <= pos))
    cut_index = boundary % (len(records) + 1)
    cut = starts[cut_index]
    blob[cut:cut] = noise
    path = tmp_path / "fuzz"
    path.write_bytes(bytes(blob))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorruptRecordWarning)
        reader = RecordReader(path, chunk_size=128)
        got = reader.read() + reader.read()
    expected = [p for i, p in enumerate(payloads) if i not in damaged]
    assert got == expected
    assert reader.offset <= len(blob)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_fuzz_random_bytes_file(tmp_path, data):
    path = tmp_path / "random"
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorruptRecordWarning)
        reader = RecordReader(path, chunk_size=512)
        reader.read()
    assert reader.offset <= len(data)


def test_large_garbage_region_is_skipped_quickly(tmp_path):
    """16 MiB of random bytes between two records: both records come back, every byte counted."""
    garbage = os.urandom(16 << 20)
    path = tmp_path / "events"
    path.write_bytes(encode_record(b"first") + garbage + encode_record(b"last"))
    reader = RecordReader(path, chunk_size=4 << 20)
    with pytest.warns(CorruptRecordWarning):
        got = reader.read()
    assert got == [b"first", b"last"]
    assert reader.skipped_bytes == len(garbage)


@settings(max_examples=300, deadline=None)
@given(
    junk=st.lists(st.sampled_from([b"\0" * 13, b"\0\0\0\0", b"\x01", b"\xff\x7f", b"\0\0\0\x80\0\0\0\0"]), max_size=30),
    noise=st.binary(max_size=64),
    payloads=st.lists(st.binary(max_size=40), max_size=3),
    tail=st.integers(0, 15),
    starts=st.lists(st.integers(-2, 400), min_size=1, max_size=5),
)
def test_compiled_resync_equals_the_numpy_one(junk, noise, payloads, tail, starts):
    """Zero runs, near-headers and real records: both find the same first header."""
    from tbx_widget import records

    if records._native is None:
        pytest.skip("the compiled kernel is not built here")
    buf = b"".join(junk) + noise + b"".join(encode_record(p) for p in payloads) + b"\0" * tail
    for pos in starts:
        assert records._native.resync(buf, pos) == records._resync_numpy(buf, pos)
