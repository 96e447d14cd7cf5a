import math
import re

import numpy as np
import pytest
import yaml

from nndl3 import check
from nndl3.errors import UserError


def test_reductions():
    rows = np.array([[0.1, 0.5, 0.4, 0.45], [0.3, 0.2, 0.6, 0.59]])
    epochs = [0, 1, 2, 3]
    assert check.per_seed(rows, epochs, "best").tolist() == [0.5, 0.6]
    assert check.per_seed(rows, epochs, "final").tolist() == [0.45, 0.59]
    assert check.per_seed(rows, epochs, "first").tolist() == [0.1, 0.3]
    assert check.per_seed(rows, epochs, "argmin_epoch").tolist() == [0, 1]
    assert check.per_seed(rows, epochs, "argmax_epoch").tolist() == [1, 2]
    assert check.per_seed(rows, epochs, "plateau_epoch", 0.06).tolist() == [1, 2]


def aggregate_of(values):
    """An aggregate whose per-seed best test accuracy is `values` (fractions)."""
    return {"xent": {"monitored_epochs": [0, 1], "metrics": {"evaluation_accuracy": {
        "per_seed": [[v - 0.01, v] for v in values]}}}}


# the gate of every test here: 1 % over the one row, so alpha_row = 0.01
GATE = {"family_false_failure": 0.01, "detectable_power": 0.8}
TEN = list(range(1, 11))  # ten calibration seeds: 9 degrees of freedom
T_995_9 = 3.249836  # t(1 - 0.01 / 2, 9), from a table
T_995_2 = 9.924843  # t(0.995, 2)


def expected(*rows):
    return {"gate": GATE, "quantities": list(rows)}


ROW = {"id": "r", "section": 2, "quantity": "q", "book": 95.0, "book_precision": 0.005,
       "source": {"run": "xent", "metric": "evaluation_accuracy", "reduce": "best"}}


@pytest.mark.parametrize("values,status", [([0.951, 0.949, 0.950], "pass"),
                                           ([0.960, 0.962, 0.961], "FAIL")])
def test_rows_pass_or_fail_by_the_derived_tolerance(values, status):
    calibration = {"seeds": TEN, "seed_sd": {"r": 0.2}}
    (row,) = check.evaluate(expected(ROW), calibration,
                            check.Inputs(aggregate_of(values)))
    assert row["status"] == status
    assert row["tolerance"] == pytest.approx(T_995_9 * 0.2 * math.sqrt(1 + 1 / 3) + 0.005)
    assert row["tolerance_k_sigma"] == pytest.approx(3 * 0.2 * math.sqrt(1 + 1 / 3) + 0.005)
    assert row["spread_source"] == "ours" and row["df"] == 9
    assert math.isclose(row["mean"], 100 * np.mean(values))


def test_one_seed_keeps_the_seed_spread_in_its_tolerance():
    calibration = {"seeds": TEN, "seed_sd": {"r": 0.2}}
    (row,) = check.evaluate(expected(ROW), calibration,
                            check.Inputs(aggregate_of([0.953])))
    assert row["tolerance"] == pytest.approx(T_995_9 * 0.2 * math.sqrt(2) + 0.005)
    assert row["status"] == "pass"


def test_missing_calibration_is_an_error():
    with pytest.raises(check.UserError, match="no seed_sd for 'r'"):
        check.evaluate(expected(ROW), {"seeds": [], "seed_sd": {}},
                       check.Inputs(aggregate_of([0.95, 0.95])))


def test_known_deviation_is_reported_not_failed():
    row = {**ROW, "known_deviation": "known reason"}
    (r,) = check.evaluate(expected(row), {"seeds": TEN, "seed_sd": {"r": 0.1}},
                          check.Inputs(aggregate_of([0.97, 0.97])))
    assert r["status"] == "known deviation"


def test_best_of_compares_the_best_of_the_first_k_seeds_as_one_draw():
    row = {**ROW, "best_of": 3, "book": 95.5}
    calibration = {"seeds": [1, 2, 3], "seed_sd": {"r": 0.2}}  # 2 degrees of freedom
    agg = aggregate_of([0.951, 0.955, 0.949, 0.99])  # the fourth seed is not one of the 3
    (r,) = check.evaluate(expected(row), calibration, check.Inputs(agg))
    assert (r["mean"], r["n"]) == (95.5, 1) and r["status"] == "pass"
    assert r["tolerance"] == pytest.approx(T_995_2 * 0.2 * math.sqrt(2) + 0.005)
    with pytest.raises(check.UserError, match="best_of 3 needs at least 3 seeds"):
        check.evaluate(expected(row), calibration, check.Inputs(aggregate_of([0.9])))


