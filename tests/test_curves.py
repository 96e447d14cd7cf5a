"""The curve check: the book's run passes against a band built around itself and fails
against a shifted one; its threshold, simulated at the gate's per-member rate, and the
held-out fractions that check the simulation."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sp

from nndl3 import book_runs, curves
from nndl3.readers import AGGREGATE_SCHEMA

from .conftest import read_book

ROOT = Path(__file__).resolve().parents[1]
BOOK = read_book()
CURVE = book_runs.curve(BOOK, "overfitting.json", None, "evaluation_accuracy")


def aggregate_around(values, sd, shift=0.0, n=3, seed=0):
    """An aggregate of n "seeds" scattered around `values` (fractions) by sd (points)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, sd / 100, (n, len(values)))
    noise -= noise.mean(axis=0)  # the seeds' mean is exactly the centre
    rows = values + shift / 100 + noise
    return {CURVE["run"]: {"schema": AGGREGATE_SCHEMA, "run": CURVE["run"],
                           "seeds": list(range(1, n + 1)),
                           "monitored_epochs": list(range(len(values))),
                           "metrics": {"evaluation_accuracy": {"per_seed": rows.tolist()}}}}


def calibration_of(sd, threshold=0.9):
    return {"seeds": [101, 110], "n_check": 3,
            "curves": {CURVE["id"]: {"sd": [sd] * len(CURVE["values"]), "threshold": threshold,
                                     "sd_epoch_mean": sd}}}


def row_of(rows):
    (row,) = [r for r in rows if r["id"] == CURVE["id"]]
    return row


def test_the_book_passes_against_a_band_around_itself():
    rows = curves.evaluate(BOOK, calibration_of(0.5), aggregate_around(CURVE["values"], 0.5))
    row = row_of(rows)
    assert row["within"] == 1.0 and row["status"] == "pass"
    assert row["offset"] == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("n", [1, 5])
def test_another_number_of_seeds_than_the_threshold_is_for_is_not_compared(n):
    """The threshold is simulated for the calibration's n_check seeds of ours: with more or
    fewer, even a curve far off is neither passed nor failed on it."""
    row = row_of(curves.evaluate(BOOK, calibration_of(0.5),
                                 aggregate_around(CURVE["values"], 0.5, shift=2.0, n=n)))
    assert row["status"] == (f"not compared ({n} seed(s) of ours; its threshold is calibrated "
                             "for 3: rerun `snakemake calibrate` with these seeds)")


def test_the_book_fails_against_a_shifted_band():
    # 3 sd * sqrt(4/3) = 1.73 points of tolerance: a 2-point shift puts every epoch outside
    rows = curves.evaluate(BOOK, calibration_of(0.5),
                           aggregate_around(CURVE["values"], 0.5, shift=2.0))
    row = row_of(rows)
    assert row["within"] == 0.0 and row["status"] == "FAIL"
    assert row["offset"] == pytest.approx(2.0)
    assert row["offset_z"] == pytest.approx(2.0 / (0.5 * math.sqrt(1 + 1 / 3)))


@pytest.mark.parametrize("threshold, verdict", [(0.9, "FAIL"), (0.85, "pass"), (0.8, "pass")])
def test_the_verdict_is_the_share_within_against_the_threshold(threshold, verdict):
    """A band that holds the book at 85 % of the epochs: it fails a threshold above that
    share and passes one at or below it."""
    values = np.asarray(CURVE["values"], dtype=float)
    inside = int(0.85 * len(values))
    shift = np.where(np.arange(len(values)) < inside, 0.0, 2.0)  # the last 15 % 2 points off
    rows = curves.evaluate(BOOK, calibration_of(0.5, threshold),
                           aggregate_around(values + shift / 100, 0.5))
    row = row_of(rows)
    assert row["within"] == pytest.approx(inside / len(values))
    assert row["status"] == verdict


def test_a_curve_without_its_run_or_calibration_fails_one_not_monitored_is_listed():
    rows = curves.evaluate(BOOK, calibration_of(0.5), aggregate_around(CURVE["values"], 0.5))
    assert len(rows) == len(book_runs.curves(BOOK))
    others = [r for r in rows if r["run"] != CURVE["run"]]
    assert others and all(r["status"] == "FAIL" for r in others)
    assert all("its run was not given" in r["reason"] for r in others)
    # the same run's other lists: not calibrated (fails) or not monitored (listed)
    agg = aggregate_around(CURVE["values"], 0.5)
    agg[CURVE["run"]]["metrics"]["training_cost"] = {"per_seed": [[1.0] * 400] * 3}
    by_id = {r["id"]: r for r in curves.evaluate(BOOK, calibration_of(0.5), agg)}
    assert by_id["overfit_1k.training_cost"]["reason"].startswith("not calibrated")
    assert by_id["overfit_1k.training_accuracy"]["status"].startswith("not compared")


