"""network2's arithmetic in float64, vectorized over the mini-batch, for the replay.

The same operations as the author's `network2.py` (sigmoid 1 / (1 + exp(-z)), the
cross-entropy's delta a - y, the L2 update w <- (1 - eta lambda / n) w - (eta / m) sum
nabla_w, the monitors' cost per example averaged plus lambda / (2 len(data)) sum ||w||^2),
computed for a whole mini-batch at once. network2 adds each example's gradient to a
running sum in the order of the mini-batch; `ordered=True` does the same (products of one
example summed example after example), `ordered=False` lets BLAS sum over the mini-batch
in a matrix product, in its own order. Rows are examples, weights (n_out, n_in).
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) = inf gives 0, as in network2
        return 1.0 / (1.0 + np.exp(-z))


COSTS = ("cross-entropy", "quadratic")  # network2's CrossEntropyCost; network.py's cost


class BookNetwork:
    """Sigmoid layers, cross-entropy cost, L2 regularization: network2 as the scripts use it.
    cost `quadratic`: network.py's output delta (a - y) sigma'(z), for chapter 1's recipe
    (nndl3.recipe); its monitors' cost stays network2's cross-entropy (network.py has none)."""

    def __init__(self, weights, biases, ordered: bool = True, cost: str = "cross-entropy"):
        self.set(weights, biases)
        self.ordered = ordered
        self.cost = cost

    def set(self, weights, biases):
        self.weights = [np.array(w, dtype=np.float64) for w in weights]
        self.biases = [np.array(b, dtype=np.float64).reshape(-1) for b in biases]

    def forward(self, x):
        """Every layer's output for the rows of x: [x, a_1, ..., a_L]."""
        outputs = [x]
        for w, b in zip(self.weights, self.biases, strict=True):
            outputs.append(sigmoid(outputs[-1] @ w.T + b))
        return outputs

    def gradient_sums(self, x, y):
        """(sum of nabla_w, sum of nabla_b) over the rows of the mini-batch (x, y)."""
        outputs = self.forward(x)
        a = outputs[-1]
        # network.py: cost_derivative(a, y) * sigmoid_prime(z), sigmoid_prime = a (1 - a)
        delta = (a - y) * (a * (1 - a)) if self.cost == "quadratic" else a - y
        sums_w, sums_b = [], []
        for layer in range(len(self.weights) - 1, -1, -1):
            sums_w.append(self.batch_sum(delta, outputs[layer]))
            sums_b.append(np.add.reduce(delta, axis=0))  # over the outer axis: in order
            if layer:
                a = outputs[layer]
                delta = (delta @ self.weights[layer]) * (a * (1 - a))
        return sums_w[::-1], sums_b[::-1]

    def batch_sum(self, delta, a):
        """sum over examples e of outer(delta[e], a[e])."""
        if not self.ordered:
            return delta.T @ a
        # each example's outer product is exact (one product an entry, as network2's
        # dot of a column by a row); summing over the outer axis adds them in turn
        return np.add.reduce(delta[:, :, None] * a[:, None, :], axis=0)

    def update(self, x, y, eta: float, lmbda: float, n: int) -> None:
        """network2.update_mini_batch on the mini-batch (x, y), n = the training set's size."""
        sums_w, sums_b = self.gradient_sums(x, y)
        m = len(x)
        decay = 1 - eta * (lmbda / n)
        self.weights = [decay * w - (eta / m) * nw for w, nw in zip(self.weights, sums_w,
                                                                     strict=True)]
        self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, sums_b, strict=True)]

    def epoch(self, x, y, labels, order, eta: float, lmbda: float, mini_batch: int) -> None:
        """One pass over the training list in the order `order` (indices into the rows of
        x, y = one-hot labels)."""
        n = len(order)
        for k in range(0, n, mini_batch):
            rows = order[k:k + mini_batch]
            self.update(x[rows], y[rows], eta, lmbda, n)

    def evaluate(self, x, labels, lmbda: float, cost: bool = True, accuracy: bool = True):
        """(network2.total_cost, network2.accuracy) on the rows x with labels, from one
        forward pass; None for what is not asked. The cost: the cross-entropy summed over
        outputs, averaged over examples, plus 0.5 (lambda / len(data)) sum ||w||^2; the
        accuracy: the count of rows whose largest output is at the label."""
        a = self.forward(x)[-1]
        count = int(np.count_nonzero(np.argmax(a, axis=1) == labels)) if accuracy else None
        if not cost:
            return None, count
        y = np.zeros_like(a)
        y[np.arange(len(a)), labels] = 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))
        n = len(x)
        total = float(np.sum(np.sum(terms, axis=1) / n))
        total += 0.5 * (lmbda / n) * sum(np.linalg.norm(w) ** 2 for w in self.weights)
        return total, count


class CompiledBookNetwork(BookNetwork):
    """The same network trained by the compiled engine (`fast.FastNetwork`) in float64,
    fed the replayed order; evaluated as BookNetwork. Its arithmetic differs from
    network2's in summation order and in the L2 factor, 1 - eta lambda / n rounded once."""

    def __init__(self, weights, biases, cost: str = "cross-entropy"):
        super().__init__(weights, biases, cost=cost)
        self.engines = {}  # the compiled engine of each training set, rebuilt by `set`

    def set(self, weights, biases):
        super().set(weights, biases)
        self.engines = {}

    def epoch(self, x, y, labels, order, eta: float, lmbda: float, mini_batch: int) -> None:
        from . import fast
        from .network import Network
        from .options import Options

        # the engine's options are fixed at construction: one engine per training set and
        # setting (eta reaches each epoch); every one named, network2's whatever our
        # defaults (run.schema.yaml) become
        key = (id(x), lmbda, mini_batch)
        engine = self.engines.get(key)
        if engine is None or engine.x is not x:
            net = Network([w.copy() for w in self.weights], [b.copy() for b in self.biases],
                          Options(cost=self.cost, output="sigmoid", hidden="sigmoid",
                                  dropout=0.0, regularization="l2", lmbda=lmbda, momentum=0.0,
                                  eta=eta, schedule=0, mini_batch=mini_batch))
            engine = self.engines[key] = fast.FastNetwork(net, x)
        engine.sgd_epoch(x, labels, order, eta)
        self.weights = [w.copy() for w in engine.net.weights]
        self.biases = [b.copy() for b in engine.net.biases]
