"""Mutation test of the gate: each deliberately broken network must be caught.

For every mutant, every file git tracks is copied to a temporary folder (a git repository
of its own) and patched. A patch is anchored by function and statement, not by raw text:
in the function of that qualified name (e.g. "Network.penalize"), it finds the one
statement that holds a fragment of code (compared as `ast.unparse` writes it, so layout,
quotes and comments do not matter) and rewrites that fragment in it. A refactor that keeps
the function and the statement keeps the mutant; a patch that finds no such statement, or
more than one, stops the run (a mutant can never silently become a no-op). Then:
1. the unit tests run against the mutated copy; a failure of a test that passes on an
   unmutated copy (the control, run first) means "caught by a test" (a test that fails in
   every copy, e.g. one reading a file the copy lacks, catches nothing);
2. with --experiments, the mutant's relevant runs are trained (one seed, the config's
   hyperparameters) with the mutated code by the package's own `train` and `aggregate`
   commands, and the reproduction rows and published curves that read those runs are
   evaluated by the package's check (`check.evaluate`, `curves.evaluate`: what `report`
   runs) against the committed tolerances; one outside means "caught by the check".

    python tools/mutants.py [--experiments] [--only NAME ...] [--out FILE]

Prints one verdict per mutant, writes the JSON record (paths.MUTANTS, which
`python -m nndl3 docs` reads; a run of --only writes only to an --out given) and exits 1
if any mutant is not caught.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from nndl3 import (
    arguments,
    atomic,
    book_runs,
    check,
    curves,
    mnist,
    paths,
    readers,
    records,
    workflow_config,
)
from nndl3.errors import UserError, exit_status
from nndl3.status import FAIL

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as `python tools/mutants.py`, only tools/ is on the path
from tools.doc_commands import clean_checkout  # noqa: E402

RECORD = paths.MUTANTS  # the last full run, read by `python -m nndl3 docs`


class Patch(NamedTuple):
    """In `file`, function `function` (qualified: Class.method, outer.inner), the one
    statement holding `old` (inside a statement holding `inside`, if given): `old` is
    replaced by `new` in it."""
    file: str
    function: str
    old: str
    new: str
    inside: str | None = None


NET, FAST, TRAIN = "src/nndl3/network.py", "src/nndl3/fast.py", "src/nndl3/train.py"
SIMD, AUGMENT, MNIST = "src/nndl3/simd.py", "src/nndl3/augment.py", "src/nndl3/mnist.py"
PLOT = "src/nndl3/plotting.py"
OUTPUT_DELTA = "if cost in ('cross-entropy', 'log-likelihood'):\n    return a - y"

# name: (what it breaks, [patches], runs the check looks at)
MUTANTS = {
    "l2_dropped": (
        "L2 term dropped from the weight update (both engines)",
        [Patch(NET, "Network.penalize", "target *= 1 - rate", "pass"),
         Patch(FAST, "FastNetwork.sgd_epoch",
               "decay = t(1 - rate) if self.codes[4] == L2 else t(1)", "decay = t(1)")],
        ["l2_1k", "l2_full"]),
    "init_swapped": (
        '"large" and "default" initializations swapped',
        [Patch(NET, "initial_parameters", "init == 'default'", "init == 'large'")],
        ["init_30_large", "init_30_default"]),
    "xent_delta_quadratic": (
        "cross-entropy output delta replaced by the quadratic one (both engines)",
        [Patch(NET, "output_delta", OUTPUT_DELTA,
               "if cost == 'log-likelihood':\n    return a - y\n"
               "if cost == 'cross-entropy':\n    return (a - y) * a * (1 - a)"),
         Patch(FAST, "output_delta", "cost == QUADRATIC", "True")],
        ["xent_30", "overfit_1k"]),
    "no_shuffle": (
        "no shuffling between epochs",
        [Patch(TRAIN, "SeedRun.epoch", "self.rng['shuffle'].permutation(n)", "np.arange(n)")],
        ["xent_30", "overfit_1k"]),
    "train_last_n": (
        "a run trains on the last N training images instead of the first N",
        [Patch(TRAIN, "train", "(x[:spec['train_size']], labels[:spec['train_size']])",
               "(x[-spec['train_size']:], labels[-spec['train_size']:])")],
        ["overfit_1k", "size_1000"]),
    "evaluated_on_test": (
        "a run evaluated on validation data is scored on the test set",
        [Patch(TRAIN, "train", "'evaluation': data[spec['evaluation']]",
               "'evaluation': data['test']")],
        ["init_30_large", "init_30_default", "l2_100"]),
    "validation_overlaps_training": (
        "the split takes validation from the first 10,000 training images (inside training)",
        [Patch(MNIST, "split",
               "'validation_x': train_x[N_TRAIN:], 'validation_y': train_y[N_TRAIN:]",
               "'validation_x': train_x[:10000], 'validation_y': train_y[:10000]")],
        []),
    "l2_n_is_batch": (
        "L2 weight decay uses n = the mini-batch size instead of the training-set size",
        [Patch(NET, "Network.sgd_epoch", "eta, n, mask)", "eta, m, mask)"),
         Patch(FAST, "FastNetwork.sgd_epoch", "options.penalty_rate(eta, n)",
               "options.penalty_rate(eta, m)")],
        ["l2_1k", "l2_full"]),
    "l2_on_biases": (
        "L2 weight decay applied to the biases too (both engines)",
        [Patch(NET, "Network.update_mini_batch", "b -= step * gb",
               "self.penalize(b, rate)\nb -= step * gb"),
         Patch(FAST, "update", "penalize(w2, w2, mu, penalty, decay, rate)",
               "penalize(w2, w2, mu, penalty, decay, rate)\nb1 *= decay\nb2 *= decay")],
        ["l2_1k", "l2_full"]),
    "dropout_unscaled_at_test": (
        "dropout: hidden outputs not scaled by the keep probability at test time",
        [Patch(NET, "Network.output_z", "a = a * a.dtype.type(keep)", "a = a"),
         Patch(FAST, "FastNetwork.output_z", "self.dtype.type(1 - self.net.dropout)",
               "self.dtype.type(1)")],
        []),
    "dropout_one_mask": (
        "dropout: one mask for the whole epoch instead of a fresh one per mini-batch",
        [Patch(TRAIN, "SeedRun.dropout_masks",
               "self.rng['dropout'].random((n_batches, size)) >= p",
               "np.repeat(self.rng['dropout'].random((1, size)) >= p, n_batches, axis=0)")],
        []),
    "rotation_radians": (
        "rotation angle taken as radians instead of degrees",
        [Patch(AUGMENT, "rotate_images", "np.asarray(degrees, dtype=np.float64)",
               "np.degrees(np.asarray(degrees, dtype=np.float64))")],
        ["size_1000", "rot15_1000", "rot0_1000"]),
    # section 10: the techniques (no book numbers: caught by the tests)
    "softmax_delta": (
        "softmax + log-likelihood output delta given a sigmoid' factor",
        [Patch(NET, "output_delta", OUTPUT_DELTA,
               "if cost == 'cross-entropy':\n    return a - y\n"
               "if cost == 'log-likelihood':\n    return (a - y) * a * (1 - a)")], []),
    "tanh_prime": ("tanh' computed as the sigmoid's a(1 - a)",
                   [Patch(NET, "activation_prime", "return 1 - a * a",
                          "return a * (1 - a)")], []),
    "relu_prime": ("ReLU' = 1 everywhere",
                   [Patch(NET, "activation_prime", "return (a > 0).astype(a.dtype)",
                          "return np.ones_like(a)")], []),
    "momentum_no_memory": ("momentum's velocity forgets mu v",
                           [Patch(NET, "Network.update_with_momentum", "v *= mu", "v *= 0",
                                  inside="self.penalize(w, rate, velocity=v)")], []),
    "schedule_late": ("the schedule halves eta one epoch late",
                      [Patch(TRAIN, "Stopper.after_epoch", "self.since_change >= self.schedule",
                             "self.since_change > self.schedule")], []),
    "early_stop_late": ("early stopping one epoch late",
                        [Patch(TRAIN, "Stopper.after_epoch",
                               "self.since_best >= self.early_stopping",
                               "self.since_best > self.early_stopping")], []),
    # the random draws of the data path (issue 18): caught by their distribution tests
    "rotation_one_sided": ("rotation angles drawn in [0, max] instead of +-max",
                           [Patch(AUGMENT, "expand_with_rotations",
                                  "rng.uniform(-max_degrees, max_degrees, size=(copies, len(x)))",
                                  "rng.uniform(0, max_degrees, size=(copies, len(x)))")], []),
    "rotation_same_angle": ("one rotation angle for all the images of a copy",
                            [Patch(AUGMENT, "expand_with_rotations",
                                   "rng.uniform(-max_degrees, max_degrees, size=(copies, len(x)))",
                                   "np.repeat(rng.uniform(-max_degrees, max_degrees, "
                                   "size=(copies, 1)), len(x), axis=1)")], []),
    "rotation_wrong_images": ("the rotated copies made of the images in reverse order",
                              [Patch(AUGMENT, "expand_with_rotations", "rotate_images(x, row)",
                                     "rotate_images(x[::-1], row)")], []),
    "shuffle_rolled": ("each epoch's order a rotation of 0..n-1, not a uniform permutation",
                       [Patch(TRAIN, "SeedRun.epoch", "self.rng['shuffle'].permutation(n)",
                              "np.roll(np.arange(n), self.rng['shuffle'].integers(n))")], []),
    "dropout_keeps_p": ("dropout keeps a neuron with probability p instead of 1 - p",
                        [Patch(TRAIN, "SeedRun.dropout_masks",
                               "self.rng['dropout'].random((n_batches, size)) >= p",
                               "self.rng['dropout'].random((n_batches, size)) < p")], []),
    "init_from_shuffle_stream": ("initialization draws from the shuffle stream",
                                 [Patch(TRAIN, "SeedRun.__init__", "self.rng['init']",
                                        "self.rng['shuffle']")], []),
    "init_uniform": ("initial weights uniform with the right sd instead of normal",
                     [Patch(NET, "initial_parameters", "rng.standard_normal((n_out, n_in))",
                            "rng.uniform(-np.sqrt(3), np.sqrt(3), (n_out, n_in))")], []),
    # the figures: what a plot draws (issue 26), caught by tests/test_plotting.py
    "book_line_wrong_run": ("a series' book line drawn from the first published run of its "
                            "file, not its own",
                            [Patch(PLOT, "series_curve", "book.published.of_run(series['run'])",
                                   "next(k for k in book.published.runs "
                                   "if k[0] == book.published.of_run(series['run'])[0])")], []),
    # the fast engine's explicit SIMD code (issue 13)
    "simd_step_sign": ("W1's gradient step added instead of subtracted (fast engine)",
                       [Patch(SIMD, "rows_step.codegen.one_pass",
                              "builder.fsub(old, builder.fmul(v, delta))",
                              "builder.fadd(old, builder.fmul(v, delta))")], ["xent_30"]),
    "simd_pair_swapped": ("the two images summed at once get each other's hidden inputs",
                          [Patch(SIMD, "rows_sum_pair.codegen.one_pass", "acc_a.store(zad)",
                                 "acc_a.store(zbd)"),
                           Patch(SIMD, "rows_sum_pair.codegen.one_pass", "acc_b.store(zbd)",
                                 "acc_b.store(zad)")], ["xent_30"]),
}


class PatchError(LookupError):
    """A patch does not find exactly one statement to mutate."""


def normal(code: str) -> str:
    """Code as ast.unparse writes it, if it parses on its own (else as given)."""
    try:
        return ast.unparse(ast.parse(code))
    except SyntaxError:
        return code


def function_node(tree: ast.Module, qualname: str):
    """The function (or class) of a dotted qualified name, through classes and functions."""
    node = tree
    for name in qualname.split("."):
        found = [n for n in ast.iter_child_nodes(node)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                 and n.name == name]
        if len(found) != 1:
            raise PatchError(f"no single {name!r} on the way to {qualname}")
        node = found[0]
    return node


def statements(node, ancestors=()):
    """(statement, its enclosing statements) for every statement under node."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            yield child, ancestors
            yield from statements(child, (*ancestors, child))
        else:
            yield from statements(child, ancestors)


