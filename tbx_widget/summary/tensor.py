"""Whole tensors (torch's ``add_tensor``): a ``TensorProto`` with the "tensor" plugin's metadata.

The values go into ``tensor_content`` (raw little-endian bytes, as TensorFlow writes large
tensors): exact for every dtype and far faster than protobuf's repeated fields. TensorBoard's
``tensor_util.make_ndarray`` and tbx_widget's reader decode it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._proto import summary_pb2, tensor_pb2
from ..metadata import tensor as _tensor
from ..metadata.dtypes import (DT_BFLOAT16, DT_BOOL, DT_COMPLEX64, DT_COMPLEX128, DT_DOUBLE, DT_FLOAT, DT_HALF, DT_INT8,
                               DT_INT16, DT_INT32, DT_INT64, DT_UINT8, DT_UINT16, DT_UINT32, DT_UINT64)
from .scalar import plugin_metadata

__all__ = ["tensor_value", "tensor_array", "TENSOR_PLUGIN"]

TENSOR_PLUGIN = _tensor.PLUGIN_NAME

_DTYPES = {  # numpy dtype -> TensorFlow DataType
    np.dtype(np.float32): DT_FLOAT, np.dtype(np.float64): DT_DOUBLE, np.dtype(np.int32): DT_INT32,
    np.dtype(np.uint8): DT_UINT8, np.dtype(np.int16): DT_INT16, np.dtype(np.int8): DT_INT8,
    np.dtype(np.complex64): DT_COMPLEX64, np.dtype(np.int64): DT_INT64, np.dtype(np.bool_): DT_BOOL,
    np.dtype(np.uint16): DT_UINT16, np.dtype(np.complex128): DT_COMPLEX128, np.dtype(np.float16): DT_HALF,
    np.dtype(np.uint32): DT_UINT32, np.dtype(np.uint64): DT_UINT64,
}


def tensor_array(value: Any, name: str = "tensor") -> tuple[np.ndarray, int]:
    """(array, TensorFlow dtype) of a tensor or array. torch's bfloat16 keeps its 16 bits
    (DT_BFLOAT16); other dtypes numpy cannot hold raise TypeError naming ``name``."""
    dtype_name = str(getattr(value, "dtype", ""))
    if dtype_name == "torch.bfloat16" and hasattr(value, "detach"):
        import torch  # a torch tensor was given: torch is importable

        bits = value.detach().cpu().contiguous().view(torch.int16).numpy().view(np.uint16)
        return np.array(bits, copy=True), DT_BFLOAT16
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        try:
            arr = value.detach().cpu().resolve_conj().numpy()
        except (RuntimeError, TypeError, NotImplementedError, AttributeError) as exc:
            raise TypeError(f"{name} could not be converted to a numpy array ({type(value).__name__} of dtype "
                            f"{dtype_name}): {exc}") from None
    elif isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a tensor or array of numbers or bools, got {type(value).__name__}")
    else:
        try:
            arr = np.asarray(value.numpy() if hasattr(value, "numpy") and callable(value.numpy) else value)
        except Exception as exc:
            raise TypeError(f"{name} must be array-like, got {type(value).__name__}: {exc}") from None
    code = _DTYPES.get(arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in "=|" else arr.dtype)
    if code is None:
        raise TypeError(f"{name} has dtype {arr.dtype}, which a TensorProto cannot hold (numbers, bools and "
                        "complex numbers only)")
    return np.array(arr, copy=True), code


def tensor_value(tag: str, arr: np.ndarray, dtype: int) -> summary_pb2.Summary.Value:
    """A ``Summary.Value`` holding ``arr`` whole (shape and every value) under the "tensor" plugin."""
    proto = tensor_pb2.TensorProto(dtype=dtype)
    proto.tensor_shape.SetInParent()
    for size in arr.shape:
        proto.tensor_shape.dim.add(size=size)
    little = arr.astype(arr.dtype.newbyteorder("<"), copy=False) if arr.dtype.itemsize > 1 else arr
    proto.tensor_content = np.ascontiguousarray(little).tobytes()
    return summary_pb2.Summary.Value(tag=tag, tensor=proto, metadata=plugin_metadata(TENSOR_PLUGIN))
