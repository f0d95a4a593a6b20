"""Shared fixtures. Kept light: the protobuf-4.25 run imports this without the notebook stack."""
from __future__ import annotations

import pathlib

import pytest


@pytest.fixture
def logdir(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def nested_dirs():
    """``make(root, depth)`` creates ``root/d/d/.../d`` (``depth`` levels) and returns the deepest
    directory; the tree is removed bottom-up after the test. Python 3.11's ``shutil.rmtree`` (which
    pytest uses to clean old temporary directories) recurses and fails on such a tree, leaving a
    directory iterator open: the removal must not be left to it."""
    made: list[tuple[pathlib.Path, pathlib.Path]] = []

    def make(root: pathlib.Path, depth: int) -> pathlib.Path:
        path = pathlib.Path(root)
        for _ in range(depth):  # os.makedirs recurses too: one level at a time
            path = path / "d"
            path.mkdir()
        made.append((pathlib.Path(root), path))
        return path

    yield make
    for root, path in made:
        while path != root:
            for child in path.iterdir():
                if not child.is_dir():
                    child.unlink()
            path.rmdir()
            path = path.parent
