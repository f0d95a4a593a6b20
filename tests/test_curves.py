"""add_curve / add_surface: validation on the caller's thread, storage TensorBoard skips, read back
by load() equal to what was written, and the dashboard batch encoding."""
from __future__ import annotations

import json

import numpy as np
import pytest

import tbx_widget
from tbx_widget import SummaryWriter
from tbx_widget.live.encode import MAX_CURVE_POINTS, MAX_SURFACE_SIDE, BatchBuilder
from tbx_widget.reader.items import CurveItem, SurfaceItem
from tbx_widget.summary.curves import CURVE_PLUGIN, SURFACE_PLUGIN, grid_points, surface_arrays


def _write(tmp_path, fn):
    with SummaryWriter(str(tmp_path)) as w:
        fn(w)
    return tbx_widget.load(str(tmp_path))


def test_curve_round_trip_one_series(tmp_path):
    x = np.linspace(-2, 2, 50)
    logs = _write(tmp_path, lambda w: [w.add_curve("fit", x, np.sin(x) * s, global_step=s) for s in range(3)])
    run = logs.runs[0]
    assert logs.tags(run)["curves"] == ["fit"]
    items = logs.curves(run, "fit")
    assert [c.step for c in items] == [0, 1, 2]
    for s, c in enumerate(items):
        np.testing.assert_array_equal(c.x, x)
        np.testing.assert_array_equal(c.y, (np.sin(x) * s)[None, :])
        assert c.names == ["y"]


def test_curve_several_series_dict_and_2d(tmp_path):
    x = np.arange(5.0)
    data = {"model": x**2, "data": x + 0.5}
    rows = np.stack([x, -x, 2 * x]).astype(np.float32)

    def log(w):
        w.add_curve("d", x, data, 1)
        w.add_curve("rows", x, rows, 1)
        w.add_curve("cols", x, rows.T, 1)  # columns match len(x): one series per column
        w.add_curve("nox", None, [3, 1, 2])

    logs = _write(tmp_path, log)
    run = logs.runs[0]
    d = logs.curves(run, "d")[0]
    assert d.names == ["model", "data"]
    np.testing.assert_array_equal(d.series("model"), x**2)
    np.testing.assert_array_equal(d.series("data"), x + 0.5)
    for tag in ("rows", "cols"):
        c = logs.curves(run, tag)[0]
        assert c.names == ["y0", "y1", "y2"]
        np.testing.assert_array_equal(c.y, rows.astype(np.float64))
    nox = logs.curves(run, "nox")[0]
    np.testing.assert_array_equal(nox.x, [0, 1, 2])
    np.testing.assert_array_equal(nox.y[0], [3, 1, 2])
    assert logs.items("curves", run, "nox")[0].step == 0


def test_curve_nan_gap_kept(tmp_path):
    logs = _write(tmp_path, lambda w: w.add_curve("g", [0, 1, 2], [1.0, float("nan"), 3.0]))
    c = logs.curves(logs.runs[0], "g")[0]
    assert np.isnan(c.y[0, 1]) and c.y[0, 2] == 3.0


@pytest.mark.parametrize("x, y, exc, words", [
    ([0, 1, 2], [1, 2], ValueError, "same length"),
    ([0, float("nan"), 2], [1, 2, 3], ValueError, "x must be finite"),
    ([0, 1, 2], [1, float("inf"), 3], ValueError, "y must be finite or NaN"),
    ([0, 1], {"a": [1, 2], "b": [1]}, ValueError, "same length"),
    ([0, 1], {}, ValueError, "empty dict"),
    ([0, 1], {3: [1, 2]}, TypeError, "series names"),
    ([0, 1], "ab", TypeError, "y must be numeric"),
    ([0, 1], np.zeros((2, 2, 2)), ValueError, "y must be a 1-D array"),
    ([[0, 1], [2, 3]], [1, 2, 3, 4], ValueError, "x must be one-dimensional"),
    ([], [], ValueError, "at least one point"),
    ([0, 1], [1 + 1j, 2], TypeError, "y must be real"),
])
def test_curve_bad_input_raises_at_the_call(tmp_path, x, y, exc, words):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(exc, match=words):
            w.add_curve("c", x, y, 0)
        w.add_scalar("after", 1.0, 0)  # the writer still works
    logs = tbx_widget.load(str(tmp_path))
    assert logs.tags(logs.runs[0])["curves"] == []


