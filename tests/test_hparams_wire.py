"""The hparams records' wire payload: defined by docs/protocol.md, built by one function
(metadata.hparams.wire_record), typed in js/src/protocol.ts and checked from both sides through
a golden batch (js/tests/golden/hparams.json, decoded by vitest)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tbx_widget._proto import hparams_pb2
from tbx_widget.live.encode import BatchBuilder
from tbx_widget.metadata import hparams as md_hparams
from tbx_widget.metadata.hparams import wire_record
from tbx_widget.reader.decode import hparams_data
from tbx_widget.reader.items import HParamsItem

GOLDEN = Path(__file__).resolve().parents[1] / "js" / "tests" / "golden" / "hparams.json"


def _records() -> list[tuple[float, str, dict]]:
    """(wall_time, record, data) as the reader decodes them, from hand-made plugin data with
    every field and edge case: both domain kinds, an unknown enum value, list and non-finite values."""
    exp = hparams_pb2.HParamsPluginData(version=0)
    e = exp.experiment
    e.name, e.description, e.time_created_secs = "sweep", "all fields", 1.5
    lr = e.hparam_infos.add(name="lr", display_name="LR", description="step size", type=hparams_pb2.DATA_TYPE_FLOAT64)
    lr.domain_interval.min_value, lr.domain_interval.max_value = 1e-4, float("inf")
    opt = e.hparam_infos.add(name="opt", type=hparams_pb2.DATA_TYPE_STRING)
    opt.domain_discrete.values.add(string_value="adam")
    opt.domain_discrete.values.add(string_value="sgd")
    e.hparam_infos.add(name="future", type=99)  # a DataType this proto does not know
    m = e.metric_infos.add(display_name="accuracy", description="on validation")
    m.name.tag, m.name.group = "acc", "validation"
    start = hparams_pb2.HParamsPluginData(version=0)
    s = start.session_start_info
    s.group_name, s.start_time_secs = "g", 10.0
    s.hparams["lr"].number_value = 0.1
    s.hparams["opt"].string_value = "adam"
    s.hparams["bn"].bool_value = True
    s.hparams["bad"].number_value = float("nan")
    s.hparams["sizes"].list_value.values.add(number_value=1)
    s.hparams["sizes"].list_value.values.add(number_value=2)
    end = hparams_pb2.HParamsPluginData(version=0)
    end.session_end_info.status, end.session_end_info.end_time_secs = hparams_pb2.STATUS_SUCCESS, float("nan")
    out = []
    for wall, pb in ((16.0, exp), (16.0, start), (17.0, end), (18.0, hparams_pb2.HParamsPluginData(version=0))):
        record, data = hparams_data(pb.SerializeToString())
        out.append((wall, record, data))
    return out


EXPECTED_WIRE = [
    {"record": "experiment", "data": {
        "hparams": [
            {"name": "lr", "display_name": "LR", "description": "step size", "type": "DATA_TYPE_FLOAT64",
             "domain": {"min": 1e-4, "max": None}},
            {"name": "opt", "display_name": "", "description": "", "type": "DATA_TYPE_STRING",
             "domain": {"values": ["adam", "sgd"]}},
            {"name": "future", "display_name": "", "description": "", "type": "99", "domain": None}],
        "metrics": [{"tag": "acc", "group": "validation", "display_name": "accuracy", "description": "on validation"}]}},
    {"record": "session_start", "data": {
        "hparams": {"bad": None, "bn": True, "lr": 0.1, "opt": "adam", "sizes": "[1.0,2.0]"},
        "group_name": "g", "start_time_secs": 10.0}},
    {"record": "session_end", "data": {"status": "STATUS_SUCCESS", "end_time_secs": None}},
    {"record": "unknown", "data": {}},
]


def test_wire_record_builds_every_field_of_the_definition():
    assert [wire_record(record, data) for _, record, data in _records()] == EXPECTED_WIRE


def test_wire_record_fills_missing_fields_with_empty_values():
    assert wire_record("session_start", {}) == {"record": "session_start", "data": {
        "hparams": {}, "group_name": "", "start_time_secs": None}}
    assert wire_record("experiment", {"hparams": [{"name": "x"}]})["data"]["hparams"] == [
        {"name": "x", "display_name": "", "description": "", "type": "", "domain": None}]


def test_wire_record_rejects_what_is_not_a_record():
    with pytest.raises(ValueError, match=r"record must be one of \['experiment', .*got 'session'"):
        wire_record("session", {})
    with pytest.raises(TypeError, match="data must be a mapping .*got list"):
        wire_record("session_end", [])  # type: ignore[arg-type]
    assert md_hparams.RECORDS == ("experiment", "session_start", "session_end", "unknown")


def test_the_encoder_sends_the_wire_record():
    b = BatchBuilder()
    b.add_hparams("b/hp", md_hparams.SESSION_START_TAG, [HParamsItem(3, 16.0, r, d) for _, r, d in _records()])
    (item,) = b.items
    assert [{"record": e["record"], "data": e["data"]} for e in item["items"]] == EXPECTED_WIRE
    assert [e["step"] for e in item["items"]] == [3, 3, 3, 3]


def _decoded(wall: float, w: dict) -> dict:
    """What protocol.ts decodes from a wire record (its HparamsRecord)."""
    base = {"step": 3, "wallTime": wall}
    d = w["data"]
    if w["record"] == "experiment":
        return {**base, "record": "experiment",
                "hparams": [{"name": h["name"], "displayName": h["display_name"], "type": h["type"]} for h in d["hparams"]],
                "metrics": [{"tag": m["tag"], "group": m["group"], "displayName": m["display_name"]} for m in d["metrics"]]}
    if w["record"] == "session_start":
        return {**base, "record": "session_start", "hparams": d["hparams"], "groupName": d["group_name"]}
    if w["record"] == "session_end":
        return {**base, "record": "session_end", "status": d["status"]}
    return {**base, "record": "other"}


def test_golden_hparams_batch_is_what_the_encoder_writes():
    """js/tests/golden/hparams.json: a batch of every hparams record as the encoder writes it and
    what a front end decodes from it (golden.test.ts decodes it; hparams_wire.test.ts checks each
    entry against protocol.ts's WireHparamsRecord). Regenerate after a deliberate protocol
    change: TBX_UPDATE_GOLDEN=1 pytest tests/test_hparams_wire.py -k golden"""
    from tbx_widget.reader import KINDS

    records = _records()
    b = BatchBuilder()
    b.add_hparams("b/hp", md_hparams.SESSION_START_TAG, [HParamsItem(3, wall, r, d) for wall, r, d in records])
    batch = b.build(seq=1, reset=True, runs=["b/hp"])
    expect = [{"kind": "hparams", "run": "b/hp", "tag": md_hparams.SESSION_START_TAG,
               "entries": [_decoded(wall, w) for (wall, _, _), w in zip(records, EXPECTED_WIRE)]}]
    golden = {"content": batch.content, "events": batch.events, "kinds": list(KINDS), "expect": expect, "buffers": []}
    text = json.dumps(golden, allow_nan=False, ensure_ascii=False, indent=1) + "\n"
    if os.environ.get("TBX_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.read_text(encoding="utf-8") == text, "the encoder's output changed: see this test's docstring"
