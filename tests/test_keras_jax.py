"""The Keras callback on Keras 3's jax backend. Keras fixes its backend once per process (at
import, from KERAS_BACKEND), and this process runs the torch one (tests/test_keras.py), so the
whole of tests/test_keras.py is run again in a child process with KERAS_BACKEND=jax."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

# not imported here: keras would pick its backend for this whole process
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None,
    reason="needs keras and jax (the test extra)",
)

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_keras_callback_tests_pass_on_the_jax_backend(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"),
         "tests/test_keras.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    summary = out.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 10, summary
    assert not re.search(r"skipped|failed|error", summary), summary  # includes the backend check
