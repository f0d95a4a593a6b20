"""The wheel carries the built front end (it is git-ignored, so this is easy to lose)."""
from __future__ import annotations

import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_built_js(tmp_path):
    if not (ROOT / "tbx_widget" / "static" / "index.js").exists():
        pytest.fail("tbx_widget/static/index.js is missing: run `make js` (make test does)")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("tbx_widget-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tbx_widget/static/index.js" in names
    assert "tbx_widget/static/index.css" in names
    assert "tbx_widget/_proto/event_pb2.py" in names
    assert not [n for n in names if "node_modules" in n]
