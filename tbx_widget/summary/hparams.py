"""HParams: the experiment, session-start and session-end records TensorBoard's plugin reads."""
from __future__ import annotations

from typing import Any

from .._proto import hparams_pb2, summary_pb2
from .scalar import plugin_metadata

__all__ = ["hparams_values", "EXPERIMENT_TAG", "SESSION_START_TAG", "SESSION_END_TAG"]

EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_TAG = "_hparams_/session_start_info"
SESSION_END_TAG = "_hparams_/session_end_info"


def _value(v: Any, key: str) -> tuple[Any, int]:
    """(a google.protobuf.Value field setter, DataType) for one hyperparameter; bools stay bools."""
    if isinstance(v, bool):
        return ("bool_value", v), hparams_pb2.DATA_TYPE_BOOL
    if isinstance(v, (int, float)):
        return ("number_value", float(v)), hparams_pb2.DATA_TYPE_FLOAT64
    if isinstance(v, str):
        return ("string_value", v), hparams_pb2.DATA_TYPE_STRING
    if hasattr(v, "item") and getattr(v, "shape", None) in ((), (1,), [1]):
        return _value(v.item(), key)
    if v is None:
        return ("string_value", "None"), hparams_pb2.DATA_TYPE_STRING
    raise TypeError(f"hparam_dict[{key!r}] must be a bool, number or str, got {type(v).__name__}")


def _summary(tag: str, data: hparams_pb2.HParamsPluginData) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(tag=tag, metadata=plugin_metadata("hparams", data.SerializeToString()))


def hparams_values(hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                   domains: dict[str, list[Any]] | None = None) -> list[summary_pb2.Summary.Value]:
    """The three summary values (experiment, session start, session end) of one session."""
    experiment = hparams_pb2.HParamsPluginData(version=0)
    start = hparams_pb2.HParamsPluginData(version=0)
    for key, v in hparam_dict.items():
        (field, value), dtype = _value(v, key)
        setattr(start.session_start_info.hparams[key], field, value)
        info = experiment.experiment.hparam_infos.add(name=key, type=dtype)
        if domains and key in domains:
            for d in domains[key]:
                (dfield, dvalue), _ = _value(d, key)
                setattr(info.domain_discrete.values.add(), dfield, dvalue)
    for key in metric_dict:
        experiment.experiment.metric_infos.add().name.tag = key
    end = hparams_pb2.HParamsPluginData(version=0)
    end.session_end_info.status = hparams_pb2.STATUS_SUCCESS
    return [_summary(EXPERIMENT_TAG, experiment), _summary(SESSION_START_TAG, start), _summary(SESSION_END_TAG, end)]
