"""Per-target wall-time estimates from the job times of a finished `snakemake` run.

    python benchmarks/target_times.py [--dir CHECKOUT] [--json [FILE]]

--dir: the finished run's checkout, by default the one holding this script. For each
experiment target (config/figures.yaml, `experiments:`), and `check`, this asks
`snakemake -n --forceall <target>` which jobs the target needs, takes each job's wall time
as benchmarks/breakdown.py does (its benchmark file, else its log's last `timing` line)
and prints a Markdown table: jobs, job-seconds, the longest job, and the estimate of the
target's wall time on the docs' cores (nndl3.bench_docs.wall_estimate, no less than its
longest chain of jobs, breakdown.critical_path). Jobs shared between
targets count in each. With --json it also writes the table's numbers (the README's
block, `python -m nndl3 docs`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nndl3 import arguments, atomic, bench_docs, paths, workflow_config
from nndl3.errors import exit_status

sys.path.insert(0, str(Path(__file__).resolve().parent))
import breakdown  # noqa: E402  (the job times, as its table reads them)

UNTIMED = ("all", "prepare_data")  # a target's own rule; the data, prepared before


def estimates(root: Path) -> list[dict]:
    """For each experiment target: its timed jobs, their seconds, the longest, the estimate."""
    if not (root / paths.FIGURES_CONFIG).is_file():
        raise SystemExit(f"error: --dir {root}: no {paths.FIGURES_CONFIG}: not this "
                         "repository's checkout")
    path = root / paths.FIGURES_CONFIG
    experiments = workflow_config.read_figures(path, ("experiments",))["experiments"]
    out = []
    # `check` too: one target, but it needs every run, SVM and replay its rows read
    for target in [*experiments, "check"]:
        jobs = []
        for job in breakdown.planned_jobs(root, target):
            if job["rule"] in UNTIMED or job["rule"] == target:
                continue
            seconds = breakdown.job_seconds(root, job)
            if not seconds:
                raise SystemExit(f"error: {job['name']}: no job time (run the workflow first)")
            jobs.append({**job, **seconds})
        out.append({"target": target, "jobs": len(jobs), **(timing(jobs) if jobs else {})})
    return out


def timing(jobs: list[dict]) -> dict:
    """A target's job-seconds, its longest job, and its wall-time estimate: no less than its
    longest chain of jobs (breakdown.critical_path), which more cores cannot shorten."""
    times = {job["name"]: job["wall"] for job in jobs}
    longest = max(times, key=times.get)
    chain, _ = breakdown.critical_path(jobs)
    return {"job_seconds": sum(times.values()), "longest": longest,
            "longest_seconds": times[longest], "chain_seconds": chain,
            "estimate_seconds": bench_docs.wall_estimate(sum(times.values()), chain)}


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("--dir", type=arguments.folder, default=Path(__file__).resolve().parent.parent)
    p.add_argument("--json", type=arguments.output_file, nargs="?",
                   const=paths.TARGET_TIMES,
                   help=f"also write the numbers here (default {paths.TARGET_TIMES})")
    args = p.parse_args(argv)
    targets = estimates(args.dir)
    print(bench_docs.target_times_table(targets), end="")
    if args.json:
        atomic.write_text(args.json, json.dumps({"targets": targets}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
