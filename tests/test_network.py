"""network.py: the math of the NumPy engine (the book's network2, vectorized) and its
options."""

import io

import numpy as np
import pytest

from nndl3.network import Network, cost_value, initial_parameters, one_hot, softmax, weight_penalty

from .conftest import options

QUIET = io.StringIO


def total_cost(net, x, y, lmbda, reg, n):
    return cost_value(net.cost, net.output_z(x), y) / n + weight_penalty(reg, lmbda, n, net.weights)

# sigmoid with both of the book's costs; softmax + log-likelihood and tanh / ReLU hidden
# layers (section 10) with the costs they go with
@pytest.mark.parametrize("hidden,cost", [
    ("sigmoid", "cross-entropy"), ("sigmoid", "quadratic"), ("sigmoid", "log-likelihood"),
    ("tanh", "cross-entropy"), ("relu", "cross-entropy"), ("tanh", "log-likelihood"),
    ("relu", "log-likelihood")])
@pytest.mark.parametrize("reg,lmbda", [("l2", 0.0), ("l2", 0.7), ("l1", 0.7)])
def test_backprop_matches_finite_differences(hidden, cost, reg, lmbda):
    rng = np.random.default_rng(0)
    net = Network.create([6, 5, 4, 3], "large", rng, options=options(cost=cost, hidden=hidden))
    x = rng.uniform(0, 1, (7, 6))
    y = one_hot(rng.integers(0, 3, 7), 3)
    n = len(x)
    grad_w, grad_b = net.backprop(x, y)
    eps = 1e-6
    for params, grads, penalized in ((net.weights, grad_w, True), (net.biases, grad_b, False)):
        for p, g in zip(params, grads, strict=True):
            analytic = g / n
            if penalized and lmbda:
                analytic = analytic + (lmbda / n * p if reg == "l2" else lmbda / n * np.sign(p))
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                up = total_cost(net, x, y, lmbda, reg, n)
                p[idx] = old - eps
                down = total_cost(net, x, y, lmbda, reg, n)
                p[idx] = old
                numeric[idx] = (up - down) / (2 * eps)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)

ETA, LMBDA, N, M = 0.3, 2.0, 50, 3


def one_step(regularization):
    """Parameters before, gradients, and parameters after one book-rule SGD step."""
    rng = np.random.default_rng(1)
    net = Network.create([5, 4, 2], "default", rng,
                         options=options(lmbda=LMBDA, regularization=regularization))
    x, y = rng.uniform(0, 1, (M, 5)), one_hot([0, 1, 1], 2)
    before = [p.copy() for p in net.weights + net.biases]
    grad_w, grad_b = net.backprop(x, y)
    net.update_mini_batch(x, y, ETA, N)
    return before, grad_w + grad_b, net.weights + net.biases

@pytest.mark.parametrize("regularization", ["l2", "l1"])
def test_update_is_the_books_rule(regularization):
    before, grads, after = one_step(regularization)
    for layer, (p0, g, p1) in enumerate(zip(before, grads, after, strict=True)):
        expected = p0 - (ETA / M) * g  # biases (the last two) are never regularized
        if layer < 2 and regularization == "l2":
            expected = (1 - ETA * LMBDA / N) * p0 - (ETA / M) * g
        elif layer < 2:
            expected = p0 - ETA * LMBDA / N * np.sign(p0) - (ETA / M) * g
        np.testing.assert_allclose(p1, expected, rtol=1e-12)

@pytest.mark.parametrize("init,weight_sd", [("default", 1 / np.sqrt(784)), ("large", 1.0)])
def test_initialization_statistics(init, weight_sd):
    weights, biases = initial_parameters([784, 100, 10], init, np.random.default_rng(3))
    w = weights[0]
    assert w.shape == (100, 784)
    assert abs(w.mean()) < 0.02 * weight_sd
    assert abs(w.std() / weight_sd - 1) < 0.01  # 78,400 draws: sd of the estimate ~0.25 %
    b = np.concatenate(biases)
    assert abs(b.std() - 1) < 0.25 and abs(b.mean()) < 0.35  # 110 draws of N(0, 1)
    if init == "default":
        assert abs(weights[1].std() * np.sqrt(100) - 1) < 0.15

@pytest.mark.parametrize("dropout, keep", [(0.5, 0.5), (0.2, 0.8)])
def test_dropout_scales_hidden_output_at_test_time_by_the_keep_probability(dropout, keep):
    """At 0.5 keep and drop are the same; 0.2 tells them apart."""
    rng = np.random.default_rng(4)
    net = Network.create([6, 5, 3], "default", rng, options=options(dropout=dropout))
    x = rng.uniform(0, 1, (4, 6))
    hidden = 1 / (1 + np.exp(-(x @ net.weights[0].T + net.biases[0])))
    expected = (keep * hidden) @ net.weights[1].T + net.biases[1]
    np.testing.assert_allclose(net.output_z(x), expected, rtol=1e-12)


def test_softmax_of_large_weighted_inputs_is_finite():
    """exp(1000) overflows: the maximum is taken out first."""
    assert softmax(np.array([[1000.0, 0.0], [0.0, -1000.0]])).tolist() == [[1, 0], [1, 0]]


def test_dropped_neurons_get_no_gradient():
    rng = np.random.default_rng(5)
    net = Network.create([6, 5, 3], "default", rng, options=options(dropout=0.5))
    x, y = rng.uniform(0, 1, (4, 6)), one_hot([0, 1, 2, 0], 3)
    mask = np.array([True, False, True, False, True])
    grad_w, grad_b = net.backprop(x, y, [mask])
    assert np.all(grad_w[0][~mask] == 0) and np.all(grad_b[0][~mask] == 0)
    assert np.all(grad_w[1][:, ~mask] == 0)  # a dropped neuron outputs nothing
    assert np.all(grad_w[0][mask] != 0)

