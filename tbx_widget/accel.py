"""The optional compiled kernels (``tbx_widget/_native.c``): the module, or None where the
install found no C compiler (``hatch_build.py``). Their users keep a numpy path for that case."""
from __future__ import annotations

from types import ModuleType

native: ModuleType | None
try:
    from . import _native as native
except ImportError:  # pragma: no cover - depends on the build
    native = None

__all__ = ["native"]
