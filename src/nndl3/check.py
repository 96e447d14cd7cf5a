"""The point rows of the check: every number the text reports, regenerated, against a tolerance.

`config/expected.yaml` defines each quantity exactly (which run, which metric, which
reduction over epochs), the book's value and the precision with which the book states it;
`config/calibration.yaml` holds its seed-to-seed standard deviation, measured on
calibration seeds (`nndl3.calibration`), and `config/recipe.yaml` the author's recipe's
where it was replayed. The tolerance is the rule of `nndl3.tolerance`:

    tolerance = t(1 - alpha_row / 2, df) * sqrt(V) + book_precision

A row with `best_of: k` (the text reports the best of k runs) compares the best of the
first k seeds with the book's best of k: both are one draw of that maximum, so n = 1 and
its sd is calibrated over groups of k calibration seeds. With `best_by: <reduce>` the best
run is the one best by that reduction of the row's run and metric over all epochs (the
text's transcript of epochs 0-29 is its run best at its peak: `best_by: best`), and the
row's value is that run's.

A row with `every_seed: true` states a property the book's run has (e.g. a network that
gives one answer for every image): it passes only if every seed is within book_precision
of the book's value, whatever the seeds' spread.

A claim row (the techniques the text describes without a run of its own) has no book
value: it states an inequality, `claim: {at_least: b}` or `{at_most: b}`, about a quantity,
often the difference between two runs (`minus_run`, seeds paired). It passes unless the
mean of our n seeds is on the wrong side of b by more than t(1 - alpha_row, df) * sd /
sqrt(n) (no book draw to add; `nndl3.tolerance`). A seed that diverged fails any row it feeds.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from . import changed, paths, readers, stats
from .aggregate import diverged_named, padded
from .cells import number
from .errors import UserError
from .stats import below, quantiles
from .status import CHANGED, FAIL, KNOWN_DEVIATION, PASS, WEAK
from .tolerance import (
    K_SIGMA,
    RECALIBRATE,
    Gate,
    book_numbers_problem,
    book_tolerance,
    claim_margin,
    detectable,
    gate_of,
    k_sigma_claim_margin,
    k_sigma_tolerance,
    scale,
    spread,
    unlimited_shift,
)

# Reductions whose value is not in the metric's units (epochs, fractions of epochs).
CALIBRATION_DECIMALS = 4  # a row's per-seed values and sd, as the calibration stores them
UNSCALED = ("one_digit_fraction",)
# a row's source keys that make its number a difference: of two runs, or two reductions
DIFFERENCE_KEYS = frozenset({"minus", "minus_reduce", "minus_run"})


@dataclass
class Inputs:
    """What the rows read: aggregates by run, SVM results by training size, single-neuron
    results by name, and the count of each digit in each evaluation set (by set name)."""

    aggregates: dict
    svm: dict = field(default_factory=dict)
    neuron: dict = field(default_factory=dict)
    class_counts: dict = field(default_factory=dict)


class Unmeasured(UserError):
    """A quantity the run's epochs cannot give (a shortened run's window, no monitored
    epoch): a row of a changed run says so, a row of a diverged run fails, a row of the
    book's settings is a config error."""


def row_values(row: dict, inputs: Inputs) -> np.ndarray:
    """A row's per-seed values (its best-of seeds' where it has them); an error names it
    (an Unmeasured one is the caller's to judge)."""
    try:
        values = regenerate(row["source"], inputs)
        return best_of(row, values, best_by_values(row, inputs)) if row.get("best_of") else values
    except Unmeasured:
        raise
    except UserError as exc:
        raise UserError(f"{row_name(row)}: "
                        + str(exc).removeprefix("expected values: ")) from None


def row_name(row: dict) -> str:
    return f"expected values, row {row['id']!r}"


def break_epoch(values: np.ndarray, epochs: np.ndarray) -> float:
    """Where a curve stops rising: the break c of the least-squares fit a + b * min(epoch, c)
    (a rise, then flat), c over the epochs strictly inside the given ones."""
    best = (np.inf, float(epochs[0]))
    for c in epochs[1:-1]:
        design = np.stack([np.ones(len(epochs)), np.minimum(epochs, c)], axis=1)
        fit, *_ = np.linalg.lstsq(design, values, rcond=None)
        best = min(best, (float(np.sum((design @ fit - values) ** 2)), float(c)))
    return best[1]


@dataclass
class Curves:
    """Each seed's values per monitored epoch (rows: seeds x epochs, NaN after a seed
    stopped early: every reduction reads its epochs only), with what a reduction may
    need: `threshold`, the `window` of epochs, `counts` (the number of images of each
    digit in the evaluation set)."""
    rows: np.ndarray
    epochs: np.ndarray
    threshold: float = 0.0
    window: tuple | None = None
    counts: list | None = None

    @property
    def ran(self) -> np.ndarray:
        return np.isfinite(self.rows)

    @property
    def last(self) -> np.ndarray:
        """Each seed's last epoch's column."""
        return self.ran.shape[1] - 1 - self.ran[:, ::-1].argmax(axis=1)

    def filled(self, value: float) -> np.ndarray:
        """The rows, `value` after a seed stopped."""
        return np.where(self.ran, self.rows, value)


