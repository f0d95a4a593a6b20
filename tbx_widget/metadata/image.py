"""Images: TensorBoard's ``images`` plugin."""
PLUGIN_NAME = "images"
KIND = "images"
