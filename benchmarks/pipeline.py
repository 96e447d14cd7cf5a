"""The whole workflow's wall time: `snakemake --cores 2 --forceall`, which reruns it."""

from __future__ import annotations

import subprocess
import sys
import time

from common import ORIGINAL_ENV, ROOT


def time_pipeline():
    """Wall time of `snakemake --cores 2 --forceall` here: reruns the whole workflow, with
    the environment the benchmark was started with (not its one-thread settings)."""
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--forceall"]
    print(f"\nrunning {' '.join(command[1:])} in {ROOT} (reruns everything) ...", flush=True)
    start = time.perf_counter()
    rc = subprocess.run(command, cwd=ROOT, env=ORIGINAL_ENV, check=False).returncode
    seconds = time.perf_counter() - start
    print(f"pipeline: {seconds:.1f} s wall, exit code {rc}")
    return {"command": "snakemake --cores 2 --forceall", "wall_seconds": seconds,
            "returncode": rc}