def window_break(c: Curves) -> np.ndarray:
    """break_epoch over the epochs `window` (the book's plotted range)."""
    inside = (c.epochs >= c.window[0]) & (c.epochs <= c.window[1])
    if inside.sum() < 3:  # a break needs an epoch strictly inside the fitted ones
        raise Unmeasured(f"no 3 monitored epochs in the window [{c.window[0]}, "
                         f"{c.window[1]}] (the run's: {c.epochs[0]}-{c.epochs[-1]})")
    return np.array([break_epoch(row[inside], c.epochs[inside]) for row in c.rows])


def plateau_epoch(c: Curves) -> np.ndarray:
    """The first epoch within `threshold` of the seed's best."""
    best = c.filled(-np.inf).max(axis=1, keepdims=True)
    return c.epochs[(c.filled(-np.inf) >= best - c.threshold).argmax(axis=1)].astype(float)


def per_seed(rows: np.ndarray, epochs: list[int], reduce: str, threshold: float = 0.0,
             window=None, counts=None):
    """Reduce each seed's per-epoch values (rows: seeds x monitored epochs) to one number
    by the reduction named `reduce` (REDUCTIONS)."""
    if reduce not in REDUCTIONS:
        raise UserError(f"expected values: unknown reduction {reduce!r}")
    curves = Curves(rows, np.asarray(epochs), threshold, window, counts)
    valued = curves.ran.any(axis=1)  # a seed that diverged by its first monitored epoch: none
    if valued.all():
        return REDUCTIONS[reduce](curves)
    values = np.full(len(rows), np.nan)
    values[valued] = REDUCTIONS[reduce](Curves(rows[valued], curves.epochs, threshold, window,
                                               counts))
    return values


def one_digit_fraction(rows: np.ndarray, ran: np.ndarray, counts) -> np.ndarray:
    """The fraction of a seed's epochs at which its accuracy is exactly the share of one
    digit in the evaluation set: a network that gives the same answer for every image."""
    if counts is None:
        raise UserError("expected values: one_digit_fraction needs the evaluation set's "
                        f"labels (the report's --labels {paths.DATA})")
    counts = np.asarray(counts)
    correct = np.rint(np.where(ran, rows, 0) * counts.sum())
    single = np.isin(correct, counts) & ran
    return single.sum(axis=1) / ran.sum(axis=1)


# Every reduction a row may name (config/expected.yaml's `reduce`), each of a seed's epochs.
REDUCTIONS = {
    "best": lambda c: c.filled(-np.inf).max(axis=1),
    "lowest": lambda c: c.filled(np.inf).min(axis=1),
    "final": lambda c: c.rows[np.arange(len(c.rows)), c.last],
    "first": lambda c: c.rows[:, 0],
    "last_epoch": lambda c: c.epochs[c.last].astype(float),  # the epoch a seed stopped at
    "argmin_epoch": lambda c: c.epochs[c.filled(np.inf).argmin(axis=1)].astype(float),
    "argmax_epoch": lambda c: c.epochs[c.filled(-np.inf).argmax(axis=1)].astype(float),
    "plateau_epoch": plateau_epoch,
    "break_epoch": window_break,
    "one_digit_fraction": lambda c: one_digit_fraction(c.rows, c.ran, c.counts),
}


def reduced(source: dict, inputs: Inputs, metric: str, reduce: str, run: str) -> np.ndarray:
    """The per-seed values of one metric of one run, reduced over its epochs, in the metric's
    units (percent for accuracies) unless the reduction gives epochs or fractions."""
    agg = inputs.aggregates.get(run)
    if agg is None:
        raise UserError(f"expected values: no aggregate of run {run!r} was given")
    if metric not in agg["metrics"]:
        raise UserError(f"expected values: run {run!r} does not monitor {metric!r}")
    # seeds that stopped early have shorter (or null-padded) rows: NaN after their end
    rows = padded(agg["metrics"][metric]["per_seed"], len(agg["monitored_epochs"]))
    epochs = agg["monitored_epochs"]
    if "until_epoch" in source:  # compare runs of different lengths over common epochs
        epochs = [e for e in epochs if e <= source["until_epoch"]]
        rows = rows[:, :len(epochs)]
    until = f" up to epoch {source['until_epoch']}" if "until_epoch" in source else ""
    if not epochs:  # every seed stopped (diverged) before its first monitored epoch
        raise Unmeasured(f"run {run!r} has no monitored epoch{until}")
    if not np.isfinite(rows).any():  # a value that is not finite stops its seed: diverged
        raise Unmeasured(f"run {run!r} has no finite {metric}{until}: every seed diverged by "
                         "its first monitored epoch")
    threshold = source.get("threshold", 0.0) / scale(metric)
    counts = inputs.class_counts.get(agg["spec"]["evaluation"]) if "spec" in agg else None
    values = per_seed(rows, epochs, reduce, threshold, source.get("window"), counts)
    return values if reduce.endswith("epoch") or reduce in UNSCALED else scale(metric) * values


def given(results: dict, name, option: str):
    """The result `name` among those given with `option`, or a UserError naming both."""
    if name not in results:
        raise UserError(f"expected values: no result {name!r} was given ({option})")
    return results[name]


