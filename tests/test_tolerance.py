"""The gate's rule against hand-computed values (in the comments) on small inputs."""

import math

import pytest

from nndl3 import tolerance
from nndl3.errors import UserError


def test_without_the_recipe_our_spread_stands_for_the_books_draw():
    s = tolerance.spread(0.1, 9, 3)
    assert (s.sigma, s.df, s.source) == (pytest.approx(0.1 * math.sqrt(4 / 3)), 9, "ours")


def test_with_the_recipe_welch_satterthwaite_combines_both_sds():
    # 0.2^2 (39 df) + 0.1^2 / 3 (19 df): sqrt(0.0433333) = 0.208167, df 45.127
    s = tolerance.spread(0.1, 19, 3, sd_recipe=0.2, df_recipe=39)
    assert s.sigma == pytest.approx(math.sqrt(0.04 + 0.01 / 3))
    assert s.df == pytest.approx((0.04 + 0.01 / 3) ** 2 / (0.04 ** 2 / 39 + (0.01 / 3) ** 2 / 19))
    assert s.source == "recipe"


def test_a_spread_of_zero_from_one_side_keeps_the_others_df():
    assert tolerance.spread(0.0, 9, 3, sd_recipe=0.2, df_recipe=39).df == pytest.approx(39)


def test_book_tolerance_is_two_sided_t_times_sigma_plus_precision():
    tol, k = tolerance.book_tolerance(tolerance.Spread(0.2, 10, "ours"), 0.05, 0.005)
    assert k == pytest.approx(2.228139, abs=1e-6)  # t(0.975, 10), not t(0.95, 10)
    assert tol == pytest.approx(2.228139 * 0.2 + 0.005, abs=1e-6)


def test_claim_margin_is_one_sided_over_sqrt_n():
    margin, k = tolerance.claim_margin(0.3, 9, 3, 0.05)
    assert k == pytest.approx(1.833113, abs=1e-6)  # t(0.95, 9)
    assert margin == pytest.approx(1.833113 * 0.3 / math.sqrt(3), abs=1e-6)


def test_detectable_shift_adds_the_powers_quantile():
    # t(0.8, 10) = 0.879058
    assert tolerance.detectable(1.0, 0.5, 10, 0.8) == pytest.approx(1 + 0.5 * 0.879058,
                                                                   abs=1e-6)


def test_the_k_sigma_rule_of_the_issue():
    # issue 24: 3 x 0.098 x sqrt(1 + 1/3) + 0.005 = 0.35
    assert tolerance.k_sigma_tolerance(0.098, 3, 0.005) == pytest.approx(0.3445, abs=1e-4)
    assert tolerance.k_sigma_claim_margin(0.3, 4) == pytest.approx(0.45)


def row(i, **extra):
    return {"id": f"r{i}", "source": {"run": "a"}, **extra}


EXPECTED = {"gate": {"family_false_failure": 0.01, "detectable_power": 0.8},
            "curve_deviations": {"c2": "why"},
            "quantities": [row(1), row(2), row(3, known_deviation="why"),
                           row(4, every_seed=True), {"id": "svm", "source": {"svm": 100}}]}


def test_the_family_counts_gated_rows_and_curves():
    gate = tolerance.gate_of(EXPECTED, ["c1", "c2"])
    assert gate.m == 3  # r1, r2, c1
    assert gate.alpha_row == pytest.approx(1 - 0.99 ** (1 / 3))


@pytest.mark.parametrize("value", [None, 0, 1.5, "0.01"])
def test_a_bad_family_rate_is_one_line(value):
    bad = {**EXPECTED, "gate": {"family_false_failure": value, "detectable_power": 0.8}}
    with pytest.raises(UserError, match="family_false_failure"):
        tolerance.gate_of(bad)
