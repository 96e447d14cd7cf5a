"""The reproduction gate: every number the book reports, regenerated, against a tolerance.

`config/expected.yaml` defines each quantity exactly (which run, which metric, which
reduction over epochs), the book's value, the precision with which the book states it,
and the seed-to-seed standard deviation measured in a calibration run. The tolerance of a
row is derived, never chosen:

    tolerance = k * sd * sqrt(1 + 1/n) + book_precision

The book reports one run, itself a draw from the seed distribution, and we compare it to
the mean of our n seeds; the difference of the two has standard deviation
sd * sqrt(1 + 1/n). k = 3. `book_precision` is how exactly the book states the number
(0.005 for "95.49 %", about a point for values read off its figures).

A claim row (section 10: the techniques the text describes without a run of its own)
has no book value: it states an inequality, `claim: {at_least: b}` or `{at_most: b}`,
about a quantity, often the difference between two runs (`minus_run`, seeds paired).
It passes unless the mean of our n seeds is on the wrong side of b by more than
k * sd / sqrt(n) (no book draw to add). A seed that diverged fails any row it feeds.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml

from . import atomic, readers
from .aggregate import padded
from .errors import UserError

K_SIGMA = 3.0


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
             window=None):
    """Reduce each seed's per-epoch values (rows: seeds x monitored epochs) to one number."""
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
    raise UserError(f"expected values: unknown reduction {reduce!r}")


def scale(metric: str) -> float:
    return 100.0 if metric.endswith("accuracy") else 1.0


def regenerate(source: dict, aggregates: dict, svm: dict, neuron: dict) -> np.ndarray:
    """The per-seed values of one quantity (one value for deterministic runs)."""
    if "svm" in source:
        return np.array([100 * svm[source["svm"]]["accuracy"]])
    if "neuron" in source:
        outputs = neuron[source["neuron"]]["output"]
        return np.array([outputs[0] if source["at"] == "start" else outputs[-1]])
    def values(metric, reduce, run=source["run"]):
        agg = aggregates[run]
        # seeds that stopped early have shorter (or null-padded) rows: NaN after their end
        rows = padded(agg["metrics"][metric]["per_seed"], len(agg["monitored_epochs"]))
        epochs = agg["monitored_epochs"]
        if "until_epoch" in source:  # compare runs of different lengths over common epochs
            epochs = [e for e in epochs if e <= source["until_epoch"]]
            rows = rows[:, :len(epochs)]
        threshold = source.get("threshold", 0.0) / scale(metric)
        reduced = per_seed(rows, epochs, reduce, threshold, source.get("window"))
        return reduced if reduce.endswith("epoch") else scale(metric) * reduced

    value = values(source["metric"], source["reduce"])
    if "minus" in source:  # a gap: this metric minus another, each reduced the same way
        value = value - values(source["minus"], source["reduce"])
    if "minus_run" in source:  # a difference between two runs, seed by seed
        value = value - values(source["metric"], source["reduce"], source["minus_run"])
    return value


def diverged(source: dict, aggregates: dict) -> list[str]:
    """`run seed s at epoch e` for every diverged seed of the runs a row reads."""
    found = []
    for run in (source.get("run"), source.get("minus_run")):
        agg = aggregates.get(run) or {}
        for seed, epoch in zip(agg.get("seeds", ()), agg.get("diverged_at_epoch") or (),
                               strict=False):
            if epoch is not None:
                found.append(f"{run} seed {seed} at epoch {epoch}")
    return found


def claim_holds(claim: dict, mean: float, tol: float) -> bool:
    if "at_least" in claim:
        return mean >= claim["at_least"] - tol
    return mean <= claim["at_most"] + tol


def tolerance(seed_sd: float, n: int, book_precision: float) -> float:
    return K_SIGMA * seed_sd * math.sqrt(1 + 1 / n) + book_precision


