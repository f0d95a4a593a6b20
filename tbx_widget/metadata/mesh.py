"""Meshes: TensorBoard's ``mesh`` plugin."""
PLUGIN_NAME = "mesh"
KIND = "meshes"
