"""A run's training options, built once from its validated spec and handed to an engine at
construction: what the network computes (cost, output layer, hidden neurons, dropout) and
how it is trained (regularization, momentum, eta and its schedule, mini-batch size).

An engine refuses in its constructor what it cannot do, so the choice between engines
(train.engine_for) needs nothing but trying. Only what changes from epoch to epoch reaches
an epoch: the order of the rows, this epoch's eta and the dropout masks.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from . import runspec

_DEFAULT = runspec.defaults()  # a field's default is its key's in run.schema.yaml


@dataclass(frozen=True)
class Options:
    cost: str = _DEFAULT["cost"]
    output: str = _DEFAULT["output"]  # softmax goes with log-likelihood (runspec checks it)
    hidden: str = _DEFAULT["hidden"]
    dropout: float = _DEFAULT["dropout"]
    regularization: str = _DEFAULT["regularization"]
    lmbda: float = _DEFAULT["lmbda"]
    momentum: float = _DEFAULT["momentum"]
    eta: float = _DEFAULT["eta"]  # the first epoch's; the schedule (Stopper) halves it
    schedule: int = _DEFAULT["schedule"]
    mini_batch: int = _DEFAULT["mini_batch"]

    @classmethod
    def of(cls, spec: dict) -> Options:
        """The options of a spec that runspec.validate has completed."""
        return cls(**{f.name: spec[f.name] for f in fields(cls)})

    def penalty_rate(self, eta: float, n: int) -> float:
        """eta * lambda / n: the weight penalty's share of one step on a training set of n
        rows (0 without regularization)."""
        return eta * self.lmbda / n
