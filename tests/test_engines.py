"""The fast engine against NumPy, in one place: against a small NumPy reference of the
contract written here (hidden sigmoid/tanh/relu, sigmoid or softmax output, momentum,
regularization, dropout), and against network.Network, the NumPy engine, directly and
through training.

The reference is written here, independently of network.py, vectorized over the
mini-batch: the forward pass, backpropagation and the book's update (or the momentum
update) exactly as the contract states them."""

import io

import numpy as np
import pytest

from nndl3 import fast
from nndl3.fast import FastNetwork
from nndl3.network import Network, one_hot
from nndl3.train import streams, train

from .conftest import options, synthetic_digits

QUIET = io.StringIO


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
# cases below was 2.9e-6, the bound is ten times that. relu in float32 is held over its
# first five mini-batches only: later a neuron with z near 0 takes the other branch of
# max(0, z) in float32, after which the two trajectories part (measured up to 4e-3).
TOLERANCE = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=1e-4, atol=3e-5)}

OPTIONS = [("sigmoid", "cross-entropy", 0.0), ("tanh", "cross-entropy", 0.0),
           ("relu", "cross-entropy", 0.0), ("sigmoid", "log-likelihood", 0.0),
           ("tanh", "log-likelihood", 0.0), ("sigmoid", "cross-entropy", 0.5),
           ("relu", "log-likelihood", 0.5), ("tanh", "log-likelihood", 0.9),
           ("sigmoid", "quadratic", 0.3)]

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden,cost,momentum", OPTIONS)
def test_options_train_like_the_contract(hidden, cost, momentum, dtype):
    before_a_branch_parts = dict(epochs=1, n=5 * M) if (hidden, dtype) == ("relu",
                                                                          np.float32) else {}
    engine, ref = train_both(hidden, cost, momentum, dtype=dtype, **before_a_branch_parts)
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

def test_without_momentum_the_engine_keeps_no_velocity():
    """The plain step's path (its bits against the reference's: the tests of the options
    above and test_fast_engine_trains_like_the_reference)."""
    a, _ = train_both("sigmoid", "cross-entropy", 0.0, lmbda=2.0)
    assert a.velocity[0].size == 0

@pytest.mark.parametrize("cost,reg,lmbda,dropout", [
    ("cross-entropy", "l2", 0.0, 0.0), ("cross-entropy", "l2", 5.0, 0.0),
    ("quadratic", "l1", 3.0, 0.0), ("cross-entropy", "l2", 1.0, 0.5)])
def test_fast_engine_trains_like_the_reference(cost, reg, lmbda, dropout):
    x, labels = synthetic_digits(205)  # 205: the last mini-batch is a partial one
    nets = []
    for engine in ("numpy", "fast"):
        rng = streams(7)
        # 13 hidden neurons: the fast engine pads them to 16, the padding must stay inert
        net = Network.create([784, 13, 10], "large", rng["init"], options=options(
            cost=cost, dropout=dropout, lmbda=lmbda, regularization=reg))
        trainer = net if engine == "numpy" else FastNetwork(net, x)
        for _ in range(2):
            order = rng["shuffle"].permutation(len(x))
            masks = [rng["dropout"].random((21, 13)) >= dropout] if dropout else None
            trainer.sgd_epoch(x, labels, order, 0.5, masks)
        nets.append(net)
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_fast_engine_evaluates_like_the_reference(dtype, dropout):
    x, labels = synthetic_digits(120)
    net = Network.create([784, 13, 10], "large", streams(3)["init"], dtype,
                         options(dropout=dropout))
    engine = FastNetwork(net, x.astype(dtype))
    engine.sgd_epoch(engine.x, labels, np.arange(120), 0.5)
    for data in (engine.x, x[:50].astype(dtype)):  # its training set, and another one
        expected = net.output_z(data)
        got = engine.output_z(data)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-5 if dtype == np.float32 else 1e-12)

TECHNIQUES = [{"hidden": "tanh"}, {"hidden": "relu"}, {"cost": "log-likelihood"},
           {"momentum": 0.7}, {"hidden": "relu", "cost": "log-likelihood", "momentum": 0.5}]

@pytest.mark.parametrize("option", TECHNIQUES, ids=lambda o: "-".join(map(str, o.values())))
def test_engines_agree_where_both_support_an_option(option):
    """The fast engine held to the NumPy one on each option both support."""
    x, labels = synthetic_digits(205)
    nets = []
    for engine in ("numpy", "fast"):
        rng = streams(7)
        net = Network.create([784, 13, 10], "default", rng["init"],
                             options=options(lmbda=1.0, eta=0.1, **option))
        trainer = net if engine == "numpy" else fast.FastNetwork(net, x)
        for _ in range(2):
            order = rng["shuffle"].permutation(len(x))
            trainer.sgd_epoch(x, labels, order, 0.1)
        nets.append(net)
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

def test_engines_agree_on_the_stopping_rules(tiny_data, base_spec):
    """Early stopping and the schedule live in the training loop: both engines follow them
    (the fast engine is exercised here before and after it learns the other options)."""
    spec = {**base_spec, "evaluation": "validation", "epochs": 12, "schedule": 1,
            "early_stopping": 4, "seeds": [1, 2]}
    numpy_runs = train("r", {**spec, "engine": "numpy"}, tiny_data, log=QUIET())
    fast_runs = train("r", {**spec, "engine": "fast"}, tiny_data, log=QUIET())
    assert {r["engine"] for r in fast_runs} == {"fast"}
    # both rules act within these epochs, or agreeing on them would test nothing
    assert any(len(set(r["eta_per_epoch"])) > 1 for r in numpy_runs)
    assert any(r["stopped_at_epoch"] < spec["epochs"] - 1 for r in numpy_runs)
    for a, b in zip(numpy_runs, fast_runs, strict=True):
        assert a["eta_per_epoch"] == b["eta_per_epoch"]
        assert (a["stopped_at_epoch"], a["stop_reason"]) == (b["stopped_at_epoch"],
                                                            b["stop_reason"])
        for name, values in a["metrics"].items():
            np.testing.assert_allclose(values, b["metrics"][name], rtol=1e-9)
