"""The benchmarks' baseline: the book's algorithm written the way `network2.py` writes it.

A [784, h, 10] sigmoid network with the cross-entropy cost, trained by mini-batch SGD one
example at a time: every example is a column vector, backpropagated on its own; the
gradients of a mini-batch are summed, then the weights are updated once. No L2 term
(the benchmarks use lambda = 0). Clear rather than fast; compare `nndl3.network`, which
vectorizes the same update over the mini-batch, and `nndl3.fast`.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class ReferenceNetwork:
    def __init__(self, weights, biases, dtype=np.float64):
        """weights[l]: (n_out, n_in); biases[l]: (n_out,), stored as (n_out, 1) columns."""
        self.dtype = np.dtype(dtype)
        self.weights = [np.array(w, dtype=self.dtype) for w in weights]
        self.biases = [np.array(b, dtype=self.dtype).reshape(-1, 1) for b in biases]

    @staticmethod
    def training_data(x, labels, dtype=np.float64):
        """The book's format: a list of (784x1 input, 10x1 one-hot target) pairs."""
        data = []
        for row, label in zip(x, labels, strict=True):
            y = np.zeros((10, 1), dtype=dtype)
            y[label] = 1
            data.append((np.asarray(row, dtype=dtype).reshape(-1, 1), y))
        return data

    def backprop(self, x, y):
        """Gradients of the cross-entropy cost for one example (x, y)."""
        activation, activations, zs = x, [x], []
        for w, b in zip(self.weights, self.biases, strict=True):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        nabla_w = [None] * len(self.weights)
        nabla_b = [None] * len(self.biases)
        delta = activations[-1] - y  # cross-entropy: no sigma'(z) factor at the output
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        for layer in range(2, len(self.weights) + 1):
            a = activations[-layer]
            delta = (self.weights[-layer + 1].T @ delta) * a * (1 - a)
            nabla_b[-layer] = delta
            nabla_w[-layer] = delta @ activations[-layer - 1].T
        return nabla_w, nabla_b

    def update_mini_batch(self, mini_batch, eta):
        nabla_w = [np.zeros_like(w) for w in self.weights]
        nabla_b = [np.zeros_like(b) for b in self.biases]
        for x, y in mini_batch:
            delta_w, delta_b = self.backprop(x, y)
            nabla_w = [nw + dw for nw, dw in zip(nabla_w, delta_w, strict=True)]
            nabla_b = [nb + db for nb, db in zip(nabla_b, delta_b, strict=True)]
        step = self.dtype.type(eta / len(mini_batch))
        self.weights = [w - step * nw for w, nw in zip(self.weights, nabla_w, strict=True)]
        self.biases = [b - step * nb for b, nb in zip(self.biases, nabla_b, strict=True)]

    def sgd_epoch(self, training_data, order, eta, m=10):
        """One pass over `training_data` (from `training_data`) in the given order."""
        for start in range(0, len(order), m):
            self.update_mini_batch([training_data[i] for i in order[start:start + m]], eta)
