"""tbx_widget: log with the tensorboardX API, watch training live inside the notebook.

    from tbx_widget import SummaryWriter
    writer = SummaryWriter("runs/exp1")
    writer.add_scalar("loss", 0.5, global_step=1)

Public names are imported on first use, so ``import tbx_widget`` stays cheap and the
event-file core works without the notebook stack.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it
_PUBLIC = {
    "EventFileWriter": "tbx_widget.event_file",
    "RecordReader": "tbx_widget.records",
    "SummaryWriter": "tbx_widget.writer",
    "load": "tbx_widget.reader",
    "Logs": "tbx_widget.reader",
    "Dashboard": "tbx_widget.widget",
    "load_ipython_extension": "tbx_widget.magics",
    "unload_ipython_extension": "tbx_widget.magics",
}

__all__ = sorted(_PUBLIC) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .event_file import EventFileWriter
    from .magics import load_ipython_extension, unload_ipython_extension
    from .reader import Logs, load
    from .records import RecordReader
    from .widget import Dashboard
    from .writer import SummaryWriter


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'tbx_widget' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
