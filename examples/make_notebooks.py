"""Write the example notebooks (saved without outputs). Run: python examples/make_notebooks.py"""
from __future__ import annotations

import json
import pathlib

HERE = pathlib.Path(__file__).parent / "notebooks"
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


def md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text.strip("\n")}


def install(packages: dict[str, str]) -> dict:
    """The first cell: pip-installs only what is missing (Colab, a fresh venv); a no-op elsewhere."""
    mapping = ", ".join(f"{module!r}: {pip!r}" for module, pip in packages.items())
    return code(f"""
# Installs only what is missing (as in Colab opened from a link); does nothing where it is installed.
import importlib.util
missing = [pip for module, pip in {{{mapping}}}.items() if importlib.util.find_spec(module) is None]
if missing:
    %pip install -q {{" ".join(missing)}}
""")


def save(name: str, cells: list[dict]) -> None:
    nb = {"cells": cells, "metadata": KERNEL, "nbformat": 4, "nbformat_minor": 5}
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"{name.split('.')[0][:20]}-{i}"
    (HERE / name).write_text(json.dumps(nb, indent=1) + "\n")


QUICKSTART = [
    md("""
# tbx_widget quickstart

A tiny numpy-only classifier (a two-layer network on a two-spirals data set) trained in one
cell, with the dashboard live beside it: loss and accuracy curves, weight histograms, an image
of the decision boundary, and a text note. No server, no port: the dashboard is a widget.

The training cell takes about 10 seconds: it sleeps 15 ms per step on purpose, so you can watch
the curves grow while it runs. Run all cells again and you get one clean run, not two.
"""),
    install({"tbx_widget": "tbx-widget"}),
    code("""
import shutil
import time
import numpy as np
from tbx_widget import SummaryWriter

LOGDIR = "runs/quickstart"
shutil.rmtree(LOGDIR, ignore_errors=True)  # start clean: a rerun does not append to the last run

rng = np.random.default_rng(0)
n = 400
t = np.sqrt(rng.random(n)) * 3 * np.pi
label = rng.integers(0, 2, n)
sign = np.where(label == 1, 1.0, -1.0)
X = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / 10 + rng.normal(0, 0.05, (n, 2))
y = label.astype(float)
"""),
    code("""
writer = SummaryWriter(LOGDIR)
writer.show()  # the dashboard appears here and follows the run live
"""),
    code("""
hidden = 32
W1 = rng.normal(0, 1.0, (2, hidden)); b1 = np.zeros(hidden)
W2 = rng.normal(0, 0.1, (hidden, 1)); b2 = np.zeros(1)
lr = 0.5
writer.add_text("notes", "**Two spirals**, 2-32-1 tanh network, full-batch gradient descent, lr = 0.5")

grid = np.stack(np.meshgrid(np.linspace(-1.2, 1.2, 96), np.linspace(-1.2, 1.2, 96)), -1).reshape(-1, 2)
for step in range(600):
    h = np.tanh(X @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)[:, 0]))
    loss = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
    g = (p - y)[:, None] / n
    dW2 = h.T @ g; db2 = g.sum(0)
    dh = g @ W2.T * (1 - h**2)
    dW1 = X.T @ dh; db1 = dh.sum(0)
    for param, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
        param -= lr * grad
    writer.add_scalar("train/loss", loss, step)
    writer.add_scalar("train/accuracy", np.mean((p > 0.5) == y), step)
    if step % 20 == 0:
        writer.add_histogram("weights/W1", W1, step)
        writer.add_histogram("weights/W2", W2, step)
    if step % 100 == 0 or step == 599:
        hg = np.tanh(grid @ W1 + b1)
        pg = 1 / (1 + np.exp(-(hg @ W2 + b2)[:, 0]))
        image = np.stack([pg, 0.3 * np.ones_like(pg), 1 - pg], -1).reshape(96, 96, 3)
        writer.add_image("decision_boundary", image, step, dataformats="HWC")
    time.sleep(0.015)  # only so that you can watch it live: remove it to train at full speed
writer.close()
print(f"final loss {loss:.3f}")
"""),
    md("""
Everything above is also on disk as standard TensorBoard event files: `tensorboard --logdir runs`
reads them, and so does `tbx_widget.load("runs/quickstart")`.
"""),
]