def test_best_by_reads_the_row_from_the_run_best_at_its_peak():
    row = {**ROW, "best_of": 3, "best_by": "best", "book": 95.0,
           "source": {**ROW["source"], "reduce": "final"}}
    # seed 1 peaks highest (0.97) but ends at 0.95; seed 2 ends highest (0.96)
    agg = {"xent": {"monitored_epochs": [0, 1, 2], "metrics": {"evaluation_accuracy": {
        "per_seed": [[0.90, 0.97, 0.95], [0.96, 0.96, 0.96], [0.5, 0.5, 0.5]]}}}}
    (r,) = check.evaluate(expected(row), {"seeds": [1, 2, 3], "seed_sd": {"r": 0.2}},
                          check.Inputs(agg))
    assert (r["mean"], r["n"]) == (pytest.approx(95.0), 1)
    assert check.best_of(row, np.array([1.0, 3.0, 2.0]), by=np.array([5.0, 4.0, 6.0])) == 2.0


def test_best_by_without_best_of_is_an_error(tmp_path):
    path = tmp_path / "expected.yaml"
    path.write_text(yaml.safe_dump({"rule": "r", "gate": GATE,
                                    "quantities": [{**ROW, "best_by": "best"}]}))
    with pytest.raises(check.UserError, match=r"\(r\): best_by 'best' needs best_of"):
        check.load_expected(path)


def test_a_best_of_rows_df_is_its_groups_effective_seeds_less_one():
    # 10 seeds, best of 3: the r-th best seed is best in C(9 - r, 2) of the 120 groups:
    # 36, 28, 21, 15, 10, 6, 3, 1, 0, 0; (sum w)^2 / sum w^2 = 14400 / 2892
    assert check.calibrated_df({"seeds": TEN}, {"id": "r", "best_of": 3}) == pytest.approx(
        14400 / 2892 - 1)
    assert check.calibrated_df({"seeds": TEN}, {"id": "r"}) == 9
    # 4 seeds, best of 2: weights 3, 2, 1, 0: 36 / 14
    assert check.calibrated_df({"seeds": [1, 2, 3, 4]}, {"id": "r", "best_of": 2}) == (
        pytest.approx(36 / 14 - 1))
    row = {**ROW, "best_of": 3}
    calibration = {"seeds": TEN, "seed_sd": {"r": 0.2}, "per_seed": {"r": dict.fromkeys(TEN, 95.0)}}
    (r,) = check.evaluate(expected(row), calibration,
                          check.Inputs(aggregate_of([0.951, 0.955, 0.949])))
    assert r["df"] == pytest.approx(14400 / 2892 - 1)
    assert r["book_below"] is None and r["calibration_quartiles"] is None  # not single seeds


@pytest.mark.parametrize("change,message", [
    ({"best_of": 3, "source": {**ROW["source"], "metric": "evaluation_cost"}},
     "best_of needs an accuracy metric"),
    ({"best_of": 3, "best_by": "lowest"}, "best_by must be 'best'")])
def test_a_best_of_row_that_would_pick_the_wrong_run_is_an_error(tmp_path, change, message):
    path = tmp_path / "expected.yaml"
    path.write_text(yaml.safe_dump({"rule": "r", "gate": GATE,
                                    "quantities": [{**ROW, **change}]}))
    with pytest.raises(check.UserError, match=message):
        check.load_expected(path)


def test_one_digit_fraction_counts_epochs_at_a_digits_share():
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # any 10 counts
    total = sum(counts)
    rows = np.array([[1009 / total, 982 / total, 982 / total, 1135 / total],
                     [1009 / total, 1010 / total, 0.5, 983 / total]])
    got = check.per_seed(rows, [0, 1, 2, 3], "one_digit_fraction", counts=counts)
    assert got.tolist() == [1.0, 0.5]
    with pytest.raises(check.UserError, match="needs the evaluation set's labels"):
        check.per_seed(rows, [0, 1, 2, 3], "one_digit_fraction")


def test_minus_reduce_and_errors_eliminated():
    aggs = {"a": {"spec": {"evaluation": "test"}, "monitored_epochs": [0, 1],
                  "metrics": {"evaluation_accuracy": {"per_seed": [[0.90, 0.96], [0.91, 0.97]]}}},
            "b": {"spec": {"evaluation": "test"}, "monitored_epochs": [0, 1],
                  "metrics": {"evaluation_accuracy": {"per_seed": [[0.90, 0.95], [0.91, 0.96]]}}}}
    inputs = check.Inputs(aggs)
    rise = check.regenerate({"run": "a", "metric": "evaluation_accuracy", "reduce": "final",
                             "minus_reduce": "first"}, inputs)
    np.testing.assert_allclose(rise, [6.0, 6.0])
    share = check.regenerate({"run": "a", "metric": "evaluation_accuracy", "reduce": "best",
                              "errors_eliminated_vs": "b"}, inputs)
    np.testing.assert_allclose(share, [(5 - 4) / 5, (4 - 3) / 4])
    assert check.runs_of({"run": "a", "errors_eliminated_vs": "b"}) == ["a", "b"]


