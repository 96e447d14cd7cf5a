"""Chapter 1's rows of config/expected.yaml (section 11), each put through the transcripts
the text prints ("Epoch k: correct / 10000"): every row gives the text's number, or its
claim holds, on the text's own runs. The text elides the middle epochs of a transcript:
the rows are defined on the epochs it prints (and its peak, 95.42 % at epoch 28)."""

from pathlib import Path

import numpy as np
import pytest

from nndl3 import check

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = check.load_expected(ROOT / "config" / "expected.yaml")
ROWS = {r["id"]: r for r in EXPECTED["quantities"] if r["section"] == 11}
# the test set's count of each digit: a network answering one digit scores its count
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def transcript(counts: dict) -> dict:
    """An aggregate of one "seed" from {epoch: correct of 10,000}."""
    epochs = sorted(counts)
    return {"seeds": [0], "spec": {"evaluation": "test"}, "monitored_epochs": epochs,
            "metrics": {"evaluation_accuracy": {
                "per_seed": [[counts[e] / 10_000 for e in epochs]]}}}


def final(percent: float) -> dict:
    """A run the text gives one number of (its best and final epoch)."""
    return transcript({29: round(100 * percent)})


TEXT = {
    **{run: transcript(counts) for run, counts in EXPECTED["transcripts"].items()},
    "quad_100": final(96.59),
    "xent_30": final(95.49),
    "xent_100": final(96.82),
}
# not on a transcript: the deterministic baselines (tests/test_baselines.py, and the check
# itself: exact)
NOT_TRANSCRIPT = {"ch1_darkness", "ch1_svm_test"}


def inputs(runs: dict) -> check.Inputs:
    return check.Inputs(runs, class_counts={"test": TEST_COUNTS})


def value(row) -> float:
    (v,) = check.regenerate(row["source"], inputs(TEXT))
    return float(v)


def test_section_11_has_every_row_of_the_issue():
    assert {"ch1_30_epoch0", "ch1_30_epoch29", "ch1_30_peak", "ch1_100_best",
            "ch1_100_eta0001_rising", "ch1_100_eta0001_slow", "ch1_30_eta100_one_digit",
            "ch1_darkness", "ch1_svm_test", "ch3_vs_ch1_30", "ch3_vs_ch1_100",
            "ch3_errors_eliminated_100"} <= set(ROWS)


@pytest.mark.parametrize("row", [r for i, r in ROWS.items() if i not in NOT_TRANSCRIPT
                                 and "claim" not in r], ids=lambda r: r["id"])
def test_the_texts_runs_give_the_texts_numbers(row):
    # a best_of row: the text's one run is already its best of three
    assert abs(value(row) - row["book"]) <= row["book_precision"] + 1e-9


@pytest.mark.parametrize("row", [r for r in ROWS.values() if "claim" in r],
                         ids=lambda r: r["id"])
def test_the_texts_runs_satisfy_the_claims(row):
    assert check.claim_holds(row["claim"], value(row), 0.0)


def test_the_per_epoch_rows_read_their_epoch():
    for k, count in ((0, 9129), (1, 9295), (2, 9348), (27, 9528), (28, 9542), (29, 9534)):
        assert value(ROWS[f"ch1_30_epoch{k}"]) == pytest.approx(count / 100)


def test_the_eta100_counts_are_digit_frequencies_and_a_near_miss_is_not():
    assert {1009, 982} <= set(TEST_COUNTS)
    off = {**TEXT, "quad_30_eta100": transcript({0: 1009, 1: 1010 + 1, 27: 982})}
    (v,) = check.regenerate(ROWS["ch1_30_eta100_one_digit"]["source"], inputs(off))
    assert v == pytest.approx(2 / 3)


def test_errors_eliminated_is_one_in_fourteen_from_the_texts_numbers():
    assert value(ROWS["ch3_errors_eliminated_100"]) == pytest.approx((3.41 - 3.18) / 3.41)
    assert np.isclose(1 / 14, ROWS["ch3_errors_eliminated_100"]["book"], atol=1e-4)