IRIS = [
    md("""
# Iris: a small MLP with curves, weight histograms, PR/ROC curves and a confusion matrix

Fisher's 150 iris flowers ship inside scikit-learn (`load_iris`, no download). A one-hidden-layer
network in numpy learns the three species; the dashboard shows loss and accuracy for training and
validation, weight histograms, and one PR curve per class (the PR/ROC view adds the ROC curve, its
area, and a confusion matrix at the threshold you pick).
"""),
    install({"tbx_widget": "tbx-widget", "sklearn": "scikit-learn"}),
    code("""
import shutil
import numpy as np
from sklearn.datasets import load_iris
from tbx_widget import SummaryWriter

LOGDIR = "runs/iris"
shutil.rmtree(LOGDIR, ignore_errors=True)  # start clean: a rerun does not append to the last run

iris = load_iris()
species = [str(name) for name in iris.target_names]
X, y = iris.data, iris.target
X = (X - X.mean(0)) / X.std(0)
rng = np.random.default_rng(1)
order = rng.permutation(len(X))
train, val = order[:110], order[110:]
print(X.shape, species)
"""),
    code("""
writer = SummaryWriter(LOGDIR)
writer.show()
"""),
    code("""
def forward(params, x):
    W1, b1, W2, b2 = params
    h = np.maximum(0, x @ W1 + b1)
    z = h @ W2 + b2
    z -= z.max(1, keepdims=True)
    p = np.exp(z); p /= p.sum(1, keepdims=True)
    return h, p

params = [rng.normal(0, 0.5, (4, 16)), np.zeros(16), rng.normal(0, 0.5, (16, 3)), np.zeros(3)]
onehot = np.eye(3)
for epoch in range(300):
    h, p = forward(params, X[train])
    loss = -np.mean(np.log(p[np.arange(len(train)), y[train]] + 1e-9))
    g = (p - onehot[y[train]]) / len(train)
    W1, b1, W2, b2 = params
    dh = (g @ W2.T) * (h > 0)
    grads = [X[train].T @ dh, dh.sum(0), h.T @ g, g.sum(0)]
    for param, grad in zip(params, grads):
        param -= 0.2 * grad
    _, pv = forward(params, X[val])
    writer.add_scalar("loss/train", loss, epoch)
    writer.add_scalar("loss/val", -np.mean(np.log(pv[np.arange(len(val)), y[val]] + 1e-9)), epoch)
    writer.add_scalar("accuracy/train", np.mean(p.argmax(1) == y[train]), epoch)
    writer.add_scalar("accuracy/val", np.mean(pv.argmax(1) == y[val]), epoch)
    if epoch % 10 == 0:
        writer.add_histogram("weights/W1", params[0], epoch)
        writer.add_histogram("weights/W2", params[2], epoch)
    if epoch % 50 == 0 or epoch == 299:
        for k, name in enumerate(species):
            writer.add_pr_curve(f"pr/{name}", y[val] == k, pv[:, k], epoch)
writer.flush()
print("validation accuracy", np.mean(pv.argmax(1) == y[val]))
"""),
    code("""
confusion = np.zeros((3, 3), dtype=int)
for t, q in zip(y[val], pv.argmax(1)):
    confusion[t, q] += 1
header = "| true \\\\ predicted | " + " | ".join(species) + " |\\n|---|---|---|---|\\n"
body = "\\n".join(f"| {species[i]} | " + " | ".join(str(c) for c in confusion[i]) + " |" for i in range(3))
writer.add_text("confusion_matrix", header + body, 299)
writer.close()
print(confusion)
"""),
]

LINEAR = [
    md("""
# Linear regression: y = 2x + 1 + noise

The classic first example. Gradient descent on the slope and intercept; the dashboard shows the
loss and the two parameters converging to 2 and 1 (parameter trajectories), live.
"""),
    install({"tbx_widget": "tbx-widget"}),
    code("""
import shutil
import numpy as np
from tbx_widget import SummaryWriter

LOGDIR = "runs/linear_regression"
shutil.rmtree(LOGDIR, ignore_errors=True)  # start clean: a rerun does not append to the last run

rng = np.random.default_rng(0)
x = rng.uniform(-3, 3, 200)
y = 2 * x + 1 + rng.normal(0, 0.5, 200)
writer = SummaryWriter(LOGDIR)
writer.show(height=480)
"""),
    code("""
w, b, lr = 0.0, 0.0, 0.05
for step in range(200):
    pred = w * x + b
    loss = np.mean((pred - y) ** 2)
    w -= lr * np.mean(2 * (pred - y) * x)
    b -= lr * np.mean(2 * (pred - y))
    writer.add_scalar("loss/mse", loss, step)
    writer.add_scalars("parameters", {"slope": w, "intercept": b}, step)
writer.close()
print(f"slope {w:.3f} (true 2), intercept {b:.3f} (true 1)")
"""),
]

