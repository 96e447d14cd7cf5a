"""The gate's per-row logic on hand-made inputs: which spread stands for the book's draw,
the text's effect and weak rows, where the book lies among our seeds, the comparison with
the recipe, the family's false-failure rate and how statuses are counted."""

import math

import pytest
import yaml

from nndl3 import check, report, two_sample

from .conftest import ROOT

GATE = {"family_false_failure": 0.01, "detectable_power": 0.8}
SRC = {"run": "xent", "metric": "evaluation_accuracy", "reduce": "best"}


def row(i, book, section=2, **extra):
    return {"id": i, "section": section, "quantity": "q", "book": book,
            "book_precision": 0.005, "source": SRC, **extra}


def aggregate_of(values):
    agg = {"monitored_epochs": [0, 1], "metrics": {"evaluation_accuracy": {
        "per_seed": [[v - 0.01, v] for v in values]}}}
    return {"xent": agg, "other": agg}


CAL = {"seeds": list(range(1, 11)), "seed_sd": {"a": 0.2, "b": 0.2},
       "per_seed": {"a": {s: 94.5 + 0.1 * s for s in range(1, 11)}}}


def evaluate(rows, recipe=None, values=(0.951, 0.949, 0.950)):
    return check.evaluate({"gate": GATE, "quantities": rows}, CAL,
                          check.Inputs(aggregate_of(list(values))), recipe=recipe)


def test_the_recipes_sd_stands_for_the_books_draw_where_it_has_the_row():
    recipe = {"seeds": list(range(1, 41)), "seed_sd": {"a": 0.5},
              "per_seed": {"a": {s: 95.0 for s in range(1, 41)}}}
    a, b = evaluate([row("a", 95.0), row("b", 95.0)], recipe)
    assert (a["spread_source"], b["spread_source"]) == ("recipe", "ours")
    assert a["tolerance"] > b["tolerance"]  # 0.5 of the recipe against our 0.2
    # alpha for 2 rows: 1 - 0.99 ** 0.5 = 0.0050126
    assert a["alpha"] == pytest.approx(0.0050126, abs=1e-7)


def test_the_texts_effect_is_the_nearest_book_number_of_another_run():
    other = {**SRC, "run": "other"}
    rows = [row("a", 95.0), row("b", 96.5, source=other), row("c", 95.3, section=3),
            row("d", 40.0, source={**other, "reduce": "argmax_epoch"}),
            row("e", 95.0, source=other),  # the same number: no effect
            row("f", 95.1)]  # the same run as a: a transcript, not a comparison
    effects = check.text_effects({"quantities": rows})
    # c and d have no number of their kind beside them: their own number is the effect
    assert effects == pytest.approx({"a": 1.5, "b": 1.4, "c": 95.3, "d": 40.0, "e": 0.1,
                                     "f": 0.1})


def test_a_row_that_cannot_see_the_texts_effect_is_weak_not_pass():
    # sd 0.2 over 10 seeds: tolerance t(0.9975, 9) * 0.2 * sqrt(4/3) + 0.005 ~ 0.9
    other = {**SRC, "run": "other"}
    far, near = evaluate([row("a", 95.0), row("b", 97.0, source=other)])[0], \
        evaluate([row("a", 95.0), row("b", 95.2, source=other)])[0]
    assert far["status"] == "pass" and far["text_effect"] == pytest.approx(2.0)
    assert near["status"] == "weak" and near["detectable_shift"] > near["text_effect"]
    assert near["detectable_shift"] == pytest.approx(
        near["tolerance"] + 0.883404 * 0.2 * math.sqrt(4 / 3), abs=1e-5)  # t(0.8, 9)


