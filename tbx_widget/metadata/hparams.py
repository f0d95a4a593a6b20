"""Hyperparameters: TensorBoard's ``hparams`` plugin, its three fixed tags, and the wire payload
of its records (docs/protocol.md, "HParams records"; js/src/protocol.ts ``WireHparamsRecord``)."""
from __future__ import annotations

import json
import math
from typing import Any, Mapping

PLUGIN_NAME = "hparams"
KIND = "hparams"
TAG_PREFIX = "_hparams_/"
EXPERIMENT_TAG = TAG_PREFIX + "experiment"
SESSION_START_TAG = TAG_PREFIX + "session_start_info"
SESSION_END_TAG = TAG_PREFIX + "session_end_info"

EXPERIMENT = "experiment"
SESSION_START = "session_start"
SESSION_END = "session_end"
UNKNOWN = "unknown"
RECORDS = (EXPERIMENT, SESSION_START, SESSION_END, UNKNOWN)
"""The record names: what ``reader.decode.hparams_data`` returns as the kind of a record."""


def wire_value(v: Any) -> bool | float | int | str | None:
    """An hparam value on the wire: bool, number or string as is; a non-finite number or None as
    null; a list or dict (a protobuf ListValue or Struct) as its JSON text."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)):
        return v if math.isfinite(v) else None
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, default=str, separators=(",", ":"))  # a string: NaN inside it is harmless
    return str(v)


def _number(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _domain(d: Any) -> dict[str, Any] | None:
    """``{"values": [...]}`` (discrete), ``{"min", "max"}`` (interval) or None. The reader gives a
    list for a discrete domain and a (min, max) tuple for an interval."""
    if isinstance(d, tuple) and len(d) == 2:
        return {"min": _number(d[0]), "max": _number(d[1])}
    if isinstance(d, list):
        return {"values": [wire_value(x) for x in d]}
    return None


def wire_record(record: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The protocol's ``{"record", "data"}`` of one hparams record, from what
    ``reader.decode.hparams_data`` returns (``record``, ``data``). Every field of the record's
    definition in docs/protocol.md is present, with its type; missing input fields get their
    empty value. Raises TypeError/ValueError for a ``record`` that is not one of ``RECORDS`` or
    ``data`` that is not a mapping."""
    if not isinstance(record, str) or record not in RECORDS:
        raise ValueError(f"record must be one of {list(RECORDS)}, got {record!r}")
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a mapping (a decoded hparams record), got {type(data).__name__}")
    text = lambda key, src=data: str(src.get(key) or "")  # noqa: E731
    if record == EXPERIMENT:
        hparams = [{"name": text("name", h), "display_name": text("display_name", h), "description": text("description", h),
                    "type": text("type", h), "domain": _domain(h.get("domain"))} for h in data.get("hparams") or ()]
        metrics = [{"tag": text("tag", m), "group": text("group", m), "display_name": text("display_name", m),
                    "description": text("description", m)} for m in data.get("metrics") or ()]
        return {"record": record, "data": {"hparams": hparams, "metrics": metrics}}
    if record == SESSION_START:
        values = data.get("hparams") or {}
        return {"record": record, "data": {
            "hparams": {str(k): wire_value(v) for k, v in values.items()},
            "group_name": text("group_name"),
            "start_time_secs": _number(data.get("start_time_secs")),
        }}
    if record == SESSION_END:
        return {"record": record, "data": {"status": text("status"), "end_time_secs": _number(data.get("end_time_secs"))}}
    return {"record": record, "data": {}}