SWEEP = [
    md("""
# Hyperparameter sweep

Several runs of the same model with different learning rates and hidden sizes. Each run logs its
curves and, at the end, its hyperparameters and final metrics with `add_hparams`; the dashboard
overlays the curves (one colour per run) and the HParams view compares the runs: sort the table
by a column, colour the parallel-coordinates plot by a metric, and click a row or a line to
highlight that run in the scalar charts.
"""),
    install({"tbx_widget": "tbx-widget"}),
    code("""
import itertools
import shutil
import numpy as np
from tbx_widget import Dashboard, SummaryWriter

LOGDIR = "runs/sweep"
shutil.rmtree(LOGDIR, ignore_errors=True)  # start clean: a rerun does not append to the last sweep

rng = np.random.default_rng(0)
X = rng.normal(size=(256, 8))
true_w = rng.normal(size=8)
y = (X @ true_w > 0).astype(float)
dashboard = Dashboard(LOGDIR, height=560)
dashboard
"""),
    code("""
def train(lr, hidden, steps=150, seed=0):
    r = np.random.default_rng(seed)
    W1 = r.normal(0, 0.3, (8, hidden)); W2 = r.normal(0, 0.3, hidden)
    for step in range(steps):
        h = np.tanh(X @ W1)
        p = 1 / (1 + np.exp(-(h @ W2)))
        g = (p - y) / len(y)
        gW2 = h.T @ g
        gW1 = X.T @ (np.outer(g, W2) * (1 - h**2))
        W1 -= lr * gW1; W2 -= lr * gW2
        loss = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
        yield step, loss, np.mean((p > 0.5) == y)

for lr, hidden in itertools.product([0.1, 0.5, 2.0], [4, 16]):
    name = f"lr={lr},hidden={hidden}"
    with SummaryWriter(f"{LOGDIR}/{name}") as w:
        for step, loss, acc in train(lr, hidden):
            w.add_scalar("loss", loss, step)
            w.add_scalar("accuracy", acc, step)
        w.add_hparams({"lr": lr, "hidden": hidden, "optimizer": "sgd"}, {"hparam/loss": loss, "hparam/accuracy": acc})
    print(f"{name}: loss {loss:.3f} accuracy {acc:.3f}")
"""),
    code("""
import tbx_widget
table = tbx_widget.load(LOGDIR).hparams_table()
for row in sorted(table, key=lambda r: -r["metrics"]["hparam/accuracy"]):
    print(row["hparams"], row["metrics"])
"""),
]

WORKER = """
import sys, time
import numpy as np
from tbx_widget import SummaryWriter

rank, logdir = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(rank)
with SummaryWriter(f"{logdir}/rank{rank}") as w:
    value = 1.0
    for step in range(100):
        value *= 0.97 + 0.02 * rng.random()
        w.add_scalar("loss", value, step)
        time.sleep(0.01)
""".strip("\n")

MULTIPROCESS = [
    md("""
# Several worker processes, watched live

Three worker processes each train with their own seed and write their own run. The dashboard in
this notebook follows the logdir on disk, so it sees every worker's curves as they are written:
the event files are the only channel, as with DDP ranks or a scheduler's jobs.
"""),
    install({"tbx_widget": "tbx-widget"}),
    code("""
import shutil
LOGDIR = "runs/workers"
shutil.rmtree(LOGDIR, ignore_errors=True)  # start clean: a rerun does not append to the last runs

%load_ext tbx_widget
%tbx $LOGDIR --height 480
"""),
    code(f"""
import subprocess, sys
# Each worker is a separate Python process (its program is passed with -c: no file to clean up).
WORKER = {WORKER!r}
procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(rank), LOGDIR]) for rank in range(3)]
codes = [p.wait() for p in procs]
print("worker exit codes:", codes)
"""),
    code("""
import tbx_widget
logs = tbx_widget.load(LOGDIR)
print({run: len(logs.scalars(run, "loss")) for run in logs.runs})
"""),
]