def test_surface_grid_round_trip(tmp_path):
    x = np.linspace(-1, 1, 7)
    y = np.linspace(0, 2, 5)
    z = np.add.outer(y**2, np.sin(x))  # (ny, nx)
    logs = _write(tmp_path, lambda w: [w.add_surface("loss", z * s, x, y, global_step=s) for s in (0, 10)])
    run = logs.runs[0]
    assert logs.tags(run)["surfaces"] == ["loss"]
    items = logs.surfaces(run, "loss")
    assert [s.step for s in items] == [0, 10]
    np.testing.assert_array_equal(items[1].x, x)
    np.testing.assert_array_equal(items[1].y, y)
    np.testing.assert_array_equal(items[1].z, z * 10)


def test_surface_shapes_accepted():
    x = np.linspace(-1, 1, 4)
    y = np.linspace(0, 3, 3)
    X, Y = np.meshgrid(x, y)
    Z = X**2 + Y
    # z alone: index axes.
    gx, gy, gz = surface_arrays(Z)
    np.testing.assert_array_equal(gx, [0, 1, 2, 3])
    np.testing.assert_array_equal(gy, [0, 1, 2])
    for args in [(Z, x, y), (Z, X, Y), (x, y, Z), (X, Y, Z), (Z.T, *np.meshgrid(x, y, indexing="ij"))]:
        gx, gy, gz = surface_arrays(*args)
        np.testing.assert_array_equal(gx, x)
        np.testing.assert_array_equal(gy, y)
        np.testing.assert_array_equal(gz, Z)
    # Decreasing axes come back increasing, z flipped with them.
    gx, gy, gz = surface_arrays(Z[::-1, ::-1], x[::-1], y[::-1])
    np.testing.assert_array_equal(gx, x)
    np.testing.assert_array_equal(gz, Z)
    # Scattered points on a full grid, shuffled: exact.
    order = np.random.default_rng(0).permutation(Z.size)
    gx, gy, gz = surface_arrays(Z.reshape(-1)[order], X.reshape(-1)[order], Y.reshape(-1)[order])
    np.testing.assert_array_equal(gz, Z)


def test_tutorial_call_shape(tmp_path):
    x = np.linspace(-2, 2, 6)
    y = np.linspace(-1, 1, 4)
    X, Y = np.meshgrid(x, y)
    Z = X * Y
    logs = _write(tmp_path, lambda w: (w.add_surface("surface", x, y, Z, 3), w.add_surface("mesh", X, Y, Z, 4)))
    for tag, step in (("surface", 3), ("mesh", 4)):
        s = logs.surfaces(logs.runs[0], tag)[0]
        assert s.step == step
        np.testing.assert_array_equal(s.z, Z)


def test_scattered_points_binned():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, 400), rng.uniform(-1, 1, 400)
    gx, gy, gz = grid_points(x, y, x + y)
    assert gz.shape == (20, 20)
    assert np.nanmax(np.abs(gz - np.add.outer(gy, gx))) < 0.2  # cell means near the plane
    assert (np.diff(gx) > 0).all()


@pytest.mark.parametrize("args, words", [
    ((np.zeros(3), np.zeros(4), np.zeros((5, 5))), "are not a surface"),
    ((np.zeros((3, 4)), np.arange(3), np.arange(4)), "are not a surface"),
    ((np.zeros((3, 3)), np.random.default_rng(2).random((3, 3)), np.random.default_rng(3).random((3, 3))), "are not a surface"),
    ((np.zeros(3),), "are not a surface"),
    ((np.zeros((2, 3)), [0, 0, 1], [0, 1]), "x must be strictly increasing"),
    ((np.full((2, 2), np.inf),), "z must be finite or NaN"),
    ((np.full((2, 2), np.nan),), "at least one value"),
])
def test_surface_bad_input(tmp_path, args, words):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(ValueError, match=words):
            w.add_surface("s", *args)


def test_surface_ambiguous_order_raises():
    # A 2-D meshgrid pair both ways: (z, x, y) and (x, y, z) both read as grids.
    x = np.arange(3.0)
    X, Y = np.meshgrid(x, x)
    with pytest.raises(ValueError, match="cannot tell which of the arrays is z"):
        surface_arrays(X, Y, X)


