"""Projector files for ``add_embedding``: tensors.tsv, metadata.tsv, sprite.png and the
``projector_config.pbtxt`` entry TensorBoard's projector reads."""
from __future__ import annotations

import math
import threading
from typing import Any, Sequence

import numpy as np

from .convert import check_text
from .storage import Storage
from .summary.image import encode_png, make_grid

__all__ = ["write_embedding"]

_config_lock = threading.Lock()
CONFIG_NAME = "projector_config.pbtxt"


def _cell(value: Any, name: str) -> str:
    """One metadata.tsv cell: tabs and line breaks would split it, so they become spaces."""
    text = check_text(value if isinstance(value, str) else str(value), name)
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def metadata_tsv(metadata: Sequence[Any], metadata_header: Sequence[str] | None) -> str:
    """The metadata.tsv text (checked before any file is written: a bad cell raises ValueError
    naming it and leaves no half-written embedding behind)."""
    lines = []
    if metadata_header is not None:
        if isinstance(metadata_header, str):
            raise TypeError("metadata_header must be a sequence of column names, got a str")
        header = [_cell(h, f"metadata_header[{i}]") for i, h in enumerate(metadata_header)]
        lines.append("\t".join(header))
        for r, row in enumerate(metadata):
            if isinstance(row, str) or not hasattr(row, "__len__") or len(row) != len(header):
                raise ValueError(f"metadata[{r}] must be a row of {len(header)} cells (one per metadata_header column), got {row!r}")
            lines.append("\t".join(_cell(v, f"metadata[{r}][{c}]") for c, v in enumerate(row)))
    else:
        lines.extend(_cell(v, f"metadata[{r}]") for r, v in enumerate(metadata))
    return "".join(line + "\n" for line in lines)


def write_embedding(logdir: str, subdir: str, name: str, mat: np.ndarray, metadata: Sequence[Any] | None,
                    label_img: np.ndarray | None, metadata_header: Sequence[str] | None,
                    storage: Storage | None = None) -> None:
    """Write one embedding under ``logdir/subdir`` and register it in the projector config.

    ``storage`` is where ``logdir`` lives (default: a local directory); for a URL logdir
    (``s3://...``) each file is uploaded whole through it, with its retries. The tensors,
    metadata and sprite go first and the config entry last, so a reader never finds an entry
    naming a file that is not there yet."""
    if storage is None:
        storage = Storage(logdir)
    meta_text = metadata_tsv(metadata, metadata_header) if metadata is not None else None
    parts = subdir.split("/")
    files: list[tuple[str, bytes]] = []
    tensors = "".join("\t".join(repr(float(v)) for v in row) + "\n" for row in mat)
    files.append(("tensors.tsv", tensors.encode("utf-8")))
    entry = [f'  tensor_name: "{_quote(name)}"', f'  tensor_path: "{_quote(subdir)}/tensors.tsv"']
    if meta_text is not None:
        files.append(("metadata.tsv", meta_text.encode("utf-8")))
        entry.append(f'  metadata_path: "{_quote(subdir)}/metadata.tsv"')
    if label_img is not None:
        n, _, h, w = label_img.shape
        cols = int(math.ceil(math.sqrt(n)))
        sprite = make_grid(label_img, "label_img", ncols=cols)
        full = np.zeros((cols * h, cols * w, sprite.shape[2]), dtype=np.uint8)  # square sprite, as the projector expects
        full[: sprite.shape[0], : sprite.shape[1]] = sprite
        files.append(("sprite.png", encode_png(full)))
        entry.append(f'  sprite {{\n    image_path: "{_quote(subdir)}/sprite.png"\n    single_image_dim: {w}\n    single_image_dim: {h}\n  }}')
    for file_name, data in files:
        storage.put(storage.join(*parts, file_name), data)
    text = "embeddings {\n" + "\n".join(entry) + "\n}\n"
    with _config_lock:
        storage.append(storage.join(CONFIG_NAME), text.encode("utf-8"))


_ESCAPES = {"\\": "\\\\", '"': '\\"', "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _quote(s: str) -> str:
    """``s`` escaped for a double-quoted protobuf text-format string: backslash, quotes and
    line breaks escaped, other control characters as octal escapes; the rest (any Unicode) is
    written as is in the UTF-8 file, which the text-format parser reads."""
    out = []
    for ch in s:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return "".join(out)
