"""Static snapshots: a logdir's scalars as inline SVG, for places where widgets do not render.

``snapshot_html(logs)`` is the ``text/html`` fallback a Dashboard carries beside its widget
view (GitHub's viewer, nbviewer without widget state). ``static_snapshots`` is an nbconvert
preprocessor and ``export_html`` a one-call export: an HTML page of a notebook whose dashboards
show their snapshot with no kernel and no internet (nbconvert would otherwise choose the widget
view, whose renderer it loads from a CDN: offline the page is blank). ``refresh_snapshots``
redraws the fallback saved in a ``.ipynb`` (a dashboard shown before training saved an empty
one), for GitHub's viewer.

Every run name, tag and value is escaped: logdir content is untrusted.
"""
from __future__ import annotations

import html
import json
import os
import pathlib
import re
from typing import Any

import numpy as np

__all__ = ["snapshot_html", "static_snapshots", "refresh_snapshots", "export_html"]

# The live dashboard's run colours (js/src/runstyle.ts: PALETTE, hashName, RunColors), so a run
# has the same colour in the snapshot as in the dashboard.
PALETTE = ("#0072B2", "#9966FF", "#669999", "#E69F00", "#CAACCB", "#CC0099",
           "#3300FF", "#996666", "#006633", "#999966", "#00CC99", "#D55E00")