def test_storage_is_a_tensor_summary_with_our_plugin_name(tmp_path):
    from tbx_widget._proto import event_pb2
    from tbx_widget.records import scan_records

    with SummaryWriter(str(tmp_path)) as w:
        w.add_curve("c", [0, 1], {"a": [1, 2]}, 0)
        w.add_surface("s", np.ones((2, 2)), global_step=0)
    plugins = {}
    for path in tmp_path.iterdir():
        for rec in scan_records(path.read_bytes()).records:
            ev = event_pb2.Event.FromString(rec)
            for v in ev.summary.value:
                plugins[v.tag] = (v.metadata.plugin_data.plugin_name, v.metadata.plugin_data.content, v.WhichOneof("value"))
    assert plugins["c"][0] == CURVE_PLUGIN and plugins["c"][2] == "tensor"
    assert json.loads(plugins["c"][1]) == {"version": 1, "series": ["a"]}
    assert plugins["s"][0] == SURFACE_PLUGIN and plugins["s"][2] == "tensor"


def test_encode_curves_and_surfaces_thinned():
    n = MAX_CURVE_POINTS * 2 + 1
    c = CurveItem(5, 1.0, np.arange(n, dtype=float), np.zeros((2, n)), ["a", "b"])
    b = BatchBuilder()
    assert b.add("curves", "r", "t", [c]) == 0
    side = MAX_SURFACE_SIDE + 10
    s = SurfaceItem(6, 2.0, np.arange(side, dtype=float), np.arange(3, dtype=float), np.ones((3, side)))
    assert b.add("surfaces", "r", "u", [s]) == 0
    batch = b.build(seq=1, reset=False, runs=["r"])
    ci, si = batch.content["items"]
    e = ci["items"][0]
    assert e["names"] == ["a", "b"] and e["points"] == (n + 2) // 3 and "note" in e
    data = np.frombuffer(batch.buffers[e["data_buf"]], dtype="<f8").reshape(3, -1)
    np.testing.assert_array_equal(data[0], np.arange(n)[::3])
    f = si["items"][0]
    assert (f["nx"], f["ny"]) == (len(range(0, side, 2)), 3) and "note" in f
    flat = np.frombuffer(batch.buffers[f["data_buf"]], dtype="<f8")
    assert len(flat) == f["nx"] + f["ny"] + f["nx"] * f["ny"]


