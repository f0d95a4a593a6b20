"""`make demo`: JupyterLab on the quickstart notebook, also as root and on a headless machine.

JupyterLab refuses to run as root without ``--allow-root``; with no display there is no browser
to open, so the URL to open (with its token) is printed once the server answers, after
JupyterLab's own start-up log.
"""
from __future__ import annotations

import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

NOTEBOOKS = pathlib.Path(__file__).resolve().parent / "notebooks"
START = "quickstart.ipynb"


def free_port(preferred: int = 8888) -> int:
    """``preferred`` when it is free on 127.0.0.1, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free TCP port on 127.0.0.1")


def headless(env: dict[str, str], platform: str = sys.platform) -> bool:
    """True on Linux without an X or Wayland display (a server, a container, an SSH session)."""
    return platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def lab_command(python: str, port: int, token: str, *, uid: int, no_browser: bool) -> list[str]:
    """The ``jupyter lab`` command line serving examples/notebooks and opening the quickstart."""
    cmd = [python, "-m", "jupyterlab", f"--ServerApp.root_dir={NOTEBOOKS}", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--LabApp.default_url=/lab/tree/{START}"]
    if uid == 0:
        cmd.append("--allow-root")  # JupyterLab refuses root otherwise ("Running as root is not recommended")
    if no_browser:
        cmd.append("--no-browser")
    return cmd


def banner(url: str, port: int, *, no_browser: bool) -> str:
    """What the terminal says once the server is up."""
    lines = ["", "=" * 72, "tbx_widget demo: JupyterLab is running on the quickstart notebook."]
    if no_browser:
        lines += ["No display here, so no browser was opened. Open this URL in your browser:", "", f"    {url}", "",
                  f"On a remote machine, forward the port first:  ssh -L {port}:127.0.0.1:{port} <this host>"]
    else:
        lines += ["Your browser should open it; if not, open:", "", f"    {url}", ""]
    lines += ["Stop with Ctrl-C.", "=" * 72, ""]
    return "\n".join(lines)


def wait_until_up(base: str, token: str, proc: subprocess.Popen, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    port = free_port()
    token = secrets.token_hex(24)
    no_browser = headless(dict(os.environ))
    cmd = lab_command(sys.executable, port, token, uid=os.geteuid() if hasattr(os, "geteuid") else 1,
                      no_browser=no_browser)
    base = f"http://127.0.0.1:{port}"
    signal.signal(signal.SIGTERM, _interrupt)  # a `kill` stops JupyterLab too, as Ctrl-C does
    proc = subprocess.Popen(cmd)
    try:
        if wait_until_up(base, token, proc):
            print(banner(f"{base}/lab/tree/{START}?token={token}", port, no_browser=no_browser), flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
