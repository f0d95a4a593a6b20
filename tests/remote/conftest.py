"""Real storage API servers for the remote-logdir tests, each on 127.0.0.1 on a free port.

- S3: moto's standalone server (``python -m moto.server``, from moto[server] in the test extra)
- GCS: ``gcp-storage-emulator`` (test extra), in memory
- Azure Blob: Azurite (npm, installed under tests/servers by ``make install``)

They start once per test session, all three at the same time (Azurite takes several seconds),
and are stopped (their process groups) at its end. ``remote`` is parametrized over the three.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# gcsfs (2026.x) by default asks Google's gRPC Storage Control API for each bucket's layout,
# which an emulator does not serve: every operation would wait out a 60 s timeout. Off, as any
# user of a GCS emulator must (before gcsfs is imported).
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"

ROOT = Path(__file__).resolve().parents[2]
AZURITE = ROOT / "tests" / "servers" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's development account: a fixed, public name and key that every Azurite accepts.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT = 45.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class Server:
    """One running storage server and how to reach it with fsspec."""

    name: str
    protocol: str
    port: int
    argv: list[str]
    cwd: str
    storage_options: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log: Path | None = None

    def start(self) -> None:
        self.log = Path(self.cwd) / f"{self.name}.log"
        out = open(self.log, "wb")
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()

    def wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(self.port):
            if self.proc is None or self.proc.poll() is not None or time.monotonic() > deadline:
                text = self.log.read_text(errors="replace")[-2000:] if self.log and self.log.exists() else ""
                self.stop()
                pytest.fail(f"{self.name} server did not start ({' '.join(self.argv)}):\n{text}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def restart(self) -> None:
        """Stop and start again on the same port (the flaky-network test)."""
        self.stop()
        self.start()
        self.wait()

    # -- using it -----------------------------------------------------------------------------

    def filesystem(self):
        """A fresh fsspec filesystem for this server (not fsspec's shared cached instance)."""
        import fsspec

        return fsspec.filesystem(self.protocol, skip_instance_cache=True, **self.storage_options)

    def new_bucket(self) -> str:
        """Create a bucket (container) with a fresh name and return it."""
        name = f"tbx-{uuid.uuid4().hex[:12]}"
        self.filesystem().mkdir(name)
        return name

    def url(self, bucket: str, path: str = "") -> str:
        return f"{self.protocol}://{bucket}/{path}".rstrip("/")


def _servers(tmp: Path) -> dict[str, Server]:
    py = sys.executable
    s3, gcs, az = free_port(), free_port(), free_port()
    azdir = tmp / "azurite"
    azdir.mkdir()
    return {
        "s3": Server("s3", "s3", s3, [py, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3)], str(tmp), {
            "key": "testing", "secret": "testing",
            "endpoint_url": f"http://127.0.0.1:{s3}",
        }),
        "gcs": Server("gcs", "gs", gcs, [
            str(Path(py).parent / "gcp-storage-emulator"), "start", "--host", "127.0.0.1", "--port", str(gcs), "--in-memory", "-q",
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