def target_statement(source: str, patch: Patch):
    """The one innermost statement of the patch's function that holds `old` once (within
    a statement holding `inside`)."""
    function = function_node(ast.parse(source), patch.function)
    old = normal(patch.old)
    holding = [(s, up) for s, up in statements(function) if old in ast.unparse(s)]
    innermost = [(s, up) for s, up in holding
                 if not any(u is s for _, ups in holding for u in ups)]
    if patch.inside:
        inside = normal(patch.inside)
        innermost = [(s, up) for s, up in innermost
                     if any(inside in ast.unparse(u) for u in up)]
    if len(innermost) != 1 or ast.unparse(innermost[0][0]).count(old) != 1:
        raise PatchError(f"{patch.file}: {patch.function}: {len(innermost)} statements hold "
                         f"{patch.old!r} (one is needed)")
    return innermost[0][0]


def apply(source: str, patch: Patch) -> str:
    """The source with the patch's statement rewritten (as ast.unparse writes it)."""
    stmt = target_statement(source, patch)
    mutated = ast.unparse(stmt).replace(normal(patch.old), normal(patch.new))
    lines = source.splitlines(keepends=True)
    indent = " " * stmt.col_offset
    text = "".join(indent + line + "\n" for line in mutated.splitlines())
    return "".join(lines[:stmt.lineno - 1]) + text + "".join(lines[stmt.end_lineno:])


