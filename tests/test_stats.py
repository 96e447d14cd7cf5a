"""The gate's own statistics against values computed by hand (in the comments) on small
inputs: a change of ddof, of a denominator or of a tail fails one of these."""

import math

import pytest
from scipy import stats as sp

from nndl3 import stats

A = [1.0, 2.0, 3.0, 4.0]  # mean 2.5, sum of squares about it 5
B = [2.0, 4.0, 6.0]  # mean 4, sum of squares about it 8


def test_sd_divides_by_n_minus_1():
    assert stats.sd(A) == pytest.approx(math.sqrt(5 / 3), abs=1e-12)  # not sqrt(5 / 4)


def test_sidak_share_of_the_family_rate():
    # 1 - 0.99 ** (1 / 50) = 2.00987e-4; Bonferroni's 0.01 / 50 = 2e-4 would fail
    assert stats.sidak(0.01, 50) == pytest.approx(2.00987e-4, abs=1e-9)
    assert 1 - (1 - stats.sidak(0.05, 7)) ** 7 == pytest.approx(0.05, abs=1e-12)


def test_family_rate_multiplies_what_passes():
    assert stats.family_rate([0.1, 0.2, 0.5]) == pytest.approx(1 - 0.9 * 0.8 * 0.5)
    assert stats.family_rate([]) == 0.0


def test_satterthwaite():
    # (1 + 1)^2 / (1 / 4 + 1 / 9) = 11.0769
    assert stats.satterthwaite([1.0, 1.0], [4, 9]) == pytest.approx(4 / (1 / 4 + 1 / 9))
    assert stats.satterthwaite([2.0], [7]) == pytest.approx(7)  # one estimate keeps its df


def test_t_quantile():
    assert stats.t_quantile(0.975, 10) == pytest.approx(2.228139, abs=1e-6)


def test_welch_by_hand_and_as_scipy_has_it():
    # var/n: 5/3/4 = 0.416667 and 8/2/3 = 1.333333; t = -1.5 / sqrt(1.75)
    w = stats.welch(A, B)
    assert w["t"] == pytest.approx(-1.5 / math.sqrt(1.75))
    assert w["df"] == pytest.approx(1.75 ** 2 / ((5 / 12) ** 2 / 3 + (4 / 3) ** 2 / 2))
    assert w["p"] == pytest.approx(sp.ttest_ind(A, B, equal_var=False).pvalue)


def test_welch_without_spread():
    assert stats.welch([1, 1], [1, 1])["p"] == 1.0
    assert stats.welch([1, 1], [2, 2])["p"] == 0.0


def test_paired_by_hand_and_as_scipy_has_it():
    b = [a - dd for a, dd in zip(A, (0.5, 1.0, 2.5, 1.0), strict=True)]
    # differences 0.5, 1, 2.5, 1: mean 1.25, sd sqrt(0.75); t = 1.25 / (sqrt(0.75) / 2)
    p = stats.paired(A, b)
    assert p["t"] == pytest.approx(1.25 / (math.sqrt(0.75) / 2)) and p["df"] == 3
    assert p["p"] == pytest.approx(sp.ttest_rel(A, b).pvalue)


def test_paired_sees_a_shift_that_the_seeds_spread_hides_from_welch():
    base = [98.0, 98.5, 99.0]
    moved = [98.10, 98.61, 99.12]  # each seed 0.10-0.12 higher; seeds spread 0.5
    assert stats.welch(moved, base)["p"] > 0.5
    assert stats.paired(moved, base)["p"] < 0.01


def test_paired_without_spread():
    assert stats.paired([1, 2], [1, 2])["p"] == 1.0
    assert stats.paired([2, 3], [1, 2])["p"] == 0.0


def test_brown_forsythe_by_hand_and_as_scipy_has_it():
    # |x - median|: [1.5, .5, .5, 1.5] (mean 1), [2, 0, 2] (mean 4/3); grand mean 8/7
    between = 4 * (1 - 8 / 7) ** 2 + 3 * (4 / 3 - 8 / 7) ** 2  # / (2 - 1)
    within = (4 * 0.25 + (4 / 9 + 16 / 9 + 4 / 9)) / (7 - 2)
    bf = stats.brown_forsythe(A, B)
    assert bf["F"] == pytest.approx(between / within)
    assert bf["p"] == pytest.approx(sp.levene(A, B, center="median").pvalue)


def test_holm_steps_down_and_stays_monotone():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1: 0.03, 0.06, 0.04 -> 0.06 (monotone)
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_below_and_quantiles():
    assert stats.below([1, 2, 3], 2) == 1
    assert stats.quantiles([1, 2, 3, 4, 5], (0, 0.25, 0.5)) == [1, 2, 3]
