import math

import numpy as np
import pytest

from nndl3 import check


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


ROW = {"id": "r", "section": 2, "quantity": "q", "book": 95.0, "book_precision": 0.005,
       "source": {"run": "xent", "metric": "evaluation_accuracy", "reduce": "best"}}


@pytest.mark.parametrize("values,status", [([0.951, 0.949, 0.950], "pass"),
                                           ([0.960, 0.962, 0.961], "FAIL")])
def test_rows_pass_or_fail_by_the_derived_tolerance(values, status):
    calibration = {"seeds": [1, 2, 3], "seed_sd": {"r": 0.2}}
    (row,) = check.evaluate({"quantities": [ROW]}, calibration, aggregate_of(values), {}, {})
    assert row["status"] == status
    assert math.isclose(row["tolerance"], 3 * 0.2 * math.sqrt(1 + 1 / 3) + 0.005)
    assert math.isclose(row["mean"], 100 * np.mean(values))


def test_one_seed_keeps_the_seed_spread_in_its_tolerance():
    calibration = {"seeds": [1, 2, 3], "seed_sd": {"r": 0.2}}
    (row,) = check.evaluate({"quantities": [ROW]}, calibration, aggregate_of([0.953]), {}, {})
    assert math.isclose(row["tolerance"], 3 * 0.2 * math.sqrt(2) + 0.005)
    assert row["status"] == "pass"


def test_missing_calibration_is_an_error():
    with pytest.raises(check.UserError, match="no seed_sd for 'r'"):
        check.evaluate({"quantities": [ROW]}, {"seeds": [], "seed_sd": {}},
                       aggregate_of([0.95, 0.95]), {}, {})


def test_known_deviation_is_reported_not_failed():
    row = {**ROW, "known_deviation": "known reason"}
    (r,) = check.evaluate({"quantities": [row]}, {"seeds": [1], "seed_sd": {"r": 0.1}},
                          aggregate_of([0.97, 0.97]), {}, {})
    assert r["status"] == "known deviation"


def test_calibration_pools_seeds_of_one_run(tmp_path):
    import json

    import yaml

    def agg(seeds, values):
        return {"schema": "nndl3.aggregate/1", "run": "xent", "seeds": seeds,
                "monitored_epochs": [0],
                "metrics": {"evaluation_accuracy": {"per_seed": [[v] for v in values]}}}

    paths = []
    for i, (seeds, values) in enumerate((([1, 2], [0.90, 0.92]), ([3, 4], [0.94, 0.96]))):
        paths.append(tmp_path / f"a{i}.json")
        paths[-1].write_text(json.dumps(agg(seeds, values)))
    expected = tmp_path / "expected.yaml"
    expected.write_text(yaml.safe_dump({"quantities": [ROW]}))
    cal = check.calibrate(expected, paths, tmp_path / "cal.yaml")
    assert cal["seeds"] == [1, 2, 3, 4]
    assert math.isclose(cal["seed_sd"]["r"], round(np.std([90, 92, 94, 96], ddof=1), 4))
