"""Time one SVM part job of the 50,000-image fit (`python -m nndl3 svm-part`, part 0) as
NumPy runs it by default, advising the kernel to back its large arrays with 2 MB pages,
and in the environment the workflow's SVM rules give it (nndl3.svm.JOB_ENV), the two
interleaved; check that both write the same part, byte for byte.

    python benchmarks/svm_hugepages.py [--repeats N] [--data data/mnist.npz]

Prints each run's and the median CPU seconds (user and system, of the job's process) of
each, and their ratio, measured in this one run.
"""

from __future__ import annotations

import filecmp
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import common  # the one-thread settings, before NumPy loads

from nndl3 import arguments, mnist, paths, svm, workflow_config
from nndl3.errors import UserError, exit_status

SETTINGS = {"huge pages (NumPy's default)": {name: "1" for name in svm.JOB_ENV},
            "the SVM rules' (nndl3.svm.JOB_ENV)": svm.JOB_ENV}


def part_job(data: str, parts: int, out: Path, env: dict) -> dict:
    """One svm-part job's wall seconds and CPU seconds (user, system); a job that fails has
    said why on stderr, and stops the benchmark."""
    timed = common.child_seconds([sys.executable, "-m", "nndl3", "svm-part", "--train-size",
                                  str(mnist.N_TRAIN), "--part", "0", "--parts", str(parts),
                                  "--data", data, "--out", str(out)], env,
                                 stdout=subprocess.DEVNULL)
    if timed["returncode"]:
        raise UserError(f"`python -m nndl3 svm-part` failed (exit status "
                        f"{timed['returncode']}, its error above)")
    return timed


def main(argv=None) -> int:
    parser = arguments.script_parser(__doc__)
    parser.add_argument("--repeats", type=arguments.positive, default=3)
    parser.add_argument("--data", default=None, help=f"default: {paths.DATA}")
    args = parser.parse_args(argv)
    parts = workflow_config.read_committed(common.ROOT / paths.CONFIG)["svm_parts"]
    data = str(args.data or common.default_data())
    times = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as folder:
        written = {name: Path(folder, f"part-{k}.npz") for k, name in enumerate(SETTINGS)}
        for _ in range(args.repeats):
            for name, env in SETTINGS.items():
                t = part_job(data, parts, written[name], env)
                times[name].append(t)
                print(f"{name}: {t['user'] + t['system']:.2f} CPU s ({t['user']:.2f} user, "
                      f"{t['system']:.2f} system), {t['wall']:.2f} s wall", flush=True)
        same = filecmp.cmp(*written.values(), shallow=False)
    cpu = {name: statistics.median(t["user"] + t["system"] for t in runs)
           for name, runs in times.items()}
    (huge, rules) = cpu.values()
    print(f"median CPU s of {args.repeats}: " + ", ".join(
        f"{name} {seconds:.2f}" for name, seconds in cpu.items())
        + f"; the rules' setting takes {rules / huge:.2f}x; the same part: {same}")
    if not same:
        raise SystemExit("the two settings wrote different parts")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
