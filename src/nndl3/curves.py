"""The curve-level check: each of the book's published per-epoch curves against our seeds.

The point rows of `check` compare single numbers; this compares whole curves. At each epoch e
of a published curve, the book's value is one draw of the seed distribution and our value is
the mean of n seeds, so, as for a point row,

    tolerance_e = 3 * sd_e * sqrt(1 + 1/n) + precision

with sd_e the per-epoch seed-to-seed standard deviation measured over the calibration seeds
(`config/calibration_curves.json`, written by `snakemake calibrate`, `nndl3.calibration`). The
book's numbers are exact counts and unrounded costs: precision 0. Per curve the check
reports the fraction of epochs at which the book lies within tolerance_e, and the mean
offset over epochs (ours minus book) in points and in units of its standard error,
sd_mean * sqrt(1 + 1/n), where sd_mean is the calibration seeds' spread of the
epoch-averaged curve (this keeps the strong epoch-to-epoch correlation of a run's curve).

A curve passes when its fraction within reaches its `threshold`. The threshold is derived
from the calibration seeds, never chosen: each calibration seed in turn plays the book (one
held-out run), every 3-seed subset of the others plays our mean (the check's n = 3), with
sd_e from the others. A run's curve is strongly correlated from epoch to epoch, so the
held-out fractions are mostly 1 with a long tail (a seed whose whole curve sits apart),
and the tail differs from curve to curve: each curve gets its own threshold, its 1st
percentile of held-out fractions less a margin of half its distance to 1
(`derive_threshold`); the share of held-out cases that pass it is recorded with it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from . import book_runs, changed
from .tolerance import K_SIGMA, k_sigma_tolerance, scale

PRECISION = 0.0  # the published lists are exact counts and unrounded costs
N_CHECK = 3  # the check's seeds (config seeds 1-3), the n of the held-out derivation


def seed_rows(agg: dict, curve: dict) -> np.ndarray | None:
    """Our per-seed values (seeds x the curve's epochs), in points for accuracies, or None
    when the run does not monitor the metric or misses some of the curve's epochs."""
    if curve["metric"] not in agg["metrics"]:
        return None
    epochs = list(agg["monitored_epochs"])
    if not set(curve["epochs"].tolist()) <= set(epochs):
        return None
    cols = [epochs.index(e) for e in curve["epochs"]]
    rows = np.array(agg["metrics"][curve["metric"]]["per_seed"], dtype=np.float64)[:, cols]
    return scale(curve["metric"]) * rows


def within(ours: np.ndarray, book: np.ndarray, sd: np.ndarray, n: int) -> np.ndarray:
    return np.abs(ours - book) <= k_sigma_tolerance(sd, n, PRECISION)


def held_out_fractions(rows: np.ndarray, n: int = N_CHECK) -> np.ndarray:
    """For each seed held out as "the book", each n-subset of the other seeds as "ours":
    the fraction of epochs within tolerance (sd_e from the other seeds)."""
    fractions = []
    for i in range(len(rows)):
        others = np.delete(rows, i, axis=0)
        sd = others.std(axis=0, ddof=1)
        for subset in itertools.combinations(range(len(others)), n):
            ours = others[list(subset)].mean(axis=0)
            fractions.append(within(ours, rows[i], sd, n).mean())
    return np.array(fractions)


def derive_threshold(p01: float) -> float:
    """A curve's pass threshold: the 1st percentile of its held-out fractions less half its
    distance to 1, rounded down to 0.01 and at least 0. The margin covers the check's own
    seeds, which the calibration never saw."""
    return max(0.0, math.floor(100 * (p01 - 0.5 * (1 - p01))) / 100)


def measure(rows: np.ndarray, seeds: list[int]) -> dict:
    """A curve's calibration from the calibration seeds' rows (seeds x epochs, in the
    metric's units): per-epoch sd, the derived threshold with the held-out fractions it
    rests on, and each seed's epoch-averaged and final value (what a re-run seed must give
    again, `calibration.spot_check`)."""
    fractions = held_out_fractions(rows)
    p01 = float(np.percentile(fractions, 1))
    threshold = derive_threshold(p01)
    return {
        "seeds": list(seeds),
        "sd_epoch_mean": round(float(rows.mean(axis=1).std(ddof=1)), 5),
        "threshold": threshold,
        "held_out": {"cases": len(fractions), "min": round(float(fractions.min()), 4),
                     "p01": round(p01, 4), "median": round(float(np.median(fractions)), 4),
                     "pass_rate": round(float(np.mean(fractions >= threshold)), 4)},
        "sd": [float(f"{v:.4g}") for v in rows.std(axis=0, ddof=1)],
        "per_seed": per_seed_summary(rows, seeds),
    }


def per_seed_summary(rows: np.ndarray, seeds: list[int]) -> dict:
    """{seed: [epoch-averaged value, final value]}, rounded to 6 decimals."""
    return {int(s): [round(float(row.mean()), 6), round(float(row[-1]), 6)]
            for s, row in zip(seeds, rows, strict=True)}


def evaluate(book: book_runs.Book, calibration: dict, aggregates: dict,
             known: dict | None = None, book_settings: dict | None = None) -> list[dict]:
    """One row per published curve: fraction within, mean offset and its z, status. A curve
    in `known` (id -> why) that fails is reported as a known deviation, not failed; one of
    a run trained with other settings than the book's (`book_settings`) is `changed`, not
    compared."""
    known = known or {}
    rows = []
    for curve in book_runs.curves(book):
        row = {"id": curve["id"], "run": curve["run"], "metric": curve["metric"],
               "book_file": curve["file"], "book_key": curve["key"],
               "epochs": len(curve["epochs"])}
        agg = aggregates.get(curve["run"])
        ours = None if agg is None else seed_rows(agg, curve)
        cal = calibration["curves"].get(curve["id"])
        change = changed.changed([curve["run"]], aggregates, book_settings)
        if change:  # its calibration measured the book's settings, not these
            rows.append({**row, "status": "changed", "reason": change})
            continue
        if agg is not None and ours is None:
            rows.append({**row, "status": "not compared (our run does not monitor it)"})
            continue
        if agg is None or cal is None:  # every published curve we monitor is checked
            why = "its run was not given" if agg is None else "not calibrated"
            rows.append({**row, "status": "FAIL", "reason": f"{why} (rerun `snakemake "
                         "calibrate`, then `snakemake install_calibration`)"})
            continue
        n = len(ours)
        book_values = scale(curve["metric"]) * curve["values"]
        mean = ours.mean(axis=0)
        sd = np.asarray(cal["sd"])
        offset = float((mean - book_values).mean())
        se = cal["sd_epoch_mean"] * math.sqrt(1 + 1 / n)
        fraction = float(within(mean, book_values, sd, n).mean())
        rows.append({**row, "n": n, "within": fraction, "offset": offset,
                     "offset_z": offset / se if se else None,
                     "threshold": cal["threshold"], "known_deviation": known.get(curve["id"]),
                     "held_out_pass_rate": (cal.get("held_out") or {}).get("pass_rate"),
                     "status": "pass" if fraction >= cal["threshold"] else
                     "known deviation" if curve["id"] in known else "FAIL"})
    return rows


def markdown(rows: list[dict], calibration: dict) -> str:
    lines = [
        "## The book's published curves, epoch by epoch",
        "",
        f"At each epoch the tolerance is {K_SIGMA:g} * sd_e * sqrt(1 + 1/n) (sd_e: seed sd of "
        f"that epoch over calibration seeds {calibration['seeds'][0]}-"
        f"{calibration['seeds'][-1]}; the book's lists are exact, precision 0). A curve "
        "passes when the book lies within it at a fraction of epochs >= its threshold, "
        "derived from held-out calibration seeds (docs/curve-check.md). Offset = mean over "
        "epochs of ours minus book (points for accuracies); z = offset / its standard error.",
        "",
        table(rows).rstrip("\n"),
    ]
    failed = [r["id"] for r in rows if r["status"] == "FAIL"]
    passed = sum(r["status"] == "pass" for r in rows)
    compared = sum("within" in r for r in rows)
    known = [r for r in rows if r["status"] == "known deviation"]
    if known:
        lines += ["", "Known deviations (reported, not gated):", ""]
        lines += [f"- **{r['id']}**: {r['known_deviation']}" for r in known]
    lines += ["", f"**curves: {passed} of {compared} compared passed**"
              + (f"; failed: {', '.join(failed)}" if failed else "")
              + (f"; {len(known)} known deviation(s)" if known else "")
              + changed.summary(rows)]
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> str:
    """Every published curve: within, threshold, offset, z, status (the report's table and
    the docs block)."""
    lines = ["| curve (our run . metric) | book file | epochs | within | threshold | offset "
             "| z | status |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        source = r["book_file"] + (f" [{r['book_key']}]" if r["book_key"] is not None else "")
        if "within" not in r:
            status = r["status"] + (f" ({r['reason']})" if r.get("reason") else "")
            lines.append(f"| `{r['id']}` | {source} | {r['epochs']} | - | - | - | - | "
                         f"{status} |")
            continue
        z = f"{r['offset_z']:+.2f}" if r["offset_z"] is not None else "-"
        lines.append(f"| `{r['id']}` | {source} | {r['epochs']} | {r['within']:.3f} | "
                     f"{r['threshold']:.2f} | {r['offset']:+.3f} | {z} | {r['status']} |")
    return "\n".join(lines) + "\n"


def needed_runs(published: book_runs.Published) -> list[str]:
    """Our runs that have a published curve (what the check and its calibration read)."""
    return sorted({run for run, _ in published.runs.values()})