def test_tensorboard_reads_the_file_without_error(tmp_path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    with SummaryWriter(str(tmp_path)) as w:
        w.add_curve("c", [0, 1, 2], [5, 6, 7], 2)
        w.add_surface("s", np.arange(6.0).reshape(2, 3), global_step=2)
        w.add_scalar("loss", 1.0, 2)
    (path,) = tmp_path.iterdir()  # one file: no directory walk
    acc = ea_mod.EventAccumulator(str(path))
    acc.Reload()
    assert acc.Scalars("loss")[0].value == 1.0
    assert set(acc.Tags()["tensors"]) >= {"c", "s"}
    assert acc.PluginTagToContent(CURVE_PLUGIN) == {"c": b'{"version": 1, "series": ["y"]}'}


# ---- meshes (TensorBoard's mesh plugin) ---------------------------------------------------------

def _mesh():
    rng = np.random.default_rng(4)
    v = rng.normal(size=(1, 5, 3)).astype(np.float32)
    c = rng.integers(0, 256, size=(1, 5, 3))
    f = np.array([[[0, 1, 2], [2, 3, 4]]])
    return v, c, f


def test_mesh_round_trip(tmp_path):
    v, c, f = _mesh()
    logs = _write(tmp_path, lambda w: (w.add_mesh("bunny", v, colors=c, faces=f, config_dict={"camera": {"fov": 75}}, global_step=2),
                                       w.add_mesh("cloud", v[0], global_step=3)))
    run = logs.runs[0]
    assert logs.tags(run)["meshes"] == ["bunny", "cloud"]
    m = logs.meshes(run, "bunny")[0]
    assert m.step == 2 and m.config == {"camera": {"fov": 75}}
    np.testing.assert_array_equal(m.vertices, v)
    np.testing.assert_array_equal(m.colors, c)
    np.testing.assert_array_equal(m.faces, f)
    cloud = logs.meshes(run, "cloud")[0]
    assert cloud.faces is None and cloud.colors is None and cloud.vertices.shape == (1, 5, 3)


def test_mesh_values_are_torchs_bytes():
    torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")
    import torch

    from tbx_widget.summary.mesh import mesh_arrays, mesh_config, mesh_values

    v, c, f = _mesh()
    config = {"material": {"cls": "PointsMaterial", "size": 0.1}}
    ours = [x.SerializeToString() for x in mesh_values("m", *mesh_arrays(v, c, f), mesh_config(config))]
    theirs = torch_summary.mesh("m", torch.tensor(v), torch.tensor(c), torch.tensor(f), config)
    assert ours == [x.SerializeToString() for x in theirs.value]


def test_tensorboard_mesh_plugin_reads_our_mesh(tmp_path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    mesh_meta = pytest.importorskip("tensorboard.plugins.mesh.metadata")
    from tensorboard.util import tensor_util

    v, c, f = _mesh()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_mesh("m", v, colors=c, faces=f, global_step=7)
    (path,) = tmp_path.iterdir()
    acc = ea_mod.EventAccumulator(str(path))
    acc.Reload()
    content = acc.PluginTagToContent("mesh")
    assert set(content) == {"m_VERTEX", "m_FACE", "m_COLOR"}
    for tag, want, kind in (("m_VERTEX", v, 1), ("m_FACE", f, 2), ("m_COLOR", c, 3)):
        meta = mesh_meta.parse_plugin_metadata(content[tag])
        assert (meta.name, meta.content_type, meta.components, list(meta.shape)) == ("m", kind, 14, list(want.shape))
        (event,) = acc.Tensors(tag)
        assert event.step == 7
        np.testing.assert_array_equal(tensor_util.make_ndarray(event.tensor_proto), want.astype(np.float32))


def test_reader_reads_torch_and_tensorboardx_meshes(tmp_path):
    pytest.importorskip("torch.utils.tensorboard")
    tbx = pytest.importorskip("tensorboardX")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    v, c, f = _mesh()
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_mesh("m", v, colors=c, faces=f, global_step=1)
    with tbx.SummaryWriter(str(tmp_path / "tbx")) as w:  # tags m_1, m_2, m_3: the name comes from the content
        w.add_mesh("m", v, colors=c, faces=f, global_step=1)
    logs = tbx_widget.load(str(tmp_path))
    for run in ("torch", "tbx"):
        (m,) = logs.meshes(run, "m")
        np.testing.assert_array_equal(m.vertices, v)
        np.testing.assert_array_equal(m.faces, f)
        np.testing.assert_array_equal(m.colors, c)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"vertices": np.zeros((2, 2))}, ValueError, "vertices must have shape"),
    ({"vertices": [[0, 0, float("nan")]]}, ValueError, "vertices must be finite"),
    ({"vertices": np.zeros((3, 3)), "colors": np.zeros((2, 3))}, ValueError, "colors must have the vertices' shape"),
    ({"vertices": np.zeros((3, 3)), "colors": np.full((3, 3), 300)}, ValueError, "colors must be RGB"),
    ({"vertices": np.zeros((3, 3)), "faces": [[0, 1, 3]]}, ValueError, "faces must be whole-number indices"),
    ({"vertices": np.zeros((3, 3)), "faces": [[0, 1.5, 2]]}, ValueError, "faces must be whole-number indices"),
    ({"vertices": np.zeros((3, 3)), "config_dict": "x"}, TypeError, "config_dict must be a dict"),
    ({"vertices": np.zeros((3, 3)), "config_dict": {"a": object()}}, TypeError, "JSON-serialisable"),
])
def test_mesh_bad_input(tmp_path, kwargs, exc, words):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(exc, match=words):
            w.add_mesh("m", **kwargs)


def test_to_pandas_curves_and_surfaces(tmp_path):
    pytest.importorskip("pandas")
    logs = _write(tmp_path, lambda w: (w.add_curve("fit", [0, 1], {"a": [1, 2], "b": [3, 4]}, 5),
                                       w.add_surface("s", [[1, 2, 3], [4, 5, 6]], [0, 1, 2], [10, 20], global_step=6)))
    c = logs.to_pandas("curves")
    assert list(c.columns) == ["run", "tag", "step", "wall_time", "series", "x", "y"]
    assert c[["series", "x", "y"]].values.tolist() == [["a", 0, 1], ["a", 1, 2], ["b", 0, 3], ["b", 1, 4]]
    assert (c.step == 5).all() and (c.tag == "fit").all()
    s = logs.to_pandas("surfaces")
    assert list(s.columns) == ["run", "tag", "step", "wall_time", "x", "y", "z"]
    assert s[["x", "y", "z"]].values.tolist() == [[0, 10, 1], [1, 10, 2], [2, 10, 3], [0, 20, 4], [1, 20, 5], [2, 20, 6]]
    (tmp_path / "empty").mkdir()
    assert list(tbx_widget.load(str(tmp_path / "empty")).to_pandas("curves").columns) == list(c.columns)
