"""Mutation test of the gate: each deliberately broken network must be caught.

For every mutant, the source tree is copied to a temporary folder and patched (each patch
must match exactly once, so a mutant can never silently become a no-op). Then:
1. the unit tests run against the mutated copy; a failure of a test that passes on an
   unmutated copy (the control, run first) means "caught by a test" (a test that fails in
   every copy, e.g. one reading a file the copy lacks, catches nothing);
2. with --experiments, the mutant's relevant runs are trained (one seed, the config's
   hyperparameters) with the mutated code and the reproduction rows that name those runs
   are evaluated against their tolerances; a row outside means "caught by the check".

    python tests/mutants.py [--experiments] [--out results/mutants.txt]

Prints one line per mutant and exits 1 if any mutant is not caught.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name: (what it breaks, [(file, original text, mutated text)], runs the check looks at)
MUTANTS = {
    "l2_dropped": (
        "L2 term dropped from the weight update (both engines)",
        [("src/nndl3/network.py", "w *= 1 - eta * lmbda / n", "pass"),
         ("src/nndl3/fast.py", 'decay = t(1 - eta * lmbda / n) if regularization == "l2"',
          'decay = t(1) if regularization == "l2"')],
        ["l2_1k", "l2_full"]),
    "init_swapped": (
        '"large" and "default" initializations swapped',
        [("src/nndl3/network.py", 'if init == "default":', 'if init == "large":')],
        ["init_30_large", "init_30_default"]),
    "xent_delta_quadratic": (
        "cross-entropy output delta replaced by the quadratic one (both engines)",
        [("src/nndl3/network.py",
          'if cost in ("cross-entropy", "log-likelihood"):\n        return a - y',
          'if cost == "log-likelihood":\n        return a - y\n'
          '    if cost == "cross-entropy":\n        return (a - y) * a * (1 - a)'),
         ("src/nndl3/fast.py", "if quadratic:", "if True:")],
        ["xent_30", "overfit_1k"]),
    "no_shuffle": (
        "no shuffling between epochs",
        [("src/nndl3/train.py", 'order = self.rng["shuffle"].permutation(n)',
          "order = np.arange(n)")],
        ["xent_30", "overfit_1k"]),
    "train_last_n": (
        "a run trains on the last N training images instead of the first N",
        [("src/nndl3/train.py", 'x[: spec["train_size"]], labels[: spec["train_size"]]',
          'x[-spec["train_size"]:], labels[-spec["train_size"]:]')],
        ["overfit_1k", "size_1000"]),
    "evaluated_on_test": (
        "a run evaluated on validation data is scored on the test set",
        [("src/nndl3/train.py", '"evaluation": data[spec["evaluation"]]}',
          '"evaluation": data["test"]}')],
        ["init_30_large", "init_30_default", "l2_100"]),
    "validation_overlaps_training": (
        "the split takes validation from the first 10,000 training images (inside training)",
        [("src/nndl3/mnist.py",
          '"validation_x": train_x[N_TRAIN:], "validation_y": train_y[N_TRAIN:],',
          '"validation_x": train_x[:10000], "validation_y": train_y[:10000],')],
        []),
    "l2_n_is_batch": (
        "L2 weight decay uses n = the mini-batch size instead of the training-set size",
        [("src/nndl3/network.py",
          "self.update_mini_batch(x[rows], y, eta, lmbda, n, regularization, mask)",
          "self.update_mini_batch(x[rows], y, eta, lmbda, m, regularization, mask)"),
         ("src/nndl3/fast.py", "decay = t(1 - eta * lmbda / n) if",
          "decay = t(1 - eta * lmbda / m) if")],
        ["l2_1k", "l2_full"]),
    "l2_on_biases": (
        "L2 weight decay applied to the biases too (both engines)",
        [("src/nndl3/network.py", "        for b, gb in zip(self.biases, grad_b, strict=True):\n",
          "        for b, gb in zip(self.biases, grad_b, strict=True):\n"
          "            b *= (1 - eta * lmbda / n) if regularization == \"l2\" else 1\n"),
         ("src/nndl3/fast.py", "        w2 *= decay\n", "        w2 *= decay\n"
          "        b1 *= decay\n        b2 *= decay\n")],
        ["l2_1k", "l2_full"]),
    "dropout_unscaled_at_test": (
        "dropout: hidden outputs not scaled by the keep probability at test time",
        [("src/nndl3/network.py", "a = a * a.dtype.type(keep)", "a = a"),
         ("src/nndl3/fast.py", "self.dtype.type(1 - self.net.dropout)", "self.dtype.type(1)")],
        []),
    "dropout_one_mask": (
        "dropout: one mask for the whole epoch instead of a fresh one per mini-batch",
        [("src/nndl3/train.py", 'return [self.rng["dropout"].random((n_batches, size)) >= p',
          'return [np.repeat(self.rng["dropout"].random((1, size)) >= p, n_batches, axis=0)')],
        []),
    "rotation_radians": (
        "rotation angle taken as radians instead of degrees",
        [("src/nndl3/augment.py", "ndimage.rotate(image, degrees,",
          "ndimage.rotate(image, np.degrees(degrees),")],
        ["size_1000", "rot15_1000", "rot0_1000"]),
    # section 10: the techniques (no book numbers: caught by the tests)
    "softmax_delta": (
        "softmax + log-likelihood output delta given a sigmoid' factor",
        [("src/nndl3/network.py",
          'if cost in ("cross-entropy", "log-likelihood"):\n        return a - y',
          'if cost == "cross-entropy":\n        return a - y\n'
          '    if cost == "log-likelihood":\n        return (a - y) * a * (1 - a)')], []),
    "tanh_prime": ("tanh' computed as the sigmoid's a(1 - a)",
                   [("src/nndl3/network.py", "return 1 - a * a", "return a * (1 - a)")], []),
    "relu_prime": ("ReLU' = 1 everywhere",
                   [("src/nndl3/network.py", "return (a > 0).astype(a.dtype)",
                     "return np.ones_like(a)")], []),
    "momentum_no_memory": ("momentum's velocity forgets mu v",
                           [("src/nndl3/network.py", "            v *= mu\n            if lmbda",
                             "            v *= 0\n            if lmbda")], []),
    "schedule_late": ("the schedule halves eta one epoch late",
                      [("src/nndl3/train.py", "self.since_change >= self.schedule",
                        "self.since_change > self.schedule")], []),
    "early_stop_late": ("early stopping one epoch late",
                        [("src/nndl3/train.py", "self.since_best >= self.early_stopping",
                          "self.since_best > self.early_stopping")], []),
    # the fast engine's explicit SIMD code (issue 13)
    "simd_step_sign": ("W1's gradient step added instead of subtracted (fast engine)",
                       [("src/nndl3/simd.py", "builder.fsub(old, builder.fmul(v, delta))",
                         "builder.fadd(old, builder.fmul(v, delta))")], ["xent_30"]),
    "simd_pair_swapped": ("the two images summed at once get each other's hidden inputs",
                          [("src/nndl3/simd.py", "acc_a.store(zad)\n            acc_b.store(zbd)",
                            "acc_a.store(zbd)\n            acc_b.store(zad)")], ["xent_30"]),
}


def mutated_copy(patches, into: Path) -> None:
    for rel in ("src", "tests", "config", "book_runs", "pyproject.toml"):
        source = ROOT / rel
        target = into / rel
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    for rel, old, new in patches:
        path = into / rel
        text = path.read_text()
        if text.count(old) != 1:
            raise SystemExit(f"mutant patch does not apply once: {rel}: {old!r}")
        path.write_text(text.replace(old, new))


def run(cmd, cwd: Path, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(cwd / "src"), "NUMBA_CACHE_DIR": str(cwd / ".numba")}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def failing_tests(copy: Path) -> set[str] | str:
    """The unit tests that fail in `copy`, or "pytest exit N" if pytest itself broke."""
    proc = run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
                "--ignore=tests/slurm",
                # it checks this catalogue against the unmutated code: every mutant fails it
                "--ignore=tests/test_mutants.py", "tests"], copy)
    failed = {ln.split(" ")[1] for ln in proc.stdout.splitlines() if ln.startswith("FAILED")}
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not failed):
        return f"pytest exit {proc.returncode}"
    return failed


def caught_by_tests(copy: Path, control_failures: set[str]) -> str | None:
    """The first test the mutant fails that the unmutated copy passes."""
    failed = failing_tests(copy)
    if isinstance(failed, str):
        return failed
    new = sorted(failed - control_failures)
    return new[0] if new else None


def failing_rows(copy: Path, runs: list[str], data: Path) -> list[dict] | str:
    """Train the runs with the copy's code (seed 1) and evaluate the rows that use them:
    the rows outside tolerance (known deviations excluded), or "error: ..." if it crashed."""
    script = f"""
