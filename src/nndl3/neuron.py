"""The single sigmoid neuron of the cross-entropy section: one weight, one bias, x = 1, y = 0.

Exact gradient descent (the "training set" is the one input), to show the learning
slowdown of the quadratic cost when the neuron starts badly wrong.
"""

from __future__ import annotations

import math

from .errors import UserError

# A result's keys for its settings: the config entry's name (neuron.schema.yaml) -> the
# result's (docs/run-record.md).
STORED = {"w": "w0", "b": "b0", "cost": "cost_kind", "eta": "eta", "epochs": "epochs"}


def settings_of(result: dict) -> dict:
    """The settings a result was trained with, by the config entry's names."""
    return {key: result[stored] for key, stored in STORED.items()}


def read_result(path) -> dict:
    """A single neuron's result (readers.neuron_result), with its settings checked by
    neuron.schema.yaml and its curves as a figure draws them: an output in [0, 1] and a
    cost >= 0 before training and after each of its epochs."""
    from . import readers, schemas

    doc = readers.neuron_result(path)
    where = f"{path}: single-neuron result"
    wrong = schemas.problem(settings_of(doc), "neuron.schema.yaml")
    if wrong:  # named by the result's key (cost_kind, not the setting's cost)
        key, rest = wrong.split(":", 1)
        raise UserError(f"{where}: {STORED.get(key, key)}:{rest}")
    steps = doc["epochs"] + 1
    for key, bad in (("output", lambda v: not 0 <= v <= 1), ("cost", lambda v: v < 0)):
        values = doc[key]
        if (not isinstance(values, list) or len(values) != steps
                or not all(readers.is_finite_number(v) and not bad(v) for v in values)):
            raise UserError(f"{where}: {key}: not {steps} values (before training and after "
                            f"each of its {doc['epochs']} epochs) "
                            f"{'in [0, 1]' if key == 'output' else '>= 0'}")
    return doc


def sigmoid(z: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-z))
    except OverflowError:  # z below about -709.8: e^z / (1 + e^z) rounds to e^z
        return math.exp(z)


def softplus(z: float) -> float:
    """ln(1 + e^z), without overflow."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def cost(kind: str, a: float, y: float, z: float) -> float:
    if kind == "quadratic":
        return 0.5 * (a - y) ** 2
    if (y and a == 0.0) or (y != 1 and a == 1.0):
        # a saturated to the bit, where ln a or ln(1 - a) is ln 0: the same cost from z,
        # -ln sigmoid(z) = softplus(-z) and -ln(1 - sigmoid(z)) = softplus(z)
        return y * softplus(-z) + (1 - y) * softplus(z)
    # cross-entropy, with 0 ln 0 = 0 for the target terms that vanish
    return -(y * math.log(a) if y else 0.0) - ((1 - y) * math.log(1 - a) if y != 1 else 0.0)


def train(w: float, b: float, cost_kind: str, eta: float, epochs: int, x: float = 1.0,
          y: float = 0.0) -> dict:
    """Outputs and costs before training (index 0) and after each of `epochs` steps."""
    outputs, costs = [], []
    for epoch in range(epochs + 1):
        z = w * x + b
        a = sigmoid(z)
        outputs.append(a)
        costs.append(cost(cost_kind, a, y, z))
        if epoch == epochs:
            break
        delta = (a - y) * a * (1 - a) if cost_kind == "quadratic" else a - y
        w, b = w - eta * delta * x, b - eta * delta
    return {"output": outputs, "cost": costs, "w": w, "b": b}
