"""TensorFlow's DataType enum values (``types.proto``), from the generated ``types_pb2``."""
from .._proto.types_pb2 import (DT_BFLOAT16, DT_BOOL, DT_COMPLEX64, DT_COMPLEX128, DT_DOUBLE, DT_FLOAT, DT_HALF,
                                DT_INT8, DT_INT16, DT_INT32, DT_INT64, DT_STRING, DT_UINT8, DT_UINT16, DT_UINT32,
                                DT_UINT64)

__all__ = ["DT_BFLOAT16", "DT_BOOL", "DT_COMPLEX64", "DT_COMPLEX128", "DT_DOUBLE", "DT_FLOAT", "DT_HALF", "DT_INT8", "DT_INT16", "DT_INT32",
           "DT_INT64", "DT_STRING", "DT_UINT8", "DT_UINT16", "DT_UINT32", "DT_UINT64"]
