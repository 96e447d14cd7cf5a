"""The wide engine (nndl3.wide) against the NumPy engine and against finite differences.

It is not bit-identical to Network (it sums the first layer over nonzero pixels only, in
another order, with fused multiply-adds): float64 agrees to rounding (1e-12), float32 to
float32 rounding over an epoch."""

import numpy as np
import pytest

from nndl3.network import Network, cost_value, one_hot
from nndl3.options import Options
from nndl3.wide import WideNetwork, WideOptions, csr

from .conftest import synthetic_digits


def pair(sizes, dtype, momentum=0.0, seed=0):
    net = Network.create(sizes, "default", np.random.default_rng(seed), dtype,
                         Options(mini_batch=10, momentum=momentum))
    wide = WideNetwork([w.copy() for w in net.weights], [b.copy() for b in net.biases],
                       WideOptions(mini_batch=10))
    return net, wide


def max_difference(net, wide):
    return max(float(np.abs(a - b).max()) for a, b in
               zip(net.weights + net.biases, wide.weights + wide.biases, strict=True))


@pytest.mark.parametrize("sizes", [[784, 40, 10], [784, 40, 20, 10]])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_an_epoch_agrees_with_the_numpy_engine(sizes, dtype, tol, momentum):
    x, labels = synthetic_digits(200, dtype=dtype)
    net, wide = pair(sizes, dtype, momentum)
    order = np.random.default_rng(1).permutation(len(x))
    net.sgd_epoch(x, labels, order, 0.5)
    wide.sgd_epoch(csr(x), labels, order, 0.5, momentum=momentum)
    assert max_difference(net, wide) < tol
    assert max_difference(net, pair(sizes, dtype)[1]) > 100 * tol  # the epoch changed them
    np.testing.assert_allclose(wide.output_z(x), net.output_z(x), rtol=0, atol=100 * tol)


def total_cost(wide, x, labels):
    return cost_value("cross-entropy", wide.output_z(x), one_hot(labels))


@pytest.mark.parametrize("sizes", [[784, 12, 10], [784, 12, 7, 10]])
def test_the_step_is_the_gradient_of_the_cost(sizes):
    """One plain SGD step moves each parameter by -eta/m * dC/dparameter; dC/dparameter by
    central differences of the summed cross-entropy, in float64."""
    x, labels = synthetic_digits(10, seed=2)
    _, wide = pair(sizes, np.float64, seed=3)
    before = [p.copy() for p in wide.weights + wide.biases]
    eta = 1e-3
    wide.sgd_epoch(csr(x), labels, np.arange(10), eta)
    after = wide.weights + wide.biases
    rng = np.random.default_rng(4)
    _, probe = pair(sizes, np.float64, seed=3)
    params = probe.weights[:1] + probe.rest + probe.biases  # views into probe's arrays
    for k, p in enumerate(params):
        grad = (before[k] - after[k]) * 10 / eta
        for _ in range(5):
            i = tuple(rng.integers(0, n) for n in p.shape)
            if k == 0:  # W1 is stored transposed: probe w1t[i[::-1]]
                target, index = probe.w1t, i[::-1]
            else:
                target, index = p, i
            h = 1e-6
            target[index] += h
            up = total_cost(probe, x, labels)
            target[index] -= 2 * h
            down = total_cost(probe, x, labels)
            target[index] += h
            numeric = (up - down) / (2 * h)
            assert grad[i] == pytest.approx(numeric, rel=1e-4, abs=1e-7)


def test_max_norm_bounds_every_hidden_neurons_incoming_weights():
    x, labels = synthetic_digits(100)
    net = Network.create([784, 30, 20, 10], "large", np.random.default_rng(0))
    wide = WideNetwork(net.weights, net.biases, WideOptions(mini_batch=10, max_norm=2.0))
    squared = [np.sum(w ** 2, axis=1) for w in wide.weights[:-1]]
    assert max(float(s.max()) for s in squared) > 2.0  # N(0, 1) weights start above it
    wide.sgd_epoch(csr(x), labels, np.arange(100), 0.1)
    for w in wide.weights[:-1]:
        assert np.sum(w ** 2, axis=1).max() <= 2.0 * (1 + 1e-12)
    assert np.sum(wide.weights[-1] ** 2, axis=1).max() > 2.0  # the output layer is not bound
    wide = WideNetwork(net.weights, net.biases,
                       WideOptions(mini_batch=10, max_norm=2.0, max_norm_output=True))
    wide.sgd_epoch(csr(x), labels, np.arange(100), 0.1)
    for w in wide.weights:  # with max_norm_output, every layer is
        assert np.sum(w ** 2, axis=1).max() <= 2.0 * (1 + 1e-12)


