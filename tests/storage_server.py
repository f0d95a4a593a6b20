"""A storage API server (S3, GCS or Azure Blob) in its own process group on a free 127.0.0.1
port, reached through fsspec. Used by the remote-logdir tests (tests/remote/conftest.py starts
all three), the remote dashboard's browser test and benchmarks/bench_remote.py (moto's S3 server).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START_TIMEOUT = 45.0


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not listen on its port within ``START_TIMEOUT`` seconds."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class Server:
    """One storage server (``argv`` run in ``cwd``, its output in ``cwd/<name>.log``) and how to
    reach it with fsspec (``protocol``, ``storage_options``)."""

    name: str
    protocol: str
    port: int
    argv: list[str]
    cwd: str
    storage_options: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log: Path | None = None

    def start(self) -> None:
        """Start the process (``wait`` for it to listen)."""
        self.log = Path(self.cwd) / f"{self.name}.log"
        out = open(self.log, "wb")
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()

    def wait(self) -> None:
        """Return once the server listens; stop it and raise ServerDidNotStart (with the end of
        its log) if it exits or does not listen within ``START_TIMEOUT`` seconds."""
        deadline = time.monotonic() + START_TIMEOUT
        while not listening(self.port):
            if self.proc is None or self.proc.poll() is not None or time.monotonic() > deadline:
                text = self.log.read_text(errors="replace")[-2000:] if self.log and self.log.exists() else ""
                self.stop()
                raise ServerDidNotStart(f"{self.name} server did not start ({' '.join(self.argv)}):\n{text}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop its process group: SIGTERM, then SIGKILL after 3 s."""
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


def moto_s3(cwd: str) -> Server:
    """moto's standalone S3 server (``python -m moto.server``, from moto[server]) on a free port,
    not started yet; it takes any key and secret ("testing")."""
    port = free_port()
    return Server("s3", "s3", port, [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], cwd, {
        "key": "testing", "secret": "testing", "endpoint_url": f"http://127.0.0.1:{port}",
    })
