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


# Colab's preinstalled stack: a requirement that excludes one of these makes `pip install tbx-widget`
# upgrade it there (ipywidgets 8 in Colab's ipywidgets-7 front end can leave widgets blank).
COLAB_STACK = {"ipywidgets": "7.7.1", "protobuf": "4.25.9"}


def test_requirements_accept_colabs_preinstalled_versions():
    import tomllib

    from packaging.requirements import Requirement

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    reqs = {Requirement(d).name: Requirement(d) for d in deps}
    for name, version in COLAB_STACK.items():
        assert reqs[name].specifier.contains(version), f"{reqs[name]} excludes Colab's {name} {version}"
    assert "ipywidgets" in reqs and not reqs["ipywidgets"].specifier.contains("7.5.1"), "anywidget needs ipywidgets>=7.6"


def test_no_two_test_modules_share_a_basename():
    """pytest's default import mode refuses to collect tests/x/test_a.py beside tests/test_a.py
    (no packages): the whole run stops at collection."""
    import collections
    import pathlib

    tests = pathlib.Path(__file__).resolve().parent
    names = collections.Counter(p.name for p in tests.rglob("test_*.py") if "node_modules" not in p.parts)
    assert [n for n, c in names.items() if c > 1] == []
