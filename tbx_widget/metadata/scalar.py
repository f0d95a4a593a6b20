"""Scalars: TensorBoard's ``scalars`` plugin."""
PLUGIN_NAME = "scalars"
KIND = "scalars"
