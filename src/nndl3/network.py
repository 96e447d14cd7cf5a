"""A fully connected network, the book's `network2.py` vectorized over the mini-batch.

Sigmoid neurons by default; the chapter's variations are options: tanh or rectified linear
hidden neurons, a softmax output layer with the log-likelihood cost, momentum.

Conventions follow the book: weights of layer l have shape (n_out, n_in), biases (n_out,);
inputs are rows, so a layer computes `z = a @ W.T + b` for a whole mini-batch at once.
This module is the readable reference of the math; `fast.py` trains the same network
faster and is tested against it.
"""

from __future__ import annotations

import numpy as np

from .options import Options

INITS = ("default", "large")
HIDDEN = ("sigmoid", "tanh", "relu")
DEFAULTS = Options()  # the book's network: cross-entropy, sigmoid neurons, plain SGD


def sigmoid(z):
    from scipy.special import expit  # here: a slow import, and the fast engine needs none

    return expit(z)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def activation(hidden: str, z):
    """A hidden layer's output a = f(z)."""
    if hidden == "sigmoid":
        return sigmoid(z)
    if hidden == "tanh":
        return np.tanh(z)
    if hidden == "relu":
        return np.maximum(z, 0)
    raise ValueError(f"unknown hidden activation {hidden!r}")


def activation_prime(hidden: str, a):
    """f'(z) written in terms of a = f(z): a(1 - a), 1 - a^2, or 1 where a > 0."""
    if hidden == "sigmoid":
        return a * (1 - a)
    if hidden == "tanh":
        return 1 - a * a
    if hidden == "relu":
        return (a > 0).astype(a.dtype)
    raise ValueError(f"unknown hidden activation {hidden!r}")


# ---------------------------------------------------------------- costs
# All take the output layer's weighted input z (not only a = sigmoid(z)), so that the
# cross-entropy can be computed without ever taking log(0): ln a = -softplus(-z) and
# ln(1 - a) = -softplus(z), exact and finite for every z. The log-likelihood goes with a
# softmax output layer: -ln a_y = logsumexp(z) - z_y, finite for every z too.


def cost_value(cost: str, z, y) -> float:
    """Sum over the rows of z (outputs' weighted inputs) and y (one-hot targets)."""
    if cost == "cross-entropy":
        if not is_one_hot(y):
            return float(np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))
        # with one-hot y each entry of the sum above is one of its two terms, softplus(-z)
        # where y = 1 and softplus(z) where y = 0: computing only that one gives the same
        # values, summed in the same order, at about half the cost (monitoring computes it
        # after every epoch)
        terms = np.logaddexp(0, z)
        label = y == 1
        terms[label] = np.logaddexp(0, -z[label])
        return float(np.sum(terms))
    if cost == "quadratic":
        return float(0.5 * np.sum((sigmoid(z) - y) ** 2))
    if cost == "log-likelihood":
        top = z.max(axis=1, keepdims=True)
        log_total = top[:, 0] + np.log(np.sum(np.exp(z - top), axis=1))
        return float(np.sum(log_total) - np.sum(y * z))
    raise ValueError(f"unknown cost {cost!r}")


def is_one_hot(y) -> bool:
    return bool(np.all((y == 0) | (y == 1)))


def output_activation(output: str, z):
    """The output layer: softmax (with the log-likelihood cost) or sigmoid."""
    if output == "softmax":
        return softmax(z)
    if output == "sigmoid":
        return sigmoid(z)
    raise ValueError(f"unknown output layer {output!r}")


