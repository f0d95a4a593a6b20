"""Regenerate tbx_widget/_proto/*_pb2.py from proto/ (run: make proto).

Uses the protoc bundled with grpcio-tools 1.62 (protoc 25): its builder-style modules import
on every protobuf runtime from 4.25 to the newest, where protoc >= 26 output refuses older
runtimes. The modules register into tbx_widget's own descriptor pool rather than the default
one, because TensorBoard and TensorFlow register the same "tensorboard.*" message names and a
second registration in the default pool fails at import.

Usage: python proto/generate.py [OUTPUT_ROOT]   (default: the repository root)
"""
from __future__ import annotations

import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE = "tbx_widget/_proto"


def generate(out_root: pathlib.Path) -> list[pathlib.Path]:
    import grpc_tools
    from grpc_tools import protoc

    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    sources = sorted((PROTO_DIR / PACKAGE).glob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        args = ["protoc", f"-I{PROTO_DIR}", f"-I{include}", f"--python_out={tmp}"]
        if protoc.main(args + [str(s) for s in sources]) != 0:
            raise SystemExit("protoc failed")
        written = []
        for generated in sorted((pathlib.Path(tmp) / PACKAGE).glob("*_pb2.py")):
            text = generated.read_text()
            text = text.replace(
                "DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(",
                "DESCRIPTOR = _POOL.AddSerializedFile(",
            )
            text = text.replace(
                "# @@protoc_insertion_point(imports)",
                "# @@protoc_insertion_point(imports)\nfrom tbx_widget._proto import POOL as _POOL",
                1,
            )
            target = out_root / PACKAGE / generated.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(target)
    return written


if __name__ == "__main__":
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    for path in generate(out):
        print("wrote", path.relative_to(out))