def regenerate(source: dict, inputs: Inputs) -> np.ndarray:
    """The per-seed values of one quantity (one value for deterministic runs)."""
    if "svm" in source:
        result = given(inputs.svm, source["svm"], "--svm")
        if "scores" in source:  # the same fit scored on another set (chapter 1: test set)
            return np.array([100 * result["scores"][source["scores"]]["accuracy"]])
        return np.array([100 * result["accuracy"]])
    if "baseline" in source:  # chapter 1's deterministic baselines, read with the SVMs
        return np.array([100 * given(inputs.svm, source["baseline"], "--svm")["accuracy"]])
    if "neuron" in source:
        outputs = given(inputs.neuron, source["neuron"], "--neuron")["output"]
        return np.array([outputs[0] if source["at"] == "start" else outputs[-1]])
    run, metric, reduce = source["run"], source["metric"], source["reduce"]
    value = reduced(source, inputs, metric, reduce, run)
    if "minus" in source:  # a gap: this metric minus another, each reduced the same way
        value = value - reduced(source, inputs, source["minus"], reduce, run)
    if "minus_reduce" in source:  # the same metric reduced another way, e.g. final - first
        value = value - reduced(source, inputs, metric, source["minus_reduce"], run)
    if "minus_run" in source:  # a difference between two runs, seed by seed
        value = value - reduced(source, inputs, metric, reduce, source["minus_run"])
    if "errors_eliminated_vs" in source:  # the share of the other run's errors removed
        other = 100 - reduced(source, inputs, metric, reduce, source["errors_eliminated_vs"])
        value = (other - (100 - value)) / other
    return value


def row_seeds(row: dict, default: list[int]) -> list[int]:
    """The calibration seeds of one row: its own `calibration_seeds`, else the default."""
    return list(row.get("calibration_seeds") or default)


def whole_calibration(expected: dict, points: dict, path, recipe: bool = False) -> None:
    """A UserError naming the file and the row unless each seeded row's stored values are
    whole (`stored_row_problem`). The recipe's calibration (`recipe`) measured each row
    over the file's seeds, and has no row of a run without a recipe: a row it lacks is not
    checked (which rows it must hold depends on the config it was made with)."""
    what = "recipe calibration" if recipe else "calibration"
    for row in expected["quantities"]:
        if not seeded(row) or (row["id"] not in points["seed_sd"]
                               and (recipe or row.get("every_seed"))):
            continue
        seeds = points["seeds"] if recipe else row_seeds(row, points["seeds"])
        if wrong := stored_row_problem(row, points, seeds):
            raise UserError(f"{path}: {what}: row {row['id']!r}: {wrong}; restore it from git "
                            "or rerun `snakemake --cores 2 "
                            f"{'install_recipe' if recipe else 'install_calibration'}`")


def row_sd(row: dict, values: np.ndarray, by: np.ndarray | None = None) -> float:
    """The seed sd of a row's quantity: of the per-seed values, or, for `best_of: k`, of
    the value of the best seed of every k-seed group of them, best by `by` (the per-seed
    values of its `best_by` quantity) or by the values themselves. The calibration stores
    it; the check recomputes it from the stored values (`stored_row_problem`), so that a
    calibration made by another definition of it is refused, not used."""
    values = np.asarray(values, dtype=np.float64)
    k = row.get("best_of")
    if k:
        by = values if by is None else by
        values = np.array([values[max(group, key=lambda i: by[i])]
                           for group in itertools.combinations(range(len(values)), k)])
    return stats.sd(values)


def needs_claim_sd(row: dict) -> bool:
    """A claim between two runs' spreads (`*_sds`): the calibration measures its other run's
    sd too (claim_sd)."""
    return any(k.endswith("_sds") for k in row.get("claim") or {})


def stored_values(calibration: dict, row_id: str) -> dict | None:
    """A row's calibration values by seed, if the calibration stored them."""
    return (calibration.get("per_seed") or {}).get(row_id)


def stored_row_problem(row: dict, points: dict, seeds: list[int]) -> str | None:
    """What is missing or inconsistent in a row's calibration (None if nothing): its sd
    (and claim sd), its values on exactly `seeds` (its degrees of freedom), and its sd
    this code's `row_sd` of those values up to their rounding (but for a row whose best
    seed is picked by another quantity, `best_by`, whose values are not stored)."""
    rid = row["id"]
    for key, needed in (("seed_sd", True), ("claim_sd", needs_claim_sd(row))):
        if needed and rid not in points.get(key, {}):
            return f"no {key}"
    values = stored_values(points, rid)
    if values is None:
        return "no per_seed"
    if sorted(values) != sorted(seeds):
        return f"per_seed has seeds {sorted(values)}, not its calibration seeds {sorted(seeds)}"
    n = len(values)
    if n < 2:
        return None  # no sd to compare: calibrated_n refuses it
    if row.get("best_of", 1) >= n:  # fewer than two groups of best_of seeds
        return f"best_of {row['best_of']} of its {n} seeds: no sd of their groups' best"
    if row.get("best_by"):
        return None
    sd = row_sd(row, list(values.values()))
    # each value rounded by at most half a unit moves the sd (of the values, or of their
    # groups' best: at least n groups, best_of being below n) by at most that times
    # sqrt(n / (n - 1)); the stored sd is rounded by half a unit more
    bound = 0.5 * 10.0 ** -CALIBRATION_DECIMALS * (math.sqrt(n / (n - 1)) + 1) + 1e-12
    if abs(sd - points["seed_sd"][rid]) > bound:
        return (f"seed_sd {points['seed_sd'][rid]} is not this code's sd of its per_seed "
                f"values ({sd:.{CALIBRATION_DECIMALS}f}, check.row_sd): an edited or cut "
                "file, or one made by other code")
    return None


def seeded(row: dict) -> bool:
    """A network run varies with its seed however few seeds were run (one seed is one
    draw); the SVM and the single neuron are deterministic."""
    return "run" in row["source"]


