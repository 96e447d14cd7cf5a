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
from .errors import UserError
from .replay_network import BookNetwork, CompiledBookNetwork

BOOK_PIXEL_DIVISOR = 256  # the author's mnist.pkl.gz: byte / 256 in float32, exact in float64
LAYOUTS = ("one", "list", "by_key")  # the run's value; the runs' values; {key: value}
RESULTS = ("lists", "validation_percent")


def checked(spec, where: str = "--spec") -> dict:
    """The spec a replay job receives (workflow_config.replay_specs: a file's entry with
    its seed, its script's name and each run's mini-batch size) against replay.schema.yaml,
    the schema the workflow's config is checked against: a UserError names the key and the
    value. A file laid out by key needs a key of its own for each of its runs."""
    from .schemas import problem

    if not isinstance(spec, dict) or not isinstance(spec.get("runs"), list):
        raise UserError(f"{where}: {spec!r:.60}: not a replay spec (a mapping with runs)")
    entry = {k: v for k, v in spec.items() if k not in ("seed", "script")}
    entry["runs"] = [{k: v for k, v in run.items() if k != "mini_batch"}
                     if isinstance(run, dict) else run for run in spec["runs"]]
    pieces = [("file", entry, "")]
    if "seed" in spec:
        pieces.append(("seed", spec["seed"], "seed: "))
    for k, run in enumerate(spec["runs"]):
        mini_batch = run.get("mini_batch") if isinstance(run, dict) else None
        pieces.append(("mini_batch", mini_batch, f"runs.{k}.mini_batch: "))
    for name, value, key in pieces:
        wrong = problem(value, "replay.schema.yaml", name)
        if wrong:
            raise UserError(f"{where}: {key}{wrong}")
    if spec["layout"] == "by_key":
        keys = [run["key"] for run in spec["runs"]]
        if len(set(keys)) != len(keys):
            raise UserError(f"{where}: layout by_key: runs' keys {keys}: each run needs a "
                            "key of its own")
    return spec


def data_sets(spec: dict) -> tuple[str, ...]:
    """The MNIST sets a file's replay reads."""
    sets = {"train"} | {run["evaluation"] for run in spec["runs"] if run["evaluation"] != "none"}
    if any(run["result"] == "validation_percent" for run in spec["runs"]):
        sets.add("validation")
    return tuple(s for s in ("train", "validation", "test") if s in sets)


def train_size(spec: dict) -> int:
    return max(run["train_size"] for run in spec["runs"])


ENGINES = {"numpy": lambda w, b: BookNetwork(w, b, ordered=True),
           "numpy-blas": lambda w, b: BookNetwork(w, b, ordered=False),
           "compiled": CompiledBookNetwork}


def replay_file(spec: dict, data: dict, engine: str = "numpy", log=None):
    """One published file's content, replayed: `data` holds the sets at the book's pixel
    scale (mnist.load(..., divisor=256)), the training set cut to train_size(spec).
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
        if run.get("network"):
            sizes = run["network"]
            net = ENGINES[engine](*rnd.default_draws(numbers, sizes))
        elif net is None:
            raise UserError(f"replay run {k}: no network yet (the first run needs `network`)")
        if run["init"] == "large":
            net.set(*rnd.large_draws(numbers, sizes))
        if run["training"] == "list":
            if run["train_size"] != len(whole):
                raise UserError(f"replay run {k}: training: list trains on all {len(whole)} "
                                f"images, not train_size {run['train_size']}")
            order = whole
        else:
            order = np.arange(run["train_size"])
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
    if run["evaluation"] != "none":
        sets["evaluation"] = data[run["evaluation"]]
    elif any(name.startswith("evaluation") for name in monitor):
        raise UserError("replay: an evaluation monitor needs an evaluation set")
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

