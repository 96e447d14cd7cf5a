"""The cost of each literature run (config/literature.yaml), extrapolated from a few
measured epochs of seed 1 on the full data:

    python benchmarks/literature_cost.py [--epochs N] [--runs simard_plain ...]

Each run is trained for --epochs epochs exactly as `literature-train` trains it (its
distortions drawn on a second thread, validation and test measured after each epoch).
Per run: the CPU seconds of the process per epoch (all threads: resource.getrusage), the
wall seconds per epoch, and their product with the run's epochs: CPU hours per seed. The
whole `snakemake literature` is at least the total CPU over the cores (the docs' estimate
assumes nndl3.bench_docs.ESTIMATE_CORES). The first
epoch (compilation, page faults) and the last (it draws no next epoch's distortions, which
the others do on the second thread) are left out: --epochs must be at least 3. Written
to paths.LITERATURE_COST.
"""

from __future__ import annotations

import io
import resource
import time

import common  # noqa: F401  first: the one-thread settings, before NumPy loads
import numpy as np
from common import ROOT

from nndl3 import arguments, atomic, bench_docs, literature, mnist, paths, workflow_config
from nndl3.errors import exit_status


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class EpochClock(io.StringIO):
    """A log that notes the CPU and wall clock at each progress line (one per epoch)."""

    def __init__(self):
        super().__init__()
        self.marks = [(cpu_seconds(), time.perf_counter())]

    def write(self, text):
        if text.startswith("epoch"):
            self.marks.append((cpu_seconds(), time.perf_counter()))
        return super().write(text)


def measure(run: str, spec: dict, data: dict, epochs: int) -> dict:
    clock = EpochClock()
    literature.train_seed(run, {**spec, "epochs": epochs}, 1, data, clock)
    steps = np.diff(np.array(clock.marks[1:-1]), axis=0)
    cpu, wall = float(np.median(steps[:, 0])), float(np.median(steps[:, 1]))
    return {"run": run, "epochs_measured": epochs, "cpu_per_epoch": cpu, "wall_per_epoch": wall,
            "epochs": spec["epochs"], "cpu_hours_per_seed": cpu * spec["epochs"] / 3600,
            "wall_hours_per_seed": wall * spec["epochs"] / 3600}


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("--epochs", type=arguments.positive, default=4)
    p.add_argument("--runs", nargs="*", default=None)
    p.add_argument("--data", default=None)
    p.add_argument("--out", type=arguments.output_file,
                   default=str(ROOT / paths.LITERATURE_COST))
    args = p.parse_args(argv)
    if args.epochs < 3:
        p.error("--epochs: at least 3 (the first and the last are not counted)")
    config = workflow_config.read_committed(ROOT / paths.CONFIG)
    lit = literature.load_config(ROOT / paths.LITERATURE_CONFIG)
    # every run's spec first: a mistyped name is refused before hours of the others
    specs = {run: literature.run_spec(config, lit, run) for run in args.runs or lit["runs"]}
    data = mnist.load(args.data or common.default_data(), np.float32, mnist.SETS)
    rows = []
    for run, spec in specs.items():
        rows.append(measure(run, spec, data, args.epochs))
        r = rows[-1]
        print(f"{run:<24}{r['cpu_per_epoch']:7.2f} CPU s/epoch {r['wall_per_epoch']:7.2f} "
              f"wall s/epoch x {r['epochs']} epochs = {r['cpu_hours_per_seed']:6.2f} CPU h "
              "per seed", flush=True)
    seeds = len(config["seeds"])
    total = sum(r["cpu_hours_per_seed"] for r in rows) * seeds
    print(f"all runs, {seeds} seeds: {total:.1f} CPU h; on {bench_docs.ESTIMATE_CORES} cores "
          f"at least {bench_docs.wall_estimate(total):.1f} h")
    atomic.write_json(args.out, {"machine": common.machine(None), "seeds": seeds,
                                 "rows": rows, "total_cpu_hours": total})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
