"""The whole workflow's wall and CPU time.

    python benchmarks/pipeline.py [--out FILE] -- --cores 2 --quiet rules

runs `snakemake <arguments>` here and writes its wall seconds, the CPU seconds of it and of
every job it ran (the children's, from the kernel's accounting: exact, unlike the sampled
`cpu_time` of a benchmark file), those of Snakemake's own process, the date and the number
of training jobs it ran to --out (default nndl3.paths.PIPELINE; the README's block and
docs/performance.md's read it). Exits with Snakemake's status. `bench.py --pipeline` calls
`time_pipeline` (`--forceall`: it reruns everything).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, child_seconds, git_commit

from nndl3 import arguments, atomic, bench_docs, paths
from nndl3.errors import exit_status

# `python -m snakemake ARGS` that also writes, as it exits, the CPU seconds of its own
# process (every thread of it, none of its jobs') to the file named by its first argument
OWN_CPU = """
import atexit, resource, runpy, sys
def own(path=sys.argv[1]):
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open(path, "w") as f:
        f.write(repr(r.ru_utime + r.ru_stime))
atexit.register(own)
sys.argv = ["snakemake", *sys.argv[2:]]
runpy.run_module("snakemake", run_name="__main__", alter_sys=True)
"""


def run_timed(arguments: list[str]) -> dict:
    """Wall and CPU seconds (user + system, the children's) of `snakemake <arguments>`, and
    those of Snakemake's own process, with the environment the benchmark was started with
    (not its one-thread settings)."""
    with tempfile.TemporaryDirectory() as tmp:
        own = Path(tmp) / "snakemake_cpu"
        ran = child_seconds([sys.executable, "-c", OWN_CPU, str(own), *arguments], cwd=ROOT,
                            check=False)
        snakemake_cpu = float(own.read_text()) if own.is_file() else None
    return {"command": " ".join(["snakemake", *arguments]), "wall_seconds": ran["wall"],
            "cpu_seconds": ran["user"] + ran["system"], "snakemake_cpu_seconds": snakemake_cpu,
            "returncode": ran["returncode"]}


def time_pipeline():
    """`snakemake --cores N --forceall` here, on the docs' cores (bench_docs.ESTIMATE_CORES):
    reruns the whole workflow."""
    options = ["--cores", str(bench_docs.ESTIMATE_CORES), "--forceall"]
    print(f"\nrunning snakemake {' '.join(options)} in {ROOT} (reruns everything) ...",
          flush=True)
    timed = run_timed(options)
    print(f"pipeline: {timed['wall_seconds']:.1f} s wall, exit code {timed['returncode']}")
    return timed


def ran_since(started: float, pattern: str, root: Path = ROOT) -> int:
    """How many of the jobs whose benchmark files match `pattern` this run ran: those it
    wrote (a tree rebuilt in part keeps the others' files, and older runs')."""
    return sum(path.stat().st_mtime >= started for path in root.glob(pattern))


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("--out", type=arguments.output_file, default=paths.PIPELINE)
    p.add_argument("arguments", nargs=argparse.REMAINDER, help="-- then Snakemake's arguments")
    args = p.parse_args(argv)
    snakemake_args = args.arguments[1:] if args.arguments[:1] == ["--"] else args.arguments
    commit = git_commit()  # the code timed: before the run writes anything
    started = time.time()
    timed = run_timed(snakemake_args)
    if timed["returncode"] != 0:
        return timed["returncode"]
    training = ran_since(started, paths.BENCHMARK.format(rule="train", name="*"))
    doc = {"command": " ".join(a for a in timed["command"].split() if a not in ("--quiet",
                                                                                 "rules")),
           "seconds": round(timed["wall_seconds"]), "cpu_seconds": round(timed["cpu_seconds"], 1),
           "snakemake_cpu_seconds": round(timed["snakemake_cpu_seconds"], 1),
           "jobs": f"{training} training", "date": datetime.date.today().isoformat(),
           "commit": commit}
    atomic.write_text(args.out, json.dumps(doc) + "\n")
    print(f"pipeline wall time: {doc['seconds']} s, CPU {doc['cpu_seconds']:.0f} s; "
          f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
