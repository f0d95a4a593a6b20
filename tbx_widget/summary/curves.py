"""Curves (y against x, several named series) and surfaces (z over an x-y grid): values →
``Summary.Value`` protos, and the one definition of their storage the reader parses back.

Storage (docs/protocol.md, "Curves and surfaces"): a float64 tensor summary with its own plugin
name, so TensorBoard lists nothing and raises nothing for it.

- ``tbx_curve``: a ``[1 + k, n]`` tensor; row 0 is x, rows 1..k the k series (NaN: a gap). The
  plugin content is UTF-8 JSON ``{"version": 1, "series": [k names]}``.
- ``tbx_surface``: a ``[1 + ny, 1 + nx]`` tensor; row 0 holds x (from column 1), column 0 holds
  y (from row 1), the rest is z (``z[i, j]`` at ``(x[j], y[i])``; NaN: no value there); element
  ``[0, 0]`` is NaN. Content ``{"version": 1}``.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

from .._proto import summary_pb2, tensor_pb2
from ..convert import to_real
from ..metadata import curve, surface
from ..metadata.dtypes import DT_DOUBLE
from .scalar import plugin_metadata

__all__ = [
    "CURVE_PLUGIN", "SURFACE_PLUGIN", "MAX_CURVE_VALUES", "MAX_SURFACE_CELLS", "curve_arrays", "curve_value",
    "parse_curve", "surface_arrays", "surface_value", "parse_surface", "grid_points",
]

CURVE_PLUGIN = curve.PLUGIN_NAME
SURFACE_PLUGIN = surface.PLUGIN_NAME
VERSION = 1
MAX_CURVE_VALUES = 4_000_000
"""The most numbers (x and every series) one curve record may hold (32 MB as float64)."""
MAX_SURFACE_CELLS = 1_000_000
"""The most grid cells (nx * ny) one surface record may hold."""
MAX_SCATTER_GRID = 100
"""Scattered points that are not on a grid are binned into at most this many cells per axis."""


def _vector(value: Any, name: str) -> np.ndarray:
    arr = to_real(value, name)
    if arr.ndim != 1:
        arr = np.squeeze(arr)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {tuple(np.shape(value))}")
    return arr.astype(np.float64)


def _no_inf(arr: np.ndarray, name: str) -> None:
    if np.isinf(arr).any():
        bad = int(np.flatnonzero(np.isinf(arr).reshape(-1))[0])
        raise ValueError(f"{name} must be finite or NaN (a gap), got {arr.reshape(-1)[bad]!r} at flat index {bad}")


def _finite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).reshape(-1))[0])
        raise ValueError(f"{name} must be finite, got {arr.reshape(-1)[bad]!r} at flat index {bad}")


def curve_arrays(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Validate a curve: ``(x (n,), ys (k, n), names)`` as float64.

    ``y`` is a 1-D array (one series, "y"), a dict name -> 1-D array, or a 2-D array whose rows
    (or, when only its columns match ``len(x)``, columns) are series "y0", "y1", .... ``x`` may be
    None (0, 1, 2, ...). x must be finite; y finite or NaN (a gap)."""
    if isinstance(y, Mapping):
        if not y:
            raise ValueError("y must name at least one series, got an empty dict")
        names = []
        for k in y:
            if not isinstance(k, str) or not k:
                raise TypeError(f"y's series names must be non-empty strings, got {k!r}")
            names.append(k)
        rows = [_vector(v, f"y[{k!r}]") for k, v in y.items()]
        lengths = {len(r) for r in rows}
        if len(lengths) != 1:
            raise ValueError(f"y's series must have the same length, got {dict(zip(names, map(len, rows)))}")
        ys = np.stack(rows)
    else:
        arr = to_real(y, "y").astype(np.float64)
        if arr.ndim == 1:
            ys, names = arr[None, :], ["y"]
        elif arr.ndim == 2:
            n = None if x is None else int(np.size(x))
            ys = arr.T if n is not None and arr.shape[1] != n and arr.shape[0] == n else arr
            names = [f"y{i}" for i in range(ys.shape[0])]
        else:
            raise ValueError(f"y must be a 1-D array, a 2-D array (one series per row) or a dict of 1-D arrays, got shape {arr.shape}")
    n = ys.shape[1]
    if n == 0 or ys.shape[0] == 0:
        raise ValueError(f"y must hold at least one point, got shape {ys.shape}")
    xs = np.arange(n, dtype=np.float64) if x is None else _vector(x, "x")
    if len(xs) != n:
        raise ValueError(f"x and y must have the same length, got {len(xs)} x values and {n} y values per series")
    _finite(xs, "x")
    _no_inf(ys, "y")
    if xs.size + ys.size > MAX_CURVE_VALUES:
        raise ValueError(f"the curve is too large: {xs.size + ys.size} values (at most {MAX_CURVE_VALUES})")
    return xs, ys, names