def mutated_copy(patches, into: Path) -> None:
    """Every file git tracks, as the working tree has it (`clean_checkout`), patched, and
    committed into a repository of the copy's own: the tests read files of every kind,
    `git ls-files` and the commit, so that none fails in every copy for want of one."""
    clean_checkout(into)
    for patch in patches:
        path = into / patch.file
        try:
            path.write_text(apply(path.read_text(), patch))
        except PatchError as exc:
            raise SystemExit(f"mutant patch does not apply: {exc}") from None
    git = ["git", "-c", "user.name=mutants", "-c", "user.email=mutants@localhost"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "mutant"]):
        subprocess.run(git + args, cwd=into, check=True, capture_output=True)


def run(cmd, cwd: Path, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(cwd / "src"), "NUMBA_CACHE_DIR": str(cwd / ".numba")}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


# the test modules that catch most mutants, run first: pytest stops at the first failure
FIRST = ("tests/test_network.py", "tests/test_train.py", "tests/test_streams.py",
         "tests/test_augment.py", "tests/test_engines.py", "tests/test_simd.py",
         "tests/test_mnist.py")


def failing_tests(copy: Path, control_failures: set[str] | None = None) -> set[str] | str:
    """The unit tests that fail in `copy`, or "pytest exit N" if pytest itself broke.
    Given the control's failures, those are left out and pytest stops at the first other
    failure: one is enough to catch a mutant."""
    first = [] if control_failures is None else [
        "-x", *(f"--deselect={test}" for test in sorted(control_failures))]
    proc = run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
                "--ignore=tests/slurm",
                # it checks this catalogue against the unmutated code: every mutant fails it
                "--ignore=tests/test_mutants.py",
                *first, *(FIRST if first else ()), "tests"], copy)
    failed = {ln.split(" ")[1] for ln in proc.stdout.splitlines() if ln.startswith("FAILED")}
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not failed):
        return f"pytest exit {proc.returncode}"
    return failed


