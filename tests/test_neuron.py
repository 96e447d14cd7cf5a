import numpy as np

from nndl3 import neuron


def test_quadratic_good_start_matches_the_text():
    r = neuron.train(0.6, 0.9, "quadratic", 0.15, 300)
    assert round(r["output"][0], 2) == 0.82
    assert abs(r["output"][-1] - 0.09) < 0.01


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