def test_a_weak_row_says_whether_any_number_of_seeds_could_see_the_effect():
    """With unlimited seeds only the book's draw spreads, known: normal quantiles times
    its sd (ours here: no recipe), plus the precision. A weak row above the effect even so
    stays weak with unlimited seeds, and the report's weak section names it."""
    other = {**SRC, "run": "other"}
    (near,) = evaluate([row("a", 95.0), row("b", 95.2, source=other)])[:1]
    z = 2.806223 + 0.841621  # norm.ppf(1 - 0.0050126 / 2) (alpha for 2 rows), norm.ppf(0.8)
    assert near["shift_unlimited"] == pytest.approx(z * 0.2 + 0.005, abs=1e-5)
    assert near["shift_unlimited"] < near["detectable_shift"]
    # with a recipe, its sd is the book's draw's: 0.5, not our 0.2
    recipe = {"seeds": list(range(1, 41)), "seed_sd": {"a": 0.5},
              "per_seed": {"a": {s: 95.0 for s in range(1, 41)}}}
    with_recipe = evaluate([row("a", 95.0), row("b", 95.2, source=other)], recipe)[0]
    assert with_recipe["shift_unlimited"] == pytest.approx(z * 0.5 + 0.005, abs=1e-5)
    assert check.weak_with_unlimited_seeds([near]) == [near]  # 0.73 > the effect 0.2
    assert check.weak_with_unlimited_seeds([{**near, "text_effect": 0.9}]) == []
    assert check.weak_with_unlimited_seeds_line([{**near, "text_effect": 0.9}]).startswith(
        "With unlimited seeds every weak row could see the text's effect")
    line = check.weak_with_unlimited_seeds_line([near, {**near, "id": "c", "text_effect": 0.9}])
    assert line.startswith("Weak with unlimited seeds, 1 of 2 (")
    assert line.endswith(f": `a` ({near['shift_unlimited']:.2f} > 0.20); the other 1 could "
                         "see it with more seeds.")


def test_the_book_is_placed_among_our_calibration_seeds():
    (a,) = evaluate([row("a", 95.0)])  # seeds 94.6 ... 95.5: four below 95.0
    assert a["book_below"] == [4, 10]


def test_statuses_are_counted_whatever_they_are():
    rows = [{"status": s} for s in ("pass", "weak", "pass", "changed", "not run", "FAIL")]
    assert check.counts(rows) == "2 pass, 1 weak, 1 changed, 1 not run, 1 FAIL"


def test_the_table_starts_with_the_headline_row():
    rows = evaluate([row("a", 95.0), row("b", 97.0)])
    text = check.table(rows, headline="b")
    assert text.splitlines()[2].startswith("| `b` |")


def test_ours_against_the_recipe_flags_a_difference_after_holm():
    same = ([1.0, 2.0, 3.0, 4.0], [1.5, 2.5, 3.5, 2.0])
    shifted = ([1.0, 2.0, 3.0, 4.0, 2.0, 3.0], [21.0, 22.0, 23.0, 24.0, 22.0, 23.0])
    entries = two_sample.compare({"same": same, "shifted": shifted}, 0.01)
    by_id = {e["id"]: e for e in entries}
    assert by_id["same"]["flagged"] == [] and by_id["shifted"]["flagged"] == ["mean"]
    # Holm over the 4 p-values: the smallest times 4
    p = sorted(e[k] for e in entries for k in ("p_mean", "p_spread"))
    assert by_id["shifted"]["p_mean_holm"] == pytest.approx(4 * p[0])
    assert "1 of 2 differ from the recipe" in two_sample.markdown(entries, 0.01)


def test_pairs_come_from_both_files_per_seed_values():
    cal = {"per_seed": {"a": {1: 1.0, 2: 2.0}, "b": {1: 0.0}}}
    rec = {"per_seed": {"a": {7: 3.0}}}
    assert two_sample.row_pairs(cal, rec) == {"a": ([1.0, 2.0], [3.0])}
    assert two_sample.row_pairs(cal, None) == {}
    curves = {"curves": {"c": {"per_seed": {"1": [0.5, 0.6], "2": [0.7, 0.8]}}}}
    assert two_sample.curve_pairs(curves, {"curves": {"c": {"per_seed": {"9": [0.1, 0.2]}}}}) \
        == {"c": ([0.5, 0.7], [0.1])}


