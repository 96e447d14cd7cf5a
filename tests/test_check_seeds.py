"""check.py on trained seeds: per-seed reductions, claim rows, runs over their common
epochs, and every seeded row calibrated."""

import io

import numpy as np
import pytest

from nndl3 import check

QUIET = io.StringIO


def test_check_reductions_read_each_seeds_own_epochs():
    rows = np.array([[0.1, 0.5, 0.4, 0.45], [0.3, 0.6, np.nan, np.nan]])
    epochs = [0, 1, 2, 3]
    assert check.per_seed(rows, epochs, "best").tolist() == [0.5, 0.6]
    assert check.per_seed(rows, epochs, "final").tolist() == [0.45, 0.6]
    assert check.per_seed(rows, epochs, "last_epoch").tolist() == [3, 1]

CLAIM = {"id": "c", "section": 10, "quantity": "a minus b", "claim": {"at_least": 0.0},
         "source": {"run": "a", "minus_run": "b", "metric": "evaluation_accuracy",
                    "reduce": "best"}}

@pytest.mark.parametrize("a,status", [([0.951, 0.949, 0.950], "pass"),  # -0.1 pt, within 3sd/sqrt3
                                      ([0.930, 0.935, 0.932], "FAIL")])  # -2 pts
def test_claim_rows_hold_an_inequality_within_the_seed_spread(a, status):
    aggregates = {run: {"monitored_epochs": [0], "seeds": [1, 2, 3],
                        "metrics": {"evaluation_accuracy": {"per_seed": [[v] for v in values]}}}
                  for run, values in (("a", a), ("b", [0.951, 0.950, 0.952]))}
    gate = {"family_false_failure": 0.01, "detectable_power": 0.8}  # one row: alpha 0.01
    calibration = {"seeds": list(range(10)), "seed_sd": {"c": 0.3}}  # 9 df
    (row,) = check.evaluate({"gate": gate, "quantities": [CLAIM]}, calibration,
                            check.Inputs(aggregates))
    assert row["status"] == status
    # one-sided: t(0.99, 9) = 2.821438, not t(0.995, 9)
    assert row["tolerance"] == pytest.approx(2.821438 * 0.3 / np.sqrt(3), abs=1e-6)
    gate_doc = {"alpha_row": 0.01, "alpha_family": 0.01, "m": 1, "power": 0.8}
    assert "claim: ≥ 0" in check.markdown([row], {"rule": "r"}, gate_doc)

def test_until_epoch_compares_runs_over_their_common_epochs():
    aggregates = {"long": {"monitored_epochs": [0, 1, 2, 3], "seeds": [1],
                           "metrics": {"evaluation_accuracy": {"per_seed": [[.5, .6, .7, .9]]}}},
                  "short": {"monitored_epochs": [0, 1], "seeds": [1],
                            "metrics": {"evaluation_accuracy": {"per_seed": [[.55, .58]]}}}}
    source = {"run": "short", "minus_run": "long", "metric": "evaluation_accuracy",
              "reduce": "best", "until_epoch": 1}
    np.testing.assert_allclose(check.regenerate(source, check.Inputs(aggregates)), [-2.0])
