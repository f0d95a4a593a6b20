"""Notebook exports that show each dashboard's static fallback (nbconvert preprocessors).

The *snapshot* (``snapshot.snapshot_html``) is the static fallback: the ``text/html`` a Dashboard
carries beside its widget view, inline SVG cards of its scalars. ``static_fallbacks`` is an nbconvert
preprocessor and ``export_html`` a one-call export: an HTML page of a notebook whose dashboards
show their fallback with no kernel and no internet (nbconvert would otherwise choose the widget
view, whose renderer it loads from a CDN: offline the page is blank). ``refresh_fallbacks``
redraws the fallback saved in a ``.ipynb`` (a dashboard shown before training saved an empty
one), for GitHub's viewer. The old names ``tbx_widget.snapshot.static_snapshots`` and
``refresh_snapshots`` still resolve to these.
"""
from __future__ import annotations

import html
import json
import os
import pathlib
import re
from typing import Any

from .saved_view import read_saved_curves, saved_curves_json
from .snapshot import FALLBACK_MARKER, snapshot_html

__all__ = ["static_fallbacks", "refresh_fallbacks", "export_html", "WIDGET_VIEW", "WIDGET_STATE"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SAVED_CURVES = "_saved_curves"  # the Dashboard trait holding its saved curves (docs/protocol.md)
OLD_SAVED_CURVES = "_snapshot"  # its name in notebooks saved by tbx_widget before the rename


def _logdir_of(state: dict[str, Any], fallback_html: str) -> str:
    """The dashboard's logdir: from its saved widget state, else from its display-time fallback
    (notebooks saved without widget state still carry that)."""
    logdir = state.get("logdir")
    if isinstance(logdir, str) and logdir:
        return logdir
    found = re.search(r"data-logdir=['\"]([^'\"]*)['\"]", fallback_html)
    return html.unescape(found.group(1)) if found else ""


def _fresh_fallback(state: dict[str, Any], base: str, logdir: str) -> str | None:
    """The dashboard's snapshot HTML drawn from its logdir on disk, else from its saved curves.

    Read from disk, the saved state is brought up to date too (``_saved_curves``, ``status``): a
    notebook's kernel often stops before the dashboard's last periodic save, and a widget
    renderer that can load (online) draws from that state. A notebook saved before the trait's
    rename holds its curves as ``_snapshot``: read too, and replaced when redrawn from disk.
    """
    if logdir:
        path = logdir if os.path.isabs(logdir) else os.path.join(base, logdir)
        if os.path.isdir(path):
            from .reader import load

            logs = load(path)
            state[SAVED_CURVES] = saved_curves_json(logs)
            state.pop(OLD_SAVED_CURVES, None)
            state["status"] = "ok" if logs.runs else "no_runs"
            return snapshot_html(logs, title=logdir)
    saved = state.get(SAVED_CURVES) or state.get(OLD_SAVED_CURVES)
    if isinstance(saved, str) and saved:
        return snapshot_html(read_saved_curves(saved), title=logdir)
    return None


def _static_output(fallback: str, view: dict[str, Any]) -> str:
    """The fallback, followed by the widget view tag: where the widget renderer loads (online),
    it draws the live dashboard beside the tag and the CSS hides the fallback; offline the
    fallback is what shows."""
    view_json = json.dumps(view).replace("</", "<\\/")
    return (
        "<div class='tbx-static'>"
        f"<style>.tbx-static:has(.tbx-header) > .{FALLBACK_MARKER} {{ display: none; }}</style>"
        f"{fallback}<script type='{WIDGET_VIEW}'>{view_json}</script></div>"
    )


def _dashboards(nb: Any, resources: dict[str, Any] | None):
    """Each tbx_widget dashboard output's data, widget view and freshest fallback HTML."""
    base = ((resources or {}).get("metadata") or {}).get("path") or os.getcwd()
    states = ((nb.get("metadata") or {}).get("widgets") or {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = out.get("data") or {}
            view = data.get(WIDGET_VIEW)
            old = str(data.get("text/html", ""))
            if not isinstance(view, dict) or FALLBACK_MARKER not in old:
                continue
            state = (states.get(view.get("model_id")) or {}).get("state", {})
            try:
                fallback = _fresh_fallback(state, base, _logdir_of(state, old)) or old
            except Exception:  # an unreadable logdir keeps the fallback drawn at display time
                fallback = old
            yield data, view, fallback


def static_fallbacks(nb: Any, resources: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """nbconvert preprocessor for HTML: each tbx_widget dashboard output becomes its static
    fallback.

    The fallback is redrawn from the dashboard's logdir when it is on disk (relative paths are
    read from the notebook's directory, ``resources["metadata"]["path"]``), else from the data
    saved in the widget state, so a dashboard displayed before training shows the final curves;
    the saved widget state is refreshed from disk as well. Other widgets are left alone. Use it
    after ``--execute``::

        jupyter nbconvert --to html --execute \\
            --HTMLExporter.preprocessors=tbx_widget.nbexport.static_fallbacks notebook.ipynb
    """
    for data, view, fallback in _dashboards(nb, resources):
        data["text/html"] = _static_output(fallback, view)
        del data[WIDGET_VIEW]
    return nb, resources if resources is not None else {}


def refresh_fallbacks(nb: Any, resources: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """nbconvert preprocessor for ``.ipynb`` files: redraw each dashboard's ``text/html``
    fallback (what GitHub's viewer shows) from its logdir, keeping the widget view.

    A dashboard shown before training saves "no scalars yet" as its fallback; run this in the
    notebook's directory after the training, before committing the notebook::

        jupyter nbconvert --to notebook --inplace \\
            --NotebookExporter.preprocessors=tbx_widget.nbexport.refresh_fallbacks notebook.ipynb
    """
    for data, _view, fallback in _dashboards(nb, resources):
        data["text/html"] = fallback
    return nb, resources if resources is not None else {}


def export_html(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    execute: bool = False,
    timeout: int = 600,
) -> pathlib.Path:
    """Write ``notebook`` as a standalone HTML page whose dashboards show their static fallback offline.

    Args:
        notebook: path of the ``.ipynb`` file.
        output: HTML path to write; default: the notebook's path with ``.html``.
        execute: run the notebook first (in its own directory, outputs and widget state kept).
        timeout: seconds allowed per cell when executing.

    Returns the path written.
    """
    if not isinstance(notebook, (str, os.PathLike)):
        raise TypeError(f"notebook must be a path (str or os.PathLike), got {type(notebook).__name__}")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"timeout must be a positive int number of seconds, got {timeout!r}")
    src = pathlib.Path(notebook)
    if not src.is_file():
        raise ValueError(f"notebook {os.fspath(notebook)!r} is not a file")
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbformat.read(src, as_version=4)
    resources: dict[str, Any] = {"metadata": {"path": str(src.parent.resolve()), "name": src.stem}}
    if execute:
        nb, resources = ExecutePreprocessor(timeout=timeout, store_widget_state=True).preprocess(nb, resources)
    nb, resources = static_fallbacks(nb, resources)
    body, _ = HTMLExporter().from_notebook_node(nb, resources=resources)
    dest = pathlib.Path(output) if output is not None else src.with_suffix(".html")
    dest.write_text(body, encoding="utf-8")
    return dest
