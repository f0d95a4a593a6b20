"""Raw tensors (``add_tensor``): torch's ``tensor`` plugin."""
PLUGIN_NAME = "tensor"
