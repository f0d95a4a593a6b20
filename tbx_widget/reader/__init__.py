"""Reading logdirs: discovery, decoding of every writer's events, and the ``Logs`` object."""
from .items import (
    KINDS,
    AudioItem,
    CurveItem,
    CustomScalarsItem,
    HistogramItem,
    HParamsItem,
    ImageItem,
    MeshItem,
    PrCurveItem,
    ScalarSeries,
    SurfaceItem,
    TextItem,
)
from .graphs import GraphItem, GraphNode
from .logs import Changes, Logs, NotRetainedError, load

__all__ = [
    "load", "Logs", "Changes", "NotRetainedError", "KINDS", "ScalarSeries", "HistogramItem", "ImageItem", "TextItem",
    "PrCurveItem", "AudioItem", "HParamsItem", "CustomScalarsItem", "GraphItem", "GraphNode",
    "CurveItem", "SurfaceItem", "MeshItem",
]
