"""Embeddings: the projector files add_embedding writes, read back (Logs.embeddings), encoded for
the dashboard (kind "embeddings") and sent by the follower once per change."""
from __future__ import annotations

import os

import numpy as np
import pytest

import tbx_widget
from tbx_widget import SummaryWriter
from tbx_widget.reader.embeddings import parse_metadata_tsv, parse_projector_config, read_embeddings


def _clusters(n=30, d=8, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.eye(3, d) * 10
    labels = np.repeat(np.arange(3), n // 3)
    return centers[labels] + rng.normal(size=(len(labels), d)), labels


def test_round_trip_header_sprite_and_two_tags(tmp_path):
    mat, labels = _clusters()
    meta = [[f"p{i}", f"c{c}"] for i, c in enumerate(labels)]
    img = np.random.default_rng(1).random((len(mat), 3, 4, 5))
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("x", 1.0, 0)
        w.add_embedding(mat, metadata=meta, label_img=img, global_step=3, tag="feat/a", metadata_header=["name", "class"])
        w.add_embedding(mat[:5] * 2, metadata=["u", "v", "w", "x", "y"], global_step=12, tag="other")
    logs = tbx_widget.load(str(tmp_path))
    embs = logs.embeddings(".")
    assert [(e.tag, e.step) for e in embs] == [("feat/a", 3), ("other", 12)]
    a, b = embs
    np.testing.assert_array_equal(a.tensors, mat)  # repr(float) in the TSV: exact
    assert a.header == ["name", "class"] and a.metadata[4] == ["p4", "c0"] and len(a.metadata) == len(mat)
    assert a.sprite[:8] == b"\x89PNG\r\n\x1a\n" and a.sprite_dim == (5, 4)
    np.testing.assert_array_equal(b.tensors, mat[:5] * 2)
    assert b.header == ["label"] and [r[0] for r in b.metadata] == ["u", "v", "w", "x", "y"]
    assert b.sprite is None and b.sprite_dim is None


def test_run_without_config_has_none_and_unknown_run_raises(tmp_path):
    with SummaryWriter(str(tmp_path / "r")) as w:
        w.add_scalar("x", 1.0, 0)
    logs = tbx_widget.load(str(tmp_path))
    assert logs.embeddings("r") == []
    with pytest.raises(KeyError, match="no run 'nope'"):
        logs.embeddings("nope")


def test_config_text_format_escapes_and_tensorboard_layout():
    text = '''# written by hand
embeddings {
  tensor_name: "a \\"q\\" \\303\\251"
  tensor_path: 'x/tensors.tsv'
  sprite { image_path: "s.png" single_image_dim: 28 single_image_dim: 14 }
}
embeddings < tensor_name: "b" tensor_path: "y.tsv" metadata_path: "m.tsv" >
'''
    a, b = parse_projector_config(text)
    assert a["tensor_name"] == 'a "q" \u00e9' and a["tensor_path"] == "x/tensors.tsv"
    assert a["sprite"] == {"image_path": "s.png", "single_image_dim": [28, 14]} and a["metadata_path"] is None
    assert b["metadata_path"] == "m.tsv" and b["sprite"] is None
    with pytest.raises(ValueError, match="not closed"):
        parse_projector_config("embeddings { tensor_name: 'x'")
    with pytest.raises(TypeError, match="text must be a str"):
        parse_projector_config(b"embeddings {}")


def test_metadata_header_rule():
    assert parse_metadata_tsv("a\nb\n", 2) == (["label"], [["a"], ["b"]])
    assert parse_metadata_tsv("h\ta\nx\t1\ny\t2\n", 2) == (["h", "a"], [["x", "1"], ["y", "2"]])


def test_named_file_missing_or_ragged_raises(tmp_path):
    (tmp_path / "projector_config.pbtxt").write_text('embeddings { tensor_name: "t:00001" tensor_path: "t.tsv" }\n')
    with pytest.raises(FileNotFoundError):
        read_embeddings(str(tmp_path))
    (tmp_path / "t.tsv").write_text("1\t2\n3\n")
    with pytest.raises(ValueError, match="row 1 has 1 values"):
        read_embeddings(str(tmp_path))
    (tmp_path / "t.tsv").write_text("1\t2\n3\t4\n")
    (e,) = read_embeddings(str(tmp_path))
    assert (e.tag, e.step, e.tensors.shape) == ("t", 1, (2, 2))
    with pytest.raises(TypeError, match="directory must be a path"):
        read_embeddings(3)


def _embedding_items(batches):
    return [(it["run"], it["tag"], e) for b in batches for it in b.content["items"] if it["kind"] == "embeddings" for e in it["items"]]


def test_encoded_entry_carries_points_metadata_and_sprite(tmp_path):
    from tbx_widget.live.encode import BatchBuilder

    mat, labels = _clusters()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_embedding(mat, metadata=[f"c{c}" for c in labels], label_img=np.zeros((len(mat), 1, 2, 2)), global_step=4, tag="e")
    (item,) = tbx_widget.load(str(tmp_path)).embeddings(".")
    b = BatchBuilder()
    b.add_embeddings(".", "e", [item])
    (wire,) = b.build(seq=1, reset=False, runs=["."]).content["items"]
    (e,) = wire["items"]
    assert (e["step"], e["points"], e["dims"], e["stride"], e["header"]) == (4, 30, 8, 1, ["label"])
    assert e["metadata"][29] == ["c2"] and e["sprite_dim"] == [2, 2] and e["sprite_mime"] == "image/png"
    np.testing.assert_array_equal(np.frombuffer(b.buffers[e["data_buf"]], "<f8").reshape(30, 8), mat)
    assert b.buffers[e["sprite_buf"]][:4] == b"\x89PNG"


def test_encoder_thins_a_huge_embedding(monkeypatch):
    from tbx_widget.live import encode
    from tbx_widget.reader.embeddings import EmbeddingItem

    monkeypatch.setattr(encode, "MAX_EMBEDDING_VALUES", 40)
    t = np.arange(90.0).reshape(45, 2)
    b = encode.BatchBuilder()
    b.add_embeddings("r", "t", [EmbeddingItem("t", 0, "t:00000", t, ["label"], [[str(i)] for i in range(45)])])
    (e,) = b.items[0]["items"]
    assert (e["points"], e["stride"], e["metadata"][1]) == (15, 3, ["3"]) and "every 3th of 45" in e["note"]  # 90 values / 40
    np.testing.assert_array_equal(np.frombuffer(b.buffers[e["data_buf"]], "<f8").reshape(15, 2), t[::3])


def test_follower_sends_each_embedding_once_per_change(tmp_path):
    from tbx_widget.live.follower import Follower

    mat, labels = _clusters()
    w = SummaryWriter(str(tmp_path / "run1"))
    w.add_scalar("x", 1.0, 0)
    w.add_embedding(mat, metadata=[str(c) for c in labels], global_step=1, tag="emb")
    w.flush()
    f = Follower(str(tmp_path))
    got: list = []
    f.resend(got.append)
    assert [(r, t, e["step"]) for r, t, e in _embedding_items(got)] == [("run1", "emb", 1)]
    got.clear()
    f.poll(got.append)
    f.poll(got.append)
    assert _embedding_items(got) == []  # unchanged: not sent again
    w.add_embedding(mat * 3, global_step=2, tag="emb")
    w.flush()
    f.poll(got.append)
    assert [(r, t, e["step"], e["header"]) for r, t, e in _embedding_items(got)] == [("run1", "emb", 2, [])]
    got.clear()
    f.resend(got.append)  # a snapshot sends them all again, after its reset batch
    assert got[0].content["reset"] and [e["step"] for _, _, e in _embedding_items(got)] == [1, 2]
    w.close()


def test_read_from_a_url_logdir(tmp_path):
    """The projector files of a run on an fsspec filesystem (memory://) read as from disk."""
    import fsspec

    from tbx_widget.storage import Storage

    mat, labels = _clusters(n=9, d=3)
    with SummaryWriter(str(tmp_path / "run")) as w:
        w.add_embedding(mat, metadata=[f"c{c}" for c in labels], label_img=np.ones((9, 1, 2, 2)), global_step=2, tag="e")
    fs = fsspec.filesystem("memory")
    root = "/h16emb/runs"
    for dirpath, _, files in os.walk(tmp_path / "run"):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), tmp_path)
            with open(os.path.join(dirpath, name), "rb") as f:
                fs.pipe(f"{root}/{rel}".replace(os.sep, "/"), f.read())
    try:
        (local,) = read_embeddings(str(tmp_path / "run"))
        logs = tbx_widget.load("memory://h16emb/runs")
        (remote,) = logs.embeddings("run")
        np.testing.assert_array_equal(remote.tensors, local.tensors)
        assert (remote.tag, remote.step, remote.metadata, remote.sprite) == (local.tag, local.step, local.metadata, local.sprite)
        assert read_embeddings(f"{root}/nothing", Storage("memory://h16emb/runs", check=False)) == []
    finally:
        fs.rm(root, recursive=True)


