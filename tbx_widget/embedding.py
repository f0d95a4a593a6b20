"""Projector files for ``add_embedding``: tensors.tsv, metadata.tsv, sprite.png and the
``projector_config.pbtxt`` entry TensorBoard's projector reads."""
from __future__ import annotations

import math
import os
import threading
from typing import Any, Sequence

import numpy as np

from .summary.image import encode_png, make_grid

__all__ = ["write_embedding"]

_config_lock = threading.Lock()


def _cell(value: Any) -> str:
    return str(value).replace("\t", " ").replace("\n", " ")


def write_embedding(logdir: str, subdir: str, name: str, mat: np.ndarray, metadata: Sequence[Any] | None,
                    label_img: np.ndarray | None, metadata_header: Sequence[str] | None) -> None:
    """Write one embedding under ``logdir/subdir`` and register it in the projector config."""
    folder = os.path.join(logdir, subdir)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "tensors.tsv"), "w", encoding="utf-8") as f:
        for row in mat:
            f.write("\t".join(repr(float(v)) for v in row) + "\n")
    entry = [f'  tensor_name: "{_quote(name)}"', f'  tensor_path: "{_quote(subdir)}/tensors.tsv"']
    if metadata is not None:
        with open(os.path.join(folder, "metadata.tsv"), "w", encoding="utf-8") as f:
            if metadata_header is not None:
                f.write("\t".join(_cell(h) for h in metadata_header) + "\n")
                for row in metadata:
                    f.write("\t".join(_cell(v) for v in row) + "\n")
            else:
                for v in metadata:
                    f.write(_cell(v) + "\n")
        entry.append(f'  metadata_path: "{_quote(subdir)}/metadata.tsv"')
    if label_img is not None:
        n, _, h, w = label_img.shape
        cols = int(math.ceil(math.sqrt(n)))
        sprite = make_grid(label_img, "label_img", ncols=cols)
        full = np.zeros((cols * h, cols * w, sprite.shape[2]), dtype=np.uint8)  # square sprite, as the projector expects
        full[: sprite.shape[0], : sprite.shape[1]] = sprite
        with open(os.path.join(folder, "sprite.png"), "wb") as f:
            f.write(encode_png(full))
        entry.append(f'  sprite {{\n    image_path: "{_quote(subdir)}/sprite.png"\n    single_image_dim: {w}\n    single_image_dim: {h}\n  }}')
    text = "embeddings {\n" + "\n".join(entry) + "\n}\n"
    with _config_lock, open(os.path.join(logdir, "projector_config.pbtxt"), "a", encoding="utf-8") as f:
        f.write(text)


def _quote(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')
