"""The curve check: the book's run passes against a band built around itself and fails
against a shifted one; the held-out derivation of its threshold."""

import math
from pathlib import Path

import numpy as np
import pytest

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
    return {"seeds": [101, 110],
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


def test_the_book_fails_against_a_shifted_band():
    # 3 sd * sqrt(4/3) = 1.73 points of tolerance: a 2-point shift puts every epoch outside
    rows = curves.evaluate(BOOK, calibration_of(0.5),
                           aggregate_around(CURVE["values"], 0.5, shift=2.0))
    row = row_of(rows)
    assert row["within"] == 0.0 and row["status"] == "FAIL"
    assert row["offset"] == pytest.approx(2.0)
    assert row["offset_z"] == pytest.approx(2.0 / (0.5 * math.sqrt(1 + 1 / 3)))


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


def test_held_out_fractions_cover_every_seed_and_subset():
    rng = np.random.default_rng(1)
    rows = rng.normal(0, 1, (6, 50))
    fractions = curves.held_out_fractions(rows, n=3)
    assert len(fractions) == 6 * math.comb(5, 3)
    assert 0.8 < fractions.mean() <= 1.0  # seeds of one distribution: mostly within 3 sd


def test_threshold_keeps_a_margin_below_the_held_out_percentile():
    assert curves.derive_threshold(0.9) == 0.85
    assert curves.derive_threshold(1.0) == 1.0
    assert curves.derive_threshold(0.2) == 0.0


def test_measure_gives_sd_threshold_and_each_seeds_values():
    agg = aggregate_around(CURVE["values"], 0.5, n=6)[CURVE["run"]]
    rows = curves.seed_rows(agg, CURVE)
    entry = curves.measure(rows, agg["seeds"])
    assert len(entry["sd"]) == 400 and entry["seeds"] == list(range(1, 7))
    assert entry["held_out"]["cases"] == 6 * math.comb(5, 3)
    assert entry["threshold"] == curves.derive_threshold(entry["held_out"]["p01"])
    assert entry["held_out"]["pass_rate"] >= 0.99
    assert entry["per_seed"][3] == [round(rows[2].mean(), 6), round(rows[2][-1], 6)]


def test_a_known_deviation_is_reported_not_failed():
    known = {CURVE["id"]: "why"}
    rows = curves.evaluate(BOOK, calibration_of(0.5),
                           aggregate_around(CURVE["values"], 0.5, shift=2.0), known)
    row = row_of(rows)
    assert row["status"] == "known deviation" and row["known_deviation"] == "why"
    assert "**" + CURVE["id"] + "**: why" in curves.markdown(rows, calibration_of(0.5))
