"""Every example notebook runs top to bottom on a fresh kernel, offline, and shows what it says."""
from __future__ import annotations

import json
import pathlib
import re
import shutil

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"

# notebook -> (regex that must appear in its text outputs, number of dashboards it shows)
EXPECT = {
    "quickstart.ipynb": (r"final loss 0\.\d+", 1),
    "iris_classification.ipynb": (r"validation accuracy (0\.9|1\.0)", 1),
    "linear_regression.ipynb": (r"slope (1\.9[5-9]|2\.0[0-4])\d* \(true 2\), intercept (0\.9[5-9]|1\.0[0-4])", 1),
    "hyperparameter_sweep.ipynb": (r"\{'hidden': \d+\.0, 'lr': [\d.]+, 'optimizer': 'sgd'\} \{'hparam/loss': [\d.e-]+, 'hparam/accuracy': 1\.0", 1),
    "multi_process.ipynb": (r"worker exit codes: \[0, 0, 0\][\s\S]*'rank2': 100", 1),
    "reading_existing_logs.ipynb": (r"\['train', 'validation'\]", 1),
}


def test_every_notebook_is_listed_and_saved_without_outputs():
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == sorted(EXPECT)
    for name in names:
        nb = json.loads((NOTEBOOKS / name).read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECT))
def test_notebook_runs(name, tmp_path):
    work = tmp_path / "nb"
    shutil.copytree(NOTEBOOKS, work)
    nb = nbformat.read(work / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    client.execute()
    texts, widgets, errors = [], 0, []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                errors.append(f"{out['ename']}: {out['evalue']}")
            if out["output_type"] == "stream":
                texts.append(out["text"])
            data = out.get("data", {})
            if "text/plain" in data:
                texts.append(data["text/plain"])
            if WIDGET in data and "tbx-snapshot" in data.get("text/html", ""):
                widgets += 1  # a dashboard, with its static fallback for non-widget viewers
    assert not errors, errors
    pattern, dashboards = EXPECT[name]
    assert re.search(pattern, "\n".join(texts)), "\n".join(texts)[-2000:]
    assert widgets == dashboards
