"""The cost of the curves' simulated thresholds (`nndl3.curves.simulated_fractions`), per
curve, at the draws the installed gate asks for.

    OPENBLAS_NUM_THREADS=1 python benchmarks/curve_simulation.py [--seeds 10 20] [--repeats 3]

(one BLAS thread, as Snakemake runs the calibrate rule: its matrix products are small, and
a second thread only waits for the first).

The cost depends on the shape alone (calibration seeds x epochs), so each shape of the
installed curve calibration (config/calibration_curves.json) is timed on random curves of
that shape, at the draws for the gate's per-member rate (config/expected.yaml and those
curves, `tolerance.gate_of`), `--repeats` times; it prints the median wall and CPU time per
curve (the CPU time is the cost when the machine is shared) and the total over the
calibration's curves, for each number of calibration seeds in `--seeds`.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from pathlib import Path

import numpy as np

from nndl3 import arguments, check, curves, paths, readers, tolerance
from nndl3.errors import exit_status

ROOT = Path(__file__).resolve().parents[1]


def seconds(shape: tuple[int, int], draws: int, n: int, repeats: int) -> tuple[float, float]:
    """The median (wall, CPU) time of one curve's simulation for a check of n seeds."""
    rows = np.random.default_rng(0).normal(0, 1, shape)
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        curves.simulated_fractions(rows, draws, n)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main(argv=None) -> int:
    parser = arguments.script_parser(__doc__)
    parser.add_argument("--seeds", type=arguments.positive, nargs="+",
                        help="numbers of calibration seeds to time (default: the installed "
                             "calibration's)")
    parser.add_argument("--repeats", type=arguments.positive, default=3)
    args = parser.parse_args(argv)
    calibration = readers.curve_calibration(ROOT / paths.CALIBRATION_CURVES_INSTALLED)
    installed, n_check = calibration["curves"], calibration["n_check"]
    seeds = args.seeds or [len(calibration["seeds"])]
    expected = check.load_expected(ROOT / paths.EXPECTED)
    alpha = tolerance.gate_of(expected, installed).alpha_row
    draws = curves.draws_for(alpha)
    epochs = Counter(len(entry["sd"]) for entry in installed.values())
    print(f"alpha_row {alpha:.4g}, {draws} draws per curve, a check of {n_check} seeds")
    for k in seeds:
        total = np.zeros(2)
        for e, count in sorted(epochs.items()):
            wall, cpu = seconds((k, e), draws, n_check, args.repeats)
            total += count * np.array([wall, cpu])
            print(f"{k} seeds x {e} epochs: {wall:.2f} s wall, {cpu:.2f} s CPU per curve "
                  f"({count} curves), {1e6 * cpu / draws:.1f} us CPU per draw")
        print(f"{k} seeds: {total[0]:.1f} s wall, {total[1]:.1f} s CPU for the "
              f"{len(installed)} curves")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
