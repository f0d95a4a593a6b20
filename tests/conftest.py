"""Shared fixtures. Kept light: the protobuf-4.25 run imports this without the notebook stack."""
from __future__ import annotations

import pathlib

import pytest


@pytest.fixture
def logdir(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path