READING = [
    md("""
# Reading existing logs

`tbx_widget` reads what TensorBoard reads: logs from TensorFlow's `tf.summary`, the Keras
`TensorBoard` callback, `torch.utils.tensorboard` and tensorboardX. In real use you point it at
the logdir your training wrote. So that this notebook runs anywhere on its own, it first writes
two small logdirs: one laid out as Keras's TensorBoard callback lays it out (runs `train` and
`validation`, tags `epoch_loss` and `epoch_accuracy`), and one written by
`torch.utils.tensorboard` (by tbx_widget's writer where torch is not installed). Then it shows
them in the dashboard, reads them into numpy and pandas, and draws a chart with Altair (rendered
to SVG in the kernel by vl-convert: no JavaScript from a CDN, so it works offline).
"""),
    install({"tbx_widget": "tbx-widget", "pandas": "pandas", "vl_convert": "vl-convert-python"}),
    code("""
import shutil
import numpy as np
from tbx_widget import SummaryWriter

LOGDIR = "runs/reading"
shutil.rmtree(LOGDIR, ignore_errors=True)  # start clean: a rerun does not append to the last logs
rng = np.random.default_rng(0)

# Keras's layout: <logdir>/train and <logdir>/validation, one point per epoch.
for run, gap in (("train", 0.0), ("validation", 0.12)):
    with SummaryWriter(f"{LOGDIR}/keras/{run}") as w:
        for epoch in range(20):
            loss = 1.1 * np.exp(-epoch / 5) + 0.15 + gap + 0.03 * rng.random()
            w.add_scalar("epoch_loss", loss, epoch)
            w.add_scalar("epoch_accuracy", 1 - loss / 1.5, epoch)

try:
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    writer_name = "torch.utils.tensorboard"
except ImportError:
    TorchWriter, writer_name = SummaryWriter, "tbx_widget (torch is not installed)"
for lr in (0.1, 0.01):
    w = TorchWriter(f"{LOGDIR}/torch/lr={lr}")
    for step in range(0, 500, 10):
        w.add_scalar("train/loss", np.exp(-lr * step / 5) + 0.05 * rng.random(), step)
        w.add_scalar("train/lr", lr, step)
    w.close()
print("torch-style logs written by", writer_name)
"""),
    code("""
%load_ext tbx_widget
%tbx $LOGDIR/keras
"""),
    code("""
import tbx_widget
logs = tbx_widget.load(f"{LOGDIR}/keras")
print(logs.runs)
print(logs.tags("train")["scalars"])
loss = logs.scalars("validation", "epoch_loss")
print(loss.step, loss.value)
"""),
    code("""
import altair as alt
alt.renderers.enable("svg")  # drawn in the kernel (vl-convert): no Vega JavaScript, no CDN
chart = logs.chart("epoch_loss", smoothing=0.0)
chart.save(f"{LOGDIR}/epoch_loss.svg")  # a file to put in a report, kept beside the logs
chart
"""),
    code("""
torch_logs = tbx_widget.load(f"{LOGDIR}/torch")
df = torch_logs.to_pandas()
df.groupby(["run", "tag"]).value.agg(["count", "last"])
"""),
]

CURVES = [
    md("""
# Fitting a curve: the fit and the loss landscape over training

Gradient descent fits y = a·tanh(b·x) to noisy data. Every 10 steps the notebook logs the model's
curve against the data (`add_curve`: the Curves card, with a step slider and an overlay of
earlier steps) and the loss over a window of (a, b) around the current parameters
(`add_surface`: the Surfaces card, a heatmap with contours and a 3-D view you can rotate).
"""),
    install({"tbx_widget": "tbx-widget"}),
    code("""
import shutil
import numpy as np
from tbx_widget import SummaryWriter

LOGDIR = "runs/curve_fitting"
shutil.rmtree(LOGDIR, ignore_errors=True)  # start clean: a rerun does not append to the last run

rng = np.random.default_rng(0)
x = np.sort(rng.uniform(-3, 3, 200))
y = 2 * np.tanh(1.5 * x) + rng.normal(0, 0.1, 200)
writer = SummaryWriter(LOGDIR)
writer.show(height=900)
"""),
    code("""
def loss(a, b):
    \"\"\"Mean squared error of a * tanh(b * x); a and b may be arrays of the same shape.\"\"\"
    pred = np.asarray(a)[..., None] * np.tanh(np.asarray(b)[..., None] * x)
    return ((pred - y) ** 2).mean(-1)

a, b, lr = 0.5, 0.5, 0.1
for step in range(300):
    t = np.tanh(b * x)
    r = a * t - y
    writer.add_scalar("loss/mse", float((r ** 2).mean()), step)
    if step % 10 == 0:
        writer.add_curve("fit", x, {"data": y, "model": a * t}, step)
        A, B = np.meshgrid(np.linspace(a - 1, a + 1, 41), np.linspace(b - 1, b + 1, 41))
        writer.add_surface("loss landscape around (a, b)", loss(A, B), A[0], B[:, 0], step)
    a, b = a - lr * np.mean(2 * r * t), b - lr * np.mean(2 * r * a * (1 - t ** 2) * x)
writer.close()
print(f"a {a:.2f} (true 2), b {b:.2f} (true 1.5)")
"""),
]