def trained_of(source: dict) -> list[str]:
    """What a row reads that was trained with settings: its network runs, its single-neuron
    run (changed.neuron_key)."""
    neuron = [changed.neuron_key(source["neuron"])] if "neuron" in source else []
    return runs_of(source) + neuron


def runs_of(source: dict) -> list[str]:
    """The network runs a row reads."""
    return [r for r in (source.get("run"), source.get("minus_run"),
                        source.get("errors_eliminated_vs")) if r]


def best_of(row: dict, values: np.ndarray, by: np.ndarray | None = None) -> np.ndarray:
    """The value of the best of the first k seeds for a `best_of: k` row (as the text's
    best of k runs): best by `by`, the per-seed values of its `best_by` quantity, or by
    the row's own values."""
    if too_few_seeds(row, len(values)):
        raise UserError(f"expected values: {row['id']}: {seeds_needed(row)}, the check has "
                        f"{len(values)}")
    by = values if by is None else by
    return np.array([values[int(np.argmax(by[:row["best_of"]]))]])


def too_few_seeds(row: dict, n: int) -> bool:
    """Whether n seeds are too few for the row: a `best_of: k` row needs k."""
    return n < row.get("best_of", 0)


def seeds_needed(row: dict) -> str:
    return f"best_of {row['best_of']} needs at least {row['best_of']} seeds"


def best_by_values(row: dict, inputs: Inputs) -> np.ndarray | None:
    """Per seed, the values of the quantity that picks a `best_of` row's best run, for a
    row reading another (a transcript's epoch k, of the run best by its peak): the row's
    run and metric reduced by `best_by` over all its epochs. None: the row's own values
    pick it."""
    if "best_by" not in row:
        return None
    s = row["source"]
    return regenerate({"run": s["run"], "metric": s["metric"], "reduce": row["best_by"]}, inputs)


def diverged(source: dict, aggregates: dict) -> list[str]:
    """`run seed s at epoch e` for every diverged seed of the runs a row reads."""
    return [seed for run in runs_of(source) if run in aggregates
            for seed in diverged_named(run, aggregates[run])]


def resolved_claim(row: dict, calibration: dict) -> dict:
    """The claim with its bound as a number: `at_least_sds: k` is k calibrated standard
    deviations of the other run's own quantity (`claim_sd` of the calibration), e.g. "loses
    less than the seeds alone vary"."""
    claim = row["claim"]
    for key, op in (("at_least_sds", "at_least"), ("at_most_sds", "at_most")):
        if key in claim:
            sd = (calibration.get("claim_sd") or {}).get(row["id"])
            if sd is None:
                raise UserError(f"calibration: no claim_sd for {row['id']!r} ({RECALIBRATE})")
            return {op: round(claim[key] * sd, 4)}
    return claim


def claim_holds(claim: dict, mean: float, tol: float) -> bool:
    if "at_least" in claim:
        return mean >= claim["at_least"] - tol
    return mean <= claim["at_most"] + tol


def calibrated_n(calibration: dict, row_id: str) -> int:
    """How many seeds a row's sd was measured on: its own per-seed values, else the file's."""
    values = stored_values(calibration, row_id)
    n = len(values) if values else int(calibration.get("n") or len(calibration["seeds"]))
    if n < 2:  # an sd needs two seeds, its t quantile one degree of freedom
        raise UserError(f"calibration: {row_id}: its sd rests on {n} seed(s), at least 2 "
                        "needed (rerun `snakemake calibrate`)")
    return n


def calibrated_df(calibration: dict, row: dict) -> float:
    """The degrees of freedom of a row's calibrated sd: its seeds less one, or, for a
    `best_of: k` row, its best-of-k groups' effective number of seeds less one (the
    groups overlap, and the best seeds weigh most: stats.best_of_effective_seeds)."""
    n = calibrated_n(calibration, row["id"])
    k = row.get("best_of")
    return (stats.best_of_effective_seeds(n, k) if k and n > k else n) - 1


def recipe_spread(recipe: dict | None, row: dict) -> tuple[float | None, float | None]:
    """The recipe's sd of a row and its degrees of freedom, or (None, None) without one."""
    sd = ((recipe or {}).get("seed_sd") or {}).get(row["id"])
    if sd is None:
        return None, None
    return sd, calibrated_df(recipe, row)


def unit(source: dict) -> str:
    """What a row's number counts, so that only like numbers are compared: epochs,
    fractions, gaps, or the metric's own kind (accuracy, cost, a neuron's output)."""
    if "neuron" in source:
        return "output"
    if "run" not in source:
        return "accuracy"
    if source["reduce"].endswith("epoch"):
        return "epochs"
    if source["reduce"] in UNSCALED or "errors_eliminated_vs" in source:
        return "fraction"
    if DIFFERENCE_KEYS & set(source):
        return "gap"
    return source["metric"].rsplit("_", 1)[-1]


def text_effects(expected: dict) -> dict:
    """The effect the text reports beside each book number: the smallest non-zero
    difference between it and a book number of another run in the same section and units
    (what the text compares it with; the epochs of one run's transcript are not a
    comparison). Where the section has no such number, the book number itself: a shift as
    large as the number is the reported effect gone (no plateau at epoch 280, no lowest
    test cost at epoch 15); None for a book number of 0."""
    books = [r for r in expected["quantities"] if "book" in r]
    effects = {}
    for row in books:
        gaps = [abs(row["book"] - other["book"]) for other in books
                if other["section"] == row["section"] and origin(other) != origin(row)
                and unit(other["source"]) == unit(row["source"])
                and other["book"] != row["book"]]
        effects[row["id"]] = min(gaps) if gaps else (abs(row["book"]) or None)
    return effects


