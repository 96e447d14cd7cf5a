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

A curve passes when its fraction within reaches its `threshold`, the largest value at which
a correct network fails the curve with probability at most alpha, the gate's per-member
Šidák share (`tolerance.gate_of`). That probability is far below what the calibration's
held-out cases resolve, so it is simulated: a parametric bootstrap of the whole check
(`simulated_fractions`), each seed's curve a multivariate normal with the calibration
seeds' mean and covariance (`seed_model`). The held-out fractions (each calibration seed as
the book, each n-subset of the others as ours) are kept as the model's check. n is the
number of the check's seeds (config `seeds`), which the calibration records as `n_check`;
our curves with another number of seeds are not compared against those thresholds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from . import book_runs, changed, readers
from .aggregate import diverged_named
from .cells import number
from .errors import UserError
from .status import CHANGED, FAIL, KNOWN_DEVIATION, NOT_COMPARED, PASS
from .tolerance import K_SIGMA, RECALIBRATE, k_sigma_tolerance, scale

PRECISION = 0.0  # the published lists are exact counts and unrounded costs


def seed_count_problem(path, n: int) -> str | None:
    """Why the check would compare no published curve with `n` seeds of ours (their
    thresholds are simulated for the calibration's n_check), for a warning when the
    workflow starts; None if the numbers agree, or if the file cannot be read (the report
    job names that)."""
    try:
        n_check = readers.curve_calibration(path)["n_check"]
    except UserError:
        return None
    if n == n_check:
        return None
    return (f"{n} seed(s) in `seeds`, and the published curves' thresholds ({path}) are "
            f"calibrated for {n_check}: the check will compare no curve (rerun `snakemake "
            "calibrate` with these seeds, then `snakemake install_calibration`)")


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


def detectable_shift(ours: np.ndarray, book: np.ndarray, sd: np.ndarray, n: int,
                     threshold: float) -> float:
    """The smallest shift of our mean, the same at every epoch, up or down, that fails the
    curve: what it can see, in the metric's units (a curve's counterpart of a row's
    detectable shift). Epoch e stays within while |ours_e + s - book_e| <= tolerance_e."""
    tol = k_sigma_tolerance(sd, n, PRECISION)
    gap = ours - book
    # within at shift s: -tol - gap <= s <= tol - gap; each epoch leaves at its bound
    best = math.inf
    for bounds, sign in ((tol - gap, 1.0), (tol + gap, -1.0)):
        for s in np.unique(bounds[bounds >= 0]):
            # just past the bound (relative 1e-9: the sum's rounding hides one ulp)
            shifted = gap + sign * (s + 1e-9 * max(1.0, s))
            if np.mean(np.abs(shifted) <= tol) < threshold:
                best = min(best, float(s))
                break
    return best


def epoch_sd(rows: np.ndarray) -> np.ndarray:
    """Each epoch's seed-to-seed sample sd (ddof 1) over the seed axis, the second last:
    what the calibration stores and what every held-out or simulated check recomputes."""
    return rows.std(axis=-2, ddof=1)


def held_out_fractions(rows: np.ndarray, n: int) -> np.ndarray:
    """For each seed held out as "the book", each n-subset of the other seeds as "ours":
    the fraction of epochs within tolerance (sd_e from the other seeds)."""
    fractions = []
    for i in range(len(rows)):
        others = np.delete(rows, i, axis=0)
        sd = epoch_sd(others)
        for subset in itertools.combinations(range(len(others)), n):
            ours = others[list(subset)].mean(axis=0)
            fractions.append(within(ours, rows[i], sd, n).mean())
    return np.array(fractions)


SIMULATION_SEED = 20241203  # fixed: the simulated thresholds are the same on every rerun
FAILURES_RESOLVED = 40  # simulated failures expected at alpha: binomial error 1/sqrt(40)
BATCH = 64  # draws per matrix product; the normals are consumed in order, so any batch
# size gives the same numbers


def seed_model(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, span) of the calibration seeds (k x epochs): a simulated seed is mean + w @ span
    with w ~ N(0, I_k), a normal with the seeds' mean and sample covariance span.T @ span,
    lying in the span of the seeds' deviations."""
    mean = rows.mean(axis=0)
    return mean, (rows - mean) / math.sqrt(len(rows) - 1)


def draws_for(alpha: float) -> int:
    """Enough simulated checks that about FAILURES_RESOLVED of them fail at rate alpha, in
    whole batches."""
    return BATCH * math.ceil(FAILURES_RESOLVED / alpha / BATCH)


