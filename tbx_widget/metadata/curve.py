"""Curves (``add_curve``): tbx_widget's own plugin."""
PLUGIN_NAME = "tbx_curve"
KIND = "curves"
