"""Where a pipeline run's time goes, job by job and by kind, from its job logs, job
benchmarks and SVM results, and its critical path.

    python benchmarks/breakdown.py [--dir .] [--json [FILE]]

With --json (CI, after the pipeline; default nndl3.paths.PIPELINE_TIMES) it also writes
the time by kind and the critical path (`stages`, below) for docs/performance.md's
generated block.

For every training job of `all` that Snakemake timed (logs/benchmark/train/<run>.tsv:
wall seconds `s` and `cpu_time`) and every SVM result of `all` (files of runs the config
no longer has are left out), the phases the job recorded itself: a training
job's from its log's last `timing` line (its records' `timing`, and the write, which a
record cannot time) and an SVM job's `timing`, `fit_seconds` and `predict_seconds`
(paths.SVM). The other jobs (SVM parts, the tuned SVM's, replays, plots) have no row
here; --json counts them in the time by kind. `other` is the job's wall time that no
phase accounts for (the interpreter's exit, Snakemake's shell). The last lines sum the
jobs and estimate the wall time of the same jobs on the docs' cores
(nndl3.bench_docs.wall_estimate).

Two tables: wall seconds, then CPU seconds (the benchmark's `cpu_time`, the logged
`timing.cpu`; the SVM's fit and predict from its `cpu_seconds`). On a machine shared with
other work, wall time overstates a job; CPU seconds do not.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from nndl3 import arguments, atomic, bench_docs, paths, readers, timing
from nndl3.errors import UserError, exit_status

COLUMNS = (*timing.PHASES, "fit", "predict")  # a training job's phases; an SVM job's


@contextmanager
def reading(path: Path, what: str):
    """A job's file that does not parse as one is named, with what remakes it."""
    try:
        yield
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise UserError(f"{path}: unreadable as {what} ({type(exc).__name__}: {exc}); "
                        "rerun its job") from None


def benchmark(path: Path) -> dict:
    with reading(path, "a Snakemake benchmark file"):
        header, row = path.read_text().splitlines()[:2]
        values = dict(zip(header.split("\t"), row.split("\t"), strict=True))
        return {"wall": float(values["s"]), "cpu": float(values.get("cpu_time") or "nan")}


def train_phases(root: Path, run: str, clock: str) -> dict:
    """A training job's phases, from its log's last timing line (its records hold the same
    but the write, which a record cannot time); on the CPU clock also its exact total,
    where the benchmark file samples."""
    logged = logged_totals(root, paths.TRAIN_LOG.format(run=run))
    phases = {k: v for k, v in (logged.get("cpu", {}) if clock == "cpu" else logged).items()
              if k in COLUMNS}
    if clock == "cpu" and "total_cpu" in logged:
        phases["total"] = logged["total_cpu"]
    return phases


def svm_phases(root: Path, n: str, clock: str) -> dict:
    path = root / paths.SVM.format(n=n)
    if not path.is_file():
        return {}
    with reading(path, "an SVM result"):
        result = json.loads(path.read_text())
        timing = result.get("timing", {})
        if clock == "cpu":
            cpu = result.get("cpu_seconds", {})
            return checked_seconds({**timing.get("cpu", {}), "total": timing.get("total_cpu"),
                                    "fit": cpu.get("fit"), "predict": cpu.get("predict")})
        kept = {k: v for k, v in timing.items() if k in ("startup", "load", "total")}
        return checked_seconds({**kept, "fit": result["fit_seconds"],
                                "predict": result["predict_seconds"]})


def jobs(root: Path, clock: str = "wall", planned: list[dict] | None = None) -> list[dict]:
    """One row per timed job: its total (on the given clock) and its phases. A job's total
    is what it logged itself where it did (a process's exact CPU time; the SVM's whole time,
    which has no benchmark file: Snakemake forbids one on a cached rule), else the
    benchmark's (Snakemake samples `cpu_time`, so it can miss part of a job's CPU). With
    `planned` (`planned_jobs`), only its jobs: a tree rebuilt in part keeps the files of
    runs its config no longer has."""
    train = root / paths.BENCHMARK_DIR.format(rule="train")
    found = {("train", t.stem): t for t in train.glob("*.tsv")}
    found.update({("svm", p.stem): root / paths.BENCHMARK.format(rule="svm", name=p.stem)
                  for p in (root / paths.SVM_DIR).glob("*.json")})
    if planned is not None:
        wanted = {(job["rule"], job.get("wildcards", "").partition("=")[2]) for job in planned}
        found = {key: tsv for key, tsv in found.items() if key in wanted}
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
               f"{longest:.0f} s; on {bench_docs.ESTIMATE_CORES} cores max(longest, job-s / "
               f"{bench_docs.ESTIMATE_CORES}) = "
               f"{bench_docs.wall_estimate(total['total'], longest):.0f} s\n")
    return "\n".join(out)