MACHINE_WORKER = """
import sys, time
import numpy as np
from tbx_widget import SummaryWriter

rank, logdir, endpoint = int(sys.argv[1]), sys.argv[2], sys.argv[3]
storage = {"key": "testing", "secret": "testing", "endpoint_url": endpoint}
rng = np.random.default_rng(rank)
with SummaryWriter(f"{logdir}/worker_{rank}", storage_options=storage) as w:
    loss = 1.0
    for step in range(60):
        loss *= 0.95 + 0.04 * rng.random()
        w.add_scalar("loss", loss, step)
        w.add_scalar("samples_per_sec", 900 + 200 * rng.random(), step)
        if step % 10 == 9:
            w.flush()  # one upload of the run's event object; returns once the bucket has it
        time.sleep(0.1)  # about 6 s a worker: time to watch the curves grow
""".strip("\n")

MULTIMACHINE = [
    md("""
# Several machines, one bucket, watched live

Training spread over machines writes its logs to shared object storage. Here two "worker"
processes stand in for two machines: each writes its own run to an S3 bucket
(`SummaryWriter("s3://...")`), and the dashboard in this notebook follows the bucket, so both
workers' curves grow as they upload. The workers' runs are named `worker_0` and `worker_1`, and
the dashboard groups them by worker rank: one line (their mean) with a min-max band; tick
"members" to draw each worker too, or set "group runs" to "off".

The bucket lives on a local S3 server (moto's, on 127.0.0.1): no cloud account and no internet
needed. It needs `pip install "tbx-widget[s3]" "moto[server]"` (the first cell installs what is
missing). On real machines, point `LOGDIR` at your bucket and drop `STORAGE` (s3fs then reads the
usual AWS credentials), or put your `endpoint_url` and keys in it.

A remote writer uploads its event object on each `flush()` (and every `flush_secs`): what a
dashboard can see is what was flushed.
"""),
    install({"tbx_widget": "tbx-widget", "s3fs": "s3fs", "moto": "moto[server]"}),
    code("""
import atexit, socket, subprocess, sys, time
import s3fs

# Run again: stop following the last bucket and stop its server first.
if "dashboard" in globals():
    dashboard.close()
if "S3_SERVER" in globals():
    S3_SERVER.terminate()
    S3_SERVER.wait()

# A local S3 server on a free port (it stops with this notebook's kernel).
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
S3_SERVER = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
atexit.register(S3_SERVER.terminate)
for _ in range(600):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.1)
STORAGE = {"key": "testing", "secret": "testing", "endpoint_url": f"http://127.0.0.1:{port}"}
s3fs.S3FileSystem(skip_instance_cache=True, **STORAGE).mkdir("experiments")
LOGDIR = "s3://experiments/multi_machine"
print("bucket ready:", LOGDIR)
"""),
    code("""
from tbx_widget import Dashboard

dashboard = Dashboard(LOGDIR, storage_options=STORAGE, group={"by": "ranks"}, height=480)
dashboard
"""),
    code(f"""
# Each worker is a separate Python process (its program is passed with -c: no file to clean up).
WORKER = {MACHINE_WORKER!r}
procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(rank), LOGDIR, STORAGE["endpoint_url"]]) for rank in range(2)]
codes = [p.wait() for p in procs]
print("worker exit codes:", codes)
"""),
    code("""
import tbx_widget

logs = tbx_widget.load(LOGDIR, storage_options=STORAGE)
print("steps in the bucket:", {run: len(logs.scalars(run, "loss")) for run in logs.runs})
"""),
]

NOTEBOOKS = {
    "quickstart.ipynb": QUICKSTART,
    "iris_classification.ipynb": IRIS,
    "linear_regression.ipynb": LINEAR,
    "hyperparameter_sweep.ipynb": SWEEP,
    "multi_process.ipynb": MULTIPROCESS,
    "multi_machine.ipynb": MULTIMACHINE,
    "reading_existing_logs.ipynb": READING,
    "curve_fitting.ipynb": CURVES,
}

if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        save(name, cells)
        print("wrote", HERE / name)