def test_the_gates_false_failure_rate_from_the_alphas_and_simulated_shares_used():
    doc = {"gate": {"alpha_family": 0.01, "m": 3, "alpha_row": 0.003},
           "rows": [{"alpha": 0.002, "known_deviation": None},
                    {"alpha": 0.002, "known_deviation": "why"},  # not gated
                    {"alpha": None, "known_deviation": None}],  # exact
           "curves": [{"simulated_failure": 0.001, "simulated_alpha": 0.003,
                       "held_out_pass_rate": 0.9, "known_deviation": None},
                      {"simulated_failure": 0.5, "simulated_alpha": 0.003,
                       "known_deviation": "why"},  # not gated
                      {"held_out_pass_rate": None}]}  # not compared
    f = report.false_failure(doc)
    assert (f["rows"], f["curves"], f["curves_held_out"]) == (1, 1, 0)
    assert f["rate"] == pytest.approx(1 - 0.998 * 0.999)  # the simulated share, not 1 - 0.9
    assert f["curves_share"] == pytest.approx(1 - 0.99 ** (1 / 3))  # one curve of m = 3
    text = report.false_failure_markdown(f)
    assert "0.10 % (each curve's simulated failure share" in text
    assert "stay within it: each simulated threshold is the largest whose simulated failure " \
           "share is at most the gate's per-member rate, 0.003." in text
    # a calibration made before the simulation, or at another rate, says so
    doc["curves"][0].update(simulated_failure=None, simulated_alpha=None)
    f = report.false_failure(doc)
    assert f["curves_held_out"] == 1 and f["rate"] == pytest.approx(1 - 0.998 * 0.9)
    assert "(their held-out failure shares: calibrated before the simulation (rerun " \
           "`snakemake calibrate`)): the gate, 10.18 %" in report.false_failure_markdown(f)
    doc["curves"].append({**doc["curves"][1], "known_deviation": None})
    assert "(each curve's simulated failure share at its threshold; 1 at their held-out " \
           "failure share, calibrated before" in \
           report.false_failure_markdown(report.false_failure(doc))
    doc["curves"].pop()
    doc["curves"][0].update(simulated_failure=0.001, simulated_alpha=0.004)
    assert "simulated at a per-member rate of 0.004, the gate's is now 0.003 (rerun" in \
           report.false_failure_markdown(report.false_failure(doc))


def test_a_weak_row_is_described_by_its_seeds_quantiles():
    rows = evaluate([row("a", 95.0), row("b", 95.2, source={**SRC, "run": "other"})])
    gate = {"alpha_row": 0.005, "alpha_family": 0.01, "m": 2, "power": 0.8}
    text = check.markdown(rows, {"rule": "r"}, gate)
    # seeds 94.6 ... 95.5: quartiles 94.6, 94.825, 95.05, 95.275, 95.5
    assert "- **a**: book 95, above 4 of 10 seeds; seeds 94.60 / 94.83 / 95.05 / 95.28 / " \
           "95.50" in text


def test_the_rows_sd_is_over_n_minus_1():
    (a,) = evaluate([row("a", 95.0)])  # 95.1, 94.9, 95.0: squares 0.02 over 2
    assert a["sd"] == pytest.approx(0.1)  # not sqrt(0.02 / 3) = 0.0816


def test_an_sd_on_one_seed_is_an_error_not_a_nan():
    with pytest.raises(check.UserError, match="a: its sd rests on 1 seed"):
        check.evaluate({"gate": GATE, "quantities": [row("a", 95.0)]},
                       {"seeds": [1], "seed_sd": {"a": 0.2}},
                       check.Inputs(aggregate_of([0.95, 0.95])))