def claim_effect(row: dict, claim: dict, recipe: dict | None = None) -> float | None:
    """The effect a claim on a difference (of two runs, or of two reductions of one run:
    DIFFERENCE_KEYS) must tell from the alternative it rejects; a claim row whose
    detectable shift exceeds it cannot, so is weak.
    - A bound that excludes a difference of 0: the bound's distance from 0 (the
      alternative: no difference).
    - A bound a difference of 0 satisfies ("not worse"): the distance from the bound of the
      recipe's mean (config/recipe.yaml: the book's own difference; the alternative: that
      difference reversed about the bound); 0 where that mean is not on the claimed side
      (the book's own difference is no farther from its reverse: any pass is weak).
    None for a claim not on a difference, or one of the second kind without a recipe."""
    if not DIFFERENCE_KEYS & set(row["source"]):
        return None
    (bound,) = claim.values()
    if not claim_holds(claim, 0.0, 0.0):
        return abs(bound)
    book = stored_values(recipe, row["id"]) if recipe else None
    if not book:
        return None
    mean = float(np.mean(list(book.values())))
    return abs(mean - bound) if claim_holds(claim, mean, 0.0) else 0.0


def effect_of(row: dict, claim: dict | None, effects: dict, recipe: dict | None):
    """A row's effect: a claim's (claim_effect), else the text's (text_effects)."""
    return claim_effect(row, claim, recipe) if claim else effects.get(row["id"])


def origin(row: dict) -> str:
    """What a row measures: its run, or the deterministic result it reads."""
    source = row["source"]
    return source.get("run") or repr(sorted((k, v) for k, v in source.items() if k != "at"))


def judged(row: dict, values: np.ndarray, calibration: dict, gate: Gate, recipe) -> dict:
    """A row's tolerance (the rule of `nndl3.tolerance`), the K_SIGMA rule it replaced, and
    the shift it detects; whether it passes."""
    n, mean = len(values), float(values.mean())
    sd_ours = calibration["seed_sd"].get(row["id"], 0.0) if seeded(row) else 0.0
    df_ours = calibrated_df(calibration, row) if seeded(row) else 0
    alpha = gate.alpha_row
    unlimited = None  # a tolerance row's detectable shift with unlimited seeds
    if row.get("claim"):
        claim = resolved_claim(row, calibration)
        tol, k = claim_margin(sd_ours, df_ours, n, alpha)
        sigma, df, source = sd_ours / math.sqrt(n), df_ours, "ours"
        old = k_sigma_claim_margin(sd_ours, n)
        passed = claim_holds(claim, mean, tol)
    elif row.get("every_seed") or not seeded(row):  # exact rows: the book's precision alone
        tol = old = row["book_precision"]
        k = sigma = df = source = claim = None
        passed = (bool(np.all(np.abs(values - row["book"]) <= tol)) if row.get("every_seed")
                  else abs(mean - row["book"]) <= tol)
    else:
        sd_recipe, df_recipe = recipe_spread(recipe, row)
        s = spread(sd_ours, df_ours, n, sd_recipe, df_recipe)
        tol, k = book_tolerance(s, alpha, row["book_precision"])
        sigma, df, source, claim = s.sigma, s.df, s.source, None
        old = float(k_sigma_tolerance(sd_ours, n, row["book_precision"]))
        passed = abs(mean - row["book"]) <= tol
        # with unlimited seeds only the book's one draw spreads (the recipe's sd, or ours),
        # and, for a best-of row, our one draw of the best of k seeds too, however many run
        draw_sd = sd_ours if sd_recipe is None else sd_recipe
        unlimited = unlimited_shift(math.hypot(draw_sd, sd_ours) if row.get("best_of")
                                    else draw_sd, alpha, row["book_precision"], gate.power)
    shift = detectable(tol, sigma, df, gate.power) if sigma else None
    return {"claim": claim, "tolerance": float(tol), "tolerance_k_sigma": float(old),
            "k": k, "df": df, "alpha": alpha if k is not None else None,
            "spread_source": source, "seed_sd_calibrated": sd_ours,
            "detectable_shift": shift,
            "shift_unlimited": unlimited if shift is not None else None,
            "passed": bool(passed)}