def caught_by_tests(copy: Path, control_failures: set[str]) -> str | None:
    """The first test the mutant fails that the unmutated copy passes."""
    failed = failing_tests(copy, control_failures)
    if isinstance(failed, str):
        return failed
    new = sorted(failed - control_failures)
    return new[0] if new else None


def train_runs(copy: Path, runs: list[str], data: Path) -> dict | str:
    """Each run trained with the copy's code (seed 1, its spec in the config) by the
    package's own commands, as the workflow trains it (`python -m nndl3 train`, then
    `aggregate`): {run: aggregate}, or "error: ..." if a command failed."""
    config = workflow_config.load(copy)
    aggregates = {}
    for run_id in runs:
        run_dir = copy / paths.RUN_DIR.format(run=run_id)
        record, out = records.record_path(run_dir, 1), copy / "results" / f"{run_id}.json"
        spec = json.dumps(workflow_config.run_spec(config, run_id))
        for cmd in (["train", "--spec", spec, "--run", run_id, "--data", str(data),
                     "--out-dir", str(run_dir), "--seeds", "1"],
                    ["aggregate", "--records", str(record), "--out", str(out)]):
            proc = run([sys.executable, "-m", "nndl3", *cmd], copy)
            if proc.returncode != 0:
                return f"error: {(proc.stderr.strip().splitlines() or ['exit status'])[-1]}"
        aggregates[run_id] = records.read_aggregate(out)
    return aggregates