@pytest.mark.parametrize("output", [False, True])
def test_max_norm_without_a_hidden_layer_bounds_the_output_only_when_asked(output):
    """In [784, 10] the first layer is the output layer: max_norm alone leaves it free."""
    x, labels = synthetic_digits(100)
    net = Network.create([784, 10], "large", np.random.default_rng(0))
    wide = WideNetwork(net.weights, net.biases,
                       WideOptions(mini_batch=10, max_norm=2.0, max_norm_output=output))
    wide.sgd_epoch(csr(x), labels, np.arange(100), 0.1)
    bounded = np.sum(wide.weights[0] ** 2, axis=1).max() <= 2.0 * (1 + 1e-12)
    assert bounded == output


def test_dropout_draws_from_the_stream_and_scales_at_test_time():
    x, labels = synthetic_digits(100, dtype=np.float32)
    runs = []
    for seed in (5, 5, 6):
        _, wide = pair([784, 30, 10], np.float32)
        wide.options = WideOptions(mini_batch=10, dropout=0.5, input_dropout=0.2)
        wide.sgd_epoch(csr(x), labels, np.arange(100), 0.5, rng=np.random.default_rng(seed))
        runs.append(wide.weights[0].copy())
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])
    # at test time the inputs of each layer are scaled by their keep probability
    net = Network(wide.weights, wide.biases)
    a = 1 / (1 + np.exp(-(0.8 * x @ wide.weights[0].T + wide.biases[0])))
    expected = 0.5 * a @ wide.weights[1].T + wide.biases[1]
    np.testing.assert_allclose(wide.output_z(x), expected, atol=1e-4)
    assert not np.allclose(net.output_z(x), expected, atol=1e-4)


def test_damped_momentum_scales_the_gradient_by_one_minus_mu():
    """Hinton's v <- mu v - (1 - mu) eta g: the first step is (1 - mu) times the book's."""
    x, labels = synthetic_digits(10)
    _, book = pair([784, 20, 10], np.float64)
    _, damped = pair([784, 20, 10], np.float64)
    damped.options = WideOptions(mini_batch=10, damped_momentum=True)
    start = book.weights[1].copy()
    book.sgd_epoch(csr(x), labels, np.arange(10), 0.5, momentum=0.75)
    damped.sgd_epoch(csr(x), labels, np.arange(10), 0.5, momentum=0.75)
    np.testing.assert_allclose(damped.weights[1] - start, 0.25 * (book.weights[1] - start),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("options", [WideOptions(mini_batch=10),
                                     WideOptions(mini_batch=7, max_norm=0.5)])
def test_a_plain_epoch_is_its_steps_one_by_one(options):
    """plain_epoch (buffers made once) is `step` for each mini-batch, bit for bit, with a
    short last batch and with the max-norm bound."""
    x, labels = synthetic_digits(200, dtype=np.float32)
    net = Network.create([784, 30, 10], "default", np.random.default_rng(0), np.float32,
                         Options(mini_batch=options.mini_batch))
    epoch, steps = (WideNetwork([w.copy() for w in net.weights],
                                [b.copy() for b in net.biases], options) for _ in range(2))
    assert epoch.is_plain(0.0)
    order = np.random.default_rng(1).permutation(len(x))
    epoch.sgd_epoch(csr(x), labels, order, 0.5)
    m = options.mini_batch
    with np.errstate(over="ignore"):
        for start in range(0, len(order), m):
            steps.step(csr(x), labels, order[start:start + m], 0.5, 0.0, None)
    assert all(np.array_equal(a, b) for a, b in zip(epoch.params(), steps.params(), strict=True))
    assert not np.array_equal(epoch.w1t, net.weights[0].T)


def test_the_parameters_start_on_cache_lines():
    """Off a cache line, the kernels' vector loads split in two (wide.aligned)."""
    _, wide = pair([784, 30, 20, 10], np.float32, momentum=0.5)
    x, labels = synthetic_digits(20, dtype=np.float32)
    wide.sgd_epoch(csr(x), labels, np.arange(20), 0.5, momentum=0.5)
    assert all(p.ctypes.data % 64 == 0 for p in wide.params() + wide.velocity)
