"""The calibration: the seed-to-seed spread of every checked quantity, measured on seeds of
its own, and everything the check's tolerances rest on, written by one command.

`snakemake calibrate` trains every run a point row or a published curve reads with the
calibration seeds (`calibration_seeds` in config/config.yaml, 101-110; a row that needs
more declares them, `calibration_seeds:` in config/expected.yaml) into results/calibration/,
beside and never over the check's own seeds, and `python -m nndl3 calibrate` writes

- results/calibration/calibration.yaml: each row's seed sd (what the check reads) and its
  per-seed values;
- results/calibration/calibration_curves.json: each published curve's per-epoch sd, its
  pass threshold at the gate's per-member rate, simulated (`nndl3.curves`), and each
  seed's epoch mean and final value;

both with a provenance block (seeds, git commit, library versions). `snakemake
install_calibration` copies them into config/ (`install`). `snakemake calibration_check`
re-trains one calibration seed of every calibrated run and requires its values to equal the
stored ones at the stored precision (`spot_check`): results that move cannot land with
stale tolerances.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from . import atomic, book_runs, check, curves, mnist, paths, readers, records, tolerance
from .errors import UserError

HEADER = ("# Written by `python -m nndl3 calibrate` (`snakemake calibrate`); installed by\n"
          "# `snakemake install_calibration`. Do not edit: rerun them. seed_sd is what the\n"
          "# check reads; per_seed holds each calibration seed's value of each row.\n")


def run_seeds(expected: dict, default: list[int],
              published: book_runs.Published) -> dict[str, list[int]]:
    """The calibration seeds each run is trained with: the default seeds for every run a
    row or published curve reads, and the seeds a row declares for the runs it reads."""
    seeds = {run: set(default) for run in curves.needed_runs(published)}
    for row in expected["quantities"]:
        if check.seeded(row):
            for run in check.runs_of(row["source"]):
                seeds.setdefault(run, set()).update(check.row_seeds(row, default))
    return {run: sorted(s) for run, s in sorted(seeds.items())}


def apart_from(calibrated: dict[str, list[int]], check_seeds: list[int]) -> None:
    """A UserError if a run's calibration seeds (run_seeds, a row's declared ones among
    them) include a seed of the check's: the tolerances must be measured on seeds the check
    does not use (the workflow_config check holds calibration_seeds apart, this the rows')."""
    for run, seeds in calibrated.items():
        if shared := sorted(set(seeds) & set(check_seeds)):
            raise UserError(f"config seeds {shared}: also calibration seeds of run {run!r} "
                            f"({paths.EXPECTED} declares them for a row): the tolerances "
                            "must be measured on seeds the check does not use")


def subset(agg: dict, seeds: list[int], what: str) -> dict:
    """The aggregate restricted to `seeds` (in that order); every one must be in it."""
    missing = [s for s in seeds if s not in agg["seeds"]]
    if missing:
        raise UserError(f"calibration: run {agg['run']} lacks seed(s) "
                        f"{', '.join(map(str, missing))} that {what} needs")
    rows = [agg["seeds"].index(s) for s in seeds]
    metrics = {name: {**stats, "per_seed": [stats["per_seed"][i] for i in rows]}
               for name, stats in agg["metrics"].items()}
    diverged = agg.get("diverged_at_epoch") or [None] * len(agg["seeds"])
    return {**agg, "seeds": list(seeds), "metrics": metrics,
            "diverged_at_epoch": [diverged[i] for i in rows]}


def aggregates_for(row: dict, aggregates: dict, default: list[int]) -> dict:
    """The aggregates of the runs a row reads, restricted to its calibration seeds."""
    out = {}
    for run in check.runs_of(row["source"]):
        if run not in aggregates:
            raise UserError(f"calibration: no aggregate of run {run!r}, which row "
                            f"{row['id']!r} reads (train its calibration seeds: "
                            "`snakemake calibrate`)")
        out[run] = subset(aggregates[run], check.row_seeds(row, default), f"row {row['id']!r}")
    return out


def row_sd(row: dict, values: np.ndarray, by: np.ndarray | None = None) -> float:
    """The seed sd of a row's quantity as the calibration stores it (`check.row_sd`,
    rounded)."""
    return round(check.row_sd(row, values, by), check.CALIBRATION_DECIMALS)


def measure_rows(expected: dict, inputs: check.Inputs, default: list[int]) -> dict:
    """Each seeded row's per-seed values and seed sd over its calibration seeds."""
    seed_sd, per_seed, claim_sd = {}, {}, {}
    for row in expected["quantities"]:
        if not check.seeded(row):
            continue  # the SVM and the single neuron are deterministic: no seed spread
        mine = check.Inputs(aggregates_for(row, inputs.aggregates, default),
                            class_counts=inputs.class_counts)
        values = check.regenerate(row["source"], mine)
        seed_sd[row["id"]] = row_sd(row, values, check.best_by_values(row, mine))
        per_seed[row["id"]] = {int(s): round(float(v), check.CALIBRATION_DECIMALS)
                               for s, v in zip(check.row_seeds(row, default), values, strict=True)}
        if check.needs_claim_sd(row):
            claim_sd[row["id"]] = row_sd(row, check.regenerate(other_run(row), mine))
    return {"seed_sd": seed_sd, "per_seed": per_seed, **({"claim_sd": claim_sd} if claim_sd
                                                        else {})}


def other_run(row: dict) -> dict:
    """The source of a claim's reference: the same quantity of its `minus_run` alone."""
    source = {k: v for k, v in row["source"].items() if k != "minus_run"}
    if "minus_run" not in row["source"]:
        raise UserError(f"expected values: {row['id']}: a claim in sds needs a minus_run")
    return {**source, "run": row["source"]["minus_run"]}


def spot_seed(seeds: list[int]) -> int:
    """The seed a spot check (`snakemake calibration_check`, `recipe_check`) re-trains and
    compares with its stored values: the first of them."""
    return seeds[0]


def enough_seeds(default: list[int], n_check: int, what: str = "calibration") -> None:
    """A UserError unless the seeds are enough for the curves' held-out check of n_check
    seeds of ours (and so for an sd of each row). what: whose seeds, for the message."""
    if n_check < 1:
        raise UserError(f"{what}: the check's seeds: {n_check}; at least 1")
    if len(default) <= n_check:
        raise UserError(f"{what}: {len(default)} seed(s) {default}; the curves' held-out "
                        f"check needs at least {n_check + 1} (one book, {n_check} of ours)")


def measure_curves(book: book_runs.Book, aggregates: dict, default: list[int],
                   expected: dict, n_check: int) -> dict:
    """Each published curve our runs monitor, measured over the default seeds for a check
    of n_check seeds of ours, its threshold at the per-member rate of the gate these curves
    and `expected`'s rows make."""
    enough_seeds(default, n_check)
    rows = {}
    for curve in book_runs.curves(book):
        if curve["run"] not in aggregates:
            raise UserError(f"calibration: no aggregate of run {curve['run']!r}, which the "
                            f"published curve {curve['id']} needs (`snakemake calibrate`)")
        agg = subset(aggregates[curve["run"]], default, f"curve {curve['id']}")
        values = curves.seed_rows(agg, curve)
        if values is not None:  # None: our run does not monitor it (listed by the check)
            rows[curve["id"]] = curve, values
    alpha = tolerance.gate_of(expected, rows).alpha_row
    return {cid: {"run": curve["run"], "metric": curve["metric"],
                  **curves.measure(values, default, alpha, n_check)}
            for cid, (curve, values) in rows.items()}


def provenance(default: list[int], command: str = "snakemake calibrate "
               "(python -m nndl3 calibrate)") -> dict:
    from .train import git_commit, versions

    return {"command": command, "seeds": list(default), "git_commit": git_commit(),
            "versions": versions()}


def calibrate(expected_path, aggregate_paths, book: book_runs.Book, labels_path,
              default: list[int], out_points, out_curves, n_check: int,
              recipe: bool = False) -> tuple[dict, dict]:
    """Measure and write both calibration files; return them. recipe: the aggregates are
    the author's recipe's (nndl3.recipe, `snakemake recipe_seeds`): every row is measured
    over `default` and the rows that read a run without a recipe are left out."""
    enough_seeds(default, n_check)  # before the rows' sds, which one seed leaves undefined
    expected = check.load_expected(expected_path)
    inputs = check.Inputs(records.read_aggregates(aggregate_paths),
                          class_counts=mnist.class_counts(labels_path))
    measured = recipe_rows(expected, inputs.aggregates) if recipe else expected
    made = provenance(default, RECIPE_COMMAND) if recipe else provenance(default)
    points = {"provenance": made, "seeds": list(default), "n": len(default),
              **measure_rows(measured, inputs, default)}
    curve_doc = {"written_by": "python -m nndl3 calibrate", "provenance": made,
                 "seeds": list(default), "k_sigma": curves.K_SIGMA, "n_check": n_check,
                 "precision": curves.PRECISION,
                 "curves": measure_curves(book, inputs.aggregates, default, expected,
                                          n_check)}
    if recipe:
        curve_doc["bands"] = measure_bands(book, inputs.aggregates, default)
    atomic.write_text(out_points, (RECIPE_HEADER if recipe else HEADER)
                      + yaml.safe_dump(points, sort_keys=False))
    atomic.write_json(out_curves, curve_doc)
    return points, curve_doc


RECIPE_COMMAND = "snakemake recipe_seeds (python -m nndl3 calibrate --recipe)"
RECIPE_HEADER = ("# Written by `python -m nndl3 calibrate --recipe` (`snakemake recipe_seeds`):\n"
                 "# the author's recipe (nndl3.recipe) over recipe_seeds; installed by\n"
                 "# `snakemake install_recipe`. Do not edit: rerun them. per_seed holds each\n"
                 "# recipe seed's value of each row; rows reading a run without a recipe are\n"
                 "# absent.\n")


def measure_bands(book: book_runs.Book, aggregates: dict, default: list[int]) -> dict:
    """Each published curve's seed band (what a figure draws beside the book's run): per
    epoch the mean, min and max over `default`, in the check's units (accuracy in points);
    and each published training-size sweep's, per size N over the final accuracies."""
    bands = {}
    for curve in book_runs.curves(book):
        agg = aggregates.get(curve["run"])
        rows = None if agg is None else curves.seed_rows(
            subset(agg, default, f"curve {curve['id']}"), curve)
        if rows is not None:
            bands[curve["id"]] = {"n": len(rows), "epochs": curve["epochs"].tolist(), **{
                name: [round(float(v), 6) for v in f(rows, axis=0)]
                for name, f in (("mean", np.mean), ("min", np.min), ("max", np.max))}}
    for file, what in book.published.sweeps.items():
        runs = book_runs.size_runs(what)
        if what != book_runs.SVM_SWEEP and all(run in aggregates for run in runs):
            finals = np.array([[row[-1] for row in subset(aggregates[run], default, file)
                                ["metrics"]["evaluation_accuracy"]["per_seed"]]
                               for run in runs], dtype=np.float64)
            bands[file] = {"n": finals.shape[1], "x": list(book_runs.SIZES), **{
                name: [round(100 * float(v), 6) for v in f(finals, axis=1)]
                for name, f in (("mean", np.mean), ("min", np.min), ("max", np.max))}}
    return bands


def recipe_rows(expected: dict, aggregates: dict) -> dict:
    """The rows the recipe measures: those whose runs all have a recipe aggregate, each
    over the recipe's seeds (a row's own calibration_seeds are our network's)."""
    rows = [{k: v for k, v in row.items() if k != "calibration_seeds"}
            for row in expected["quantities"]
            if not check.seeded(row) or all(run in aggregates
                                            for run in check.runs_of(row["source"]))]
    return {**expected, "quantities": rows}


# ------------------------------------------------------------- install


def values_of(doc: dict) -> dict:
    """A calibration without its provenance: what must agree for two to be the same."""
    return {k: v for k, v in doc.items() if k != "provenance"}


def installed_same(target, new: dict, load) -> bool:
    """The installed file `target` holds `new`'s values (missing, other values or unreadable,
    which installing mends: it is to be replaced)."""
    try:
        return Path(target).is_file() and values_of(load(target)) == values_of(new)
    except UserError:
        return False


def install(files: list[tuple[str, str, dict, object]]) -> list[str]:
    """Copy calibration files, (source, target, source's document, load) each, into
    config/, each unless the installed one holds the same values, in which case it is left
    as it is (its provenance names when they were first made). Every installed file is
    judged before any is written: an unreadable one is replaced with its pair, not found
    after the first of them was written."""
    same = [installed_same(target, new, load) for _, target, new, load in files]
    lines = []
    for (source, target, _, _), kept in zip(files, same, strict=True):
        if kept:
            lines.append(f"{target}: up to date (the same values; provenance kept)")
        else:
            atomic.write_text(target, Path(source).read_text())
            lines.append(f"{target}: installed from {source}")
    return lines


def load_points(path) -> dict:
    return readers.calibration(path)


def load_curves(path) -> dict:
    return readers.curve_calibration(path)


# ------------------------------------------------------------- spot check


def spot_check(expected: dict, book: book_runs.Book, points: dict, curve_doc: dict,
               inputs: check.Inputs, seed: int) -> tuple[int, list[str]]:
    """Compare one re-trained calibration seed with the stored values of every row and
    curve that has it: (values compared, the mismatches named one per line)."""
    compared, problems = 0, []
    for row in expected["quantities"]:
        if not check.seeded(row):
            continue
        stored = (check.stored_values(points, row["id"]) or {}).get(seed)
        if stored is None:
            problems.append(f"row {row['id']}: no stored value for seed {seed} "
                            f"({tolerance.RECALIBRATE})")
            continue
        (value,) = check.regenerate(row["source"], inputs)
        compared += 1
        if round(float(value), check.CALIBRATION_DECIMALS) != stored:
            problems.append(f"row {row['id']} seed {seed}: stored {stored}, re-trained "
                            f"{round(float(value), check.CALIBRATION_DECIMALS)}")
    for curve in book_runs.curves(book):
        entry = curve_doc["curves"].get(curve["id"])
        agg = inputs.aggregates.get(curve["run"])
        rows = None if agg is None else curves.seed_rows(agg, curve)
        if entry is None or rows is None:
            if entry is not None or rows is not None:
                problems.append(f"curve {curve['id']}: stored and re-trained disagree on "
                                "whether it is calibrated")
            continue
        stored = entry["per_seed"].get(str(seed))
        if stored is None:
            problems.append(f"curve {curve['id']}: no stored values for seed {seed}")
            continue
        (again,) = curves.per_seed_summary(rows, [seed]).values()
        compared += 1
        if again != stored:
            problems.append(f"curve {curve['id']} seed {seed}: stored epoch mean and final "
                            f"{stored}, re-trained {again}")
    return compared, problems


def made_for(doc: dict, path, recipe: bool) -> None:
    """A UserError unless the calibration at `path` (points or curves) is the recipe's
    exactly when `recipe`, by its provenance: checked against the other, a pass would be a
    pass of nothing."""
    made_by = (doc.get("provenance") or {}).get("command")
    if (made_by == RECIPE_COMMAND) != recipe:
        raise UserError(f"{path}: made by {made_by!r}: "
                        + ("the recipe's calibration, which --recipe checks" if not recipe
                           else "not the recipe's calibration (--recipe checks that)"))


def spot_inputs(record_paths, labels_path, recipe: bool = False) -> tuple[check.Inputs, int]:
    """Aggregates of single re-trained records, one seed of each run, and that seed; the
    records the author's recipe's (`recipe`) or none of them."""
    from .aggregate import aggregate

    by_run, seeds = {}, set()
    for path in record_paths:
        record = records.read(path)
        if ("recipe" in record) != recipe:
            raise UserError(f"{path}: {'not ' * recipe}a record of the author's recipe "
                            f"({'--recipe checks those' if not recipe else 'as --recipe checks'})")
        if record["run"] in by_run:
            raise UserError(f"{path}: a second record of run {record['run']!r}")
        by_run[record["run"]] = aggregate([record])
        seeds.add(record["seed"])
    if len(seeds) != 1:
        raise UserError(f"calibration check: the records hold seeds {sorted(seeds)}, "
                        "expected one calibration seed")
    return check.Inputs(by_run, class_counts=mnist.class_counts(labels_path)), seeds.pop()
