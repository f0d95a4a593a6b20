"""User input → plain Python / numpy, with errors that name the argument.

Accepts numpy arrays and scalars, Python numbers and lists, anything with ``__array__`` and
torch / jax / TensorFlow tensors (moved to host memory by duck typing: none of those libraries
is imported here).
"""
from __future__ import annotations

import math
import numbers
import os
from typing import Any

import numpy as np

__all__ = ["to_numpy", "to_float", "check_tag", "check_step", "check_walltime", "check_child_name"]


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    name = type(value).__name__
    if shape is not None:
        return f"{name} of shape {tuple(shape)}"
    text = repr(value)
    return f"{name} {text[:60] + '...' if len(text) > 60 else text}"


def to_numpy(value: Any, name: str) -> np.ndarray:
    """An ndarray view or copy of ``value`` (tensors are detached and moved to the CPU)."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch
        value = value.detach().cpu()
        if str(getattr(value, "dtype", "")) == "torch.bfloat16":
            value = value.float()
        return value.numpy()
    if hasattr(value, "numpy") and callable(value.numpy) and not isinstance(value, (str, bytes)):  # TensorFlow eager
        try:
            return np.asarray(value.numpy())
        except Exception:
            pass
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numeric (a number, list or array), got {_describe(value)}")
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{name} must be array-like, got {_describe(value)}: {exc}") from None
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got {_describe(value)} (an array of Python objects)")
    return arr


def to_float(value: Any, name: str) -> float:
    """One number as a Python float (a one-element tensor or array is accepted)."""
    t = type(value)
    if t is float or t is int:
        return float(value)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real):  # numpy scalars and the like
        return float(value)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    if hasattr(value, "item") and getattr(value, "shape", None) is not None:
        size = int(np.prod(value.shape)) if len(value.shape) else 1
        if size != 1:
            raise ValueError(f"{name} must be a single number, got {_describe(value)}")
        out = value.item()
        if isinstance(out, (int, float, bool)):
            return float(out)
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    arr = to_numpy(value, name)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got {_describe(value)}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    return float(arr.reshape(-1)[0])


def check_tag(tag: Any, name: str = "tag") -> str:
    if type(tag) is str and tag:
        return tag
    if not isinstance(tag, str):
        raise TypeError(f"{name} must be a str, got {_describe(tag)}")
    raise ValueError(f"{name} must not be empty")


def check_step(step: Any, name: str = "global_step") -> int | None:
    """``None`` or an integer step (an integral float or a one-element tensor is accepted)."""
    if step is None:
        return None
    t = type(step)
    if t is int:
        return step
    if isinstance(step, bool):
        raise TypeError(f"{name} must be an int, got bool {step!r}")
    if isinstance(step, numbers.Integral):
        return int(step)
    if isinstance(step, (str, bytes)):
        raise TypeError(f"{name} must be an int, got {_describe(step)}")
    value = to_float(step, name)
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def check_walltime(walltime: Any, name: str = "walltime") -> float | None:
    if walltime is None:
        return None
    value = to_float(walltime, name)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds since the epoch, got {value!r}")
    return value


def check_child_name(value: Any, name: str) -> str:
    """A sub-run name: relative, and never leaving the logdir ("../x" and "/x" are rejected)."""
    text = check_tag(value, name)
    norm = os.path.normpath(text)
    if os.path.isabs(text) or norm == ".." or norm.startswith(".." + os.sep) or norm.startswith("../") or "\x00" in text:
        raise ValueError(f"{name} must stay inside the logdir, got {text!r}")
    return text
