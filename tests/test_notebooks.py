"""Every example notebook runs on its own (as when opened in Colab from a link), offline, shows
what it says, starts clean when it is run again, and leaves nothing beside it but its logs."""
from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import shutil

import pytest

import tbx_widget

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "examples" / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"

# notebook -> (regex that must appear in its text outputs, number of dashboards it shows)
EXPECT = {
    "quickstart.ipynb": (r"final loss 0\.\d+", 1),
    "iris_classification.ipynb": (r"validation accuracy (0\.9|1\.0)", 1),
    "linear_regression.ipynb": (r"slope (1\.9[5-9]|2\.0[0-4])\d* \(true 2\), intercept (0\.9[5-9]|1\.0[0-4])", 1),
    "hyperparameter_sweep.ipynb": (r"\{'hidden': \d+\.0, 'lr': [\d.]+, 'optimizer': 'sgd'\} \{'hparam/loss': [\d.e-]+, 'hparam/accuracy': 1\.0", 1),
    "multi_process.ipynb": (r"worker exit codes: \[0, 0, 0\][\s\S]*'rank2': 100", 1),
    "reading_existing_logs.ipynb": (r"\['train', 'validation'\][\s\S]*torch-style logs written by|torch-style logs written by[\s\S]*\['train', 'validation'\]", 1),
    "curve_fitting.ipynb": (r"a (1\.9[5-9]|2\.0[0-5]) \(true 2\), b 1\.[45]\d \(true 1\.5\)", 1),
    "multi_machine.ipynb": (r"worker exit codes: \[0, 0\][\s\S]*steps in the bucket: \{'worker_0': 60, 'worker_1': 60\}", 1),
}
# Notebooks whose logs live in a bucket on a local S3 server they start (not under runs/): they
# leave nothing on disk beside them, and their server stops with the kernel.
REMOTE = {"multi_machine.ipynb"}


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", REPO / "examples" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_is_listed_generated_and_saved_without_outputs(tmp_path):
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == sorted(EXPECT)
    # No data/ folder or anything else beside them (runs/ and checkpoints from `make demo` are git-ignored).
    assert sorted(p.name for p in NOTEBOOKS.iterdir() if p.name not in ("runs", ".ipynb_checkpoints")) == names
    gen = _generator()
    gen.HERE = tmp_path
    for name, cells in gen.NOTEBOOKS.items():
        gen.save(name, cells)
    for name in names:
        text = (NOTEBOOKS / name).read_text()
        assert text == (tmp_path / name).read_text(), f"{name} is stale: run python examples/make_notebooks.py"
        nb = json.loads(text)
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), name
        first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert "find_spec" in first_code["source"] and "%pip install" in first_code["source"], name
        assert "cdn" not in text.lower() or "no cdn" in text.lower()


def _scalar_steps(logdir: pathlib.Path) -> dict[tuple[str, str], list[int]]:
    """Each scalar series' steps, keyed by run and tag; add_hparams' child runs are named by the
    time they were written, so that part of their name is replaced by ``<time>``."""
    logs = tbx_widget.load(logdir)
    keys, out = [], {}
    for run in logs.runs:
        for tag in logs.tags(run)["scalars"]:
            key = (re.sub(r"/\d{9,}\.\d+$", "/<time>", run), tag)
            keys.append(key)
            out[key] = logs.scalars(run, tag).step.tolist()
    assert len(keys) == len(set(keys)), f"a training was logged twice: {sorted(keys)}"
    return out


