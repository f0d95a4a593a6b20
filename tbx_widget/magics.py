"""``%load_ext tbx_widget`` registers ``%tbx [LOGDIR] [--height N] [--tags REGEX] [--runs REGEX]
[--storage-options JSON] [--group REGEX|ranks]``; LOGDIR may be a URL (``s3://bucket/runs``)."""
from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "parse_tbx_args"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # never sys.exit inside a kernel
        raise ValueError(f"%tbx: {message}\n{self.format_usage()}")


def _parser() -> _Parser:
    parser = _Parser(prog="%tbx", description="Show a live dashboard of a TensorBoard logdir.", add_help=False)
    parser.add_argument("logdir", nargs="?", default="runs", help="directory or fsspec URL to follow (default: runs)")
    parser.add_argument("--height", type=int, default=640, help="dashboard height in pixels")
    parser.add_argument("--tags", default=None, help="initial tag filter (regular expression)")
    parser.add_argument("--runs", default=None, help="initial run filter (regular expression)")
    parser.add_argument("--storage-options", default=None, help="fsspec options for a URL logdir, as a JSON object")
    parser.add_argument("--group", default=None,
                        help="group runs: 'ranks' (per-rank runs gpu_0, rank_1, ...) or a regex (one group per captured text)")
    return parser


def parse_tbx_args(line: str) -> dict[str, Any]:
    """Arguments of a ``%tbx`` line as keyword arguments for ``Dashboard``."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ValueError(f"%tbx: cannot parse {line!r}: {exc}") from None
    ns = _parser().parse_args(words)
    kwargs = {"logdir": ns.logdir, "height": ns.height, "tags": ns.tags, "runs": ns.runs}
    if ns.group is not None:
        from .groups import parse_grouping

        kwargs["group"] = {"by": "ranks"} if ns.group == "ranks" else parse_grouping(ns.group)
    if ns.storage_options is not None:
        try:
            options = json.loads(ns.storage_options)
        except ValueError as exc:
            raise ValueError(f"%tbx: --storage-options must be a JSON object, got {ns.storage_options!r} ({exc})") from None
        if not isinstance(options, dict):
            raise ValueError(f"%tbx: --storage-options must be a JSON object, got {ns.storage_options!r}")
        kwargs["storage_options"] = options
    return kwargs


def tbx(line: str) -> None:
    """%tbx [LOGDIR] [--height N] [--tags REGEX] [--runs REGEX] [--storage-options JSON] [--group REGEX|ranks]: display a
    live Dashboard (LOGDIR may be an fsspec URL)."""
    from IPython.core.error import UsageError
    from IPython.display import display

    from .widget import Dashboard

    try:
        kwargs = parse_tbx_args(line)
        dashboard = Dashboard(**kwargs)
    except (ValueError, TypeError, ImportError, FileNotFoundError, PermissionError) as exc:
        raise UsageError(str(exc)) from None
    display(dashboard)


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext tbx_widget``."""
    ipython.register_magic_function(tbx, magic_kind="line", magic_name="tbx")


def unload_ipython_extension(ipython: Any) -> None:
    ipython.magics_manager.magics["line"].pop("tbx", None)
