"""Surfaces (``add_surface``): tbx_widget's own plugin."""
PLUGIN_NAME = "tbx_surface"
KIND = "surfaces"
