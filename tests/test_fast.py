"""The compiled engine's issue-11 options against a small NumPy reference of the contract
(/work/wt/CONTRACT-11.md): hidden sigmoid/tanh/relu, sigmoid or softmax output, momentum.

The reference is written here, independently of network.py, vectorized over the
mini-batch: the forward pass, backpropagation and the book's update (or the momentum
update) exactly as the contract states them."""

import dataclasses

import numpy as np
import pytest

from nndl3.fast import FastNetwork, UnsupportedByFastEngine, to_csr
from nndl3.network import Network, one_hot
from nndl3.train import streams

from .conftest import options, synthetic_digits

ETA, M = 0.5, 10


def activation(hidden, z):
    if hidden == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if hidden == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0)


def derivative(hidden, z, a):
    if hidden == "sigmoid":
        return a * (1 - a)
    if hidden == "tanh":
        return 1 - a ** 2
    return (z > 0).astype(z.dtype)


def reference_output_z(params, x, hidden, keep=1.0):
    w1, b1, w2, b2 = params
    return keep * activation(hidden, x @ w1.T + b1) @ w2.T + b2


def reference_epoch(params, velocities, x, labels, order, lmbda, reg, hidden, cost,
                    momentum, masks=None):
    """One epoch of the contract's mini-batch SGD, in place; params = [w1, b1, w2, b2]
    in the book's layout, velocities likewise (used only with momentum)."""
    n = len(order)
    for batch, start in enumerate(range(0, n, M)):
        rows = order[start:start + M]
        xb, y = x[rows], one_hot(labels[rows], 10, x.dtype)
        w1, b1, w2, b2 = params
        z1 = xb @ w1.T + b1
        a1 = activation(hidden, z1)
        keep = np.ones(w1.shape[0], bool) if masks is None else masks[batch]
        a1 = a1 * keep
        z2 = a1 @ w2.T + b2
        if cost == "log-likelihood":
            e = np.exp(z2 - z2.max(axis=1, keepdims=True))
            d2 = e / e.sum(axis=1, keepdims=True) - y
        else:
            a2 = 1 / (1 + np.exp(-z2))
            d2 = a2 - y if cost == "cross-entropy" else (a2 - y) * a2 * (1 - a2)
        d1 = (d2 @ w2) * derivative(hidden, z1, a1) * keep
        grads = [d1.T @ xb, d1.sum(axis=0), d2.T @ a1, d2.sum(axis=0)]
        step = ETA / len(rows)
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            weight = i in (0, 2)
            penalty = 0 * p
            if weight and lmbda:
                penalty = ETA * lmbda / n * (p if reg == "l2" else np.sign(p))
            if momentum:
                v = velocities[i]
                v[...] = momentum * v - penalty - step * g
                p += v
            elif weight and reg == "l2":
                p[...] = (1 - ETA * lmbda / n) * p - step * g
            else:
                p -= penalty + step * g


def parameters(net):
    return [net.weights[0], net.biases[0], net.weights[1], net.biases[1]]