def evaluate(expected: dict, calibration: dict, inputs: Inputs, gate: Gate | None = None,
             recipe: dict | None = None, book_settings: dict | None = None) -> list[dict]:
    """Every row, judged; `gate` defaults to config's over the rows alone (no curves),
    `recipe` (config/recipe.yaml) to none: our spread stands for the book's draw. A row
    that reads a run trained with other settings than the book's (`book_settings`,
    nndl3.changed) is `changed`: neither pass nor fail, no tolerance (its calibration is
    the book's settings')."""
    gate = gate or gate_of(expected)
    effects = text_effects(expected)
    results = []
    # what was trained with settings, by run: the runs' aggregates, the neuron's results
    trained = {**inputs.aggregates, **changed.neuron_trained(inputs.neuron)}
    for row in expected["quantities"]:
        change = changed.changed(trained_of(row["source"]), trained, book_settings)
        bad_seeds = diverged(row["source"], inputs.aggregates) if seeded(row) else []
        why = unusual(change, bad_seeds)
        try:
            values = row_values(row, inputs)
        except Unmeasured as exc:  # a changed or diverged run that cannot give it: no value
            if not why:
                raise UserError(f"{row_name(row)}: {exc}") from None
            j = unjudged(row, calibration)
            results.append(result(row, np.array([]), j, CHANGED if change else FAIL,
                                  f"{why}; not measured: {exc}",
                                  effect_of(row, j["claim"], effects, recipe)))
            continue
        if seeded(row) and row["id"] not in calibration["seed_sd"] and not row.get("every_seed"):
            raise UserError(f"calibration: no seed_sd for {row['id']!r} ({RECALIBRATE})")
        j = judged(row, values, calibration, gate, recipe)
        effect = effect_of(row, j["claim"], effects, recipe)
        weak = (j["detectable_shift"] is not None and effect is not None
                and j["detectable_shift"] > effect)
        # a best-of row's book number is a best of k, not one seed: no single-seed rank
        ours = None if row.get("best_of") else stored_values(calibration, row["id"])
        if change:  # the calibration measured the book's settings, not these
            j = {**j, "tolerance": None, "tolerance_k_sigma": None, "detectable_shift": None,
                 "shift_unlimited": None}
            weak = False
        status = CHANGED if change else FAIL if bad_seeds else (
            (WEAK if weak else PASS) if j["passed"] else
            (KNOWN_DEVIATION if row.get("known_deviation") else FAIL))
        results.append(result(row, values, j, status, why, effect, weak, ours))
    return results


def unusual(change: str | None, bad_seeds: list[str]) -> str | None:
    """Why a row is not judged as usual: the settings its run changed, its diverged seeds."""
    parts = [change] if change else []
    if bad_seeds:
        parts.append(f"diverged: {', '.join(bad_seeds)}")
    return "; ".join(parts) or None


def unjudged(row: dict, calibration: dict) -> dict:
    """What `judged` gives, for a row with no value: its claim, nothing else."""
    return {"claim": resolved_claim(row, calibration) if row.get("claim") else None,
            "tolerance": None, "tolerance_k_sigma": None, "k": None, "df": None,
            "alpha": None, "spread_source": None, "seed_sd_calibrated": None,
            "detectable_shift": None, "shift_unlimited": None, "passed": False}


def result(row: dict, values: np.ndarray, j: dict, status: str, reason: str | None,
           effect: float | None = None, weak: bool = False, ours: dict | None = None) -> dict:
    """A row's result: its values' statistics (None without values), its judgment `j`,
    its status and why; `ours`: the calibration seeds' values, where the book lies."""
    n = len(values)
    return {
        "id": row["id"], "section": row["section"], "quantity": row["quantity"],
        "book": row.get("book"), "claim": j["claim"],
        "mean": float(values.mean()) if n else None,
        "sd": (stats.sd(values) if n > 1 else 0.0) if n else None, "n": n,
        "min": float(values.min()) if n else None, "max": float(values.max()) if n else None,
        **{k: v for k, v in j.items() if k not in ("claim", "passed")},
        "text_effect": effect, "weak": weak,
        "book_below": (None if ours is None or "book" not in row else
                       [below(list(ours.values()), row["book"]), len(ours)]),
        "calibration_quartiles": None if ours is None else quantiles(list(ours.values())),
        "status": status, "known_deviation": row.get("known_deviation"), "reason": reason,
    }


def target(r: dict) -> str:
    """The book column: the book's number, or the claimed inequality."""
    if r.get("claim"):
        (op, bound), = r["claim"].items()
        return f"claim: {'≥' if op == 'at_least' else '≤'} {bound:g}"
    return f"{r['book']:g}"


def digits(r: dict) -> int:
    """The neuron's outputs, the gaps and the claims need 3 digits."""
    return 3 if r.get("claim") or abs(r["book"]) < 10 else 2


def ordered(results: list[dict], headline: str | None) -> list[dict]:
    """The headline row first (the gate's example, `gate: headline`), then config order."""
    return sorted(results, key=lambda r: r["id"] != headline)


def table(results: list[dict], comparisons: list[dict] = (), headline: str | None = None) -> str:
    """Every row: book, regenerated mean ± sd, the tolerance and the K_SIGMA rule it
    replaced, whose spread stood for the book's draw, the detectable shift and the one with
    unlimited seeds beside the effect the text reports, where the book lies among our
    calibration seeds, the recipe test's p (means), the status. The report's table and
    the docs block are this."""
    p_mean = {c["id"]: c["p_mean"] for c in comparisons}
    lines = ["| row | § | book | regenerated mean ± sd (n) | min-max | tolerance "
             f"| {K_SIGMA:g} sd rule | book's draw: spread of | detectable shift "
             "| with unlimited seeds | text's effect | book above our seeds "
             "| p, ours vs recipe | status |",
             "|---" * 14 + "|"]
    for r in ordered(results, headline):
        d = digits(r)
        status = r["status"] + (f" ({r['reason']})" if r.get("reason") else "")
        shift, unlimited, effect = (number(r.get(key), f".{d}f") for key in (
            "detectable_shift", "shift_unlimited", "text_effect"))
        rank = "-" if not r.get("book_below") else "{} of {}".format(*r["book_below"])
        p = f"{p_mean[r['id']]:.3g}" if r["id"] in p_mean else "-"
        tol, old = (number(r[key], f".{d}f", "± ") for key in ("tolerance", "tolerance_k_sigma"))
        measured = ("- (0) | -" if r["mean"] is None else
                    f"{r['mean']:.{d}f} ± {r['sd']:.{d}f} ({r['n']}) | "
                    f"{r['min']:.{d}f}-{r['max']:.{d}f}")
        lines.append(
            f"| `{r['id']}` | {r['section']} | {target(r)} | {measured} | {tol} | {old} | "
            f"{r['spread_source'] or '-'} | {shift} | {unlimited} | {effect} | {rank} | {p} "
            f"| {status} |")
    return "\n".join(lines) + "\n"