def test_a_changed_run_s_curves_are_changed_unless_it_does_not_monitor_them():
    agg = aggregate_around(CURVE["values"][:3], 0.5)  # three epochs of 400: a changed run
    agg[CURVE["run"]]["spec"] = {"epochs": 3}
    by_id = {r["id"]: r for r in curves.evaluate(BOOK, calibration_of(0.5), agg,
                                                  book_settings={CURVE["run"]: {"epochs": 400}})}
    assert by_id[CURVE["id"]]["status"] == "changed"
    assert by_id[CURVE["id"]]["reason"] == "overfit_1k: epochs 3, book 400"
    assert by_id["overfit_1k.training_cost"]["status"] == ("not compared (our run does not "
                                                           "monitor it)")
    # with the book's settings, a run that lacks some of the curve's epochs says so
    (row,) = [r for r in curves.evaluate(BOOK, calibration_of(0.5), agg) if r["id"] ==
              CURVE["id"]]
    assert row["status"] == "not compared (our run does not monitor each of its epochs)"


def test_a_curve_of_a_diverged_run_fails_naming_its_seeds():
    agg = aggregate_around(CURVE["values"][:11], 0.5)  # every seed stopped at epoch 10
    agg[CURVE["run"]]["diverged_at_epoch"] = [10, 10, 10]
    row = row_of(curves.evaluate(BOOK, calibration_of(0.5), agg))
    assert row["status"] == "FAIL" and row["reason"] == (
        "diverged: overfit_1k seed 1 at epoch 10, overfit_1k seed 2 at epoch 10, "
        "overfit_1k seed 3 at epoch 10")


def test_held_out_fractions_cover_every_seed_and_subset():
    rng = np.random.default_rng(1)
    rows = rng.normal(0, 1, (6, 50))
    fractions = curves.held_out_fractions(rows, n=3)
    assert len(fractions) == 6 * math.comb(5, 3)
    assert 0.8 < fractions.mean() <= 1.0  # seeds of one distribution: mostly within 3 sd


def test_the_stored_sd_is_over_n_minus_1():
    rows = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0], [6.0, 1.0]])  # squares 20 over 3
    assert curves.measure(rows, [1, 2, 3, 4], 0.01, 3)["sd"] == [2.582, 0.0]


def test_the_seed_model_has_the_seeds_mean_and_sample_covariance():
    rows = np.random.default_rng(2).normal(0, 1, (5, 4))
    mean, span = curves.seed_model(rows)
    assert np.allclose(mean, rows.mean(axis=0))
    assert np.allclose(span.T @ span, np.cov(rows.T, ddof=1))


def test_identical_seeds_always_pass_every_epoch():
    rows = np.full((10, 30), 0.5)
    assert np.all(curves.simulated_fractions(rows, 640, 3) == 1.0)
    entry = curves.measure(rows, list(range(10)), 0.01, 3)
    assert entry["threshold"] == 1.0 and entry["simulated"]["failure_share"] == 0.0


def two_epochs(seeds=10):
    """Epoch 0 spread over the seeds, epoch 1 the same for all: only epoch 0 can fail, and
    it fails when |mean of 3 - book| > 3 sd * sqrt(1 + 1/3) with sd over `seeds` normal
    draws, that is when a Student t with seeds - 1 df exceeds 3 in size."""
    rows = np.zeros((seeds, 2))
    rows[:, 0] = np.random.default_rng(3).normal(0, 1, seeds)
    return rows


def test_a_two_epoch_curve_fails_at_the_t_distributions_rate():
    draws = 100_032
    fractions = curves.simulated_fractions(two_epochs(), draws, 3)
    assert set(np.unique(fractions)) == {0.5, 1.0}
    share = np.mean(fractions < 1.0)
    exact = 2 * sp.t.sf(3.0, 9)  # 0.01496; 0.0192 with ddof 0, 0.0198 were n 2 not 3
    assert share == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / draws))
    # below that rate the curve may fail nowhere but at epoch 0; above it, anywhere
    assert curves.threshold_at(fractions, 0.01) == (0.5, 0)
    assert curves.threshold_at(fractions, 0.02) == (1.0, int(np.sum(fractions < 1.0)))