# ------------------------------------------------------------- by kind, and the critical path

# what each rule's CPU counts as; a training job is split by its own phases (TRAIN_KINDS)
KIND_OF_RULE = {**dict.fromkeys(("svm", "svm_part", "tuned_svm_candidate", "tuned_svm_search",
                                  "tuned_svm_part", "tuned_svm_predict", "tuned_svm", "darkness"),
                                 "SVMs and baselines"),
                "replay_file": "replay",
                "plot": "plotting", "report": "report and single neuron",
                "neuron": "report and single neuron"}
TRAIN_KINDS = {"epochs": ("epochs",), "monitoring": ("monitoring",),
               "start-up (interpreter, imports, data, sparse form)":
                   ("startup", "load", "augment", "sparse"),
               "writing records and the aggregate": ("write",)}
SNAKEMAKE = "Snakemake's own process"
# the pipeline's CPU that neither Snakemake's process nor a job's own timer counts: the
# jobs' shells and their interpreters' exit after the last timer (the benchmark files'
# sampling is Snakemake's: a thread of its process, beside the job's shell)
UNTIMED = "job processes outside their own timers"
FIELD = re.compile(r"^    (\w+): (.*)$")


def planned_jobs(root: Path, target: str = "all") -> list[dict]:
    """Every job of `target` as Snakemake plans it (`-n --forceall`): rule, wildcards,
    inputs, outputs, log and benchmark file."""
    planned = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--forceall", target],
                             cwd=root, capture_output=True, text=True)
    if planned.returncode:  # Snakemake's last line says why (a broken config: which key)
        said = [line for line in planned.stderr.splitlines() if line.strip()]
        raise UserError(f"`snakemake -n --forceall {target}` in {root} failed: "
                        + (said[-1].removeprefix("error: ") if said
                           else f"exit status {planned.returncode}"))
    out = planned.stdout
    found, job = [], None
    for line in out.splitlines():
        if line.startswith(("rule ", "localrule ")):
            job = {"rule": line.split()[1].rstrip(":")}
            found.append(job)
        elif job is not None and (m := FIELD.match(line)):
            job[m[1]] = m[2]
        elif not line.startswith("    "):
            job = None
    for job in found:
        for key in ("input", "output"):
            job[key] = [f for f in job.get(key, "").split(", ") if f]
        job["name"] = f"{job['rule']} {job.get('wildcards', '')}".strip()
    return found


def logged_totals(root: Path, log: str | None) -> dict:
    """A job's own last `timing` line (its process's exact wall and CPU seconds)."""
    path = root / log if log else None
    if not (path and path.is_file()):
        return {}
    with reading(path, "a job log's timing line"):
        logged = timing.logged(path.read_text())
        if not isinstance(logged, dict) or not isinstance(logged.get("cpu", {}), dict):
            raise TypeError(f"{logged!r:.40} is not a mapping of phase to seconds")
        checked_seconds({k: v for k, v in logged.items() if k != "cpu"})
        checked_seconds(logged.get("cpu", {}))
        return logged


def checked_seconds(phases: dict) -> dict:
    """`phases`, each a number of seconds or None (not timed); TypeError names the first
    that is neither, inside a `reading` that names its file."""
    for phase, value in phases.items():
        if value is not None and not readers.is_number(value):
            raise TypeError(f"{phase}: {value!r:.40} is not a number of seconds")
    return phases


def job_seconds(root: Path, job: dict) -> dict:
    """{"wall", "cpu"} of a job that ran: its benchmark's wall time, else its log's; its
    log's CPU time, else its benchmark's sampled one. {} if it did not run."""
    logged = logged_totals(root, job.get("log"))
    bench = root / job["benchmark"] if job.get("benchmark") else None
    sampled = benchmark(bench) if bench and bench.is_file() else {}
    wall = sampled.get("wall", logged.get("total"))
    cpu = logged.get("total_cpu", sampled.get("cpu"))
    return {} if wall is None else {"wall": wall, "cpu": cpu if cpu is not None else 0.0}


