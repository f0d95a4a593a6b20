"""A static HTML snapshot of a logdir's scalars (inline SVG), for places widgets don't render.

Every run name, tag and value is escaped: logdir content is untrusted.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np

__all__ = ["snapshot_html"]

_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_W, _H, _PAD = 320, 120, 6
_MAX_CARDS = 24
_MAX_POINTS = 400


def _polyline(x: np.ndarray, y: np.ndarray, x0: float, x1: float, y0: float, y1: float) -> str:
    if len(x) > _MAX_POINTS:  # min/max per bucket keeps spikes
        edges = np.linspace(0, len(x), _MAX_POINTS // 2 + 1).astype(int)
        idx = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            if hi > lo:
                seg = y[lo:hi]
                idx.extend(sorted({lo + int(np.nanargmin(seg)), lo + int(np.nanargmax(seg))}) if np.isfinite(seg).any() else [lo])
        x, y = x[idx], y[idx]
    sx = (_W - 2 * _PAD) / ((x1 - x0) or 1.0)
    sy = (_H - 2 * _PAD) / ((y1 - y0) or 1.0)
    pts = " ".join(
        f"{_PAD + (a - x0) * sx:.1f},{_H - _PAD - (b - y0) * sy:.1f}" for a, b in zip(x, y) if np.isfinite(b)
    )
    return pts


def snapshot_html(logs: Any, title: str = "") -> str:
    """Cards of every scalar tag (all runs overlaid) as self-contained HTML."""
    runs = list(logs.runs)
    by_tag: dict[str, list[tuple[int, str, Any]]] = {}
    for i, run in enumerate(runs):
        for tag in logs.tags(run).get("scalars", ()):
            by_tag.setdefault(tag, []).append((i, run, logs.scalars(run, tag)))
    head = f"<b>tbx_widget</b> snapshot of <code>{html.escape(title)}</code>: {len(runs)} run(s)"
    if not by_tag:
        return f"<div class='tbx-snapshot'>{head}; no scalars yet.</div>"
    cards = []
    for tag in sorted(by_tag)[:_MAX_CARDS]:
        series = [(i, run, s) for i, run, s in by_tag[tag] if len(s.step)]
        if not series:
            continue
        xs = np.concatenate([np.asarray(s.step, dtype=float) for _, _, s in series])
        ys = np.concatenate([np.asarray(s.value, dtype=float) for _, _, s in series])
        finite = ys[np.isfinite(ys)]
        if not finite.size:
            continue
        x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(finite.min()), float(finite.max())
        lines = "".join(
            f"<polyline fill='none' stroke='{_PALETTE[i % len(_PALETTE)]}' stroke-width='1.5' "
            f"points='{_polyline(np.asarray(s.step, float), np.asarray(s.value, float), x0, x1, y0, y1)}'>"
            f"<title>{html.escape(run)}</title></polyline>"
            for i, run, s in series
        )
        last = ", ".join(f"{html.escape(run)}: {float(s.value[-1]):.6g}" for _, run, s in series)
        cards.append(
            "<div style='display:inline-block;margin:4px;padding:4px;border:1px solid #ddd'>"
            f"<div style='font:12px sans-serif'><b>{html.escape(tag)}</b> · steps {x0:.0f}–{x1:.0f}</div>"
            f"<svg width='{_W}' height='{_H}' viewBox='0 0 {_W} {_H}'>{lines}</svg>"
            f"<div style='font:11px sans-serif;color:#555'>last: {last} · range {y0:.4g} … {y1:.4g}</div></div>"
        )
    more = f"<div>… and {len(by_tag) - _MAX_CARDS} more tags</div>" if len(by_tag) > _MAX_CARDS else ""
    return f"<div class='tbx-snapshot'><div>{head}</div>{''.join(cards)}{more}</div>"