def test_the_threshold_is_the_largest_with_at_most_alpha_below_it():
    fractions = np.array([0.0, 0.5, 0.5] + [1.0] * 7)
    assert curves.threshold_at(fractions, 0.05) == (0.0, 0)
    assert curves.threshold_at(fractions, 0.1) == (0.5, 1)
    assert curves.threshold_at(fractions, 0.25) == (0.5, 1)
    assert curves.threshold_at(fractions, 0.3) == (1.0, 3)
    # stored to 4 decimals, rounded down: it passes 29 of 30 epochs and fails 28
    assert curves.threshold_at(np.array([29 / 30] * 3), 0.1) == (0.9666, 0)


def test_the_threshold_grows_with_alpha_and_its_share_stays_under_it():
    fractions = curves.simulated_fractions(np.random.default_rng(4).normal(0, 1, (6, 30)),
                                           6400, 3)
    alphas = [0.0002, 0.001, 0.005, 0.01, 0.05, 0.2]
    found = [curves.threshold_at(fractions, a) for a in alphas]
    assert [t for t, _ in found] == sorted(t for t, _ in found)
    assert found[0][0] < found[-1][0]
    shares = [failures / len(fractions) for _, failures in found]
    assert all(share <= a for share, a in zip(shares, alphas, strict=True))


def test_the_simulation_is_the_same_on_every_run_and_for_any_batch(monkeypatch):
    rows = np.random.default_rng(5).normal(0, 1, (10, 40))
    once = curves.simulated_fractions(rows, 1000, 3)
    assert np.array_equal(once, curves.simulated_fractions(rows, 1000, 3))
    monkeypatch.setattr(curves, "BATCH", 7)
    assert np.array_equal(once, curves.simulated_fractions(rows, 1000, 3))
    assert not np.array_equal(once, curves.simulated_fractions(rows, 1000, 3, seed=1))


def test_the_span_model_is_conservative_for_independent_epochs():
    """Seeds whose 400 epochs vary independently: the model, confined to the span of 10 of
    them, ties epochs together and puts its low tail of fractions below the truth's."""
    rng = np.random.default_rng(6)
    model = curves.simulated_fractions(rng.normal(0, 1, (10, 400)), 6400, 3)
    truth = []
    for _ in range(100):  # the check itself with fresh independent seeds: 10 + book + 3
        seeds = rng.normal(0, 1, (64, 14, 400))
        sd = curves.epoch_sd(seeds[:, :10])
        truth.append(curves.within(seeds[:, 11:].mean(axis=1), seeds[:, 10], sd, 3).mean(1))
    assert np.percentile(model, 1) < np.percentile(np.concatenate(truth), 1) - 0.03


def test_the_held_out_cases_cannot_resolve_the_gates_per_member_rate():
    """Why the threshold is simulated (docs/curve-check.md): at the installed gate's alpha,
    every curve's held-out cases expect less than one failure."""
    from nndl3 import check, tolerance

    installed = json.loads((ROOT / "config" / "calibration_curves.json").read_text())["curves"]
    alpha = tolerance.gate_of(check.load_expected(ROOT / "config" / "expected.yaml"),
                              installed).alpha_row
    assert all(alpha * entry["held_out"]["cases"] < 1 for entry in installed.values())


def test_draws_resolve_alpha():
    assert curves.draws_for(0.01) == 4032  # 4000 in whole batches of 64
    assert curves.draws_for(1.4565e-4) * 1.4565e-4 >= curves.FAILURES_RESOLVED


def test_measure_gives_sd_threshold_and_each_seeds_values():
    agg = aggregate_around(CURVE["values"], 0.5, n=6)[CURVE["run"]]
    rows = curves.seed_rows(agg, CURVE)
    entry = curves.measure(rows, agg["seeds"], 0.01, 3)
    assert len(entry["sd"]) == 400 and entry["seeds"] == list(range(1, 7))
    assert entry["held_out"]["cases"] == 6 * math.comb(5, 3)
    sim = entry["simulated"]
    assert (sim["alpha"], sim["draws"], sim["seed"]) == (0.01, 4032, curves.SIMULATION_SEED)
    threshold, failures = curves.threshold_at(curves.simulated_fractions(rows, 4032, 3), 0.01)
    assert entry["threshold"] == threshold and sim["failure_share"] == failures / 4032 <= 0.01
    assert entry["per_seed"][3] == [round(rows[2].mean(), 6), round(rows[2][-1], 6)]


