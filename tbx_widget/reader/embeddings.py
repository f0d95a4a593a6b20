"""Reading the projector files of a run: ``projector_config.pbtxt`` and the tensors, metadata and
sprite it names (as ``add_embedding`` and TensorBoard's projector write them).

The config is protobuf text format (``ProjectorConfig``): a list of ``embeddings { ... }`` blocks
with ``tensor_name``, ``tensor_path`` (a TSV of floats, one point a row), ``metadata_path`` (a
TSV: one label a row, or a header row then one row of columns per point) and ``sprite {
image_path single_image_dim single_image_dim }``. Paths are relative to the run directory.
``add_embedding`` names a tensor ``"<tag>:<step, 5 digits>"``; that is read back as tag and
step (another name is its own tag, at step 0).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..storage import Storage

__all__ = ["EmbeddingItem", "CONFIG_NAME", "read_embeddings", "parse_projector_config", "config_signature"]

CONFIG_NAME = "projector_config.pbtxt"
_TOKEN = re.compile(r'\s+|#[^\n]*|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|[{}:<>;,\[\]]|[^\s{}:<>;,\[\]"\']+')
_ESC = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


@dataclass(frozen=True)
class EmbeddingItem:
    """One logged embedding: ``tensors`` (points x dimensions, float64); ``header`` names the
    metadata columns and ``metadata`` holds one row of strings per point (empty when none was
    logged); ``sprite`` the PNG of the label images (or None) with ``sprite_dim`` (width,
    height) of one thumbnail; ``name`` as the config names the tensor."""

    tag: str
    step: int
    name: str
    tensors: np.ndarray
    header: list[str] = field(default_factory=list)
    metadata: list[list[str]] = field(default_factory=list)
    sprite: bytes | None = None
    sprite_dim: tuple[int, int] | None = None


def _unquote(tok: str) -> str:
    body = tok[1:-1]
    out, i = [], 0
    raw = bytearray()
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            m = re.match(r"[0-7]{1,3}", body[i + 1 :])
            if m:
                raw.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
                continue
            m = re.match(r"x([0-9a-fA-F]{1,2})", body[i + 1 :])
            if m:
                raw.append(int(m.group(1), 16))
                i += 1 + len(m.group(0))
                continue
            raw.extend(_ESC.get(nxt, nxt).encode("utf-8"))
            i += 2
            continue
        raw.extend(ch.encode("utf-8"))
        i += 1
    out.append(raw.decode("utf-8", errors="replace"))
    return "".join(out)


def _parse_block(tokens: list[str], pos: int, closing: str | None) -> tuple[dict[str, list[Any]], int]:
    fields: dict[str, list[Any]] = {}
    while pos < len(tokens):
        tok = tokens[pos]
        if closing is not None and tok == closing:
            return fields, pos + 1
        if tok in (";", ","):
            pos += 1
            continue
        name = tok
        pos += 1
        if pos < len(tokens) and tokens[pos] == ":":
            pos += 1
        if pos >= len(tokens):
            raise ValueError(f"projector config: field {name!r} has no value")
        tok = tokens[pos]
        if tok in ("{", "<"):
            value, pos = _parse_block(tokens, pos + 1, "}" if tok == "{" else ">")
        elif tok[0] in "\"'":
            value = _unquote(tok)
            pos += 1
            while pos < len(tokens) and tokens[pos][0] in "\"'":  # adjacent strings concatenate
                value += _unquote(tokens[pos])
                pos += 1
        elif tok == "[":  # a list of scalars: name: [1, 2]
            value, pos = [], pos + 1
            while pos < len(tokens) and tokens[pos] != "]":
                if tokens[pos] != ",":
                    value.append(tokens[pos])
                pos += 1
            fields.setdefault(name, []).extend(value)
            pos += 1
            continue
        else:
            value = tok
            pos += 1
        fields.setdefault(name, []).append(value)
    if closing is not None:
        raise ValueError(f"projector config: a block is not closed (missing {closing!r})")
    return fields, pos


def parse_projector_config(text: str) -> list[dict[str, Any]]:
    """The ``embeddings`` entries of a ``projector_config.pbtxt`` text, each a dict with
    ``tensor_name``, ``tensor_path``, ``metadata_path`` (str or None) and ``sprite`` (None or
    ``{"image_path": str, "single_image_dim": [w, h]}``). Raises ValueError on text that is not
    protobuf text format."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    tokens = [t for t in _TOKEN.findall(text) if t.strip() and not t.startswith("#")]
    fields, _ = _parse_block(tokens, 0, None)
    out = []
    for block in fields.get("embeddings", []):
        if not isinstance(block, dict):
            raise ValueError(f"projector config: 'embeddings' must be a block, got {block!r}")

        def one(b: dict[str, list[Any]], key: str) -> Any:
            v = b.get(key)
            return v[-1] if v else None

        sprite = one(block, "sprite")
        entry = {
            "tensor_name": one(block, "tensor_name") or "",
            "tensor_path": one(block, "tensor_path"),
            "metadata_path": one(block, "metadata_path"),
            "sprite": None,
        }
        if isinstance(sprite, dict) and one(sprite, "image_path"):
            dims = [int(d) for d in sprite.get("single_image_dim", [])]
            entry["sprite"] = {"image_path": one(sprite, "image_path"), "single_image_dim": dims}
        out.append(entry)
    return out