def evaluate(expected: dict, calibration: dict, aggregates: dict, svm: dict,
             neuron: dict) -> list[dict]:
    results = []
    for row in expected["quantities"]:
        values = regenerate(row["source"], aggregates, svm, neuron)
        n = len(values)
        mean = float(values.mean())
        sd = float(values.std(ddof=1)) if n > 1 else 0.0
        # a network run varies with its seed however few seeds were run (one seed is
        # one draw); the SVM and the single neuron are deterministic
        seeded = "run" in row["source"]
        if seeded and row["id"] not in calibration["seed_sd"]:
            raise UserError(f"calibration: no seed_sd for {row['id']!r} (rerun calibrate)")
        seed_sd = calibration["seed_sd"][row["id"]] if seeded else 0.0
        claim = row.get("claim")
        if claim:
            tol = K_SIGMA * seed_sd / math.sqrt(n)
            passed = claim_holds(claim, mean, tol)
        else:
            tol = tolerance(seed_sd, n, row["book_precision"])
            passed = abs(mean - row["book"]) <= tol
        bad_seeds = diverged(row["source"], aggregates) if seeded else []
        results.append({
            "id": row["id"], "section": row["section"], "quantity": row["quantity"],
            "book": row.get("book"), "claim": claim, "mean": mean, "sd": sd, "n": n,
            "min": float(values.min()), "max": float(values.max()),
            "tolerance": tol, "seed_sd_calibrated": seed_sd,
            "sigmas": (tol / seed_sd if seed_sd else None),
            "status": "FAIL" if bad_seeds else (
                "pass" if passed else ("known deviation" if row.get("known_deviation")
                                       else "FAIL")),
            "known_deviation": row.get("known_deviation"),
            "reason": f"diverged: {', '.join(bad_seeds)}" if bad_seeds else None,
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
        "# Reproduction of chapter 3: regenerated numbers against the book",
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
        lines.append(
            f"| {r['section']} | {r['quantity']} | {target(r)} | {r['mean']:.{d}f} ± "
            f"{r['sd']:.{d}f} ({r['n']}) | {r['min']:.{d}f}-{r['max']:.{d}f} | "
            f"± {r['tolerance']:.{d}f} | {status} |")
    claims = [r for r in results if r.get("claim")]
    if claims:
        lines += ["", "## Claims of the text (section 10: no book number, an inequality)", "",
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
              + (f"; {len(known)} known deviation(s) reported above" if known else "")]
    return "\n".join(lines) + "\n"


def load_expected(path) -> dict:
    expected = readers.expected(path)
    for i, row in enumerate(expected["quantities"]):
        needed = ("claim",) if "claim" in row else ("book", "book_precision")
        for key in ("id", "section", "quantity", "source", *needed):
            if key not in row:
                raise UserError(f"{path}: quantities[{i}]: missing key {key!r}")
    return expected


def load_inputs(aggregate_paths, svm_paths, neuron_paths):
    aggregates = pooled(aggregate_paths)
    svm = {r["train_size"]: r for r in map(readers.svm_result, svm_paths)}
    neuron = {Path(p).stem: readers.neuron_result(p) for p in neuron_paths}
    return aggregates, svm, neuron


def report(expected_path, calibration_path, inputs, out_md, out_json,
           extra=None) -> list[dict]:
    """Write the reproduction report (markdown and JSON) and return its rows. `extra`, if
    given (one or a list), is called with the expected values and the loaded inputs and
    returns (JSON key, its rows, a markdown section) to add (the curve check of `curves`,
    the replay table of `replay_check`)."""
    expected = load_expected(expected_path)
    calibration = readers.calibration(calibration_path)
    loaded = load_inputs(*inputs)
    results = evaluate(expected, calibration, *loaded)
    document = {"k_sigma": K_SIGMA, "calibration_seeds": calibration["seeds"], "rows": results}
    text = markdown(results, expected)
    for add in extra if isinstance(extra, list) else [extra] if extra else []:
        key, extra_rows, section = add(expected, *loaded)
        document[key] = extra_rows
        text += "\n" + section
    atomic.write_json(out_json, document)
    atomic.write_text(out_md, text)
    return results


def pooled(aggregate_paths) -> dict:
    """Aggregates by run, with the seeds of several aggregates of one run put together."""
    runs = {}
    for agg in map(readers.aggregate, aggregate_paths):
        mine = runs.setdefault(agg["run"], agg)
        if mine is agg:
            continue
        if set(mine["seeds"]) & set(agg["seeds"]):
            raise UserError(f"calibration: run {agg['run']}: seeds given twice")
        mine["diverged_at_epoch"] = ((mine.get("diverged_at_epoch") or [None] * len(mine["seeds"]))
                                     + (agg.get("diverged_at_epoch") or [None] * len(agg["seeds"])))
        mine["seeds"] = mine["seeds"] + agg["seeds"]
        if len(agg["monitored_epochs"]) > len(mine["monitored_epochs"]):
            mine["monitored_epochs"] = agg["monitored_epochs"]
        for name, stats in agg["metrics"].items():
            mine["metrics"][name]["per_seed"] += stats["per_seed"]
    return runs


def calibrate(expected_path, aggregate_paths, out) -> dict:
    """Measure each quantity's seed-to-seed sd from runs with many seeds; write it to `out`.

    Several aggregates of one run (made with different seeds) are pooled."""
    expected = load_expected(expected_path)
    aggregates, svm, neuron = pooled(aggregate_paths), {}, {}
    seeds = sorted({s for a in aggregates.values() for s in a["seeds"]})
    sds = {}
    for row in expected["quantities"]:
        if "run" not in row["source"]:
            continue  # SVM and single neuron are deterministic: no seed spread
        values = regenerate(row["source"], aggregates, svm, neuron)
        if len(values) > 1:
            sds[row["id"]] = round(float(values.std(ddof=1)), 4)
    calibration = {"seeds": seeds, "n": len(seeds), "seed_sd": sds}
    header = ("# Written by `python -m nndl3 calibrate`: seed-to-seed standard deviation of each\n"
              "# quantity of config/expected.yaml, measured over the seeds below.\n")
    atomic.write_text(out, header + yaml.safe_dump(calibration, sort_keys=False))
    return calibration


def sources(expected_path) -> dict:
    """What the check reads: the runs, SVM sizes and neuron runs the quantities name."""
    expected = load_expected(expected_path)
    found = {"runs": set(), "svm": set(), "neuron": set()}
    for row in expected["quantities"]:
        s = row["source"]
        if "run" in s:
            found["runs"].update(r for r in (s["run"], s.get("minus_run")) if r)
        elif "svm" in s:
            found["svm"].add(s["svm"])
        else:
            found["neuron"].add(s["neuron"])
    return {k: sorted(v) for k, v in found.items()}