def rule_text(gate: dict) -> str:
    """The tolerance rule with the numbers this report used."""
    return (f"Tolerance = t(1 - alpha/2, df) * sd(our mean of n - the book's draw) + the "
            f"book's precision; a claim allows t(1 - alpha, df) * sd / sqrt(n). alpha = "
            f"{gate['alpha_row']:.3g} per row: the Šidák share of a {gate['alpha_family']:g} "
            f"chance that a correct network fails any of the gate's {gate['m']} "
            "seed-dependent rows and curves. df: the Welch-Satterthwaite degrees of freedom "
            "of the sds used. The detectable shift is the shift of our mean the row detects "
            f"with probability {gate['power']:g}; a row is `weak` when it exceeds the "
            "smallest difference between this book number and one of another run that "
            "the same section reports in the same units (the text's effect); for a claim on "
            "a difference, the distance from its bound of no difference, or, where a "
            "difference of 0 satisfies it, of the recipe's mean difference reversed. With "
            "unlimited seeds, ours and the recipe's, our mean is exact and only the book's "
            "one draw spreads (the recipe's sd, or ours without a recipe), known: the shift "
            "then is what no number of seeds brings lower. Before: "
            f"{K_SIGMA:g} sd.")


def weak_with_unlimited_seeds(rows: list[dict]) -> list[dict]:
    """The weak rows whose detectable shift with unlimited seeds, at the sd measured of the
    book's one draw, still exceeds the text's effect: no number of seeds makes them see it."""
    return [r for r in rows if r["status"] == WEAK and r.get("shift_unlimited") is not None
            and r["shift_unlimited"] > r["text_effect"]]


def weak_with_unlimited_seeds_line(weak: list[dict]) -> str:
    """The report's sentence on `weak_with_unlimited_seeds` among the weak rows `weak`."""
    stay = weak_with_unlimited_seeds(weak)
    if not stay:
        return ("With unlimited seeds every weak row could see the text's effect (its "
                "detectable shift then, at the sd measured of the book's one draw, is within it).")
    listed = ", ".join(f"`{r['id']}` ({r['shift_unlimited']:.{digits(r)}f} > "
                       f"{r['text_effect']:.{digits(r)}f})" for r in stay)
    rest = (f"; the other {len(weak) - len(stay)} could see it with more seeds"
            if len(stay) < len(weak) else "")
    return (f"Weak with unlimited seeds, {len(stay)} of {len(weak)} (our mean exact, the book's "
            "one draw spreading as its sd measured, so no number of seeds lowers the "
            f"detectable shift further, and it still exceeds the text's effect): {listed}{rest}.")


def counts(rows: list[dict]) -> str:
    """`3 pass, 2 weak, 1 FAIL`: each status once, in the order it first appears."""
    seen: dict[str, int] = {}
    for r in rows:
        seen[r["status"]] = seen.get(r["status"], 0) + 1
    return ", ".join(f"{n} {status}" for status, n in seen.items())


def markdown(results: list[dict], expected: dict, gate: dict,
             comparisons: list[dict] = ()) -> str:
    headline = (expected.get("gate") or {}).get("headline")
    lines = ["# Reproduction of chapters 1 to 3: regenerated numbers against the book", "",
             expected["rule"].strip(), "", rule_text(gate), "",
             table(results, comparisons, headline).rstrip("\n")]
    claims = [r for r in results if r.get("claim")]
    if claims:
        lines += ["", "## Claims of the text (no book number, an inequality)", "",
                  "The book shows no run of these techniques; each row above marked `claim` "
                  "states what the text says as an inequality, not the reproduction of a "
                  "number, with the claim margin of the rule above (our calibration seeds' "
                  "sd).", ""]
        lines += [f"- **{r['id']}** ({r['status']}): {r['quantity']}: {target(r)}, "
                  + ("not measured" if r["mean"] is None else f"regenerated {r['mean']:.3f}")
                  for r in claims]
    weak = [r for r in results if r["status"] == WEAK]
    if weak:
        lines += ["", "## Weak rows: what our calibration seeds show", "",
                  weak_with_unlimited_seeds_line(weak), "",
                  "Each weak row's calibration seeds by quantile (min, 25 %, median, 75 %, "
                  "max) and where the book's number lies among them: a statement that holds "
                  "whatever the distribution's shape (several modes, a long tail).", ""]
        lines += [f"- **{r['id']}**: " + (
                      f"book {r['book']:g}, above {r['book_below'][0]} of "
                      f"{r['book_below'][1]} seeds" if r.get("book_below") else
                      f"{target(r)}, effect {r['text_effect']:g}") + "; seeds "
                  + " / ".join(f"{q:.{digits(r)}f}" for q in r["calibration_quartiles"])
                  for r in weak if r.get("calibration_quartiles")]
    known = [r for r in results if r["known_deviation"]]
    if known:
        lines += ["", "## Known deviations (reported, not gated; never a wider tolerance)", ""]
        lines += [f"- **{r['id']}** ({r['status']}): {r['known_deviation']}" for r in known]
    failed = [r["id"] for r in results if r["status"] == FAIL]
    lines += ["", f"**rows: {counts(results)}**" + (f"; failed: {', '.join(failed)}"
                                                    if failed else "")
              + changed.summary(results)]
    return "\n".join(lines) + "\n"


