"""Where a pipeline run's time goes, job by job, from its run records and job benchmarks.

    python benchmarks/breakdown.py [--dir .]

For every training job that Snakemake timed (logs/benchmark/train/<run>.tsv: wall seconds
`s` and `cpu_time`) and every SVM result, the phases the job recorded itself: a training
job's `timing` (the first record of results/runs/<run>/, shared by its seeds; the write
from the log's last `timing` line) and an SVM job's `timing`, `fit_seconds` and `predict_seconds`
(results/svm/<n>.json). `other` is the job's wall time that no phase accounts for (the
interpreter's exit, Snakemake's shell). The last lines sum the jobs and estimate the wall
time of the same jobs on 2 cores: max(longest job, job-seconds / 2).

Two tables: wall seconds, then CPU seconds (the benchmark's `cpu_time`, the records'
`timing.cpu`; the SVM's fit and predict from its `cpu_seconds`). On a machine shared with
other work, wall time overstates a job; CPU seconds do not.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

COLUMNS = ("startup", "load", "augment", "sparse", "epochs", "monitoring", "write", "fit",
           "predict")


def benchmark(path: Path) -> dict:
    header, row = path.read_text().splitlines()[:2]
    values = dict(zip(header.split("\t"), row.split("\t"), strict=True))
    return {"wall": float(values["s"]), "cpu": float(values.get("cpu_time") or "nan")}


def train_phases(root: Path, run: str, clock: str) -> dict:
    records = sorted((root / "results" / "runs" / run).glob("seed-*.json"))
    if not records:
        return {}
    timing = json.loads(records[0].read_text()).get("timing", {})
    phases = dict(timing.get("cpu", {}) if clock == "cpu" else timing)
    log = root / "logs" / "train" / f"{run}.log"
    lines = [s for s in log.read_text().splitlines() if s.startswith("timing ")] \
        if log.is_file() else []
    if lines:  # the log's line has the write (a record cannot hold it) and the totals
        logged = json.loads(lines[-1].split(" ", 1)[1])
        phases["write"] = (logged.get("cpu", {}) if clock == "cpu" else logged).get("write")
        if clock == "cpu" and "total_cpu" in logged:  # exact, where the benchmark samples
            phases["total"] = logged["total_cpu"]
    return {k: v for k, v in phases.items() if k in (*COLUMNS, "total")}


def svm_phases(root: Path, n: str, clock: str) -> dict:
    path = root / "results" / "svm" / f"{n}.json"
    if not path.is_file():
        return {}
    result = json.loads(path.read_text())
    timing = result.get("timing", {})
    if clock == "cpu":
        cpu = result.get("cpu_seconds", {})
        return {**timing.get("cpu", {}), "total": timing.get("total_cpu"),
                "fit": cpu.get("fit"), "predict": cpu.get("predict")}
    return {**{k: v for k, v in timing.items() if k in ("startup", "load", "total")},
            "fit": result["fit_seconds"], "predict": result["predict_seconds"]}


def jobs(root: Path, clock: str = "wall") -> list[dict]:
    """One row per timed job: its total (on the given clock) and its phases. A job's total
    is what it logged itself where it did (a process's exact CPU time; the SVM's whole time,
    which has no benchmark file: Snakemake forbids one on a cached rule), else the
    benchmark's (Snakemake samples `cpu_time`, so it can miss part of a job's CPU)."""
    found = {("train", t.stem): t for t in (root / "logs/benchmark/train").glob("*.tsv")}
    found.update({("svm", p.stem): root / "logs/benchmark/svm" / f"{p.stem}.tsv"
                  for p in (root / "results/svm").glob("*.json")})
    rows = []
    for (rule, name), tsv in sorted(found.items()):
        phases = (train_phases if rule == "train" else svm_phases)(root, name, clock)
        total = phases.pop("total", None)
        if total is None and tsv.is_file():
            total = benchmark(tsv)[clock]
        if total is None:
            continue
        row = {"job": f"{rule} {name}", "total": total, **phases}
        row["other"] = total - sum(phases.get(c) or 0 for c in COLUMNS)
        rows.append(row)
    return sorted(rows, key=lambda r: -r["total"])


def table(rows: list[dict], clock: str) -> str:
    cols = ("total", *COLUMNS, "other")
    out = [f"{clock} seconds", "", "| job | " + " | ".join(cols) + " |",
           "|---" * (len(cols) + 1) + "|"]

    def cell(v):
        return "-" if v is None else f"{v:.2f}"

    for r in rows:
        out.append(f"| {r['job']} | " + " | ".join(cell(r.get(c)) for c in cols) + " |")
    total = {c: sum(r.get(c) or 0 for r in rows) for c in cols}
    out.append("| **sum** | " + " | ".join(cell(total[c]) for c in cols) + " |")
    longest = max((r["total"] for r in rows), default=0)
    out.append(f"\n{len(rows)} jobs, {total['total']:.0f} job-s ({clock}); longest job "
               f"{longest:.0f} s; on 2 cores max(longest, job-s / 2) = "
               f"{max(longest, total['total'] / 2):.0f} s\n")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", type=Path, default=Path("."), help="the workflow's folder")
    args = p.parse_args(argv)
    for clock in ("wall", "cpu"):
        rows = jobs(args.dir, clock)
        if not rows:
            raise SystemExit(f"{args.dir}/logs/benchmark: no job times (run the workflow first)")
        print(table(rows, clock))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