_W, _H, _PAD = 320, 120, 6
_MAX_CARDS = 24
_MAX_POINTS = 400
_MARKER = "tbx-snapshot"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _points(x: np.ndarray, y: np.ndarray, x0: float, x1: float, y0: float, y1: float) -> str:
    """SVG points of one curve, in step order, traced forward and then back.

    The way back retraces the same points, so the shape encloses no area: the curve stays an
    open line even where a sanitizer strips ``fill='none'`` (an SVG polyline is filled, and so
    closed from its last point to its first, by default).
    """
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) > _MAX_POINTS:  # min/max per bucket keeps spikes
        edges = np.linspace(0, len(x), _MAX_POINTS // 2 + 1).astype(int)
        idx: list[int] = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            if hi > lo:
                seg = y[lo:hi]
                idx.extend(sorted({lo + int(np.argmin(seg)), lo + int(np.argmax(seg))}))
        x, y = x[idx], y[idx]
    sx = (_W - 2 * _PAD) / ((x1 - x0) or 1.0)
    sy = (_H - 2 * _PAD) / ((y1 - y0) or 1.0)
    # A constant series (y0 == y1) is drawn through the middle of the card.
    mid = (_H / 2) if y1 == y0 else None
    pts = [
        f"{_PAD + (a - x0) * sx:.1f},{mid if mid is not None else _H - _PAD - (b - y0) * sy:.1f}"
        for a, b in zip(x.tolist(), y.tolist())
    ]
    return " ".join(pts + pts[-2::-1])


def hash_name(name: str) -> int:
    """FNV-1a (32-bit) of a string's UTF-16 code units, as the dashboard hashes run names."""
    h = 0x811C9DC5
    data = name.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def run_colors(runs: list[str]) -> dict[str, str]:
    """Each run's colour: its name's palette slot, or the next free one while slots are free."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for run in runs:
        start = hash_name(run) % len(PALETTE)
        color = PALETTE[start]
        if len(used) < len(PALETTE):
            color = next(c for k in range(len(PALETTE)) if (c := PALETTE[(start + k) % len(PALETTE)]) not in used)
        out[run] = color
        used.add(color)
    return out


def run_label(run: str, title: str = "") -> str:
    """A run's display name: the root run ``.`` is named after the logdir, or ``(root)``."""
    if run != ".":
        return run
    name = os.path.basename(os.path.normpath(title)) if title else ""
    return name if name not in ("", ".", "..", os.sep) else "(root)"


def snapshot_html(logs: Any, title: str = "") -> str:
    """Cards of every scalar tag (all runs overlaid) as self-contained HTML.

    Args:
        logs: anything with ``runs``, ``tags(run)`` and ``scalars(run, tag)`` (a ``Logs``).
        title: the logdir, shown in the heading and naming the root run.
    """
    runs = list(logs.runs)
    colors = run_colors(runs)
    by_tag: dict[str, list[tuple[str, Any]]] = {}
    for run in runs:
        for tag in logs.tags(run).get("scalars", ()):
            by_tag.setdefault(tag, []).append((run, logs.scalars(run, tag)))
    head = f"<b>tbx_widget</b> snapshot of <code>{html.escape(title)}</code>: {len(runs)} run(s)"
    root = f"<div class='{_MARKER}' data-logdir='{html.escape(title, quote=True)}'>"
    if not by_tag:
        return f"{root}{head}; no scalars yet.</div>"
    cards = []
    for tag in sorted(by_tag)[:_MAX_CARDS]:
        series = [(run, s) for run, s in by_tag[tag] if len(s.step)]
        if not series:
            continue
        xs = np.concatenate([np.asarray(s.step, dtype=float) for _, s in series])
        ys = np.concatenate([np.asarray(s.value, dtype=float) for _, s in series])
        finite = ys[np.isfinite(ys)]
        if not finite.size:
            continue
        x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(finite.min()), float(finite.max())
        lines = "".join(
            f"<polyline fill='none' style='fill:none' stroke='{colors[run]}' stroke-width='1.5' "
            f"stroke-linejoin='round' points='{_points(np.asarray(s.step, float), np.asarray(s.value, float), x0, x1, y0, y1)}'>"
            f"<title>{html.escape(run_label(run, title))}</title></polyline>"
            for run, s in series
        )
        last = ", ".join(
            f"<span style='color:{colors[run]}'>■</span> "
            f"{html.escape(run_label(run, title))}: {float(s.value[-1]):.6g}"
            for run, s in series
        )
        cards.append(
            "<div style='display:inline-block;margin:4px;padding:4px;border:1px solid #ddd;vertical-align:top'>"
            f"<div style='font:12px sans-serif'><b>{html.escape(tag)}</b> · steps {x0:.0f}–{x1:.0f}</div>"
            f"<svg width='{_W}' height='{_H}' viewBox='0 0 {_W} {_H}'>{lines}</svg>"
            f"<div style='font:11px sans-serif;color:#555'>last: {last} · range {y0:.4g} … {y1:.4g}</div></div>"
        )
    more = f"<div>… and {len(by_tag) - _MAX_CARDS} more tags</div>" if len(by_tag) > _MAX_CARDS else ""
    return f"{root}<div>{head}</div>{''.join(cards)}{more}</div>"


# -- static exports ---------------------------------------------------------------------------


class _Series:
    def __init__(self, step: list[Any], value: list[Any]):
        self.step = np.asarray(step, dtype=float)
        self.value = np.asarray([np.nan if v is None else v for v in value], dtype=float)


class _StateLogs:
    """The Logs interface ``snapshot_html`` needs, read from a dashboard's saved ``_snapshot``."""

    def __init__(self, snapshot: dict[str, Any]):
        self.runs = list(snapshot.get("runs", []))
        self._series = {(s["run"], s["tag"]): s for s in snapshot.get("series", [])}

    def tags(self, run: str) -> dict[str, list[str]]:
        return {"scalars": [tag for (r, tag) in self._series if r == run]}

    def scalars(self, run: str, tag: str) -> _Series:
        s = self._series[(run, tag)]
        return _Series(s["step"], s["value"])


def _logdir_of(state: dict[str, Any], fallback_html: str) -> str:
    """The dashboard's logdir: from its saved widget state, else from its display-time snapshot
    (notebooks saved without widget state still carry that)."""
    logdir = state.get("logdir")
    if isinstance(logdir, str) and logdir:
        return logdir
    found = re.search(r"data-logdir=['\"]([^'\"]*)['\"]", fallback_html)
    return html.unescape(found.group(1)) if found else ""


def _fresh_snapshot(state: dict[str, Any], base: str, logdir: str) -> str | None:
    """The dashboard's snapshot from its logdir on disk, else from its saved widget state.

    Read from disk, the saved state is brought up to date too (``_snapshot``, ``status``): a
    notebook's kernel often stops before the dashboard's last periodic save, and a widget
    renderer that can load (online) draws from that state.
    """
    if logdir:
        path = logdir if os.path.isabs(logdir) else os.path.join(base, logdir)
        if os.path.isdir(path):
            from .reader import load
            from .widget import snapshot_json

            logs = load(path)
            state["_snapshot"] = snapshot_json(logs)
            state["status"] = "ok" if logs.runs else "no_runs"
            return snapshot_html(logs, title=logdir)
    saved = state.get("_snapshot")
    if isinstance(saved, str) and saved:
        return snapshot_html(_StateLogs(json.loads(saved)), title=logdir)
    return None


def _static_output(snapshot: str, view: dict[str, Any]) -> str:
    """The snapshot, followed by the widget view tag: where the widget renderer loads (online),
    it draws the live dashboard beside the tag and the CSS hides the snapshot; offline the
    snapshot is what shows."""
    view_json = json.dumps(view).replace("</", "<\\/")
    return (
        "<div class='tbx-static'>"
        "<style>.tbx-static:has(.tbx-header) > .tbx-snapshot { display: none; }</style>"
        f"{snapshot}<script type='{WIDGET_VIEW}'>{view_json}</script></div>"
    )


def _dashboards(nb: Any, resources: dict[str, Any] | None):
    """Each tbx_widget dashboard output's data, widget view and freshest snapshot HTML."""
    base = ((resources or {}).get("metadata") or {}).get("path") or os.getcwd()
    states = ((nb.get("metadata") or {}).get("widgets") or {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = out.get("data") or {}
            view = data.get(WIDGET_VIEW)
            old = str(data.get("text/html", ""))
            if not isinstance(view, dict) or _MARKER not in old:
                continue
            state = (states.get(view.get("model_id")) or {}).get("state", {})
            try:
                snapshot = _fresh_snapshot(state, base, _logdir_of(state, old)) or old
            except Exception:  # an unreadable logdir keeps the snapshot taken at display time
                snapshot = old
            yield data, view, snapshot


def static_snapshots(nb: Any, resources: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """nbconvert preprocessor for HTML: each tbx_widget dashboard output becomes its snapshot.

    The snapshot is redrawn from the dashboard's logdir when it is on disk (relative paths are
    read from the notebook's directory, ``resources["metadata"]["path"]``), else from the data
    saved in the widget state, so a dashboard displayed before training shows the final curves;
    the saved widget state is refreshed from disk as well. Other widgets are left alone. Use it
    after ``--execute``::

        jupyter nbconvert --to html --execute \\
            --HTMLExporter.preprocessors=tbx_widget.snapshot.static_snapshots notebook.ipynb
    """
    for data, view, snapshot in _dashboards(nb, resources):
        data["text/html"] = _static_output(snapshot, view)
        del data[WIDGET_VIEW]
    return nb, resources if resources is not None else {}


def refresh_snapshots(nb: Any, resources: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """nbconvert preprocessor for ``.ipynb`` files: redraw each dashboard's ``text/html``
    fallback (what GitHub's viewer shows) from its logdir, keeping the widget view.

    A dashboard shown before training saves "no scalars yet" as its fallback; run this in the
    notebook's directory after the training, before committing the notebook::

        jupyter nbconvert --to notebook --inplace \\
            --NotebookExporter.preprocessors=tbx_widget.snapshot.refresh_snapshots notebook.ipynb
    """
    for data, _view, snapshot in _dashboards(nb, resources):
        data["text/html"] = snapshot
    return nb, resources if resources is not None else {}


def export_html(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    execute: bool = False,
    timeout: int = 600,
) -> pathlib.Path:
    """Write ``notebook`` as a standalone HTML page whose dashboards show their snapshot offline.

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
    nb, resources = static_snapshots(nb, resources)
    body, _ = HTMLExporter().from_notebook_node(nb, resources=resources)
    dest = pathlib.Path(output) if output is not None else src.with_suffix(".html")
    dest.write_text(body, encoding="utf-8")
    return dest