def failing(aggregates: dict, data: Path) -> list[dict]:
    """The rows and curves of the trained runs outside tolerance, as the report evaluates
    them (check.evaluate, curves.evaluate with the committed calibration; known deviations
    are not failures): [{"id", "text"}]. Rows reading a run not trained are left out."""
    runs = set(aggregates)
    expected = check.load_expected(ROOT / paths.EXPECTED)
    expected["quantities"] = [q for q in expected["quantities"]
                              if q["source"].get("run") in runs
                              and set(check.runs_of(q["source"])) <= runs]
    rows = check.evaluate(expected, readers.calibration(ROOT / paths.CALIBRATION_INSTALLED),
                          check.Inputs(aggregates, class_counts=mnist.class_counts(data)))
    book = book_runs.read_dir(book_runs.Published.from_config(workflow_config.load(ROOT)),
                              ROOT / book_runs.DIR)
    curve_rows = curves.evaluate(
        book, readers.curve_calibration(ROOT / paths.CALIBRATION_CURVES_INSTALLED),
        aggregates, expected.get("curve_deviations") or {})
    return ([{"id": r["id"], "text": row_text(r)} for r in rows if r["status"] == FAIL]
            + [{"id": f"curve {r['id']}", "text": curve_text(r)} for r in curve_rows
               if r["status"] == FAIL and r["run"] in runs])


def row_text(r: dict) -> str:
    book = f"claim {r['claim']}" if r.get("claim") else f"book {r['book']:g}"
    return f"{r['id']} {r['mean']:.2f} vs {book} (tol {r['tolerance']:.2f})"


def curve_text(r: dict) -> str:
    if "within" not in r:
        return f"curve {r['id']}: {r.get('reason')}"
    return (f"curve {r['id']} within {r['within']:.2f} (threshold {r['threshold']:.2f}), "
            f"offset {r['offset']:+.2f}")


def caught_by_check(copy: Path, runs: list[str], data: Path,
                    control_ids: set) -> list[dict] | str:
    """What the check finds wrong with the mutant: the failing rows and curves the unmutated
    code does not also fail (control_ids), or "error: ..." (a crash counts as caught)."""
    aggregates = train_runs(copy, runs, data)
    if isinstance(aggregates, str):
        return aggregates
    return [r for r in failing(aggregates, data) if r["id"] not in control_ids]


def texts(rows) -> str:
    return ", ".join(r["text"] for r in rows)


def line_of(entry: dict, experiments: bool) -> str:
    """A mutant's verdict as the harness prints it."""
    line = f"{entry['name']:22s} {'caught' if entry['caught'] else 'NOT CAUGHT':10s} "
    line += f"{entry['what']}\n{'':33s}test: {entry['test'] or 'all tests pass'}"
    if experiments:
        line += f"\n{'':33s}check: {check_words(entry['check'])}"
    return line


def check_words(found) -> str:
    """The check's verdict: not run (a mutant without runs), a crash, or the failures."""
    if found is None:
        return "not run (no runs)"
    if isinstance(found, str):
        return found
    return texts(found) or "all rows within tolerance"


def from_txt(path: Path) -> dict:
    """A record of the earlier text format (one line per mutant, then `test:` and `check:`
    lines) in the JSON form; a mutant without runs was not evaluated by the check."""
    import re

    head = re.compile(r"^(\S+)\s+(caught|NOT CAUGHT|-)\s+(.*)$")
    entries, entry = [], None
    for line in path.read_text().splitlines():
        m = head.match(line)
        if m:
            entry = {"name": m[1], "verdict": m[2], "what": m[3]}
            entries.append(entry)
        elif entry is not None and line.strip().startswith(("test:", "check:")):
            key, _, text = line.strip().partition(": ")
            entry.setdefault(key, text)
        elif entry is not None and "(not counted): " in line:
            entry["tests_failing"] = line.partition("(not counted): ")[2]
    control = [e for e in entries if e["name"] == "control"]
    if not control:
        raise UserError(f"{path}: no `control` line: not a record of the text format")
    if "tests_failing" not in control[0]:
        raise UserError(f"{path}: its `control` entry has no '(not counted): ' line of the "
                        "tests failing without a mutant: not a record of the text format")
    if unknown := [e["name"] for e in entries if e["name"] not in (*MUTANTS, "control")]:
        raise UserError(f"{path}: mutant {unknown[0]!r} is not one of tools/mutants.py's "
                        "MUTANTS (renamed or removed since the record was made)")
    failing_everywhere = control[0]["tests_failing"]
    doc = {"experiments": any("check" in e for e in entries),
           "control": {"tests_failing": [t for t in failing_everywhere.split(", ")
                                         if t and t != "none"],
                       "check_failing": None},
           "mutants": []}
    if len(control) > 1:
        if "check" not in control[1]:
            raise UserError(f"{path}: its second `control` entry (the check's) has no "
                            "`check:` line: not a record of the text format")
        said = control[1]["check"]
        doc["control"]["check_failing"] = [] if said == "all rows within tolerance" else [
            {"id": None, "text": said.removeprefix("fails ").removesuffix(
                " (not counted below)")}]
    for e in entries:
        if e["name"] == "control":
            continue
        test = None if e.get("test") in (None, "all tests pass") else e["test"]
        said = e.get("check")
        check_found = (None if said is None or not MUTANTS[e["name"]][2] else []
                       if said == "all rows within tolerance" else said
                       if said.startswith("error:") else [{"id": None, "text": said}])
        doc["mutants"].append({"name": e["name"], "what": e["what"],
                               "caught": e["verdict"] == "caught", "test": test,
                               "check": check_found})
    return doc