def best_of_valid(row: dict, where: str) -> None:
    """A best-of row picks the largest value, so it must read an accuracy (larger is
    better), and `best_by` can only be `best` (the run best at its peak)."""
    if not row.get("best_of"):
        raise UserError(f"{where}: best_by {row['best_by']!r} needs best_of")
    if not str(row["source"].get("metric", "")).endswith("accuracy"):
        raise UserError(f"{where}: best_of needs an accuracy metric (the best is the "
                        f"largest), got {row['source'].get('metric')!r}")
    if row.get("best_by", "best") != "best":
        raise UserError(f"{where}: best_by must be 'best' (the run best at its peak), "
                        f"got {row['best_by']!r}")


def load_expected(path) -> dict:
    expected = readers.expected(path)
    for key in ("rule", "gate"):
        if key not in expected:
            raise UserError(f"{path}: expected values: missing key {key!r}")
    ids = set()
    for i, row in enumerate(expected["quantities"]):
        if not isinstance(row, dict):
            raise UserError(f"{path}: quantities[{i}]: a row must be a mapping of keys to "
                            f"values, not {type(row).__name__}")
        if row.get("id") in ids:  # the report would count it twice, in the gate's rows too
            raise UserError(f"{path}: quantities[{i}]: a second row {row['id']!r}")
        ids.add(row.get("id"))
        needed = ("claim",) if "claim" in row else ("book", "book_precision")
        for key in ("id", "section", "quantity", "source", *needed):
            if key not in row:
                raise UserError(f"{path}: quantities[{i}]: missing key {key!r}")
        wrong = row_problem(row)
        if wrong:
            raise UserError(f"{path}: row {row['id']!r}: {wrong}")
        if row.get("best_of") or "best_by" in row:
            best_of_valid(row, f"{path}: quantities[{i}] ({row['id']})")
    return expected


def row_problem(row: dict) -> str | None:
    """What makes a row unreadable before any run is trained (None if nothing): an unknown
    reduction, a window a break needs, a book number or precision that is no number."""
    source = row["source"]
    if not isinstance(source, dict):
        return f"source: {source!r:.40} is not a mapping"
    missing = [k for k in ("metric", "reduce") if "run" in source and k not in source]
    if missing:
        return f"source: a run's row needs {' and '.join(missing)}"
    for key in ("reduce", "minus_reduce"):  # best_by: best_of_valid
        if key in source and source[key] not in REDUCTIONS:
            return (f"source.{key}: unknown reduction {source[key]!r} (one of "
                    f"{', '.join(REDUCTIONS)})")
    if source.get("reduce") == "break_epoch" and "window" not in source:
        return "source: reduce break_epoch needs a window: [first, last]"
    return book_numbers_problem(row)


def config_problem(expected: dict, specs: dict) -> str | None:
    """A row reading a run the config does not have, or a metric that run does not monitor
    (`specs`: run -> its spec); None if every row can be made."""
    for row in expected["quantities"]:
        source = row["source"]
        for run in runs_of(source):
            if run not in specs:
                return f"row {row['id']!r}: no run {run!r} in the config's runs"
            for metric in (source["metric"], source.get("minus")):
                if metric and metric not in specs[run]["monitor"]:
                    return (f"row {row['id']!r}: run {run!r} does not monitor {metric!r} "
                            f"(it monitors {', '.join(specs[run]['monitor'])})")
    return None


def seed_shortfall(expected: dict, specs: dict) -> str | None:
    """The first `best_of: k` row whose run has fewer than k seeds, as a warning for the
    workflow's start: its report job would stop there, after every run is trained. Not an
    error: fewer seeds still draw every figure (a quick look, CI's one-seed runs)."""
    for row in expected["quantities"]:
        short = [run for run in runs_of(row["source"])
                 if run in specs and too_few_seeds(row, len(specs[run]["seeds"]))]
        if short:
            seeds = specs[short[0]]["seeds"]
            return (f"row {row['id']!r}: {seeds_needed(row)} and run {short[0]!r} has "
                    f"{seeds}: the check (`snakemake check`, and `all`'s report) will stop "
                    "there; figures are drawn")
    return None


def sources(expected: dict, specs: dict | None = None, where="expected values") -> dict:
    """What the check reads: the runs, SVM sizes and neuron runs the quantities of
    `expected` (load_expected's, read from `where`) name; with the config's run `specs`,
    each row checked against them (`config_problem`)."""
    wrong = config_problem(expected, specs) if specs is not None else None
    if wrong:
        raise UserError(f"{where}: {wrong}")
    found = {"runs": set(), "svm": set(), "neuron": set(), "baselines": set()}
    for row in expected["quantities"]:
        s = row["source"]
        if "run" in s:
            found["runs"].update(runs_of(s))
        elif "svm" in s:
            found["svm"].add(s["svm"])
        elif "baseline" in s:
            found["baselines"].add(s["baseline"])
        else:
            found["neuron"].add(s["neuron"])
    return {k: sorted(v) for k, v in found.items()}
