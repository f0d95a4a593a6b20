"""Real storage API servers for the remote-logdir tests, each on 127.0.0.1 on a free port.

- S3: moto's standalone server (``python -m moto.server``, from moto[server] in the test extra)
- GCS: ``gcp-storage-emulator`` (test extra), in memory, with multipart uploads read byte for
  byte (tests/gcs_emulator.py)
- Azure Blob: Azurite (npm, installed under tests/servers by ``make install``)

They start once per test session, all three at the same time (Azurite takes several seconds),
and are stopped (their process groups) at its end. ``remote`` is parametrized over the three.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from storage_server import Server, free_port, moto_s3  # tests/storage_server.py

# gcsfs (2026.x) by default asks Google's gRPC Storage Control API for each bucket's layout,
# which an emulator does not serve: every operation would wait out a 60 s timeout. Off, as any
# user of a GCS emulator must (before gcsfs is imported).
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"

ROOT = Path(__file__).resolve().parents[2]
AZURITE = ROOT / "tests" / "servers" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's development account: a fixed, public name and key that every Azurite accepts.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _servers(tmp: Path) -> dict[str, Server]:
    py = sys.executable
    gcs, az = free_port(), free_port()
    azdir = tmp / "azurite"
    azdir.mkdir()
    return {
        "s3": moto_s3(str(tmp)),
        "gcs": Server("gcs", "gs", gcs, [
            py, str(ROOT / "tests" / "gcs_emulator.py"), "start", "--host", "127.0.0.1", "--port", str(gcs), "--in-memory", "-q",
        ], str(tmp), {"endpoint_url": f"http://127.0.0.1:{gcs}", "token": "anon", "project": "test"}),
        "azure": Server("azure", "az", az, [
            str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(az), "--location", str(azdir), "--silent",
            "--skipApiVersionCheck", "--loose",
        ], str(tmp), {"connection_string": (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{az}/{AZURITE_ACCOUNT};"
        )}),
    }


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory):
    """The three servers, started together."""
    missing = [m for m in ("moto", "s3fs", "gcsfs", "adlfs", "gcp_storage_emulator") if not _importable(m)]
    if missing or not AZURITE.exists() or shutil.which("node") is None:
        pytest.fail(f"the remote tests need the test extra and tests/servers installed (make install); missing: "
                    f"{missing + ([] if AZURITE.exists() else [str(AZURITE)])}")
    found = _servers(tmp_path_factory.mktemp("servers"))
    try:
        for s in found.values():
            s.start()
        for s in found.values():
            s.wait()
        yield found
    finally:
        for s in found.values():
            s.stop()


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.fixture(params=["s3", "gcs", "azure"])
def remote(request: pytest.FixtureRequest, servers: dict[str, Server]) -> Server:
    return servers[request.param]


@pytest.fixture(autouse=True)
def _no_scheme_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every remote test runs in an empty cwd and fails if a directory named after a URL
    scheme (``s3:``, ``gs:``, ``az:``, ``memory:``) appears in it."""
    monkeypatch.chdir(tmp_path)
    yield
    stray = [p.name for p in tmp_path.iterdir() if p.name.endswith(":")]
    assert not stray, f"a URL became local directories: {stray}"