def test_a_claim_that_cannot_tell_its_difference_from_none_is_weak():
    """early_stopping_epoch (at most -1 epoch) passed with a margin of 24 epochs: an early
    stopping that never stops (a difference of 0) passed it too."""
    diff = {**SRC, "minus_run": "other"}
    assert check.claim_effect({"source": diff}, {"at_most": -1}) == 1
    assert check.claim_effect({"source": diff}, {"at_least": 0}) is None  # "not worse"
    assert check.claim_effect({"source": SRC}, {"at_most": -1}) is None  # not a difference
    claim = {"id": "c", "section": 10, "quantity": "q", "claim": {"at_most": -1},
             "source": diff}
    inputs = check.Inputs(aggregate_of([0.95, 0.95, 0.95]))  # both runs alike: 0
    wide, narrow = ({**CAL, "seed_sd": {"c": sd}} for sd in (5.0, 0.05))
    (weak,) = check.evaluate({"gate": GATE, "quantities": [claim]}, wide, inputs)
    assert (weak["status"], weak["text_effect"], weak["mean"]) == ("weak", 1, 0.0)
    assert weak["detectable_shift"] > 1
    (failed,) = check.evaluate({"gate": GATE, "quantities": [claim]}, narrow, inputs)
    assert failed["status"] == "FAIL"


def test_a_not_worse_claim_is_weak_where_it_cannot_tell_the_recipes_difference_reversed():
    """ch3_vs_ch1_100 (at least 0) passed with a margin of 22 points, where the recipe's
    seeds give a difference of about 9: the book's difference reversed passed it too."""
    diff = {**SRC, "minus_run": "other"}
    recipe = {"per_seed": {"c": {1: 8.0, 2: 10.0}}}
    assert check.claim_effect({"id": "c", "source": diff}, {"at_least": 0}, recipe) == 9
    assert check.claim_effect({"id": "c", "source": diff}, {"at_least": -1}, recipe) == 10
    # the recipe's difference at or beyond the bound: no farther from its reverse
    assert check.claim_effect({"id": "c", "source": diff}, {"at_most": 0}, recipe) == 0
    at_bound = {"per_seed": {"c": {1: -1.0, 2: 1.0}}}
    assert check.claim_effect({"id": "c", "source": diff}, {"at_least": 0}, at_bound) == 0
    assert check.claim_effect({"id": "c", "source": diff}, {"at_least": 0}) is None
    claim = {"id": "c", "section": 11, "quantity": "q", "claim": {"at_least": 0},
             "source": diff}
    inputs = check.Inputs(aggregate_of([0.95, 0.95, 0.95]))  # both runs alike: 0
    wide, narrow = ({**CAL, "seed_sd": {"c": sd}} for sd in (5.0, 0.05))
    expected = {"gate": GATE, "quantities": [claim]}
    (weak,) = check.evaluate(expected, wide, inputs, recipe=recipe)
    assert (weak["status"], weak["text_effect"]) == ("weak", 9)
    (strong,) = check.evaluate(expected, narrow, inputs, recipe=recipe)
    assert (strong["status"], strong["text_effect"]) == ("pass", 9)


def test_the_claims_that_are_never_weak_are_section_10s_not_worse_claims():
    """docs/reproduction-gate.md: a "not worse" claim without a recipe (section 10's
    claims) has no effect and is never weak; every other claim of config/ has one."""
    expected = yaml.safe_load((ROOT / "config/expected.yaml").read_text())
    recipe = yaml.safe_load((ROOT / "config/recipe.yaml").read_text())
    calibration = yaml.safe_load((ROOT / "config/calibration.yaml").read_text())
    never = {(r["section"], check.claim_holds(claim, 0.0, 0.0))
             for r in expected["quantities"] if r.get("claim")
             if check.claim_effect(r, claim := check.resolved_claim(r, calibration),
                                   recipe) is None}
    assert never == {(10, True)}


def test_a_best_of_rows_spread_with_unlimited_seeds_is_both_draws():
    """Its value is one draw of our best of k, however many seeds run: with unlimited
    seeds the book's draw (the recipe's sd) and ours (our sd) both spread."""
    import numpy as np
    from scipy.stats import norm

    recipe = {"seeds": list(range(1, 41)), "seed_sd": {"a": 0.5},
              "per_seed": {"a": {s: 95.0 + 0.01 * s for s in range(1, 41)}}}
    best = row("a", 95.0, best_of=3)
    gate = check.gate_of({"gate": GATE, "quantities": [best]})
    j = check.judged(best, np.array([95.1]), CAL, gate, recipe)
    z = norm.ppf(1 - gate.alpha_row / 2) + norm.ppf(0.8)
    assert j["shift_unlimited"] == pytest.approx(z * math.hypot(0.5, 0.2) + 0.005, abs=1e-6)
    plain = check.judged(row("a", 95.0), np.array([95.1, 95.0, 94.9]), CAL, gate, recipe)
    assert plain["shift_unlimited"] == pytest.approx(z * 0.5 + 0.005, abs=1e-6)