def training_kinds(root: Path, job: dict) -> dict:
    """A training job's CPU seconds by kind, from its log's last timing line; what no phase
    counts is left to UNTIMED (the pipeline's CPU less every kind)."""
    phases = logged_totals(root, job.get("log")).get("cpu", {})
    return {kind: sum(phases.get(p) or 0.0 for p in names)
            for kind, names in TRAIN_KINDS.items()}


def longest_chains(jobs: list[dict], clock: str = "wall") -> dict:
    """{job: (seconds, names)}: the longest chain of job times (`clock`: wall or cpu)
    through the jobs' inputs and outputs that ends at each job."""
    producer = {f: job["name"] for job in jobs for f in job["output"]}
    by_name = {job["name"]: job for job in jobs}
    longest: dict[str, tuple[float, list[str]]] = {}

    def chain(name: str):
        if name not in longest:
            job = by_name[name]
            before = [chain(producer[f]) for f in job["input"] if f in producer]
            seconds, path = max(before, default=(0.0, []))
            longest[name] = (seconds + job.get(clock, 0.0), [*path, name])
        return longest[name]

    for job in jobs:
        chain(job["name"])
    return longest


def timed(jobs: list[dict], names: list[str], clock: str) -> list[dict]:
    """A chain's jobs that took time, with their seconds."""
    by_name = {job["name"]: job for job in jobs}
    return [{"job": n, "seconds": by_name[n].get(clock, 0.0)} for n in names
            if by_name[n].get(clock)]


def critical_path(jobs: list[dict], clock: str = "wall") -> tuple[float, list[dict]]:
    """The longest chain of job times (`clock`: wall or cpu) through the jobs' inputs and
    outputs."""
    seconds, names = max(longest_chains(jobs, clock).values(), default=(0.0, []))
    return seconds, timed(jobs, names, clock)


def chains(jobs: list[dict], clock: str = "wall", n: int = 5) -> list[tuple[float, list]]:
    """The n longest chains that are no other job's longest chain's beginning: the critical
    path, then what would hold the pipeline once it is shortened."""
    longest = longest_chains(jobs, clock)
    inside = {name for _, names in longest.values() for name in names[:-1]}
    ends = sorted((v for k, v in longest.items() if k not in inside), reverse=True)
    return [(seconds, timed(jobs, names, clock)) for seconds, names in ends[:n]]


def measured(root: Path, rel: str, script: str, seconds: tuple[str, ...]) -> dict:
    """A measurement's JSON with its `seconds` (numbers, the first above 0: what others are
    divided by), or one line saying which script makes it (.ci/run runs both before this
    one)."""
    try:
        doc = json.loads((root / rel).read_text())
    except FileNotFoundError:
        raise SystemExit(f"error: {root / rel} missing: `python {script}` measures it "
                         "(docs/performance.md)") from None
    except (OSError, ValueError) as exc:
        raise SystemExit(f"error: {root / rel}: not readable JSON ({exc}); rerun "
                         f"`python {script}`") from None
    if (not isinstance(doc, dict)
            or not all(readers.is_number(doc.get(k)) and doc[k] >= 0 for k in seconds)
            or not doc[seconds[0]] > 0):
        raise SystemExit(f"error: {root / rel}: not a measurement of {', '.join(seconds)} "
                         f"in seconds; rerun `python {script}`")
    return doc


