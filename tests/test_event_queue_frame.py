"""The writer thread's framing (a header cached per record length) writes the bytes
``records.encode_record`` writes, for every length, including lengths past the cache."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tbx_widget import event_queue
from tbx_widget.records import encode_record


@given(st.lists(st.binary(max_size=300), max_size=20))
@settings(max_examples=200, deadline=None)
def test_framing_matches_encode_record(records):
    buffer = bytearray()
    for data in records:
        event_queue._frame_into(buffer, data)
    assert bytes(buffer) == b"".join(encode_record(d) for d in records)


def test_header_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(event_queue, "_HEADERS", {})
    monkeypatch.setattr(event_queue, "_MAX_HEADERS", 8)
    buffer = bytearray()
    data = [b"y" * n for n in range(40)]
    for d in data:
        event_queue._frame_into(buffer, d)
    assert len(event_queue._HEADERS) == 8
    assert bytes(buffer) == b"".join(encode_record(d) for d in data)
