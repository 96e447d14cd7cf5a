"""The author's published runs, replayed from his seed (`python -m nndl3 replay`).

Each published file of `book_runs/` was written by one of the author's figure scripts
(`fig/overfitting.py`, `fig/weight_initialization.py`, `fig/multiple_eta.py`,
`fig/more_data.py` in mnielsen/neural-networks-and-deep-learning), which seed Python's and
NumPy's generators with 12345678 and then train network2 one or more times. A file's
entry in the config (`replay.scripts.<script>.<file>`) lists those trainings in order;
this module replays them on the same two streams (`replay_random`) and network2's
arithmetic in float64 (`replay_network`), and writes the file's lists in the published
layout. What carries over from one training to the next is what the script carries:

- `network: [sizes]` builds a new network, drawing the default initialization;
  without it the previous network is trained on.
- `init: large` calls large_weight_initializer (a second draw, after the first).
- `training: list` trains on the whole training list, which SGD shuffles in place, so
  the next training of the file starts from its order; `training: slice` trains on a fresh
  copy of the first `train_size` images of the unshuffled list (`training_data[:size]`).

Seeded runs (`nndl3.train`) are untouched: this is a path of its own.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import replay_random as rnd
from .book_runs import LISTS
from .replay_network import BookNetwork, CompiledBookNetwork

ENGINES = {"numpy": lambda w, b: BookNetwork(w, b, ordered=True),
           "numpy-blas": lambda w, b: BookNetwork(w, b, ordered=False),
           "compiled": CompiledBookNetwork}


def replay_file(spec: dict, data: dict, engine: str, log=None):
    """One published file's content, replayed: `data` holds the sets at the book's pixel
    scale (mnist.load(..., divisor=256)), the training set cut to
    replay_spec.train_size(spec); `spec` is one replay_spec.checked has passed.
    engine: `numpy` sums each mini-batch's gradients example after example as network2
    does; `numpy-blas` in a BLAS product; `compiled` trains with nndl3.fast in float64."""
    log = log or sys.stdout  # looked up now: the CLI guards stdout while a command runs
    seed = spec.get("seed", rnd.SEED)
    numbers, python = rnd.numpy_stream(seed), rnd.python_stream(seed)
    x, labels = data["train"]
    y = np.zeros((len(x), 10))
    y[np.arange(len(x)), labels] = 1.0
    whole = np.arange(len(x))  # the training list; `training: list` runs shuffle it in place
    net, sizes, values = None, None, []
    for k, run in enumerate(spec["runs"]):
        if run.get("network"):  # the first run has one (replay_spec.checked)
            sizes = run["network"]
            net = ENGINES[engine](*rnd.default_draws(numbers, sizes))
        if run["init"] == "large":
            net.set(*rnd.large_draws(numbers, sizes))
        # a `list` run trains on the whole training list, all the images loaded
        order = whole if run["training"] == "list" else np.arange(run["train_size"])
        start = time.perf_counter()
        lists = sgd(net, x, y, labels, order, run, data, python)
        if run["result"] == "validation_percent":
            values.append(net.evaluate(*data["validation"], 0.0, cost=False)[1] / 100.0)
        else:
            values.append(lists)
        print(f"run {k} ({run_label(run)}): {time.perf_counter() - start:.1f} s; "
              f"{summary(lists, values[-1])}", file=log, flush=True)
    if spec["layout"] == "one":
        return values[0]
    if spec["layout"] == "list":
        return values
    return {run["key"]: value for run, value in zip(spec["runs"], values, strict=True)}


def sgd(net: BookNetwork, x, y, labels, order, run: dict, data: dict, python) -> list:
    """network2.SGD: every epoch shuffles `order` in place, trains on it in mini-batches,
    then records the monitored quantities; returns network2's four lists."""
    lists = {name: [] for name in LISTS}
    monitor, lmbda, n = set(run["monitor"]), run["lmbda"], len(order)
    x, y, labels = x[:n], y[:n], labels[:n]  # one view for the run: the compiled engine's key
    sets = {"training": (x, labels)}
    if run["evaluation"] != "none":  # else no evaluation monitor (replay_spec.checked)
        sets["evaluation"] = data[run["evaluation"]]
    for _ in range(run["epochs"]):
        rnd.python2_shuffle(order, python)
        net.epoch(x, y, labels, order, run["eta"], lmbda, run["mini_batch"])
        for prefix, (xs, ls) in sets.items():
            cost, accuracy = f"{prefix}_cost" in monitor, f"{prefix}_accuracy" in monitor
            if cost or accuracy:
                value, count = net.evaluate(xs, ls, lmbda, cost, accuracy)
                if cost:
                    lists[f"{prefix}_cost"].append(value)
                if accuracy:
                    lists[f"{prefix}_accuracy"].append(count)
    return [lists[name] for name in LISTS]


def run_label(run: dict) -> str:
    return (f"{run.get('key', '')} n={run['train_size']} epochs={run['epochs']} "
            f"eta={run['eta']} lmbda={run['lmbda']}").strip()


def summary(lists: list, value) -> str:
    if not isinstance(value, list):
        return f"result {value}"
    return ", ".join(f"{name} {values[-1]}" for name, values in zip(LISTS, lists, strict=True)
                     if values)

