"""Text: TensorBoard's ``text`` plugin; tensorboardX and torch write ``<tag>/text_summary``."""
PLUGIN_NAME = "text"
KIND = "text"
TAG_SUFFIX = "/text_summary"