def test_a_claim_in_sds_takes_its_bound_from_the_calibration():
    row = {"id": "c", "section": 10, "quantity": "q", "claim": {"at_least_sds": -3},
           "source": {"run": "xent", "metric": "evaluation_accuracy", "reduce": "best"}}
    calibration = {"seeds": [1, 2], "seed_sd": {"c": 0.1}, "claim_sd": {"c": 0.1233}}
    (r,) = check.evaluate(expected(row), calibration,
                          check.Inputs(aggregate_of([0.0, 0.0, 0.0])))
    assert r["claim"] == {"at_least": -0.3699}
    with pytest.raises(check.UserError, match="no claim_sd for 'c'"):
        check.evaluate(expected(row), {"seeds": [1, 2], "seed_sd": {"c": 0.1}},
                       check.Inputs(aggregate_of([0.0])))


def test_an_every_seed_row_fails_when_one_seed_lacks_the_property():
    row = {**ROW, "book": 95.0, "book_precision": 0, "every_seed": True}
    (r,) = check.evaluate(expected(row), {"seeds": [1, 2], "seed_sd": {}},
                          check.Inputs(aggregate_of([0.95, 0.95, 0.95])))
    assert r["status"] == "pass" and r["tolerance"] == 0
    (r,) = check.evaluate(expected(row), {"seeds": [1, 2], "seed_sd": {"r": 5.0}},
                          check.Inputs(aggregate_of([0.95, 0.96, 0.95])))
    assert r["status"] == "FAIL"  # however wide the seeds' spread


def test_an_every_seed_row_is_judged_seed_by_seed_not_on_the_mean():
    """Seeds at 95 and 75 against a book 85 +- 5: each is 10 away, though their mean is 85."""
    row = {**ROW, "book": 85.0, "book_precision": 5.0, "every_seed": True}
    (r,) = check.evaluate(expected(row), {"seeds": [1, 2], "seed_sd": {}},
                          check.Inputs(aggregate_of([0.95, 0.75])))
    assert r["status"] == "FAIL"


def test_a_diverged_seed_fails_its_row_even_with_a_value():
    """A seed that diverged after its best epoch still has a best: the divergence alone
    fails the row (the other test of it has a seed diverged at epoch 0, whose NaN would
    fail it anyway)."""
    agg = {"xent": {"seeds": [1, 2], "monitored_epochs": [0, 1, 2],
                    "diverged_at_epoch": [None, 2], "metrics": {"evaluation_accuracy": {
                        "per_seed": [[0.90, 0.91, 0.92], [0.90, 0.91, None]]}}}}
    row = {**ROW, "book": 91.5, "book_precision": 100}  # no value could fail it
    (r,) = check.evaluate(expected(row), {"seeds": TEN, "seed_sd": {"r": 1.0}},
                          check.Inputs(agg))
    assert r["status"] == "FAIL" and "xent seed 2 at epoch 2" in r["reason"]


def test_a_row_exactly_at_its_tolerance_passes():
    """|mean - book| <= tolerance, the bound included: with no seed spread (the calibration
    has such a row) the tolerance is the book's precision, 0.5, and the mean 0.5 away."""
    row = {**ROW, "book": 90.0, "book_precision": 0.5}
    (r,) = check.evaluate(expected(row), {"seeds": TEN, "seed_sd": {"r": 0.0}},
                          check.Inputs(aggregate_of([0.905, 0.905])))
    assert r["tolerance"] == 0.5 and r["mean"] == pytest.approx(90.5)
    assert r["status"] in ("pass", "weak")


@pytest.mark.parametrize("source, words", [
    ({"neuron": "quadratic_good", "at": "start"}, "'quadratic_good' was given (--neuron)"),
    ({"svm": 50000}, "no result 50000 was given (--svm)"),
    ({"baseline": "darkness"}, "no result 'darkness' was given (--svm)")])
def test_a_row_whose_result_was_not_given_names_it(source, words):
    with pytest.raises(UserError, match=re.escape(words)):
        check.regenerate(source, check.Inputs({}))


def test_every_reduction_a_row_may_name_runs_and_no_other():
    """check.REDUCTIONS, what a row is checked against when the workflow starts, is what
    per_seed reduces with."""
    rows, epochs = np.array([[0.1, 0.5, 0.45, 0.44]]), [0, 1, 2, 3]
    for reduce in check.REDUCTIONS:
        check.per_seed(rows, epochs, reduce, window=(0, 3), counts=[1, 1])
    with pytest.raises(UserError, match="unknown reduction 'bestest'"):
        check.per_seed(rows, epochs, "bestest")


