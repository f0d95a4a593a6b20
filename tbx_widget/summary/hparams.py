"""HParams: the experiment, session-start and session-end records TensorBoard's plugin reads."""
from __future__ import annotations

from typing import Any

from .._proto import hparams_pb2, summary_pb2
from ..convert import check_tag, check_text, to_float
from ..metadata import hparams as _hparams
from ..metadata.hparams import EXPERIMENT_TAG, SESSION_END_TAG, SESSION_START_TAG
from .scalar import plugin_metadata

__all__ = ["hparams_values", "EXPERIMENT_TAG", "SESSION_START_TAG", "SESSION_END_TAG"]


def _value(v: Any, name: str) -> tuple[Any, int]:
    """(a google.protobuf.Value field setter, DataType) for one hyperparameter named ``name`` in
    errors; bools stay bools."""
    if isinstance(v, bool):
        return ("bool_value", v), hparams_pb2.DATA_TYPE_BOOL
    if isinstance(v, (int, float)):
        return ("number_value", to_float(v, name)), hparams_pb2.DATA_TYPE_FLOAT64
    if isinstance(v, str):
        return ("string_value", check_text(v, name)), hparams_pb2.DATA_TYPE_STRING
    if hasattr(v, "item") and getattr(v, "shape", None) in ((), (1,), [1]):
        if getattr(v, "is_meta", False):
            raise ValueError(f"{name} is a tensor on the meta device, which holds no value")
        try:
            item = v.item()
        except (RuntimeError, NotImplementedError, ValueError) as exc:
            raise TypeError(f"{name} could not be read as one value: {exc}") from None
        if isinstance(item, complex):
            raise TypeError(f"{name} must be a bool, number or str, got complex {item!r}")
        return _value(item, name)
    if v is None:
        return ("string_value", "None"), hparams_pb2.DATA_TYPE_STRING
    raise TypeError(f"{name} must be a bool, number or str, got {type(v).__name__}")


def _summary(tag: str, data: hparams_pb2.HParamsPluginData) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(tag=tag, metadata=plugin_metadata(_hparams.PLUGIN_NAME, data.SerializeToString()))


def hparams_values(hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                   domains: dict[str, list[Any]] | None = None) -> list[summary_pb2.Summary.Value]:
    """The three summary values (experiment, session start, session end) of one session."""
    if domains is not None and not isinstance(domains, dict):
        raise TypeError(f"hparam_domain_discrete must be a dict of name -> list of values, got {type(domains).__name__}")
    checked_domains: dict[str, list[tuple[Any, int]]] = {}
    for key, values in (domains or {}).items():
        key = check_tag(key, "hparam_domain_discrete key")
        if key not in hparam_dict:
            raise ValueError(f"hparam_domain_discrete key {key!r} is not in hparam_dict (keys: {sorted(map(str, hparam_dict))})")
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set, frozenset)):
            raise TypeError(f"hparam_domain_discrete[{key!r}] must be a list of values, got {type(values).__name__}")
        checked_domains[key] = [_value(d, f"hparam_domain_discrete[{key!r}][{i}]") for i, d in enumerate(values)]
    experiment = hparams_pb2.HParamsPluginData(version=0)
    start = hparams_pb2.HParamsPluginData(version=0)
    for key, v in hparam_dict.items():
        key = check_tag(key, "hparam_dict key")
        (field, value), dtype = _value(v, f"hparam_dict[{key!r}]")
        setattr(start.session_start_info.hparams[key], field, value)
        info = experiment.experiment.hparam_infos.add(name=key, type=dtype)
        for (dfield, dvalue), _ in checked_domains.get(key, ()):
            setattr(info.domain_discrete.values.add(), dfield, dvalue)
    for key in metric_dict:
        experiment.experiment.metric_infos.add().name.tag = check_tag(key, "metric_dict key")
    end = hparams_pb2.HParamsPluginData(version=0)
    end.session_end_info.status = hparams_pb2.STATUS_SUCCESS
    return [_summary(EXPERIMENT_TAG, experiment), _summary(SESSION_START_TAG, start), _summary(SESSION_END_TAG, end)]
