"""``%load_ext tbx_widget`` registers ``%tbx [LOGDIR] [--height N] [--tags REGEX] [--runs REGEX]``."""
from __future__ import annotations

import argparse
import shlex
from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "parse_tbx_args"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # never sys.exit inside a kernel
        raise ValueError(f"%tbx: {message}\n{self.format_usage()}")


def _parser() -> _Parser:
    parser = _Parser(prog="%tbx", description="Show a live dashboard of a TensorBoard logdir.", add_help=False)
    parser.add_argument("logdir", nargs="?", default="runs", help="directory to follow (default: runs)")
    parser.add_argument("--height", type=int, default=640, help="dashboard height in pixels")
    parser.add_argument("--tags", default=None, help="initial tag filter (regular expression)")
    parser.add_argument("--runs", default=None, help="initial run filter (regular expression)")
    return parser


def parse_tbx_args(line: str) -> dict[str, Any]:
    """Arguments of a ``%tbx`` line as keyword arguments for ``Dashboard``."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ValueError(f"%tbx: cannot parse {line!r}: {exc}") from None
    ns = _parser().parse_args(words)
    return {"logdir": ns.logdir, "height": ns.height, "tags": ns.tags, "runs": ns.runs}


def tbx(line: str) -> None:
    """%tbx [LOGDIR] [--height N] [--tags REGEX] [--runs REGEX]: display a live Dashboard."""
    from IPython.core.error import UsageError
    from IPython.display import display

    from .widget import Dashboard

    try:
        kwargs = parse_tbx_args(line)
        dashboard = Dashboard(**kwargs)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    display(dashboard)


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext tbx_widget``."""
    ipython.register_magic_function(tbx, magic_kind="line", magic_name="tbx")


def unload_ipython_extension(ipython: Any) -> None:
    ipython.magics_manager.magics["line"].pop("tbx", None)