def test_a_row_that_cannot_be_made_is_named():
    row = {"id": "r", "section": 3, "quantity": "q", "book": 95.0, "book_precision": 0.005,
           "source": {"run": "xent_30", "metric": "evaluation_accuracy", "reduce": "best"}}
    with pytest.raises(UserError, match=r"^expected values, row 'r': no aggregate of run "
                                        r"'xent_30' was given$"):
        check.evaluate({"quantities": [row]}, {"seeds": [1, 2], "seed_sd": {"r": 0.1}},
                       check.Inputs({}), check.Gate(alpha_family=0.01, power=0.8, m=1))


STORED_ROW = {"id": "r", "source": {"run": "x", "metric": "evaluation_accuracy", "reduce": "best"}}
STORED = {"seeds": [1, 2, 3], "seed_sd": {"r": 1.0}, "per_seed": {"r": {1: 90.0, 2: 91.0,
                                                                       3: 92.0}}}


@pytest.mark.parametrize("edit, problem", [
    (lambda p: None, None),
    (lambda p: p["per_seed"]["r"].pop(3),
     "per_seed has seeds [1, 2], not its calibration seeds [1, 2, 3]"),
    (lambda p: p["per_seed"].pop("r"), "no per_seed"),
    (lambda p: p["seed_sd"].update(r=1.0001), None),  # within the values' rounding
    (lambda p: p["seed_sd"].update(r=1.0002),
     "seed_sd 1.0002 is not this code's sd of its per_seed values (1.0000, check.row_sd): "
     "an edited or cut file, or one made by other code"),
    (lambda p: p["per_seed"]["r"].update({3: 9.0}),
     "seed_sd 1.0 is not this code's sd of its per_seed values (47.0567, check.row_sd): "
     "an edited or cut file, or one made by other code"),
    (lambda p: p.pop("per_seed"), "no per_seed"),  # a row's own seeds: not the file's n
])
def test_a_rows_stored_calibration_must_be_whole(edit, problem):
    import copy

    points = copy.deepcopy(STORED)
    edit(points)
    assert check.stored_row_problem(STORED_ROW, points, [1, 2, 3]) == problem


def test_a_best_of_rows_sd_is_recomputed_over_its_groups_unless_picked_by_another_quantity():
    import copy

    points = copy.deepcopy(STORED)
    points["seed_sd"]["r"] = 0.5774  # groups {1,2}, {1,3}, {2,3}: best 91, 92, 92
    assert check.stored_row_problem({**STORED_ROW, "best_of": 2}, points, [1, 2, 3]) is None
    assert "(1.0000, check.row_sd)" in check.stored_row_problem(STORED_ROW, points, [1, 2, 3])
    points["seed_sd"]["r"] = 0.4  # picked by a quantity whose values are not stored
    assert check.stored_row_problem({**STORED_ROW, "best_of": 2, "best_by": "last"}, points,
                                    [1, 2, 3]) is None
    assert check.stored_row_problem({**STORED_ROW, "best_of": 2}, points, [1, 2, 3])
    # as many seeds as a group: one group, whose sd is no number (a comparison of NaN
    # would pass any stored value)
    for row in ({**STORED_ROW, "best_of": 3}, {**STORED_ROW, "best_of": 3, "best_by": "last"}):
        assert check.stored_row_problem(row, points, [1, 2, 3]) == (
            "best_of 3 of its 3 seeds: no sd of their groups' best")


def test_a_calibration_made_by_another_definition_of_the_sd_is_refused():
    """The stored sd is compared with this code's row_sd of the stored values: had the
    calibration been made with another definition (here: ddof 0), the check refuses it
    rather than hold rows to it."""
    import copy

    points = copy.deepcopy(STORED)
    points["seed_sd"]["r"] = round(float(np.std([90.0, 91.0, 92.0])), 4)  # ddof 0: 0.8165
    assert "(1.0000, check.row_sd)" in check.stored_row_problem(STORED_ROW, points, [1, 2, 3])


def test_a_claim_needs_its_sd():
    import copy

    points = copy.deepcopy(STORED)
    claim = {**STORED_ROW, "claim": {"at_least_sds": 2}}
    assert check.stored_row_problem(claim, points, [1, 2, 3]) == "no claim_sd"


def test_the_committed_calibrations_are_whole():
    from pathlib import Path

    from nndl3 import readers

    root = Path(__file__).resolve().parents[1]
    expected = check.load_expected(root / "config" / "expected.yaml")
    for name, recipe in (("calibration.yaml", False), ("recipe.yaml", True)):
        path = root / "config" / name
        check.whole_calibration(expected, readers.calibration(path), path, recipe)
