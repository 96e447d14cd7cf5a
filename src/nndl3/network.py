"""A fully connected sigmoid network, the book's `network2.py` vectorized over the mini-batch.

Conventions follow the book: weights of layer l have shape (n_out, n_in), biases (n_out,);
inputs are rows, so a layer computes `z = a @ W.T + b` for a whole mini-batch at once.
This module is the readable reference of the math; `fast.py` trains the same network
faster and is tested against it.
"""

from __future__ import annotations

import numpy as np

COSTS = ("cross-entropy", "quadratic")
INITS = ("default", "large")
REGULARIZATIONS = ("l2", "l1")


def sigmoid(z):
    from scipy.special import expit  # here: ~0.1 s to import, and the fast engine needs none

    return expit(z)


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


# ---------------------------------------------------------------- costs
# Both take the output layer's weighted input z (not only a = sigmoid(z)), so that the
# cross-entropy can be computed without ever taking log(0): ln a = -softplus(-z) and
# ln(1 - a) = -softplus(z), exact and finite for every z.


def cost_value(cost: str, z, y) -> float:
    """Sum over the rows of z (outputs' weighted inputs) and y (one-hot targets)."""
    if cost == "cross-entropy":
        return float(np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))
    if cost == "quadratic":
        return float(0.5 * np.sum((sigmoid(z) - y) ** 2))
    raise ValueError(f"unknown cost {cost!r}")


def output_delta(cost: str, z, a, y):
    """dC/dz of the output layer: a - y for cross-entropy (no sigma' factor)."""
    if cost == "cross-entropy":
        return a - y
    if cost == "quadratic":
        return (a - y) * a * (1 - a)
    raise ValueError(f"unknown cost {cost!r}")


def weight_penalty(regularization: str, lmbda: float, n: int, weights) -> float:
    """The regularization term of the cost: lambda/(2n) sum w^2 or lambda/n sum |w|."""
    if lmbda == 0:
        return 0.0
    if regularization == "l2":
        return 0.5 * lmbda / n * sum(float(np.sum(w.astype(np.float64) ** 2)) for w in weights)
    return lmbda / n * sum(float(np.sum(np.abs(w.astype(np.float64)))) for w in weights)


def one_hot(labels, k: int = 10, dtype=np.float64):
    y = np.zeros((len(labels), k), dtype=dtype)
    y[np.arange(len(labels)), labels] = 1
    return y


# ---------------------------------------------------------------- initialization


def initial_parameters(sizes, init: str, rng: np.random.Generator, dtype=np.float64):
    """Biases N(0, 1) for every layer, then weights N(0, 1) ("large") or N(0, 1/n_in)
    ("default"); drawn in float64 in that order so every dtype starts from the same draws."""
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}")
    biases = [rng.standard_normal(n_out) for n_out in sizes[1:]]
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = rng.standard_normal((n_out, n_in))
        if init == "default":
            w /= np.sqrt(n_in)
        weights.append(w)
    return [w.astype(dtype) for w in weights], [b.astype(dtype) for b in biases]


# ---------------------------------------------------------------- the network


class Network:
    """Weights, biases and the operations of mini-batch SGD on them."""

    def __init__(self, weights, biases, cost="cross-entropy", dropout: float = 0.0):
        self.weights, self.biases = weights, biases
        self.cost, self.dropout = cost, dropout

    @classmethod
    def create(cls, sizes, cost, init, rng, dtype=np.float64, dropout=0.0):
        weights, biases = initial_parameters(sizes, init, rng, dtype)
        return cls(weights, biases, cost, dropout)

    @property
    def sizes(self):
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    def output_z(self, x):
        """Weighted input of the output layer for the rows of x, at test time: with dropout,
        the hidden layers' outgoing weights are scaled by the keep probability."""
        a = x
        keep = 1.0 - self.dropout
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if layer > 0 and self.dropout:
                a = a * a.dtype.type(keep)
            z = a @ w.T + b
            a = sigmoid(z)
        return z

    def feedforward(self, x):
        return sigmoid(self.output_z(x))

    def backprop(self, x, y, masks=None):
        """Gradients of the cost summed over the rows of (x, y), as (grad_w, grad_b).

        `masks` (one boolean vector per hidden layer) removes hidden neurons for this
        mini-batch: a dropped neuron outputs 0 and passes no gradient back."""
        activations, zs = [x], []
        a = x
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = a @ w.T + b
            a = sigmoid(z)
            if masks is not None and layer < len(self.weights) - 1:
                a = a * masks[layer]
            zs.append(z)
            activations.append(a)
        delta = output_delta(self.cost, zs[-1], activations[-1], y)
        grad_w = [None] * len(self.weights)
        grad_b = [None] * len(self.biases)
        for layer in range(len(self.weights) - 1, -1, -1):
            grad_w[layer] = delta.T @ activations[layer]
            grad_b[layer] = delta.sum(axis=0)
            if layer > 0:
                # a = sigma(z) * mask, so da/dz = a (1 - a) is sigma'(z) where kept, 0 where dropped
                a_prev = activations[layer]
                delta = (delta @ self.weights[layer]) * a_prev * (1 - a_prev)
        return grad_w, grad_b

    def update_mini_batch(self, x, y, eta, lmbda, n, regularization="l2", masks=None):
        """One SGD step on a mini-batch of m rows; n is the size of the training set.

        L2: w <- (1 - eta*lambda/n) w - (eta/m) sum grad
        L1: w <- w - (eta*lambda/n) sgn(w) - (eta/m) sum grad
        Biases are never regularized."""
        m = len(x)
        grad_w, grad_b = self.backprop(x, y, masks)
        step = eta / m
        for w, gw in zip(self.weights, grad_w, strict=True):
            if lmbda and regularization == "l2":
                w *= 1 - eta * lmbda / n
            elif lmbda and regularization == "l1":
                w -= eta * lmbda / n * np.sign(w)
            w -= step * gw
        for b, gb in zip(self.biases, grad_b, strict=True):
            b -= step * gb

    def sgd_epoch(self, x, labels, order, eta, lmbda, regularization="l2", m=10, masks=None):
        """One pass over the training rows in the given order, m rows per mini-batch.

        `masks`, with dropout, holds per hidden layer an array of keep flags, one row per
        mini-batch."""
        n = len(order)
        k = self.weights[-1].shape[0]
        for batch, start in enumerate(range(0, n, m)):
            rows = order[start:start + m]
            mask = None if masks is None else [layer_masks[batch] for layer_masks in masks]
            self.update_mini_batch(x[rows], one_hot(labels[rows], k, x.dtype), eta, lmbda, n,
                                   regularization, mask)
