"""A run's training options, built once from its validated spec and handed to an engine at
construction: what the network computes (cost, output layer, hidden neurons, dropout) and
how it is trained (regularization, momentum, eta and its schedule, mini-batch size).

An engine refuses in its constructor what it cannot do, so the choice between engines
(train.engine_for) needs nothing but trying. Only what changes from epoch to epoch reaches
an epoch: the order of the rows, this epoch's eta and the dropout masks.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Options:
    cost: str = "cross-entropy"
    output: str = "sigmoid"  # softmax goes with the log-likelihood cost (runspec checks it)
    hidden: str = "sigmoid"
    dropout: float = 0.0
    regularization: str = "l2"
    lmbda: float = 0.0
    momentum: float = 0.0
    eta: float = 0.5  # the first epoch's; the schedule (Stopper) halves it
    schedule: int = 0
    mini_batch: int = 10

    @classmethod
    def of(cls, spec: dict) -> Options:
        """The options of a spec that runspec.validate has completed."""
        return cls(**{f.name: spec[f.name] for f in fields(cls)})

    def penalty_rate(self, eta: float, n: int) -> float:
        """eta * lambda / n: the weight penalty's share of one step on a training set of n
        rows (0 without regularization)."""
        return eta * self.lmbda / n