def test_what_the_false_failure_rate_does_not_measure_is_said():
    """A row or curve epoch whose calibration seeds never differed (sd 0) is outside its
    tolerance on any difference of a fresh seed, at a rate no seed measured: the rows were
    counted at their alpha, and the curves' simulations never failed those epochs, without
    a word. A row's seeds that all gave its one value bound that rate, and the bound is
    compared with the gate's."""
    doc = {"gate": {"alpha_family": 0.01, "m": 3, "alpha_row": 0.003},
           "rows": [{"id": "exact", "alpha": 0.003, "known_deviation": None,
                     "status": "pass", "detectable_shift": None},
                    {"id": "spread", "alpha": 0.003, "known_deviation": None,
                     "status": "pass", "detectable_shift": 0.5},
                    {"id": "changed", "alpha": 0.003, "known_deviation": None,
                     "status": "changed", "detectable_shift": None}],
           "curves": [{"id": "run.training_accuracy", "simulated_failure": 0.001,
                       "simulated_alpha": 0.003, "known_deviation": None}]}
    calibration = {"curves": {"run.training_accuracy": {"sd": [0.0, 0.2, 0.0, 0.1]}}}
    f = report.false_failure(doc, calibration)
    assert f["zero_spread_rows"] == ["exact"]
    assert f["zero_spread_epochs"] == {"run.training_accuracy": [2, 4]}
    text = report.false_failure_markdown(f)
    assert text.endswith("outside the tolerance. `exact` is counted above at its alpha. 2 of 4 "
                         "epochs of `run.training_accuracy` are never outside it in their "
                         "curves' simulations.\n")
    # how many seeds of ours gave the row's one value bounds how often a fresh one differs
    doc.update(check_seeds=[1, 2, 3], calibration_seeds=[3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    doc["rows"][0].update(mean=100.0, min=100.0, max=100.0, n=3)
    doc["recipe_comparison"] = [{"id": "exact", "ours": {"n": 11, "min": 100.0, "max": 100.0},
                                 "recipe": {"n": 20, "min": 100.0, "max": 100.0}}]
    f = report.false_failure(doc, calibration)
    # seed 3 in both counts once; the recipe's seeds are another program's: not counted
    assert f["zero_spread_seeds"] == {"exact": {"seeds": 13, "check_seeds": 3}}
    one = 1 - 0.05 ** (1 / 13)
    assert "`exact` is counted above at its alpha; none of our 13 seeds (this check's and " \
           "the calibration's) differed, which bounds how often one fresh seed differs only " \
           f"below {math.ceil(1000 * one) / 10:.1f} %, and how often the check's 3 seeds " \
           f"fail the row only below {math.ceil(1000 * (1 - (1 - one) ** 3)) / 10:.1f} % " \
           "(95 % confidence): its seeds cannot show that its alpha holds." in \
           report.false_failure_markdown(f)
    # without a recipe comparison, the calibration's quartiles; a set that differed: not
    del doc["recipe_comparison"]
    doc["rows"][0].update(calibration_quartiles=[100.0, 100.0, 99.9, 100.0, 100.0],
                          book_below=[0, 11])
    assert report.false_failure(doc, calibration)["zero_spread_seeds"]["exact"]["seeds"] == 13
    doc["rows"][0]["calibration_quartiles"][0] = 99.9
    assert report.false_failure(doc, calibration)["zero_spread_seeds"]["exact"]["seeds"] == 3
    calibration["curves"]["run.training_accuracy"]["sd"] = [0.1, 0.2]
    doc["rows"] = doc["rows"][1:]
    assert "Not measured" not in report.false_failure_markdown(report.false_failure(doc,
                                                                                    calibration))
