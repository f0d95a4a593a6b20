"""Shared fixtures. Kept light: the protobuf-4.25 run imports this without the notebook stack."""
from __future__ import annotations

import pathlib

import pytest



def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last. Their Playwright session (sync API) keeps an asyncio loop running on the
    main thread until the session ends, so an in-process test after them that runs a loop of its
    own (``asyncio.run``, another sync Playwright) would fail for that reason alone."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)  # stable: order kept otherwise


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
