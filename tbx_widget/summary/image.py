"""Images: arrays in any layout → uint8 HWC → PNG (or GIF for video), and image summaries."""
from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np

from .._proto import summary_pb2

__all__ = ["to_hwc_uint8", "make_grid", "encode_png", "image_value", "draw_boxes", "encode_gif", "video_to_ntchw"]

_LAYOUTS = {"CHW", "HWC", "HW", "NCHW", "NHWC", "NHW", "WH", "HWN", "CWH"}


def _layout(dataformats: Any, ndim: int, name: str) -> str:
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats must be a str such as 'CHW', got {type(dataformats).__name__}")
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or not set(fmt) <= set("NCHW") or "H" not in fmt or "W" not in fmt:
        raise ValueError(f"dataformats must be made of N, C, H, W (with H and W), got {dataformats!r}")
    if len(fmt) != ndim:
        raise ValueError(f"{name} has {ndim} dimensions but dataformats {dataformats!r} describes {len(fmt)}")
    return fmt


def _to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    """uint8 kept; bool → 0/255; floats (expected in [0, 1]) scaled by 255 and clipped (NaN → 0);
    other integers clipped to [0, 255]."""
    kind = arr.dtype.kind
    if kind == "u" and arr.dtype.itemsize == 1:
        return arr
    if kind == "b":
        return arr.astype(np.uint8) * 255
    if kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):  # huge values become inf, then 255: no warning
            out = np.nan_to_num(arr.astype(np.float32) * 255.0, nan=0.0, posinf=255.0, neginf=0.0)
        return np.clip(out, 0, 255).astype(np.uint8)
    if kind in "iu":
        return np.clip(arr, 0, 255).astype(np.uint8)
    raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")


def to_hwc_uint8(arr: np.ndarray, dataformats: str, name: str = "img_tensor") -> np.ndarray:
    """One image as (H, W, C) uint8 with C in 1, 3 or 4. A batch (N in the layout) becomes a grid."""
    fmt = _layout(dataformats, arr.ndim, name)
    if "N" in fmt:
        order = [fmt.index(c) for c in "N" + ("C" if "C" in fmt else "") + "HW"]
        batch = np.transpose(arr, order)
        if "C" not in fmt:
            batch = batch[:, None]
        return make_grid(batch, name)
    order = [fmt.index(c) for c in "HW" + ("C" if "C" in fmt else "")]
    img = np.transpose(arr, order)
    if "C" not in fmt:
        img = img[:, :, None]
    return _channels(_to_uint8(img, name), name, dataformats)


def _channels(img: np.ndarray, name: str, dataformats: str = "") -> np.ndarray:
    c = img.shape[2]
    if c not in (1, 3, 4):
        raise ValueError(
            f"{name} must have 1, 3 or 4 channels, got shape {img.shape[:2]} with {c} channels"
            + (f" (dataformats {dataformats!r}: is the layout right?)" if dataformats else "")
        )
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"{name} is empty (height {img.shape[0]}, width {img.shape[1]})")
    return img


def video_to_ntchw(arr: np.ndarray, dataformats: Any, name: str = "vid_tensor") -> np.ndarray:
    """A 5-D video in layout ``dataformats`` (a permutation of "NTCHW", any case, as
    tensorboardX's ``add_video`` takes) as (N, T, C, H, W)."""
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats must be a str such as 'NTCHW', got {type(dataformats).__name__}")
    fmt = dataformats.upper()
    if len(fmt) != 5 or set(fmt) != set("NTCHW"):
        raise ValueError(f"dataformats must be the five letters N, T, C, H, W in some order, got {dataformats!r}")
    if arr.ndim != 5:
        raise ValueError(f"{name} must have 5 dimensions ({dataformats!r}), got shape {arr.shape}")
    return arr if fmt == "NTCHW" else np.transpose(arr, [fmt.index(c) for c in "NTCHW"])


def make_grid(batch: np.ndarray, name: str = "img_tensor", ncols: int = 8) -> np.ndarray:
    """(N, C, H, W) → one (H', W', C) uint8 image, ``ncols`` images per row, no padding."""
    n, c, h, w = batch.shape
    if n == 0:
        raise ValueError(f"{name} holds no images (N = 0)")
    if c not in (1, 3, 4):
        raise ValueError(f"{name} must have 1, 3 or 4 channels, got {c} in shape {batch.shape} (N, C, H, W)")
    cols = min(n, ncols)
    rows = -(-n // cols)
    data = _to_uint8(batch, name)
    canvas = np.zeros((rows * h, cols * w, c), dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        canvas[r * h : (r + 1) * h, q * w : (q + 1) * w] = np.transpose(data[i], (1, 2, 0))
    return canvas


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(img: np.ndarray, level: int = 1) -> bytes:
    """PNG bytes of an (H, W, C) uint8 image (C = 1 grey, 3 RGB, 4 RGBA): standard library only."""
    h, w, c = img.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    rows = np.empty((h, 1 + w * c), dtype=np.uint8)
    rows[:, 0] = 0  # filter: none
    rows[:, 1:] = img.reshape(h, w * c)
    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + _chunk(b"IEND", b"")


def image_value(tag: str, img: np.ndarray, encoded: bytes | None = None) -> summary_pb2.Summary.Value:
    h, w, c = img.shape
    return summary_pb2.Summary.Value(
        tag=tag,
        image=summary_pb2.Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=encoded if encoded is not None else encode_png(img)),
    )


def draw_boxes(img: np.ndarray, boxes: np.ndarray, labels: list[str] | None = None, color=(255, 0, 0), width: int = 2) -> np.ndarray:
    """Outline each (x_min, y_min, x_max, y_max) box on an (H, W, C) uint8 image (a copy).
    Labels are drawn when Pillow is installed."""
    out = img.copy()
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    h, w = out.shape[:2]
    paint = np.array(color + ((255,) if out.shape[2] == 4 else ()), dtype=np.uint8)
    for x0, y0, x1, y1 in np.asarray(boxes, dtype=np.float64).reshape(-1, 4):
        x0, x1 = sorted((int(round(np.clip(x0, 0, w - 1))), int(round(np.clip(x1, 0, w - 1)))))
        y0, y1 = sorted((int(round(np.clip(y0, 0, h - 1))), int(round(np.clip(y1, 0, h - 1)))))
        out[y0 : min(y0 + width, y1 + 1), x0 : x1 + 1] = paint
        out[max(y1 - width + 1, y0) : y1 + 1, x0 : x1 + 1] = paint
        out[y0 : y1 + 1, x0 : min(x0 + width, x1 + 1)] = paint
        out[y0 : y1 + 1, max(x1 - width + 1, x0) : x1 + 1] = paint
    if labels:
        try:
            from PIL import Image, ImageDraw
        except ImportError:
            return out
        pil = Image.fromarray(out)
        draw = ImageDraw.Draw(pil)
        for (x0, y0, _, _), label in zip(np.asarray(boxes, dtype=np.float64).reshape(-1, 4), labels):
            draw.text((float(x0) + 2, float(y0) + 1), str(label), fill=tuple(int(v) for v in paint[:3]))
        out = np.asarray(pil)
    return out


def encode_gif(frames: np.ndarray, fps: float) -> bytes:
    """Animated GIF of (T, H, W, C) uint8 frames (needs Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("add_video needs Pillow to encode GIFs: pip install pillow") from None
    images = [Image.fromarray(f[:, :, 0] if f.shape[2] == 1 else f[:, :, :3]) for f in frames]
    buf = io.BytesIO()
    duration = max(1, int(round(1000 / fps)))
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0)
    return buf.getvalue()