def test_a_known_deviation_is_reported_not_failed():
    known = {CURVE["id"]: "why"}
    rows = curves.evaluate(BOOK, calibration_of(0.5),
                           aggregate_around(CURVE["values"], 0.5, shift=2.0), known)
    row = row_of(rows)
    assert row["status"] == "known deviation" and row["known_deviation"] == "why"
    assert "**" + CURVE["id"] + "**: why" in curves.markdown(rows, calibration_of(0.5))


def test_the_detectable_shift_is_where_a_uniform_shift_first_fails_the_curve():
    """tolerance 2 sqrt(3) (3 sd sqrt(1 + 1/3), sd 1, n 3): from perfect agreement a shift
    fails only past it; with one epoch 3 below the book, a downward shift of just over
    2 sqrt(3) - 3 takes it out, which fails a threshold of 0.76 (3 of 4) but not 0.75."""
    from nndl3.curves import detectable_shift

    tol = 2 * math.sqrt(3)
    zero, sd = np.zeros(4), np.ones(4)
    assert detectable_shift(zero, zero, sd, 3, 1.0) == pytest.approx(tol)
    book = np.array([0, 0, 0, 3.0])
    assert detectable_shift(zero, book, sd, 3, 0.75) == pytest.approx(tol)
    assert detectable_shift(zero, book, sd, 3, 0.76) == pytest.approx(tol - 3)
    assert detectable_shift(zero, zero, 2 * sd, 3, 1.0) == pytest.approx(2 * tol)


def test_the_workflow_warns_at_start_when_no_curve_would_be_compared(tmp_path):
    installed = ROOT / "config" / "calibration_curves.json"
    n_check = json.loads(installed.read_text())["n_check"]
    assert curves.seed_count_problem(installed, n_check) is None
    assert curves.seed_count_problem(installed, n_check + 2) == (
        f"{n_check + 2} seed(s) in `seeds`, and the published curves' thresholds "
        f"({installed}) are calibrated for {n_check}: the check will compare no curve (rerun "
        "`snakemake calibrate` with these seeds, then `snakemake install_calibration`)")
    assert curves.seed_count_problem(tmp_path / "missing.json", 5) is None  # the report's
    assert "seed_count_problem(" in (ROOT / "workflow" / "rules" / "check.smk").read_text()


def test_whole_curves_spread_more_than_independent_epochs_would():
    """docs/curve-check.md's z: sd_mean, the spread of the calibration seeds' epoch-averaged
    curves, exceeds what independent epochs would give (rms of the per-epoch sd over
    sqrt(epochs)) on every calibrated curve: one run's epochs are correlated."""
    from nndl3 import paths, readers

    installed = readers.curve_calibration(ROOT / paths.CALIBRATION_CURVES_INSTALLED)
    ratios = {}
    for name, entry in installed["curves"].items():
        sd = np.array([s for s in entry["sd"] if s is not None])
        ratios[name] = entry["sd_epoch_mean"] / (math.sqrt(np.mean(sd ** 2) / len(sd)))
    assert ratios and min(ratios.values()) > 1, ratios


def test_the_simulations_benchmark_times_the_simulation_as_the_calibration_calls_it():
    """benchmarks/curve_simulation.py calls curves.simulated_fractions itself (no test ran
    it when the check's seed count became an argument); a small shape, a few draws."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "curve_simulation", ROOT / "benchmarks" / "curve_simulation.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    calls, simulate = [], script.curves.simulated_fractions

    def spy(rows, draws, n):  # the calibration's signature, or binding it fails here
        calls.append((rows.shape, draws, n))
        return simulate(rows, draws, n)

    script.curves = type("Curves", (), {"simulated_fractions": staticmethod(spy)})
    script.seconds((4, 6), draws=20, n=3, repeats=2)
    assert calls == [((4, 6), 20, 3)] * 2


def test_a_held_out_seed_is_judged_by_the_spread_of_the_others_alone():
    """Seeds 0, 0, 1, 100: holding out 100, the others' sd is sqrt(1/3), a tolerance of
    3 sqrt(1/3) sqrt(2) = 2.45, so each other seed as "ours" is 100 away: outside. Holding
    out any other, the others include 100 and their sd takes it in: within."""
    fractions = curves.held_out_fractions(np.array([[0.0], [0.0], [1.0], [100.0]]), 1)
    assert fractions.tolist() == [1.0] * 9 + [0.0] * 3


def test_an_epoch_of_no_tolerance_fails_the_curve_at_any_shift():
    """Epoch 0 has sd 0 and the book on our mean: the least shift takes it outside, and a
    curve that must be within at every epoch (threshold 1) fails."""
    shift = curves.detectable_shift(np.zeros(2), np.zeros(2), np.array([0.0, 1.0]), 1, 1.0)
    assert shift == 0.0