def main() -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("--experiments", action="store_true",
                   help="also train each mutant's runs and evaluate the reproduction rows")
    p.add_argument("--data", default=str(ROOT / paths.DATA))
    p.add_argument("--out", type=arguments.output_file, default=None,
                   help=f"the JSON record (default: {RECORD} for a run of every mutant; "
                        "a run of --only writes only where told)")
    p.add_argument("--only", nargs="*", help="run only these mutants")
    p.add_argument("--from-txt", default=None,
                   help="convert a record of the earlier text format to --out, run nothing")
    args = p.parse_args()
    if args.from_txt and args.only:
        p.error("--from-txt converts a whole record: --only goes with a run, not with it")
    out = args.out or (None if args.only else atomic.writable(ROOT / RECORD, "--out"))
    if args.from_txt:
        atomic.write_json(out, from_txt(Path(args.from_txt)))
        print(f"wrote {out}")
        return 0
    unknown = sorted(set(args.only or ()) - set(MUTANTS))
    if unknown:
        raise SystemExit(f"--only: unknown mutant(s) {', '.join(unknown)}")
    chosen = {name: m for name, m in MUTANTS.items() if not args.only or name in args.only}
    with tempfile.TemporaryDirectory() as tmp:
        mutated_copy([], Path(tmp))
        control_failures = failing_tests(Path(tmp))
    if isinstance(control_failures, str):
        raise SystemExit(f"control: the unit tests do not run in an unmutated copy: "
                         f"{control_failures}")
    print(f"{'control':22s} {'-':10s} unmutated copy\n{'':33s}tests failing in every copy "
          f"(not counted): {', '.join(sorted(control_failures)) or 'none'}", flush=True)
    doc = {"experiments": args.experiments,
           "control": {"tests_failing": sorted(control_failures), "check_failing": None},
           "mutants": []}
    control_ids = set()
    if args.experiments:
        # the unmutated code, same runs and seed: the rows it fails cannot catch a mutant
        every_run = sorted({r for _, _, runs in chosen.values() for r in runs})
        with tempfile.TemporaryDirectory() as tmp:
            mutated_copy([], Path(tmp))
            control = caught_by_check(Path(tmp), every_run, Path(args.data), set())
        if isinstance(control, str):
            raise SystemExit(f"control run failed: {control}")
        doc["control"]["check_failing"] = control
        control_ids = {r["id"] for r in control}
        print(f"{'control':22s} {'-':10s} unmutated code, seed 1\n{'':33s}check: "
              + (f"fails {texts(control)} (not counted below)" if control
                 else "all rows within tolerance"), flush=True)
    for name, (what, patches, runs) in chosen.items():
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp)
            mutated_copy(patches, copy)
            by_test = caught_by_tests(copy, control_failures)
            by_check = (caught_by_check(copy, runs, Path(args.data), control_ids)
                        if args.experiments and runs else None)
        entry = {"name": name, "what": what, "caught": bool(by_test or by_check),
                 "test": by_test, "check": by_check}
        doc["mutants"].append(entry)
        print(line_of(entry, args.experiments), flush=True)
    if out:
        atomic.write_json(out, doc)
        print(f"wrote {out}")
    return 0 if all(e["caught"] for e in doc["mutants"]) else 1


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