def simulated_fractions(rows: np.ndarray, draws: int, n: int,
                        seed: int = SIMULATION_SEED) -> np.ndarray:
    """The fraction within of `draws` simulated checks of a correct network. Each draws from
    the seed model of `rows` (k seeds) k calibration seeds, whose per-epoch sd it takes,
    one book and n seeds of ours, and scores them as the check does (`within`)."""
    mean, span = seed_model(rows)
    k = len(rows)
    rng = np.random.default_rng(seed)
    out = np.empty(draws)
    for start in range(0, draws, BATCH):
        b = min(BATCH, draws - start)
        w = rng.standard_normal((b * (k + 1 + n), k))
        seeds = (w @ span).reshape(b, k + 1 + n, -1) + mean
        sd = epoch_sd(seeds[:, :k])
        ours = seeds[:, k + 1:].mean(axis=1)
        out[start:start + b] = within(ours, seeds[:, k], sd, n).mean(axis=1)
    return out


def threshold_at(fractions: np.ndarray, alpha: float) -> tuple[float, int]:
    """(threshold, simulated failures at it): the largest threshold that at most a share
    alpha of the simulated fractions fall below. Fractions are discrete (k / epochs), so it
    is one of them, the (floor(alpha * draws) + 1)-th smallest, and its failure share may
    lie well under alpha. Stored rounded down to 4 decimals, which passes and fails the
    same fractions of up to 10,000 epochs."""
    ordered = np.sort(fractions)
    value = float(ordered[math.floor(alpha * len(ordered))])
    # k / epochs times 10,000 is a whole number or at least 1 / epochs above one: 1e-9
    # absorbs the rounding of the product, never a step of the fraction
    return math.floor(10_000 * value + 1e-9) / 10_000, int(np.sum(fractions < value))


