"""Histograms: TensorBoard's ``histograms`` plugin (also the distributions view's data)."""
PLUGIN_NAME = "histograms"
KIND = "histograms"
