"""The point rows of the check: every number the text reports, regenerated, against a tolerance.

`config/expected.yaml` defines each quantity exactly (which run, which metric, which
reduction over epochs), the book's value and the precision with which the book states it;
`config/calibration.yaml` holds its seed-to-seed standard deviation, measured on
calibration seeds (`nndl3.calibration`). The tolerance is the rule of `nndl3.tolerance`:

    tolerance = 3 * sd * sqrt(1 + 1/n) + book_precision

A row with `best_of: k` (the text reports the best of k runs) compares the best of the
first k seeds with the book's best of k: both are one draw of that maximum, so n = 1 and
its sd is calibrated over groups of k calibration seeds.

A row with `every_seed: true` states a property the book's run has (e.g. a network that
gives one answer for every image): it passes only if every seed is within book_precision
of the book's value, whatever the seeds' spread.

A claim row (the techniques the text describes without a run of its own) has no book
value: it states an inequality, `claim: {at_least: b}` or `{at_most: b}`, about a quantity,
often the difference between two runs (`minus_run`, seeds paired). It passes unless the
mean of our n seeds is on the wrong side of b by more than 3 * sd / sqrt(n) (no book draw
to add). A seed that diverged fails any row it feeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import changed, readers
from .aggregate import padded
from .errors import UserError
from .tolerance import claim_margin, scale, tolerance

# Reductions whose value is not in the metric's units (epochs, fractions of epochs).
UNSCALED = ("one_digit_fraction",)


@dataclass
class Inputs:
    """What the rows read: aggregates by run, SVM results by training size, single-neuron
    results by name, and the count of each digit in each evaluation set (by set name)."""

    aggregates: dict
    svm: dict = field(default_factory=dict)
    neuron: dict = field(default_factory=dict)
    class_counts: dict = field(default_factory=dict)


def break_epoch(values: np.ndarray, epochs: np.ndarray) -> float:
    """Where a curve stops rising: the break c of the least-squares fit a + b * min(epoch, c)
    (a rise, then flat), c over the epochs strictly inside the given ones."""
    best = (np.inf, float(epochs[0]))
    for c in epochs[1:-1]:
        design = np.stack([np.ones(len(epochs)), np.minimum(epochs, c)], axis=1)
        fit, *_ = np.linalg.lstsq(design, values, rcond=None)
        best = min(best, (float(np.sum((design @ fit - values) ** 2)), float(c)))
    return best[1]


def per_seed(rows: np.ndarray, epochs: list[int], reduce: str, threshold: float = 0.0,
             window=None, counts=None):
    """Reduce each seed's per-epoch values (rows: seeds x monitored epochs) to one number.
    counts: the number of images of each digit in the evaluation set (one_digit_fraction)."""
    # rows are NaN after a seed stopped early: every reduction reads its epochs only
    epochs = np.asarray(epochs)
    ran = np.isfinite(rows)
    last = ran.shape[1] - 1 - ran[:, ::-1].argmax(axis=1)
    if reduce == "break_epoch":  # over the epochs `window` (the book's plotted range)
        inside = (epochs >= window[0]) & (epochs <= window[1])
        return np.array([break_epoch(row[inside], epochs[inside]) for row in rows])
    if reduce == "best":
        return np.where(ran, rows, -np.inf).max(axis=1)
    if reduce == "lowest":
        return np.where(ran, rows, np.inf).min(axis=1)
    if reduce == "final":
        return rows[np.arange(len(rows)), last]
    if reduce == "last_epoch":  # the epoch a seed stopped at
        return epochs[last].astype(float)
    if reduce == "first":
        return rows[:, 0]
    if reduce == "argmin_epoch":
        return epochs[np.where(ran, rows, np.inf).argmin(axis=1)].astype(float)
    if reduce == "argmax_epoch":
        return epochs[np.where(ran, rows, -np.inf).argmax(axis=1)].astype(float)
    if reduce == "plateau_epoch":  # first epoch within `threshold` of the run's best
        best = np.where(ran, rows, -np.inf).max(axis=1, keepdims=True)
        reached = np.where(ran, rows, -np.inf) >= best - threshold
        return epochs[reached.argmax(axis=1)].astype(float)
    if reduce == "one_digit_fraction":
        return one_digit_fraction(rows, ran, counts)
    raise UserError(f"expected values: unknown reduction {reduce!r}")


def one_digit_fraction(rows: np.ndarray, ran: np.ndarray, counts) -> np.ndarray:
    """The fraction of a seed's epochs at which its accuracy is exactly the share of one
    digit in the evaluation set: a network that gives the same answer for every image."""
    if counts is None:
        raise UserError("expected values: one_digit_fraction needs the evaluation set's "
                        "labels (the report's --labels data/mnist.npz)")
    counts = np.asarray(counts)
    correct = np.rint(np.where(ran, rows, 0) * counts.sum())
    single = np.isin(correct, counts) & ran
    return single.sum(axis=1) / ran.sum(axis=1)


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
    threshold = source.get("threshold", 0.0) / scale(metric)
    counts = inputs.class_counts.get(agg["spec"]["evaluation"]) if "spec" in agg else None
    values = per_seed(rows, epochs, reduce, threshold, source.get("window"), counts)
    return values if reduce.endswith("epoch") or reduce in UNSCALED else scale(metric) * values


def regenerate(source: dict, inputs: Inputs) -> np.ndarray:
    """The per-seed values of one quantity (one value for deterministic runs)."""
    if "svm" in source:
        result = inputs.svm[source["svm"]]
        if "scores" in source:  # the same fit scored on another set (chapter 1: test set)
            return np.array([100 * result["scores"][source["scores"]]["accuracy"]])
        return np.array([100 * result["accuracy"]])
    if "baseline" in source:  # chapter 1's deterministic baselines, read with the SVMs
        return np.array([100 * inputs.svm[source["baseline"]]["accuracy"]])
    if "neuron" in source:
        outputs = inputs.neuron[source["neuron"]]["output"]
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


def seeded(row: dict) -> bool:
    """A network run varies with its seed however few seeds were run (one seed is one
    draw); the SVM and the single neuron are deterministic."""
    return "run" in row["source"]


def runs_of(source: dict) -> list[str]:
    """The network runs a row reads."""
    return [r for r in (source.get("run"), source.get("minus_run"),
                        source.get("errors_eliminated_vs")) if r]


def best_of(row: dict, values: np.ndarray) -> np.ndarray:
    """The best of the first k seeds for a `best_of: k` row (as the text's best of k runs)."""
    k = row["best_of"]
    if len(values) < k:
        raise UserError(f"expected values: {row['id']}: best_of {k} needs at least {k} seeds, "
                        f"the check has {len(values)}")
    return np.array([values[:k].max()])


def diverged(source: dict, aggregates: dict) -> list[str]:
    """`run seed s at epoch e` for every diverged seed of the runs a row reads."""
    found = []
    for run in runs_of(source):
        agg = aggregates.get(run) or {}
        for seed, epoch in zip(agg.get("seeds", ()), agg.get("diverged_at_epoch") or (),
                               strict=False):
            if epoch is not None:
                found.append(f"{run} seed {seed} at epoch {epoch}")
    return found


def resolved_claim(row: dict, calibration: dict) -> dict:
    """The claim with its bound as a number: `at_least_sds: k` is k calibrated standard
    deviations of the other run's own quantity (`claim_sd` of the calibration), e.g. "loses
    less than the seeds alone vary"."""
    claim = row["claim"]
    for key, op in (("at_least_sds", "at_least"), ("at_most_sds", "at_most")):
        if key in claim:
            sd = (calibration.get("claim_sd") or {}).get(row["id"])
            if sd is None:
                raise UserError(f"calibration: no claim_sd for {row['id']!r} (rerun "
                                "`snakemake calibrate`, then `snakemake install_calibration`)")
            return {op: round(claim[key] * sd, 4)}
    return claim


def claim_holds(claim: dict, mean: float, tol: float) -> bool:
    if "at_least" in claim:
        return mean >= claim["at_least"] - tol
    return mean <= claim["at_most"] + tol


def evaluate(expected: dict, calibration: dict, inputs: Inputs,
             book_settings: dict | None = None) -> list[dict]:
    """One result per row; a row that reads a run trained with other settings than the
    book's (`book_settings`, nndl3.changed) is `changed`: neither pass nor fail, no
    tolerance (its calibration is the book's settings')."""
    results = []
    for row in expected["quantities"]:
        values = regenerate(row["source"], inputs)
        if row.get("best_of"):
            values = best_of(row, values)
        n = len(values)
        mean = float(values.mean())
        sd = float(values.std(ddof=1)) if n > 1 else 0.0
        if seeded(row) and row["id"] not in calibration["seed_sd"] and not row.get("every_seed"):
            raise UserError(f"calibration: no seed_sd for {row['id']!r} (rerun "
                            "`snakemake calibrate`, then `snakemake install_calibration`)")
        seed_sd = calibration["seed_sd"].get(row["id"], 0.0) if seeded(row) else 0.0
        claim = resolved_claim(row, calibration) if row.get("claim") else None
        if claim:
            tol = claim_margin(seed_sd, n)
            passed = claim_holds(claim, mean, tol)
        elif row.get("every_seed"):  # a property of every run, as of the book's: no spread
            tol = row["book_precision"]
            passed = bool(np.all(np.abs(values - row["book"]) <= tol))
        else:
            tol = float(tolerance(seed_sd, n, row["book_precision"]))
            passed = abs(mean - row["book"]) <= tol
        bad_seeds = diverged(row["source"], inputs.aggregates) if seeded(row) else []
        change = changed.changed(runs_of(row["source"]), inputs.aggregates, book_settings)
        if change:  # the calibration measured the book's settings, not these
            tol = None
        results.append({
            "id": row["id"], "section": row["section"], "quantity": row["quantity"],
            "book": row.get("book"), "claim": claim, "mean": mean, "sd": sd, "n": n,
            "min": float(values.min()), "max": float(values.max()),
            "tolerance": tol, "seed_sd_calibrated": seed_sd,
            "sigmas": (tol / seed_sd if seed_sd and tol is not None else None),
            "status": "changed" if change else "FAIL" if bad_seeds else (
                "pass" if passed else ("known deviation" if row.get("known_deviation")
                                       else "FAIL")),
            "known_deviation": row.get("known_deviation"),
            "reason": change or (f"diverged: {', '.join(bad_seeds)}" if bad_seeds else None),
        })
    return results


def target(r: dict) -> str:
    """The book column: the book's number, or the claimed inequality."""
    if r.get("claim"):
        (op, bound), = r["claim"].items()
        return f"claim: {'≥' if op == 'at_least' else '≤'} {bound:g}"
    return f"{r['book']:g}"


def markdown(results: list[dict], expected: dict) -> str:
    lines = [
        "# Reproduction of chapters 1 to 3: regenerated numbers against the book",
        "",
        expected["rule"].strip(),
        "",
        "| § | quantity | book | regenerated mean ± sd (n) | min-max | tolerance | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        # the neuron's outputs and the gaps need 3 digits
        d = 3 if r.get("claim") or abs(r["book"]) < 10 else 2
        status = r["status"] + (f" ({r['reason']})" if r.get("reason") else "")
        tol = "-" if r["tolerance"] is None else f"± {r['tolerance']:.{d}f}"
        lines.append(
            f"| {r['section']} | {r['quantity']} | {target(r)} | {r['mean']:.{d}f} ± "
            f"{r['sd']:.{d}f} ({r['n']}) | {r['min']:.{d}f}-{r['max']:.{d}f} | "
            f"{tol} | {status} |")
    claims = [r for r in results if r.get("claim")]
    if claims:
        lines += ["", "## Claims of the text (no book number, an inequality)", "",
                  "The book shows no run of these techniques; each row above marked `claim` "
                  "states what the text says as an inequality, not the reproduction of a "
                  "number. Tolerance: 3 * sd / sqrt(n), sd measured over the calibration "
                  "seeds.", ""]
        lines += [f"- **{r['id']}** ({r['status']}): {r['quantity']}: {target(r)}, "
                  f"regenerated {r['mean']:.3f}" for r in claims]
    known = [r for r in results if r["known_deviation"]]
    if known:
        lines += ["", "## Known deviations (reported, not gated; never a wider tolerance)", ""]
        lines += [f"- **{r['id']}** ({r['status']}): {r['known_deviation']}" for r in known]
    failed = [r["id"] for r in results if r["status"] == "FAIL"]
    passed = sum(r["status"] == "pass" for r in results)
    lines += ["", f"**{passed} passed, {len(failed)} failed**"
              + (f": {', '.join(failed)}" if failed else "")
              + (f"; {len(known)} known deviation(s) reported above" if known else "")
              + changed.summary(results)]
    return "\n".join(lines) + "\n"


def load_expected(path) -> dict:
    expected = readers.expected(path)
    for i, row in enumerate(expected["quantities"]):
        needed = ("claim",) if "claim" in row else ("book", "book_precision")
        for key in ("id", "section", "quantity", "source", *needed):
            if key not in row:
                raise UserError(f"{path}: quantities[{i}]: missing key {key!r}")
    return expected


def sources(expected_path) -> dict:
    """What the check reads: the runs, SVM sizes and neuron runs the quantities name."""
    expected = load_expected(expected_path)
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
