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

__all__ = ["to_numpy", "to_real", "to_float", "check_tag", "check_text", "check_step", "check_walltime", "check_child_name",
           "INT64_MIN", "INT64_MAX"]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


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
        return _torch_to_numpy(value, name)
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


def _torch_to_numpy(value: Any, name: str) -> np.ndarray:
    """A torch tensor on the host as an ndarray; tensors that hold no data on any device (the
    meta device) or cannot be converted raise ValueError / TypeError naming ``name``."""
    if getattr(value, "is_meta", False):
        raise ValueError(f"{name} is a tensor on the meta device, which holds no values: {_describe(value)}")
    try:
        value = value.detach().cpu()
        if str(getattr(value, "dtype", "")) == "torch.bfloat16":
            value = value.float()
        return value.numpy()
    except (RuntimeError, NotImplementedError) as exc:  # sparse layouts, exotic devices and dtypes
        raise TypeError(f"{name} could not be converted to a numpy array ({_describe(value)}): {exc}") from None


def to_real(value: Any, name: str) -> np.ndarray:
    """``to_numpy`` restricted to real numbers (bool, int, uint, float): complex values raise
    TypeError naming ``name`` instead of losing their imaginary part."""
    arr = to_numpy(value, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers, got an array of dtype {arr.dtype}")
    return arr


def _int_to_float(value: int, name: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large for a float64: {_describe(value)}") from None


def to_float(value: Any, name: str) -> float:
    """One number as a Python float (a one-element tensor or array is accepted)."""
    t = type(value)
    if t is float:
        return value
    if t is int or isinstance(value, numbers.Integral):  # bool, numpy integers: exact, maybe huge
        return _int_to_float(int(value), name)
    if isinstance(value, numbers.Real):  # numpy floats, Fraction, Decimal and the like
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{name} is too large for a float64: {_describe(value)}") from None
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    if hasattr(value, "item") and getattr(value, "shape", None) is not None:
        size = int(np.prod(value.shape)) if len(value.shape) else 1
        if size != 1:
            raise ValueError(f"{name} must be a single number, got {_describe(value)}")
        if getattr(value, "is_meta", False):
            raise ValueError(f"{name} is a tensor on the meta device, which holds no values: {_describe(value)}")
        try:
            out = value.item()
        except (RuntimeError, NotImplementedError) as exc:
            raise TypeError(f"{name} could not be read as a number ({_describe(value)}): {exc}") from None
        if isinstance(out, float):
            return out
        if isinstance(out, int):  # bool included
            return _int_to_float(out, name)
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    arr = to_numpy(value, name)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got {_describe(value)}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    return float(arr.reshape(-1)[0])


def check_text(text: Any, name: str) -> str:
    """``text`` as a plain ``str`` that encodes as UTF-8 (str subclasses such as ``np.str_``
    and ``StrEnum`` members are accepted; lone surrogates are not)."""
    if type(text) is not str:
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str, got {_describe(text)}")
        text = str.__str__(text)  # the plain str value of a subclass (StrEnum's value, not its name)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"{name} must be valid Unicode text (encodable as UTF-8), got {text[:60]!r}: "
                f"{exc.reason} at position {exc.start}"
            ) from None
    return text


def check_tag(tag: Any, name: str = "tag") -> str:
    """A non-empty tag as a plain ``str`` that encodes as UTF-8."""
    if type(tag) is str and tag and tag.isascii():
        return tag
    text = check_text(tag, name)
    if not text:
        raise ValueError(f"{name} must not be empty")
    return text


def check_step(step: Any, name: str = "global_step") -> int | None:
    """``None`` or an integer step that fits int64 (an integral float or a one-element tensor is
    accepted; values outside int64 raise ValueError instead of being wrapped)."""
    if step is None:
        return None
    t = type(step)
    if t is int:
        out = step
    elif isinstance(step, bool):
        raise TypeError(f"{name} must be an int, got bool {step!r}")
    elif isinstance(step, numbers.Integral):
        out = int(step)
    elif isinstance(step, (str, bytes)):
        raise TypeError(f"{name} must be an int, got {_describe(step)}")
    elif (item := _integer_item(step, name)) is not None:  # an integer tensor or array: exact, no float
        out = item
    else:
        value = to_float(step, name)
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        out = int(value)
    if not INT64_MIN <= out <= INT64_MAX:
        raise ValueError(f"{name} must fit in a signed 64-bit integer (-2**63 to 2**63 - 1), got {out!r}")
    return out


def _integer_item(value: Any, name: str) -> int | None:
    """The int in a one-element integer tensor or array, else None (left to ``to_float``)."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or not hasattr(value, "item") or getattr(value, "is_meta", False):
        return None
    kind = getattr(dtype, "kind", None)  # numpy
    if kind is None:  # torch ("torch.int64") and others: by name
        text = str(dtype).rsplit(".", 1)[-1]
        kind = "i" if text.startswith(("int", "uint")) else ""
    if kind not in ("i", "u"):
        return None
    shape = getattr(value, "shape", ())
    if int(np.prod(tuple(shape))) != 1:
        return None
    try:
        item = value.item()
    except (RuntimeError, NotImplementedError, ValueError):
        return None
    return item if type(item) is int else None


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