def test_add_embedding_to_a_url_logdir_is_read_back_and_followed(tmp_path, monkeypatch):
    """add_embedding on a memory:// logdir uploads the projector files (it raised before): the
    same files as on disk, read back by load() and sent by a dashboard's follower, once per
    change; no local directory named after the scheme appears."""
    import uuid

    import fsspec

    from tbx_widget.live.follower import Follower

    monkeypatch.chdir(tmp_path)
    mat, labels = _clusters(n=9, d=3)
    img = np.ones((9, 1, 2, 2))
    url = f"memory://emb-{uuid.uuid4().hex[:8]}/runs"
    fs = fsspec.filesystem("memory")
    try:
        local = SummaryWriter(str(tmp_path / "disk" / "run"))
        remote = SummaryWriter(f"{url}/run")
        for w in (local, remote):
            w.add_scalar("x", 1.0, 0)
            w.add_embedding(mat, metadata=[f"c{c}" for c in labels], label_img=img, global_step=2, tag="e/1",
                            metadata_header=None)
            w.flush()
        root = url[len("memory://"):]
        on_disk = {os.path.relpath(os.path.join(d, n), tmp_path / "disk" / "run").replace(os.sep, "/")
                   for d, _, files in os.walk(tmp_path / "disk" / "run") for n in files if "tfevents" not in n}
        uploaded = {p.split("/run/", 1)[1] for p in fs.find(f"/{root}/run") if "tfevents" not in p}
        assert uploaded == on_disk == {"projector_config.pbtxt", "00002/e_1/tensors.tsv", "00002/e_1/metadata.tsv", "00002/e_1/sprite.png"}
        for name in on_disk:
            assert fs.cat_file(f"/{root}/run/{name}") == (tmp_path / "disk" / "run" / name).read_bytes(), name
        (item,) = tbx_widget.load(url).embeddings("run")
        np.testing.assert_array_equal(item.tensors, mat)
        assert (item.tag, item.step, item.metadata[0], item.sprite_dim) == ("e/1", 2, ["c0"], (2, 2))

        f = Follower(url)
        got: list = []
        f.resend(got.append)
        assert [(r, t, e["step"]) for r, t, e in _embedding_items(got)] == [("run", "e/1", 2)]
        got.clear()
        storage = f._logs.storage
        real_find, finds = storage.fs.find, []
        storage.fs.find = lambda *a, **k: (finds.append(a), real_find(*a, **k))[1]
        f.poll(got.append)
        assert _embedding_items(got) == []  # unchanged: not sent again
        assert len(finds) == 1  # the configs come from the poll's one listing
        remote.add_embedding(mat * 2, global_step=5, tag="e/1")
        remote.flush()
        f.poll(got.append)
        assert len(finds) == 2
        assert [(r, t, e["step"]) for r, t, e in _embedding_items(got)] == [("run", "e/1", 5)]
        assert [i.step for i in tbx_widget.load(url).embeddings("run")] == [2, 5]
        local.close()
        remote.close()
    finally:
        if fs.exists(f"/{url[len('memory://'):].split('/')[0]}"):
            fs.rm(f"/{url[len('memory://'):].split('/')[0]}", recursive=True)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(":")]
