"""The single sigmoid neuron of the cross-entropy section: one weight, one bias, x = 1, y = 0.

Exact gradient descent (the "training set" is the one input), to show the learning
slowdown of the quadratic cost when the neuron starts badly wrong.
"""

from __future__ import annotations

import math


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def cost(kind: str, a: float, y: float) -> float:
    if kind == "quadratic":
        return 0.5 * (a - y) ** 2
    # cross-entropy, with 0 ln 0 = 0 for the target terms that vanish
    return -(y * math.log(a) if y else 0.0) - ((1 - y) * math.log(1 - a) if y != 1 else 0.0)


def train(w: float, b: float, cost_kind: str, eta: float, epochs: int, x: float = 1.0,
          y: float = 0.0) -> dict:
    """Outputs and costs before training (index 0) and after each of `epochs` steps."""
    outputs, costs = [], []
    for epoch in range(epochs + 1):
        a = sigmoid(w * x + b)
        outputs.append(a)
        costs.append(cost(cost_kind, a, y))
        if epoch == epochs:
            break
        delta = (a - y) * a * (1 - a) if cost_kind == "quadratic" else a - y
        w, b = w - eta * delta * x, b - eta * delta
    return {"output": outputs, "cost": costs, "w": w, "b": b}