def stages(root: Path, target: str = "all", after: Path | None = None,
           planned: list[dict] | None = None) -> dict:
    """The pipeline's CPU seconds by kind (Snakemake's own process, measured by
    pipeline.py; what is left of the pipeline's CPU, from paths.PIPELINE, once it and the
    jobs' own timers are counted: UNTIMED), its critical path, and the pipeline's wall time
    and the reference epoch (paths.REFERENCE_EPOCH) they are measured against; with
    `after`, the reference epoch measured again after the pipeline, and the pipeline in
    that unit too: how far the machine drifted while the pipeline ran. `planned`:
    `target`'s planned_jobs, if the caller has them."""
    pipeline = measured(root, paths.PIPELINE, "benchmarks/pipeline.py",
                        ("seconds", "cpu_seconds"))
    if not readers.is_number(pipeline.get("snakemake_cpu_seconds")):
        raise SystemExit(f"error: {paths.PIPELINE} has no snakemake_cpu_seconds: an older "
                         "benchmarks/pipeline.py wrote it; rerun that (docs/performance.md)")
    reference = measured(root, paths.REFERENCE_EPOCH, "benchmarks/reference_epoch.py",
                         ("seconds_per_epoch",))
    jobs = planned if planned is not None else planned_jobs(root, target)
    kinds = dict.fromkeys([*TRAIN_KINDS, *dict.fromkeys(KIND_OF_RULE.values())], 0.0)
    ran = 0
    for job in jobs:
        job.update(job_seconds(root, job))
        if "wall" not in job:
            continue
        ran += 1
        if job["rule"] == "train":
            for kind, cpu in training_kinds(root, job).items():
                kinds[kind] += cpu
        else:
            kind = KIND_OF_RULE.get(job["rule"], "other jobs")
            kinds[kind] = kinds.get(kind, 0.0) + job["cpu"]
    kinds[SNAKEMAKE] = pipeline["snakemake_cpu_seconds"]
    kinds[UNTIMED] = pipeline["cpu_seconds"] - sum(kinds.values())
    seconds, path = critical_path(jobs)
    cpu_seconds, cpu_path = critical_path(jobs, "cpu")
    epoch = reference["seconds_per_epoch"]
    return {"pipeline": pipeline, "reference_epoch_seconds": epoch, "jobs": ran,
            "cpu_seconds_by_kind": kinds, "critical_path_seconds": seconds,
            "critical_path": path,
            "pipeline_in_reference_epochs": pipeline["seconds"] / epoch,
            "critical_path_in_reference_epochs": seconds / epoch,
            # on a machine shared with other work wall times overstate: the same in CPU
            "pipeline_cpu_in_reference_epochs": pipeline["cpu_seconds"] / epoch,
            "critical_path_cpu_seconds": cpu_seconds, "critical_path_cpu": cpu_path,
            "critical_path_cpu_in_reference_epochs": cpu_seconds / epoch,
            **reference_after(root, after, pipeline["seconds"])}


def reference_after(root: Path, path: Path | None, pipeline_seconds: float) -> dict:
    """The reference epoch measured after the pipeline (`path`, under `root` unless
    absolute) and the pipeline in it; nothing without one."""
    if path is None:
        return {}
    epoch = measured(root, str(path), "benchmarks/reference_epoch.py --after",
                     ("seconds_per_epoch",))["seconds_per_epoch"]
    return {"reference_epoch_seconds_after": epoch,
            "pipeline_in_reference_epochs_after": pipeline_seconds / epoch}


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("--dir", type=arguments.folder, default=Path("."), help="the workflow's folder")
    p.add_argument("--json", type=arguments.output_file, nargs="?",
                   const=paths.PIPELINE_TIMES,
                   help="also write the time by kind and the critical path here "
                        f"(default {paths.PIPELINE_TIMES})")
    p.add_argument("--after", type=Path, nargs="?", const=paths.REFERENCE_EPOCH_AFTER,
                   metavar="FILE",
                   help="the reference epoch measured again after the pipeline "
                        "(`reference_epoch.py --after`), reported beside the one before it "
                        f"(default {paths.REFERENCE_EPOCH_AFTER})")
    p.add_argument("--chains", type=arguments.positive, metavar="N",
                   help="also print the N longest chains of job times (`chains`)")
    args = p.parse_args(argv)
    if args.after and not args.json:
        p.error("--after goes with --json (the time by kind it is reported in)")
    planned = planned_jobs(args.dir)
    for clock in ("wall", "cpu"):
        rows = jobs(args.dir, clock, planned)
        if not rows:
            raise SystemExit(f"error: {args.dir}/logs/benchmark: no job times (run the "
                             "workflow first)")
        print(table(rows, clock))
    if args.chains:
        for job in planned:
            job.update(job_seconds(args.dir, job))
        for clock in ("wall", "cpu"):
            print(f"the {args.chains} longest chains of job {clock} times:")
            for seconds, path in chains(planned, clock, args.chains):
                print(f"{seconds:7.1f} s: " + " -> ".join(
                    f"{j['job']} ({j['seconds']:.1f})" for j in path))
    if args.json:
        doc = stages(args.dir, after=args.after, planned=planned)
        atomic.write_text(args.json, json.dumps(doc, indent=1) + "\n")
        print(json.dumps({k: v for k, v in doc.items() if k != "critical_path"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