def _tag_step(name: str) -> tuple[str, int]:
    m = re.fullmatch(r"(.*):(\d{5,})", name)
    if m:
        return m.group(1), int(m.group(2))
    return name, 0


def parse_tensors_tsv(text: str, where: str = "tensors.tsv") -> np.ndarray:
    """Rows of tab-separated floats → a (points, dimensions) float64 array."""
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not rows:
        return np.zeros((0, 0))
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise ValueError(f"{where}: row {i} has {len(r)} values, the first row {width}")
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{where}: not a table of numbers ({exc})") from None


def parse_metadata_tsv(text: str, points: int) -> tuple[list[str], list[list[str]]]:
    """A metadata.tsv → (header, rows): with one row more than ``points``, the first is the
    header (``add_embedding`` with ``metadata_header``); otherwise one label per row, its header
    ``["label"]``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = [line.rstrip("\r").split("\t") for line in lines]
    if len(rows) == points + 1 or (rows and len(rows[0]) > 1 and len(rows) > points):
        header, body = rows[0], rows[1:]
    else:
        header, body = ["label"], rows
    width = len(header)
    body = [(r + [""] * width)[:width] for r in body]
    return header, body


def _join(directory: str, path: str, storage: Storage | None) -> str:
    if storage is not None and storage.remote:
        return path if "://" in path or path.startswith("/") else f"{directory}/{path}"
    return path if os.path.isabs(path) else os.path.join(directory, path)


def _read(path: str, storage: Storage | None) -> bytes:
    if storage is not None and storage.remote:
        with storage.open(path) as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def config_signature(directory: str, storage: Storage | None = None) -> Any:
    """What changes when the run's projector config does (local: its size and mtime; ``None``
    when there is none). ``add_embedding`` appends to the config after writing an embedding's
    files, so an unchanged signature means nothing new to read."""
    path = _join(directory, CONFIG_NAME, storage)
    try:
        if storage is not None and storage.remote:
            storage.fs.invalidate_cache(path)
            info = storage.fs.info(path)
            return (info.get("size"), info.get("ETag") or info.get("mtime") or info.get("LastModified"))
        st = os.stat(path)
    except (OSError, FileNotFoundError):
        return None
    return (st.st_size, st.st_mtime_ns)


def read_embeddings(directory: str, storage: Storage | None = None) -> list[EmbeddingItem]:
    """Every embedding the projector config of run ``directory`` names, in config order (an
    embedding logged twice under the same name: the last one). A run without a config has none.
    A file the config names that is missing or unreadable raises ``FileNotFoundError``/
    ``ValueError`` naming it."""
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"directory must be a path string, got {type(directory).__name__}")
    directory = os.fspath(directory)
    try:
        text = _read(_join(directory, CONFIG_NAME, storage), storage).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    by_name: dict[str, EmbeddingItem] = {}
    for entry in parse_projector_config(text):
        name = entry["tensor_name"]
        if not entry["tensor_path"]:
            raise ValueError(f"{CONFIG_NAME} in {directory}: embedding {name!r} has no tensor_path")
        tpath = _join(directory, entry["tensor_path"], storage)
        if not tpath.endswith(".tsv"):
            raise ValueError(f"{tpath}: only TSV tensors are read (a .bytes checkpoint tensor is not)")
        tensors = parse_tensors_tsv(_read(tpath, storage).decode("utf-8", errors="replace"), tpath)
        header: list[str] = []
        rows: list[list[str]] = []
        if entry["metadata_path"]:
            mtext = _read(_join(directory, entry["metadata_path"], storage), storage).decode("utf-8", errors="replace")
            header, rows = parse_metadata_tsv(mtext, len(tensors))
            if len(rows) != len(tensors):
                raise ValueError(f"{entry['metadata_path']}: {len(rows)} metadata rows for {len(tensors)} points")
        sprite = dim = None
        if entry["sprite"] is not None:
            sprite = _read(_join(directory, entry["sprite"]["image_path"], storage), storage)
            dims = entry["sprite"]["single_image_dim"]
            if len(dims) != 2 or min(dims) < 1:
                raise ValueError(f"{CONFIG_NAME} in {directory}: sprite single_image_dim must be two positive sizes, got {dims}")
            dim = (dims[0], dims[1])
        tag, step = _tag_step(name)
        by_name.pop(name, None)
        by_name[name] = EmbeddingItem(tag, step, name, tensors, header, rows, sprite, dim)
    return list(by_name.values())
