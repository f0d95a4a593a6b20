"""Generated protobuf modules for the TensorBoard event format (regenerate with `make proto`).

They live in a private descriptor pool: TensorBoard and TensorFlow register the same
``tensorboard.*`` names in the default pool, and both may be imported in the same kernel.
"""
from google.protobuf import descriptor_pool as _descriptor_pool
from google.protobuf import struct_pb2 as _struct_pb2

POOL = _descriptor_pool.DescriptorPool()
POOL.AddSerializedFile(_struct_pb2.DESCRIPTOR.serialized_pb)
