"""The rule behind every tolerance of the check, and the units it is applied in.

The book reports one run, one draw of the author's recipe; the check compares it with the
mean of n of our seeds. Their difference has variance

    V = sd_recipe^2 + sd_ours^2 / n

with sd_recipe the recipe's seed sd (`config/recipe.yaml`, replayed over recipe seeds) and
sd_ours ours, measured on calibration seeds (`config/calibration.yaml`). Where the recipe
was not replayed for a row, our sd stands in for the recipe's (the rule before the recipe
existed): V = sd_ours^2 * (1 + 1/n), with the calibration's degrees of freedom. Both sds are
estimates, so the multiplier is Student's t at the Welch-Satterthwaite degrees of freedom
of V, not a normal quantile:

    tolerance = t(1 - alpha_row / 2, df) * sqrt(V) + precision

alpha_row is the Šidák share of the whole gate's false-failure rate (`gate:` in
config/expected.yaml): every seed-dependent row and curve passes together with
probability 1 - alpha_family. A claim (an inequality, no book draw) allows
t(1 - alpha_row, df_ours) * sd_ours / sqrt(n) on its wrong side.

The published curves keep their per-epoch rule, K_SIGMA * sd_e * sqrt(1 + 1/n), with a
pass threshold simulated at the same alpha_row (`nndl3.curves`); K_SIGMA is also the rule
every row had before this one, reported beside the new tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import readers, stats
from .errors import UserError

K_SIGMA = 3.0
# What to do when a tolerance's calibration is missing or stale; every such error ends so.
RECALIBRATE = "rerun `snakemake calibrate`, then `snakemake install_calibration`"


@dataclass(frozen=True)
class Gate:
    """The gate's stated false-failure rate, shared over its m seed-dependent members, and
    the power at which a row's detectable shift is quoted."""

    alpha_family: float
    power: float
    m: int

    @property
    def alpha_row(self) -> float:
        return stats.sidak(self.alpha_family, self.m)


def gated(row: dict) -> bool:
    """A row in the family: seed-dependent, judged on its spread, and able to fail."""
    return ("run" in row["source"] and not row.get("every_seed")
            and not row.get("known_deviation"))


def gate_value(conf, key: str, where: str = "expected values") -> float:
    """config/expected.yaml `gate: <key>`, a rate in (0, 1) (at 0 no tolerance is finite,
    at 1 none is needed); a UserError naming `where` and the key otherwise."""
    value = conf.get(key) if isinstance(conf, dict) else None
    if not isinstance(value, float) or not 0 < value < 1:
        raise UserError(f"{where}: gate: {key} must be a number in (0, 1), got {value!r}")
    return value


def gate_of(expected: dict, curve_ids=()) -> Gate:
    """The gate of config/expected.yaml's `gate:` over its gated rows and the published
    curves checked (`curve_ids`, known curve deviations excluded)."""
    conf = expected.get("gate") or {}
    for key in ("family_false_failure", "detectable_power"):
        gate_value(conf, key)
    known = expected.get("curve_deviations") or {}
    m = sum(gated(r) for r in expected["quantities"]) + sum(c not in known for c in curve_ids)
    return Gate(conf["family_false_failure"], conf["detectable_power"], max(m, 1))


@dataclass(frozen=True)
class Spread:
    """The sd of (our mean - the book's draw), its degrees of freedom, and whose spread
    stood for the book's draw ("recipe" or "ours")."""

    sigma: float
    df: float
    source: str


def spread(sd_ours: float, df_ours: int, n: int, sd_recipe=None, df_recipe=None) -> Spread:
    if sd_recipe is None:
        return Spread(sd_ours * math.sqrt(1 + 1 / n), df_ours, "ours")
    parts = [sd_recipe ** 2, sd_ours ** 2 / n]
    total = sum(parts)
    if total == 0:  # no spread at all: any df gives a zero tolerance
        return Spread(0.0, min(df_ours, df_recipe), "recipe")
    keep = [(v, d) for v, d in zip(parts, (df_recipe, df_ours), strict=True) if v > 0]
    return Spread(math.sqrt(total), stats.satterthwaite(*zip(*keep, strict=True)), "recipe")


def book_numbers_problem(row: dict, precision_above_zero: bool = False) -> str | None:
    """What makes a row's book number or its precision unusable by `book_tolerance` (None
    if nothing): either not a finite number, a precision below 0 (`precision_above_zero`:
    not above 0, as a paper's rounded number has one)."""
    precision = "positive" if precision_above_zero else "non-negative"
    book, given = row.get("book", 0.0), row.get("book_precision", 0.0)
    if not readers.is_finite_number(book):
        return f"book: {book!r} is not a number"
    if not readers.is_finite_number(given) or given < 0 or precision_above_zero and given == 0:
        return f"book_precision: {given!r} is not a {precision} number"
    return None


def book_tolerance(s: Spread, alpha: float, precision: float) -> tuple[float, float]:
    """(tolerance, k): two-sided, the book's draw may fall either side of our mean."""
    k = stats.t_quantile(1 - alpha / 2, s.df)
    return k * s.sigma + precision, k


def claim_margin(sd: float, df: int, n: int, alpha: float) -> tuple[float, float]:
    """(margin, k): how far the mean of n seeds may sit on the wrong side of a claimed
    bound; one-sided, a claim fails on one side only."""
    k = stats.t_quantile(1 - alpha, df)
    return k * sd / math.sqrt(n), k


def detectable(tolerance: float, sigma: float, df: float, power: float) -> float:
    """The shift of our network's true mean that a row detects with probability `power`:
    the observed difference exceeds the tolerance when the shift exceeds it by
    t(power, df) standard deviations of the difference (the far tail neglected)."""
    return tolerance + stats.t_quantile(power, df) * sigma


def unlimited_shift(sd_draw: float, alpha: float, precision: float, power: float) -> float:
    """The detectable shift with unlimited seeds: our mean exact and the spread of the
    book's one draw (sd_draw) known, so t at infinite degrees of freedom; what no number
    of seeds brings lower."""
    tol, _ = book_tolerance(Spread(sd_draw, math.inf, ""), alpha, precision)
    return detectable(tol, sd_draw, math.inf, power)


def k_sigma_tolerance(sd, n: int, precision: float = 0.0):
    """The rule before the recipe: K_SIGMA sds of (mean of n seeds - one draw), plus the
    precision; `sd` may be an array (the curves' per-epoch rule, still in use)."""
    return K_SIGMA * np.asarray(sd) * math.sqrt(1 + 1 / n) + precision


def k_sigma_claim_margin(sd: float, n: int) -> float:
    return K_SIGMA * sd / math.sqrt(n)


def scale(metric: str) -> float:
    """Accuracies are stored as fractions and checked, plotted and quoted in percent."""
    return 100.0 if metric.endswith("accuracy") else 1.0