import json, sys, yaml, numpy as np
from nndl3 import check, mnist, workflow_config
from nndl3.aggregate import aggregate
from nndl3.train import train
config = {{}}
for f in ("config/config.yaml", "config/figures.yaml"):
    config.update(yaml.safe_load(open(f)))
config["seeds"] = [1]
runs = {json.dumps(runs)}
aggregates = {{}}
for run in runs:
    spec = workflow_config.run_spec(config, run)
    data = mnist.load("{data}", np.dtype(spec["dtype"]))
    aggregates[run] = aggregate(train(run, spec, data, log=open("/dev/null", "w")))
expected = check.load_expected("config/expected.yaml")
expected["quantities"] = [q for q in expected["quantities"] if q["source"].get("run") in runs]
calibration = yaml.safe_load(open("config/calibration.yaml"))
rows = check.evaluate(expected, calibration, check.Inputs(aggregates))
from nndl3 import book_runs, curves
cal = json.load(open("config/calibration_curves.json"))
rows += [{{"id": "curve " + r["id"], "text": f"curve {{r['id']}} within {{r['within']:.2f}} "
          f"(threshold {{r['threshold']:.2f}}), offset {{r['offset']:+.2f}}", "status": "FAIL"}}
         for r in curves.evaluate(book_runs.read_dir(), cal, aggregates)
         if r["status"] == "FAIL"]