def _tensor(table: np.ndarray) -> tensor_pb2.TensorProto:
    t = tensor_pb2.TensorProto(dtype=DT_DOUBLE, tensor_content=np.ascontiguousarray(table, dtype="<f8").tobytes())
    for d in table.shape:
        t.tensor_shape.dim.add(size=int(d))
    return t


def curve_value(tag: str, x: np.ndarray, ys: np.ndarray, names: list[str]) -> summary_pb2.Summary.Value:
    """The ``tbx_curve`` summary of validated ``curve_arrays``."""
    content = json.dumps({"version": VERSION, "series": list(names)}).encode("utf-8")
    return summary_pb2.Summary.Value(tag=tag, tensor=_tensor(np.vstack([x[None, :], ys])), metadata=plugin_metadata(CURVE_PLUGIN, content))


def _content(content: bytes) -> dict[str, Any]:
    if not content:
        return {}
    data = json.loads(content.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"plugin content must be a JSON object, got {type(data).__name__}")
    return data


def parse_curve(arr: np.ndarray, content: bytes) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(x, ys, names)`` of a stored ``tbx_curve`` tensor (ValueError if it is not one)."""
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] < 2:
        raise ValueError(f"a {CURVE_PLUGIN} tensor must be [1 + k, n] with k >= 1, got shape {a.shape}")
    k = a.shape[0] - 1
    names = _content(content).get("series")
    if not (isinstance(names, list) and len(names) == k and all(isinstance(s, str) for s in names)):
        names = ["y"] if k == 1 else [f"y{i}" for i in range(k)]
    return a[0].copy(), a[1:].copy(), names


def _axis(arr: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    """A grid axis, increasing: (axis, whether it was given decreasing)."""
    _finite(arr, name)
    d = np.diff(arr)
    if len(arr) and (d > 0).all():
        return arr, False
    if len(arr) and (d < 0).all():
        return arr[::-1].copy(), True
    raise ValueError(f"{name} must be strictly increasing or decreasing grid coordinates, got {arr[:6].tolist()}{'...' if len(arr) > 6 else ''}")


def _grid_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """If 2-D ``a`` (x) and ``b`` (y) are a meshgrid (indexing "xy" or "ij"): (x axis, y axis,
    whether z is indexed [x, y] rather than [y, x]); else None."""
    if a.shape != b.shape or a.ndim != 2 or min(a.shape) < 2:
        return None
    if (a == a[:1, :]).all() and (b == b[:, :1]).all():
        return a[0].copy(), b[:, 0].copy(), False
    if (a == a[:, :1]).all() and (b == b[:1, :]).all():
        return a[:, 0].copy(), b[0].copy(), True
    return None


def grid_points(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scattered points (x, y, z) on a grid: exactly, when they are every (x, y) pair of their
    distinct coordinates once; else binned into at most ``MAX_SCATTER_GRID`` cells per axis
    (the mean z of a cell's points, NaN where a cell has none)."""
    ux, ix = np.unique(x, return_inverse=True)
    uy, iy = np.unique(y, return_inverse=True)
    if len(ux) * len(uy) == len(z) and len(np.unique(iy * len(ux) + ix)) == len(z):
        grid = np.full((len(uy), len(ux)), np.nan)
        grid[iy, ix] = z
        return ux, uy, grid
    side = int(min(MAX_SCATTER_GRID, max(2, round(np.sqrt(len(z))))))
    xe = np.linspace(x.min(), x.max(), side + 1) if x.max() > x.min() else np.array([x.min() - 0.5, x.min() + 0.5])
    ye = np.linspace(y.min(), y.max(), side + 1) if y.max() > y.min() else np.array([y.min() - 0.5, y.min() + 0.5])
    bx = np.clip(np.searchsorted(xe, x, side="right") - 1, 0, len(xe) - 2)
    by = np.clip(np.searchsorted(ye, y, side="right") - 1, 0, len(ye) - 2)
    cells = by * (len(xe) - 1) + bx
    size = (len(ye) - 1) * (len(xe) - 1)
    total = np.bincount(cells, weights=z, minlength=size)
    count = np.bincount(cells, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return (xe[:-1] + xe[1:]) / 2, (ye[:-1] + ye[1:]) / 2, mean.reshape(len(ye) - 1, len(xe) - 1)


_SHAPES = (
    "expected add_surface(tag, z) with z 2-D (rows along y, columns along x); add_surface(tag, z, x, y) "
    "with 1-D x (len = z's columns) and y (len = z's rows), or 2-D meshgrid x and y of z's shape; "
    "add_surface(tag, z, x, y) with three 1-D arrays of scattered points; or the tutorials' "
    "add_surface(tag, x, y, z) with 1-D x, y and 2-D z of shape (len(y), len(x)), or meshgrid X, Y and Z"
)


def _grid_of(z: np.ndarray, x: np.ndarray | None, y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The documented reading of (z, x, y) as a grid or points, or None when it does not fit."""
    if z.ndim == 2 and x is None and y is None:
        return np.arange(z.shape[1], dtype=np.float64), np.arange(z.shape[0], dtype=np.float64), z
    if x is None or y is None:
        return None
    if z.ndim == 2 and x.ndim == 1 and y.ndim == 1 and z.shape == (len(y), len(x)):
        return x, y, z
    if z.ndim == 2 and x.ndim == 2 and y.ndim == 2:
        pair = _grid_pair(x, y)
        if pair is not None and z.shape == x.shape:
            gx, gy, transposed = pair
            return gx, gy, z.T if transposed else z
        return None
    if z.ndim == 1 and x.ndim == 1 and y.ndim == 1 and len(z) == len(x) == len(y) and len(z) > 0:
        _finite(x, "x")
        _finite(y, "y")
        return grid_points(x, y, z)
    return None


def surface_arrays(z: Any, x: Any = None, y: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a surface: ``(x (nx,), y (ny,), z (ny, nx))`` as float64, x and y increasing.

    Accepts the documented shapes (see ``_SHAPES``) and, where only that reading fits, the
    tutorials' order ``(x, y, z)`` passed as ``(z, x, y)``; anything else raises ValueError
    explaining the expected arguments."""
    zz = to_real(z, "z").astype(np.float64)
    xx = None if x is None else to_real(x, "x").astype(np.float64)
    yy = None if y is None else to_real(y, "y").astype(np.float64)
    documented = _grid_of(zz, xx, yy)
    # The tutorials' order: what was passed as (z, x, y) is (x, y, z).
    tutorial = None
    if xx is not None and yy is not None and not (zz.ndim == xx.ndim == yy.ndim == 1):
        tutorial = _grid_of(yy, zz, xx)
    if documented is not None and tutorial is not None:
        raise ValueError(f"add_surface: cannot tell which of the arrays is z (shapes {zz.shape}, {xx.shape}, {yy.shape} fit both "
                         f"orders); pass z with 1-D x and y (x = X[0, :], y = Y[:, 0] of a meshgrid): {_SHAPES}")
    found = documented if documented is not None else tutorial
    if found is None:
        shapes = ", ".join(str(None if a is None else a.shape) for a in (zz, xx, yy))
        raise ValueError(f"add_surface: arrays of shapes ({shapes}) are not a surface; {_SHAPES}")
    gx, gy, gz = found
    gx, flip_x = _axis(np.asarray(gx, dtype=np.float64), "x")
    gy, flip_y = _axis(np.asarray(gy, dtype=np.float64), "y")
    gz = np.asarray(gz, dtype=np.float64)
    if flip_x:
        gz = gz[:, ::-1]
    if flip_y:
        gz = gz[::-1, :]
    _no_inf(gz, "z")
    if gz.size > MAX_SURFACE_CELLS:
        raise ValueError(f"z is too large: {gz.shape[0]} x {gz.shape[1]} cells (at most {MAX_SURFACE_CELLS})")
    if gz.size == 0 or np.isnan(gz).all():
        raise ValueError(f"z must hold at least one value, got shape {gz.shape} {'of NaN only' if gz.size else ''}".rstrip())
    return gx.copy(), gy.copy(), np.ascontiguousarray(gz)


def surface_value(tag: str, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> summary_pb2.Summary.Value:
    """The ``tbx_surface`` summary of validated ``surface_arrays``."""
    table = np.full((len(y) + 1, len(x) + 1), np.nan)
    table[0, 1:] = x
    table[1:, 0] = y
    table[1:, 1:] = z
    content = json.dumps({"version": VERSION}).encode("utf-8")
    return summary_pb2.Summary.Value(tag=tag, tensor=_tensor(table), metadata=plugin_metadata(SURFACE_PLUGIN, content))


def parse_surface(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, z)`` of a stored ``tbx_surface`` tensor (ValueError if it is not one)."""
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] < 2:
        raise ValueError(f"a {SURFACE_PLUGIN} tensor must be [1 + ny, 1 + nx] with nx, ny >= 1, got shape {a.shape}")
    return a[0, 1:].copy(), a[1:, 0].copy(), a[1:, 1:].copy()
