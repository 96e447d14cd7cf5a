import math

import numpy as np

from nndl3 import neuron


def test_quadratic_good_start_matches_the_text():
    r = neuron.train(0.6, 0.9, "quadratic", 0.15, 300)
    assert round(r["output"][0], 2) == 0.82
    assert abs(r["output"][-1] - 0.09) <= 0.005  # the text's 0.09, to its precision


def test_quadratic_bad_start_plateaus_then_falls():
    r = neuron.train(2.0, 2.0, "quadratic", 0.15, 300)
    assert round(r["output"][0], 2) == 0.98
    cost = np.array(r["cost"])
    # barely moves for the first ~150 epochs, then falls
    assert cost[0] - cost[100] < 0.1 * cost[0]
    assert cost[300] < 0.5 * cost[150]


def test_cross_entropy_learns_fastest_at_the_bad_start():
    r = neuron.train(2.0, 2.0, "cross-entropy", 0.005, 300)
    drops = -np.diff(r["cost"])
    assert np.all(drops > 0) and drops[0] == drops.max()
    good = neuron.train(0.6, 0.9, "cross-entropy", 0.005, 300)
    assert good["cost"][-1] < 0.6 * good["cost"][0]


def test_a_saturated_neuron_has_the_cross_entropy_its_weighted_input_gives():
    """At w = b = 100 the output rounds to 1 and ln(1 - a) to ln 0: the cost is still
    defined, -ln(1 - sigmoid(z)) = ln(1 + e^z), and training runs (the config allows it)."""
    r = neuron.train(100.0, 100.0, "cross-entropy", 100.0, 3)
    assert r["output"][0] == 1.0 and r["cost"][0] == 200.0  # z = 200, ln(1 + e^200)
    assert all(np.isfinite(r["cost"])) and r["output"][-1] < 1.0
    assert neuron.cost("cross-entropy", 0.0, 1.0, -800.0) == 800.0  # y = 1, a rounds to 0
    assert neuron.sigmoid(-800.0) == np.exp(-800.0) == 0.0  # no overflow in e^-z
    for z in (-709.5, -709.7, -30.0):  # where e^-z is finite, the formula as it always was
        assert neuron.sigmoid(z) == 1.0 / (1.0 + math.exp(-z))


def test_the_command_checks_its_arguments_by_the_configs_rules(tmp_path, capsys):
    from nndl3 import cli

    out = tmp_path / "n.json"
    args = ["neuron", "--w", "0.6", "--b", "0.9", "--cost", "quadratic", "--epochs", "3",
            "--out", str(out)]
    assert cli.main(args + ["--eta", "-1"]) == 1 and not out.exists()
    assert capsys.readouterr().err == (
        "error: neuron: eta: -1.0 is less than or equal to the minimum of 0\n")
    assert cli.main(args + ["--eta", "0.15"]) == 0 and out.exists()
