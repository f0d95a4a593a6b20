"""The static fallback: a logdir's scalars as inline SVG, for places where widgets do not render.

``snapshot_html(logs)`` is the ``text/html`` fallback a Dashboard carries beside its widget
view (GitHub's viewer, nbviewer without widget state, offline HTML exports). The nbconvert
preprocessors that put it into exported notebooks are in ``nbexport``.

Every run name, tag and value is escaped: logdir content is untrusted.
"""
from __future__ import annotations

import html
import os
from typing import Any

import numpy as np

from . import metadata as md

__all__ = ["snapshot_html", "FALLBACK_MARKER"]

# The live dashboard's run colours (js/src/runstyle.ts: PALETTE, hashName, RunColors), so a run
# has the same colour in the snapshot as in the dashboard.
PALETTE = ("#0072B2", "#9966FF", "#669999", "#E69F00", "#CAACCB", "#CC0099",
           "#3300FF", "#996666", "#006633", "#999966", "#00CC99", "#D55E00")
_W, _H, _PAD = 320, 120, 6
_MAX_CARDS = 24
_MAX_POINTS = 400
FALLBACK_MARKER = "tbx-snapshot"  # class of the fallback's root element (the CSS and nbexport find it by it)


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
        for tag in logs.tags(run).get(md.scalar.KIND, ()):
            by_tag.setdefault(tag, []).append((run, logs.scalars(run, tag)))
    head = f"<b>tbx_widget</b> snapshot of <code>{html.escape(title)}</code>: {len(runs)} run(s)"
    root = f"<div class='{FALLBACK_MARKER}' data-logdir='{html.escape(title, quote=True)}'>"
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


# The nbconvert preprocessors moved to ``nbexport``; their documented paths under this module
# (``tbx_widget.snapshot.static_snapshots`` in nbconvert configs) keep working, resolved lazily
# because ``nbexport`` imports this module.
_MOVED = {
    "static_snapshots": "static_fallbacks",
    "refresh_snapshots": "refresh_fallbacks",
    "export_html": "export_html",
    "WIDGET_VIEW": "WIDGET_VIEW",
    "WIDGET_STATE": "WIDGET_STATE",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from . import nbexport

        return getattr(nbexport, _MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