def train_both(hidden, cost, momentum, lmbda=0.0, reg="l2", dropout=0.0, dtype=np.float64,
               epochs=2, n=205):
    """(fast engine's parameters, reference's parameters) after the same epochs from the
    same start; 205 examples: the last mini-batch is a partial one."""
    x, labels = synthetic_digits(n, dtype=dtype)
    rng = streams(7)
    # 13 hidden neurons: the engine pads them to 16, the padding must stay inert
    net = Network.create([784, 13, 10], "default", rng["init"], dtype, options(
        cost=cost, hidden=hidden, dropout=dropout, momentum=momentum, lmbda=lmbda,
        regularization=reg, eta=ETA, mini_batch=M))
    ref = [p.astype(np.float64) for p in parameters(net)]
    velocities = [np.zeros_like(p) for p in ref]
    engine = FastNetwork(net, x)
    x64 = x.astype(np.float64)
    for _ in range(epochs):
        order = rng["shuffle"].permutation(n)
        masks = rng["dropout"].random((-(-n // M), 13)) >= dropout if dropout else None
        engine.sgd_epoch(x, labels, order, ETA, None if masks is None else [masks])
        reference_epoch(ref, velocities, x64, labels, order, lmbda, reg, hidden, cost,
                        momentum, masks)
    return engine, ref


# float64: the engine against the reference differs by rounding only (measured <= 5e-15,
# 4e-12 where momentum 0.9 amplifies it). float32: the engine in float32 against the
# reference in float64 after two epochs; the largest difference measured over the smooth
# cases below was 2.9e-6, the bound is ten times that. relu is held to float64 only: a
# neuron with z near 0 takes the other branch of max(0, z) in float32, after which the
# two trajectories part (measured up to 4e-3), so a float32 bound would test nothing.
TOLERANCE = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=1e-4, atol=3e-5)}

OPTIONS = [("sigmoid", "cross-entropy", 0.0), ("tanh", "cross-entropy", 0.0),
           ("relu", "cross-entropy", 0.0), ("sigmoid", "log-likelihood", 0.0),
           ("tanh", "log-likelihood", 0.0), ("sigmoid", "cross-entropy", 0.5),
           ("relu", "log-likelihood", 0.5), ("tanh", "log-likelihood", 0.9),
           ("sigmoid", "quadratic", 0.3)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden,cost,momentum", OPTIONS)
def test_options_train_like_the_contract(hidden, cost, momentum, dtype):
    if hidden == "relu" and dtype == np.float32:
        pytest.skip("relu is held to the reference in float64 (see TOLERANCE)")
    engine, ref = train_both(hidden, cost, momentum, dtype=dtype)
    for got, want in zip(parameters(engine.net), ref, strict=True):
        np.testing.assert_allclose(got, want, **TOLERANCE[dtype])


@pytest.mark.parametrize("reg,lmbda", [("l2", 5.0), ("l1", 3.0)])
@pytest.mark.parametrize("hidden,cost,momentum", [("sigmoid", "cross-entropy", 0.0),
                                                  ("tanh", "log-likelihood", 0.5)])
def test_regularization_with_options(hidden, cost, momentum, reg, lmbda):
    engine, ref = train_both(hidden, cost, momentum, lmbda, reg)
    for got, want in zip(parameters(engine.net), ref, strict=True):
        np.testing.assert_allclose(got, want, **TOLERANCE[np.float64])


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_dropout_with_each_hidden_activation(hidden):
    engine, ref = train_both(hidden, "cross-entropy", 0.0, lmbda=1.0, dropout=0.5)
    for got, want in zip(parameters(engine.net), ref, strict=True):
        np.testing.assert_allclose(got, want, **TOLERANCE[np.float64])


def test_momentum_velocities_persist_across_epochs():
    """Two epochs of one mini-batch each: the second step adds mu times the first."""
    engine, ref = train_both("sigmoid", "cross-entropy", 0.7, n=10, epochs=2)
    for got, want in zip(parameters(engine.net), ref, strict=True):
        np.testing.assert_allclose(got, want, **TOLERANCE[np.float64])
    restarted, _ = train_both("sigmoid", "cross-entropy", 0.7, n=10, epochs=1)
    assert not np.allclose(engine.velocity[0], 0)
    assert not np.array_equal(engine.velocity[0], restarted.velocity[0])


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_output_z_with_each_hidden_activation(hidden, dropout):
    engine, _ = train_both(hidden, "log-likelihood", 0.0, dropout=dropout, epochs=1)
    x, _ = synthetic_digits(60, seed=3)
    want = reference_output_z([p.astype(np.float64) for p in parameters(engine.net)], x,
                              hidden, 1 - dropout)
    np.testing.assert_allclose(engine.output_z(x), want, rtol=1e-12, atol=1e-12)


def test_default_options_are_the_plain_path():
    """momentum=0.0 given explicitly is the call without it, bit for bit."""
    a, _ = train_both("sigmoid", "cross-entropy", 0.0, lmbda=2.0)
    x, labels = synthetic_digits(205)
    rng = streams(7)
    net = Network.create([784, 13, 10], "default", rng["init"],
                         options=options(lmbda=2.0, mini_batch=M))
    engine = FastNetwork(net, x)
    for _ in range(2):
        engine.sgd_epoch(x, labels, rng["shuffle"].permutation(205), ETA)
    for p, q in zip(parameters(a.net), parameters(net), strict=True):
        assert np.array_equal(p, q)
    assert a.velocity[0].size == 0


@pytest.mark.parametrize("change,message", [
    ({"hidden": "softplus"}, "hidden 'softplus'"),
    ({"cost": "hinge"}, "cost 'hinge'"),
    ({"output": "softmax"}, "output 'softmax' with cost 'cross-entropy'"),
    ({"regularization": "l3", "lmbda": 1.0}, "regularization 'l3'"),
])
def test_unsupported_option_is_named(change, message):
    net = Network.create([784, 5, 10], "default", np.random.default_rng(0))
    net.options = dataclasses.replace(net.options, **change)
    with pytest.raises(UnsupportedByFastEngine, match=message):
        FastNetwork(net, np.zeros((3, 784)))


def test_two_hidden_layers_are_unsupported():
    net = Network.create([784, 5, 4, 10], "default", np.random.default_rng(0))
    with pytest.raises(UnsupportedByFastEngine, match=r"sizes \[784, 5, 4, 10\]"):
        FastNetwork(net, np.zeros((3, 784)))
    assert issubclass(UnsupportedByFastEngine, ValueError)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_csr_lists_the_nonzero_entries_as_np_nonzero_does(dtype):
    """Row by row, column by column; -0.0 is a zero, NaN is not; any memory layout."""
    rng = np.random.default_rng(3)
    x = (rng.random((40, 30)) * (rng.random((40, 30)) < 0.3)).astype(dtype)
    x[2] = 0
    x[5, 3], x[6, 4] = -0.0, np.nan
    for a in (x, np.asfortranarray(x), x[::2]):
        indptr, indices, values = to_csr(a)
        rows, cols = np.nonzero(a)
        assert np.array_equal(indptr, np.concatenate([[0], np.cumsum(np.bincount(
            rows, minlength=len(a)))]))
        assert indices.dtype == np.uint32 and np.array_equal(indices, cols)
        assert values.dtype == dtype and np.array_equal(values, a[rows, cols], equal_nan=True)
