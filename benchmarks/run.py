"""Run every benchmark against its peers and write benchmarks/RESULTS.md.

    python benchmarks/run.py            # full sizes (make bench)
    python benchmarks/run.py --tiny     # tiny sizes, to check the scripts still run

Each ``bench_*.py`` runs in its own process (so peak-memory figures are not shared) and
prints a Markdown section; this script adds the machine it ran on and collects them.
"""
from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def machine() -> str:
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo", encoding="utf-8")
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    try:
        mem = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        mem_gib = f"{int(mem) / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        mem_gib = "unknown"
    return f"{cpu}, {os.cpu_count()} cores, {mem_gib} RAM, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (smoke test); RESULTS.md is not written")
    parser.add_argument("--only", default="", help="run only benchmarks whose file name contains this")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("bench_*.py") if args.only in p.name)
    sections, failed = [], []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        cmd = [sys.executable, str(script)] + (["--tiny"] if args.tiny else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            failed.append(script.name)
            continue
        sections.append(proc.stdout.strip())
    if not args.tiny and sections:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            "# Benchmark results\n\n"
            f"Measured {stamp} on {machine()} with `make bench`. Ratios compare tbx_widget with each\n"
            "peer measured in the same run; absolute times drift between machines, ratios less so.\n\n"
            + "\n\n".join(sections)
            + "\n"
        )
        (HERE / "RESULTS.md").write_text(text)
        print(f"wrote {HERE / 'RESULTS.md'}")
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