print(json.dumps([r for r in rows if r["status"] == "FAIL"]))  # known deviations excluded
"""
    proc = run([sys.executable, "-c", script], copy)
    if proc.returncode != 0:
        return f"error: {proc.stderr.strip().splitlines()[-1]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def describe(rows: list[dict]) -> str:
    return ", ".join(r.get("text") or f"{r['id']} {r['mean']:.2f} vs book {r['book']:g} "
                     f"(tol {r['tolerance']:.2f})" for r in rows)


def caught_by_check(copy: Path, runs: list[str], data: Path, control_ids: set) -> str | None:
    """What the check finds wrong with the mutant; rows the unmutated code also fails
    (control_ids) do not count. A crash counts as caught."""
    rows = failing_rows(copy, runs, data)
    if isinstance(rows, str):
        return rows
    return describe([r for r in rows if r["id"] not in control_ids]) or None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--experiments", action="store_true",
                   help="also train each mutant's runs and evaluate the reproduction rows")
    p.add_argument("--data", default=str(ROOT / "data" / "mnist.npz"))
    p.add_argument("--out", default=str(ROOT / "results" / "mutants.txt"))
    p.add_argument("--only", nargs="*", help="run only these mutants")
    args = p.parse_args()
    lines, missed = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        mutated_copy([], Path(tmp))
        control_failures = failing_tests(Path(tmp))
    if isinstance(control_failures, str):
        raise SystemExit(f"control: the unit tests do not run in an unmutated copy: "
                         f"{control_failures}")
    line = (f"{'control':22s} {'-':10s} unmutated copy\n{'':33s}tests failing in every copy "
            f"(not counted): {', '.join(sorted(control_failures)) or 'none'}")
    print(line, flush=True)
    lines.append(line)
    control_ids = set()
    if args.experiments:
        # the unmutated code, same runs and seed: the rows it fails cannot catch a mutant
        every_run = sorted({r for _, _, runs in MUTANTS.values() for r in runs})
        with tempfile.TemporaryDirectory() as tmp:
            mutated_copy([], Path(tmp))
            control = failing_rows(Path(tmp), every_run, Path(args.data))
        if isinstance(control, str):
            raise SystemExit(f"control run failed: {control}")
        control_ids = {r["id"] for r in control}
        line = f"{'control':22s} {'-':10s} unmutated code, seed 1\n{'':33s}check: "
        line += (f"fails {describe(control)} (not counted below)" if control
                 else "all rows within tolerance")
        print(line, flush=True)
        lines.append(line)
    for name, (what, patches, runs) in MUTANTS.items():
        if args.only and name not in args.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp)
            mutated_copy(patches, copy)
            by_test = caught_by_tests(copy, control_failures)
            by_check = (caught_by_check(copy, runs, Path(args.data), control_ids)
                        if args.experiments and runs else None)
        verdict = "caught" if (by_test or by_check) else "NOT CAUGHT"
        missed += verdict != "caught"
        line = f"{name:22s} {verdict:10s} {what}"
        line += f"\n{'':33s}test: {by_test or 'all tests pass'}"
        if args.experiments:
            line += f"\n{'':33s}check: {by_check or 'all rows within tolerance'}"
        print(line, flush=True)
        lines.append(line)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
