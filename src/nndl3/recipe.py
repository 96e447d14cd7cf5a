"""The book's recipe as a sampler: one of our runs trained the author's way from any seed.

The replay (`nndl3.replay`) brings back the author's published runs from his seed. The
recipe trains any run of ours that his code could have trained, with his code's sources of
variation and a seed of our choosing, so that the spread of his own numbers can be measured
(`snakemake recipe_seeds`, docs/replay.md):

- seed s: `np.random.seed(s)` and `random.seed(s)` (`replay_random`'s two streams);
- the network drawn as his code draws it: network2 (chapter 3) draws the default
  initialization in `Network.__init__`, then, for `init: large`, large_weight_initializer
  from where the stream stands; network.py (chapter 1) draws N(0, 1) biases then weights;
- Python 2's shuffle of `training_data[:train_size]`, in place and cumulative, each epoch;
- float64 arithmetic on pixels / 256, nndl3.fast's compiled engine by default.

Which program a run goes through, and everything the recipe does, comes from the run's spec
(`recipe_spec.of`): the cost picks the program (network.py's quadratic cost, network2's
cross-entropy), the rest is the spec's own sizes, eta, lambda, epochs, training size and
monitors. A spec with a technique neither program has gets no recipe (`recipe_spec.missing`
says why). The result is a run record in our own schema (docs/run-record.md), with the
recipe under `recipe`, so that `aggregate` and the calibration read it as they read our
runs.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from . import replay_random as rnd
from .readers import LAST_EPOCH, RECORD_SCHEMA
from .recipe_spec import of
from .replay_network import BookNetwork, CompiledBookNetwork

ENGINES = {"compiled": lambda w, b, cost: CompiledBookNetwork(w, b, cost=cost),
           "numpy": lambda w, b, cost: BookNetwork(w, b, ordered=True, cost=cost)}
DRAWS = {"default": rnd.default_draws, "large": rnd.large_draws}


def data_sets(recipe: dict) -> tuple[str, ...]:
    """The MNIST sets a recipe reads: the training set and its evaluation set."""
    return ("train", recipe["evaluation"])


def network(recipe: dict, numbers: np.random.RandomState, engine: str):
    """The recipe's network, drawn from the NumPy stream in its program's order."""
    for draw in recipe["draws"]:
        weights, biases = DRAWS[draw](numbers, recipe["sizes"])
    return ENGINES[engine](weights, biases, recipe["cost"])


def train(run_id: str, spec: dict, seed: int, data: dict, engine: str,
          log=None) -> dict:
    """One seed of our run `spec` trained by its recipe; a run record (docs/run-record.md).
    data: mnist.load(..., np.float64, data_sets(recipe), train_size,
    mnist.BOOK_PIXEL_DIVISOR)."""
    log = log or sys.stdout  # looked up now: the CLI guards stdout while a command runs
    from .train import git_commit, versions

    recipe = of(spec, f"run {run_id}")
    numbers, python = rnd.numpy_stream(seed), rnd.python_stream(seed)
    net = network(recipe, numbers, engine)
    n = recipe["train_size"]
    x, labels = data["train"][0][:n], data["train"][1][:n]
    y = np.zeros((n, 10))
    y[np.arange(n), labels] = 1.0
    sets = {"training": (x, labels), "evaluation": data[recipe["evaluation"]]}
    order = np.arange(n)  # training_data[:n], shuffled in place epoch after epoch
    metrics = {name: [] for name in recipe["monitor"]}
    monitored, seconds, diverged = [], [], None
    for epoch in range(recipe["epochs"]):
        start = time.perf_counter()
        rnd.python2_shuffle(order, python)
        net.epoch(x, y, labels, order, recipe["eta"], recipe["lmbda"], recipe["mini_batch"])
        seconds.append(time.perf_counter() - start)
        if (epoch + 1) % recipe["monitor_every"] and epoch != recipe["epochs"] - 1:
            continue
        monitored.append(epoch)
        monitor(net, sets, recipe, metrics)
        print(f"epoch {epoch}: " + ", ".join(f"{k} {v[-1]}" for k, v in metrics.items()),
              file=log, flush=True)
        if not all(np.isfinite(p).all() for p in net.weights + net.biases):
            diverged = epoch  # its weights not finite: it stops (nndl3.train: its monitors too)
            break
    return {"schema": RECORD_SCHEMA, "run": run_id, "seed": seed, "spec": dict(spec),
            "engine": f"recipe-{engine}", "recipe": recipe, "n_train": n,
            "monitored_epochs": monitored,
            "metrics": {k: [v if math.isfinite(v) else None for v in values]
                        for k, values in metrics.items()},
            "seconds_per_epoch": seconds, "stopped_at_epoch": monitored[-1],
            "stop_reason": ("diverged: weights not finite" if diverged is not None
                            else LAST_EPOCH),
            "diverged_at_epoch": diverged, "eta_per_epoch": None,
            "git_commit": git_commit(), "versions": versions()}


def monitor(net, sets: dict, recipe: dict, metrics: dict) -> None:
    """Append each monitored quantity: network2's total_cost and accuracy, the accuracy as
    a fraction of the set (our records' unit)."""
    for prefix, (xs, ls) in sets.items():
        cost, accuracy = f"{prefix}_cost" in metrics, f"{prefix}_accuracy" in metrics
        if cost or accuracy:
            value, count = net.evaluate(xs, ls, recipe["lmbda"], cost, accuracy)
            if cost:
                metrics[f"{prefix}_cost"].append(float(value))
            if accuracy:
                metrics[f"{prefix}_accuracy"].append(count / len(xs))