def test_cross_entropy_is_finite_for_saturated_outputs():
    z = np.array([[1000.0, -1000.0], [-800.0, 800.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    value = cost_value("cross-entropy", z, y)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, 1600.0)  # right outputs cost 0, wrong ones |z| each

def test_an_epoch_decays_weights_with_n_the_training_set_size():
    """sgd_epoch passes n = all rows of the epoch to each step, not the mini-batch size."""
    rng = np.random.default_rng(6)
    x, labels = rng.uniform(0, 1, (20, 6)), rng.integers(0, 3, 20)
    net = Network.create([6, 5, 3], "default", rng, options=options(lmbda=5.0))
    ref = Network([w.copy() for w in net.weights], [b.copy() for b in net.biases], net.options)
    order = np.arange(20)
    net.sgd_epoch(x, labels, order, 0.5)
    for rows in (order[:10], order[10:]):
        ref.update_mini_batch(x[rows], one_hot(labels[rows], 3), 0.5, 20)
    for a, b in zip(net.weights + net.biases, ref.weights + ref.biases, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_with_one_hot_targets_is_the_formula_to_the_bit(dtype):
    """The one-hot shortcut of cost_value gives exactly the book's formula's sum."""
    rng = np.random.default_rng(3)
    z = (rng.normal(0, 8, (1000, 10))).astype(dtype)
    y = one_hot(rng.integers(0, 10, 1000), 10, dtype)
    formula = float(np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))
    assert cost_value("cross-entropy", z, y) == formula
    soft = np.full_like(y, 0.25)  # not one-hot: the formula itself
    assert cost_value("cross-entropy", z, soft) == float(
        np.sum(soft * np.logaddexp(0, -z) + (1 - soft) * np.logaddexp(0, z)))

def test_log_likelihood_is_minus_log_softmax_of_the_label_and_finite():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.0]])
    y = one_hot([0, 1], 3)
    expected = -np.log(softmax(z[:1])[0, 0]) + 2000.0  # -ln a_y; the second row: 2000 exactly
    np.testing.assert_allclose(cost_value("log-likelihood", z, y), expected, rtol=1e-12)
    net = Network.create([4, 3, 3], "default", np.random.default_rng(0),
                         options=options(cost="log-likelihood"))
    np.testing.assert_allclose(net.feedforward(np.ones((2, 4))).sum(axis=1), 1.0)

@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_dropped_neurons_get_no_gradient_with_tanh_and_relu(hidden):
    rng = np.random.default_rng(5)
    net = Network.create([6, 5, 3], "default", rng, options=options(dropout=0.5, hidden=hidden))
    x, y = rng.uniform(0, 1, (4, 6)), one_hot([0, 1, 2, 0], 3)
    mask = np.array([True, False, True, False, True])
    grad_w, grad_b = net.backprop(x, y, [mask])
    assert np.all(grad_w[0][~mask] == 0) and np.all(grad_b[0][~mask] == 0)

@pytest.mark.parametrize("regularization,lmbda", [("l2", 0.0), ("l2", 2.0), ("l1", 2.0)])
def test_momentum_update_over_two_steps(regularization, lmbda):
    """v <- mu v - (eta lambda / n) w' - (eta/m) sum grad, w <- w + v (biases: no w' term),
    with w' = w (L2) or sgn(w) (L1); the velocity carries over to the second step."""
    eta, mu, n = 0.3, 0.6, 50
    rng = np.random.default_rng(2)
    net = Network.create([5, 4, 2], "default", rng, options=options(
        momentum=mu, lmbda=lmbda, regularization=regularization))
    ref = [p.copy() for p in net.weights + net.biases]
    velocity = [np.zeros_like(p) for p in ref]
    batches = [(rng.uniform(0, 1, (3, 5)), one_hot([0, 1, 1], 2)),
               (rng.uniform(0, 1, (2, 5)), one_hot([1, 0], 2))]  # m = 3, then a partial 2
    for x, y in batches:
        probe = Network([p.copy() for p in ref[:2]], [p.copy() for p in ref[2:]])
        grads = sum(probe.backprop(x, y), [])
        for i, (p, g) in enumerate(zip(ref, grads, strict=True)):
            decay = 0.0
            if i < 2 and lmbda:
                decay = eta * lmbda / n * (p if regularization == "l2" else np.sign(p))
            velocity[i] = mu * velocity[i] - decay - eta / len(x) * g
            ref[i] = p + velocity[i]
        net.update_with_momentum(x, y, eta, n)
    for got, want in zip(net.weights + net.biases, ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_weight_penalty_knows_l2_and_l1_only():
    w = [np.array([[1.0, -2.0]])]
    assert weight_penalty("l2", 1.0, 1, w) == 2.5 and weight_penalty("l1", 1.0, 1, w) == 3.0
    with pytest.raises(ValueError, match="unknown regularization 'l3'"):
        weight_penalty("l3", 1.0, 1, w)
    net = Network.create([3, 2, 2], "default", np.random.default_rng(0),
                         options=options(lmbda=1.0, regularization="l3"))
    with pytest.raises(ValueError, match="unknown regularization 'l3'"):
        net.update_mini_batch(np.ones((1, 3)), one_hot([0], 2), 0.1, 10)