def _outputs(nb) -> tuple[list[str], int, list[str]]:
    texts, widgets, errors = [], 0, []
    for cell in nb.cells:
        stream = None  # the stream the cell's last output wrote to
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                errors.append(f"{out['ename']}: {out['evalue']}")
            if out["output_type"] == "stream":
                # one print may reach the kernel's output thread in pieces (a flush between its
                # writes): consecutive pieces of a stream are one text, as front ends show them
                if stream == out["name"]:
                    texts[-1] += out["text"]
                else:
                    texts.append(out["text"])
            stream = out["name"] if out["output_type"] == "stream" else None
            data = out.get("data", {})
            if "text/plain" in data:
                texts.append(data["text/plain"])
            if WIDGET in data and "tbx-snapshot" in data.get("text/html", ""):
                widgets += 1  # a dashboard, with its static fallback for non-widget viewers
    return texts, widgets, errors


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECT))
def test_notebook_runs_alone_and_clean_on_rerun(name, tmp_path):
    work = tmp_path / "nb"
    work.mkdir()
    shutil.copy(NOTEBOOKS / name, work / name)  # alone: no data folder, no other notebook
    nb = nbformat.read(work / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    runs_after = []
    with client.setup_kernel():
        for _ in range(2):  # "Run All" twice in the same kernel
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            texts, widgets, errors = _outputs(nb)
            assert not errors, errors
            pattern, dashboards = EXPECT[name]
            assert re.search(pattern, "\n".join(texts)), "\n".join(texts)[-2000:]
            assert widgets == dashboards
            install = next(c for c in nb.cells if c.cell_type == "code")
            assert install.outputs == []  # everything is installed here: the cell does nothing
            if name not in REMOTE:
                runs_after.append(_scalar_steps(work / "runs"))
    if name in REMOTE:
        # Only the notebook: no runs/ and no directory named after the URL scheme (s3:).
        assert sorted(p.name for p in work.iterdir()) == [name]
        return
    first, second = runs_after
    assert first, "the notebook wrote no scalars under runs/"
    assert second == first  # the same runs with the same points: nothing appended, nothing doubled
    for (run, tag), steps in second.items():
        assert len(steps) == len(set(steps)), f"{run}/{tag} has repeated steps"
        assert steps == sorted(steps), f"{run}/{tag} goes back in steps"
    # Only the notebook and its logdir: no helper scripts or exported files beside it.
    assert sorted(p.name for p in work.iterdir()) == [name, "runs"]


# -- make demo ---------------------------------------------------------------------------------


def _demo():
    spec = importlib.util.spec_from_file_location("demo", REPO / "examples" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_command_allows_root_and_headless():
    demo = _demo()
    root = demo.lab_command("py", 8888, "tok", uid=0, no_browser=True)
    assert "--allow-root" in root and "--no-browser" in root
    assert "--IdentityProvider.token=tok" in root and "--LabApp.default_url=/lab/tree/quickstart.ipynb" in root
    user = demo.lab_command("py", 8888, "tok", uid=1000, no_browser=False)
    assert "--allow-root" not in user and "--no-browser" not in user
    assert demo.headless({}, "linux") and not demo.headless({"DISPLAY": ":0"}, "linux")
    assert not demo.headless({"WAYLAND_DISPLAY": "wayland-0"}, "linux") and not demo.headless({}, "darwin")
    text = demo.banner("http://127.0.0.1:8888/lab/tree/quickstart.ipynb?token=tok", 8888, no_browser=True)
    assert "Open this URL in your browser" in text and "?token=tok" in text and "ssh -L 8888:" in text


@pytest.mark.slow
def test_demo_serves_the_quickstart_and_prints_its_url():
    """`make demo`'s script, for real: as whatever user runs the tests (root in CI containers),
    with no display; the printed URL opens the quickstart."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen([sys.executable, str(REPO / "examples" / "demo.py")], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        url, deadline = None, time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            match = re.search(r"(http://127\.0\.0\.1:\d+/lab/tree/quickstart\.ipynb\?token=\w+)", line)
            url = match.group(1) if match else None
        assert url, f"no URL printed (exit code {proc.poll()})"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
        base, token = url.split("/lab/tree/")[0], url.split("token=")[1]
        with urllib.request.urlopen(f"{base}/api/contents/quickstart.ipynb?content=0&token={token}", timeout=30) as r:
            assert json.loads(r.read())["type"] == "notebook"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()
    # the demo stopped its JupyterLab too (a server left behind holds its port and the CPU)
    with pytest.raises(OSError):
        urllib.request.urlopen(base, timeout=5)