def output_delta(cost: str, z, a, y):
    """dC/dz of the output layer: a - y for cross-entropy (no sigma' factor) and for
    softmax with the log-likelihood."""
    if cost in ("cross-entropy", "log-likelihood"):
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
    if regularization == "l1":
        return lmbda / n * sum(float(np.sum(np.abs(w.astype(np.float64)))) for w in weights)
    raise ValueError(f"unknown regularization {regularization!r}")


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
    """Weights, biases and the operations of mini-batch SGD on them, with a run's options."""

    def __init__(self, weights, biases, options: Options = DEFAULTS):
        if options.hidden not in HIDDEN:
            raise ValueError(f"unknown hidden activation {options.hidden!r}")
        self.weights, self.biases, self.options = weights, biases, options
        self.velocities = None  # momentum's (v_w, v_b), created on first use

    @classmethod
    def create(cls, sizes, init, rng, dtype=np.float64, options: Options = DEFAULTS):
        weights, biases = initial_parameters(sizes, init, rng, dtype)
        return cls(weights, biases, options)

    @property
    def cost(self):
        return self.options.cost

    @property
    def hidden(self):
        return self.options.hidden

    @property
    def dropout(self):
        return self.options.dropout

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
            a = activation(self.hidden, z)
        return z

    def feedforward(self, x):
        return output_activation(self.options.output, self.output_z(x))

    def backprop(self, x, y, masks=None):
        """Gradients of the cost summed over the rows of (x, y), as (grad_w, grad_b).

        `masks` (one boolean vector per hidden layer) removes hidden neurons for this
        mini-batch: a dropped neuron outputs 0 and passes no gradient back."""
        activations, zs = [x], []
        a = x
        last = len(self.weights) - 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = a @ w.T + b
            a = (output_activation(self.options.output, z) if layer == last
                 else activation(self.hidden, z))
            if masks is not None and layer < last:
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
                a_prev = activations[layer]
                if self.hidden == "sigmoid":
                    # a = sigma(z) * mask: a (1 - a) is sigma'(z) where kept, 0 where dropped
                    delta = (delta @ self.weights[layer]) * a_prev * (1 - a_prev)
                else:
                    # tanh' = 1 - a^2 is 1, not 0, where a dropped neuron outputs 0: mask it
                    delta = (delta @ self.weights[layer]) * activation_prime(self.hidden, a_prev)
                    if masks is not None:
                        delta = delta * masks[layer - 1]
        return grad_w, grad_b

    def penalize(self, w, rate, velocity=None):
        """The weight penalty's step, rate = eta*lambda/n, the one place it is written.
        Into w itself (plain SGD): L2 w <- (1 - rate) w, L1 w <- w - rate sgn(w); or into
        w's velocity (momentum): v <- v - rate w, or v - rate sgn(w)."""
        if not self.options.lmbda:
            return
        target = w if velocity is None else velocity
        regularization = self.options.regularization
        if regularization == "l2":
            if velocity is None:
                target *= 1 - rate
            else:
                target -= rate * w
        elif regularization == "l1":
            target -= rate * np.sign(w)
        else:
            raise ValueError(f"unknown regularization {regularization!r}")

    def update_mini_batch(self, x, y, eta, n, masks=None):
        """One SGD step on a mini-batch of m rows; n is the size of the training set.

        L2: w <- (1 - eta*lambda/n) w - (eta/m) sum grad
        L1: w <- w - (eta*lambda/n) sgn(w) - (eta/m) sum grad
        Biases are never regularized."""
        m = len(x)
        grad_w, grad_b = self.backprop(x, y, masks)
        step = eta / m
        rate = self.options.penalty_rate(eta, n)
        for w, gw in zip(self.weights, grad_w, strict=True):
            self.penalize(w, rate)
            w -= step * gw
        for b, gb in zip(self.biases, grad_b, strict=True):
            b -= step * gb

    def update_with_momentum(self, x, y, eta, n, masks=None):
        """One momentum step on a mini-batch of m rows (the text's v <- mu v - eta grad C,
        w <- w + v, with grad C including the regularization term):

        L2: v <- mu v - (eta*lambda/n) w - (eta/m) sum grad;  w <- w + v
        L1: v <- mu v - (eta*lambda/n) sgn(w) - (eta/m) sum grad;  w <- w + v
        Biases alike, never regularized. The velocities persist across mini-batches and
        epochs."""
        if self.velocities is None:
            self.velocities = ([np.zeros_like(w) for w in self.weights],
                               [np.zeros_like(b) for b in self.biases])
        v_w, v_b = self.velocities
        mu = self.options.momentum
        m = len(x)
        grad_w, grad_b = self.backprop(x, y, masks)
        step = eta / m
        rate = self.options.penalty_rate(eta, n)
        for w, v, gw in zip(self.weights, v_w, grad_w, strict=True):
            v *= mu
            self.penalize(w, rate, velocity=v)
            v -= step * gw
            w += v
        for b, v, gb in zip(self.biases, v_b, grad_b, strict=True):
            v *= mu
            v -= step * gb
            b += v

    def sgd_epoch(self, x, labels, order, eta, masks=None):
        """One pass over the training rows in the given order, in mini-batches of the
        options' size, at this epoch's eta.

        `masks`, with dropout, holds per hidden layer an array of keep flags, one row per
        mini-batch. momentum = 0 is plain SGD (the book's update, unchanged)."""
        n = len(order)
        m = self.options.mini_batch
        k = self.weights[-1].shape[0]
        update = self.update_with_momentum if self.options.momentum else self.update_mini_batch
        for batch, start in enumerate(range(0, n, m)):
            rows = order[start:start + m]
            mask = None if masks is None else [layer_masks[batch] for layer_masks in masks]
            update(x[rows], one_hot(labels[rows], k, x.dtype), eta, n, mask)