def measure(rows: np.ndarray, seeds: list[int], alpha: float, n_check: int) -> dict:
    """A curve's calibration from the calibration seeds' rows (seeds x epochs, in the
    metric's units) for a check of n_check seeds of ours: per-epoch sd; the threshold at
    the per-member rate alpha, with its
    simulated failure share; the held-out fractions, the model's check; and each seed's
    epoch-averaged and final value (what a re-run seed must give again,
    `calibration.spot_check`)."""
    draws = draws_for(alpha)
    simulated = simulated_fractions(rows, draws, n_check)
    threshold, failures = threshold_at(simulated, alpha)
    fractions = held_out_fractions(rows, n_check)
    return {
        "seeds": list(seeds),
        "sd_epoch_mean": round(float(rows.mean(axis=1).std(ddof=1)), 5),
        "threshold": threshold,
        "simulated": {"alpha": alpha, "draws": draws, "seed": SIMULATION_SEED,
                      "failure_share": failures / draws,
                      "p01": round(float(np.percentile(simulated, 1)), 4)},
        "held_out": {"cases": len(fractions), "min": round(float(fractions.min()), 4),
                     "p01": round(float(np.percentile(fractions, 1)), 4),
                     "median": round(float(np.median(fractions)), 4),
                     "pass_rate": round(float(np.mean(fractions >= threshold)), 4)},
        "sd": [float(f"{v:.4g}") for v in epoch_sd(rows)],
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
        if agg is not None and curve["metric"] not in agg["metrics"]:  # changed or not
            rows.append({**row, "status": f"{NOT_COMPARED} (our run does not monitor it)"})
            continue
        change = changed.changed([curve["run"]], aggregates, book_settings)
        if change:  # its calibration measured the book's settings, not these
            rows.append({**row, "status": CHANGED, "reason": change})
            continue
        if agg is not None and (bad := diverged_named(curve["run"], agg)):
            rows.append({**row, "status": FAIL, "reason": f"diverged: {', '.join(bad)}"})
            continue
        if agg is not None and ours is None:
            rows.append({**row, "status": f"{NOT_COMPARED} (our run does not monitor each "
                         "of its epochs)"})
            continue
        if agg is None or cal is None:  # every published curve we monitor is checked
            why = "its run was not given" if agg is None else "not calibrated"
            rows.append({**row, "status": FAIL, "reason": f"{why} ({RECALIBRATE})"})
            continue
        n = len(ours)
        if n != calibration["n_check"]:  # the threshold is simulated for n_check seeds
            rows.append({**row, "status": f"{NOT_COMPARED} ({n} seed(s) of ours; its "
                         f"threshold is calibrated for {calibration['n_check']}: rerun "
                         "`snakemake calibrate` with these seeds)"})
            continue
        book_values = scale(curve["metric"]) * curve["values"]
        mean = ours.mean(axis=0)
        sd = np.asarray(cal["sd"])
        offset = float((mean - book_values).mean())
        se = cal["sd_epoch_mean"] * math.sqrt(1 + 1 / n)
        fraction = float(within(mean, book_values, sd, n).mean())
        shift = detectable_shift(mean, book_values, sd, n, cal["threshold"])
        rows.append({**row, "n": n, "within": fraction, "offset": offset,
                     "detectable_shift": shift if math.isfinite(shift) else None,
                     "offset_z": offset / se if se else None,
                     "threshold": cal["threshold"], "known_deviation": known.get(curve["id"]),
                     "held_out_pass_rate": (cal.get("held_out") or {}).get("pass_rate"),
                     "held_out_p01": (cal.get("held_out") or {}).get("p01"),
                     **simulated_of(cal),
                     "status": PASS if fraction >= cal["threshold"] else
                     KNOWN_DEVIATION if curve["id"] in known else FAIL})
    return rows


def simulated_of(cal: dict) -> dict:
    """A calibration entry's simulated failure share, the rate it was derived at, and the
    simulated 1st percentile (None each for a calibration made before the simulation)."""
    sim = cal.get("simulated") or {}
    return {"simulated_failure": sim.get("failure_share"), "simulated_alpha": sim.get("alpha"),
            "simulated_p01": sim.get("p01")}


def markdown(rows: list[dict], calibration: dict) -> str:
    lines = [
        "## The book's published curves, epoch by epoch",
        "",
        f"At each epoch the tolerance is {K_SIGMA:g} * sd_e * sqrt(1 + 1/n) (sd_e: seed sd of "
        f"that epoch over calibration seeds {calibration['seeds'][0]}-"
        f"{calibration['seeds'][-1]}; the book's lists are exact, precision 0). A curve "
        "passes when the book lies within it at a fraction of epochs >= its threshold, "
        "the largest at which a simulated correct network fails at most at the gate's "
        "per-member rate; the column beside it is that simulated rate, the next the 1st "
        "percentile of the fractions simulated and held out (the simulation's check; "
        "docs/curve-check.md). Offset = mean over epochs of ours minus book (points for "
        "accuracies); z = offset / its standard error. The detectable shift is the "
        "smallest shift of our mean, the same at every epoch, that fails the curve.",
        "",
        table(rows).rstrip("\n"),
    ]
    failed = [r["id"] for r in rows if r["status"] == FAIL]
    passed = sum(r["status"] == PASS for r in rows)
    compared = sum("within" in r for r in rows)
    known = [r for r in rows if r["status"] == KNOWN_DEVIATION]
    if known:
        lines += ["", "Known deviations (reported, not gated):", ""]
        lines += [f"- **{r['id']}**: {r['known_deviation']}" for r in known]
    lines += ["", f"**curves: {passed} of {compared} compared passed**"
              + (f"; failed: {', '.join(failed)}" if failed else "")
              + (f"; {len(known)} known deviation(s)" if known else "")
              + changed.summary(rows)]
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> str:
    """Every published curve: within, threshold and its simulated false-failure rate, the
    simulated and held-out 1st percentiles, offset, z, status (the report's table and the
    docs block)."""
    lines = ["| curve (our run . metric) | book file | epochs | within | threshold | false "
             "failure (simulated) | 1st percentile: simulated / held out | offset | z | "
             "detectable shift | status |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        source = r["book_file"] + (f" [{r['book_key']}]" if r["book_key"] is not None else "")
        if "within" not in r:
            status = r["status"] + (f" ({r['reason']})" if r.get("reason") else "")
            lines.append(f"| `{r['id']}` | {source} | {r['epochs']} | - | - | - | - | - | - | "
                         f"- | {status} |")
            continue
        z = f"{r['offset_z']:+.2f}" if r["offset_z"] is not None else "-"
        lines.append(f"| `{r['id']}` | {source} | {r['epochs']} | {r['within']:.4f} | "
                     f"{r['threshold']:.4f} | {number(r.get('simulated_failure'), '.2e')} | "
                     f"{number(r.get('simulated_p01'), '.4f')} / "
                     f"{number(r.get('held_out_p01'), '.4f')} | {r['offset']:+.3f} | {z} | "
                     f"{number(r.get('detectable_shift'), '.3f')} | {r['status']} |")
    return "\n".join(lines) + "\n"


def needed_runs(published: book_runs.Published) -> list[str]:
    """Our runs that have a published curve (what the check and its calibration read)."""
    return sorted({run for run, _ in published.runs.values()})
