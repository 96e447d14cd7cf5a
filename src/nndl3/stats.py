"""The statistics the gate computes itself, each small enough to check by hand.

Every spread is a sample standard deviation (ddof = 1): the seeds are a sample of the
seed distribution, never the whole of it. The quantiles come from scipy's Student t and F
distributions; the tests and their corrections are written out here so that each
denominator is visible (and tested: tests/test_stats.py).
"""

from __future__ import annotations

import math

import numpy as np


def _scipy_stats():
    # imported where used: it costs about half a second, and every Snakemake start
    # imports this module (through the check's helpers) without computing a quantile
    from scipy import stats

    return stats


def sd(values) -> float:
    """The sample standard deviation (n - 1 in the denominator)."""
    return float(np.std(np.asarray(values, dtype=float), ddof=1))


def sidak(alpha_family: float, m: int) -> float:
    """The per-test rate that makes m independent tests fail together with probability
    alpha_family: 1 - (1 - alpha_family)^(1/m)."""
    return 1.0 - (1.0 - alpha_family) ** (1.0 / m)


def best_of_effective_seeds(n: int, k: int) -> float:
    """How many seeds the sd of a best-of-k selection over every k-group of n seeds rests
    on: the seed ranked r-th best (r = 0, 1, ...) is the best of C(n - 1 - r, k - 1) of the
    groups, so the groups' values are the seeds' weighted by those counts, and Kish's
    effective sample size of the weights, (sum w)^2 / sum w^2, is the number of seeds they
    count as (4.98 of 10 seeds for k = 3). An approximation: the sd's degrees of freedom
    are taken as this minus 1."""
    weights = [math.comb(n - 1 - r, k - 1) for r in range(n)]
    return sum(weights) ** 2 / sum(w * w for w in weights)


def none_of_n_bound(n: int, confidence: float = 0.95) -> float:
    """The upper confidence bound on an event's rate when none of n independent trials
    showed it (Clopper-Pearson, one-sided: the rate at which 0 of n has chance
    1 - confidence)."""
    return 1.0 - (1.0 - confidence) ** (1.0 / n)


def family_rate(alphas) -> float:
    """The chance that at least one of independent tests fails, each at its own rate."""
    return float(1.0 - np.prod([1.0 - a for a in alphas]))


def satterthwaite(variances, dfs) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of independent variance estimates
    (each already scaled as it enters the sum): (sum v)^2 / sum(v^2 / df)."""
    variances = np.asarray(variances, dtype=float)
    return float(variances.sum() ** 2 / np.sum(variances ** 2 / np.asarray(dfs, dtype=float)))


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile at probability p with df degrees of freedom."""
    return float(_scipy_stats().t.ppf(p, df))


def welch(a, b) -> dict:
    """Welch's t-test of equal means, two-sided: t, its Satterthwaite df, p."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = a.mean() - b.mean()
    if va + vb == 0:  # no spread in either: the means are equal or certainly not
        return {"t": 0.0 if diff == 0 else math.copysign(math.inf, diff), "df": math.nan,
                "p": 1.0 if diff == 0 else 0.0}
    t = diff / math.sqrt(va + vb)
    df = satterthwaite([v for v in (va, vb) if v > 0],
                       [d for v, d in ((va, len(a) - 1), (vb, len(b) - 1)) if v > 0])
    return {"t": float(t), "df": df, "p": float(2 * _scipy_stats().t.sf(abs(t), df))}


def paired(a, b) -> dict:
    """The paired t-test of equal means, two-sided, for a[i] and b[i] drawn together (the
    same seed): t of the differences' mean over its standard error, n - 1 df, p."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    diff, se = d.mean(), d.std(ddof=1) / math.sqrt(len(d))
    if se == 0:  # every pair differs alike: the means are equal or certainly not
        return {"t": 0.0 if diff == 0 else math.copysign(math.inf, diff),
                "df": float(len(d) - 1), "p": 1.0 if diff == 0 else 0.0}
    t = diff / se
    return {"t": float(t), "df": float(len(d) - 1),
            "p": float(2 * _scipy_stats().t.sf(abs(t), len(d) - 1))}


def brown_forsythe(a, b) -> dict:
    """The Brown-Forsythe test of equal spreads (Levene's test on absolute deviations from
    each sample's median): a one-way ANOVA F on those deviations, df (1, n_a + n_b - 2)."""
    groups = [np.abs(x - np.median(x)) for x in (np.asarray(a, float), np.asarray(b, float))]
    n = sum(len(g) for g in groups)
    grand = np.concatenate(groups).mean()
    between = sum(len(g) * (g.mean() - grand) ** 2 for g in groups) / (len(groups) - 1)
    within = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n - len(groups))
    if within == 0:  # every deviation equal within each sample
        return {"F": 0.0 if between == 0 else math.inf, "p": 1.0 if between == 0 else 0.0}
    f = between / within
    return {"F": float(f), "p": float(_scipy_stats().f.sf(f, len(groups) - 1, n - len(groups)))}


def holm(pvalues) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error held for any dependence): the
    i-th smallest p times (m - i), made non-decreasing, at most 1."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        adjusted[j] = running
    return adjusted.tolist()


def below(values, x: float) -> int:
    """How many of the values lie strictly below x (where a draw sits among seeds)."""
    return int(np.sum(np.asarray(values, dtype=float) < x))


def quantiles(values, probs=(0.0, 0.25, 0.5, 0.75, 1.0)) -> list[float]:
    """Empirical quantiles (numpy's default, linear interpolation) of a row's seeds."""
    return [float(q) for q in np.quantile(np.asarray(values, dtype=float), probs)]
