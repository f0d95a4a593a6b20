"""Graphs: a ``graph_def`` record, or the Keras model config plugin."""
KIND = "graphs"
GRAPH_DEF_TAG = "graph_def"
KERAS_PLUGIN_NAME = "graph_keras_model"
