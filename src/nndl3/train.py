"""Train one run specification for each of its seeds and produce one record per seed.

Seeds are trained together in one process: the data are loaded and prepared once, each
epoch trains every seed's network in turn and evaluates them all. Each seed keeps its own
random streams (initialization, shuffling, dropout, augmentation), so a seed's record is
bit for bit the one it would get if trained alone.
"""

from __future__ import annotations

import platform
import sys
import time

import numpy as np

from . import __version__
from .augment import expand_with_rotations
from .network import Network, cost_value, one_hot, weight_penalty
from .timing import Timer

RECORD_SCHEMA = "nndl3.run-record/1"
STREAMS = ("init", "shuffle", "dropout", "augment")


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for each use of randomness, all derived from the run's seed."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.Generator(np.random.PCG64(s))
            for name, s in zip(STREAMS, children, strict=True)}


def evaluate(net, x, labels, lmbda, regularization, with_cost=True):
    """(cost including the weight penalty, accuracy) of `net` (a Network or its engine) on
    (x, labels), as in network2: the penalty uses n = the size of this data set. The cost,
    a third of the time on 10,000 images, is None unless asked for."""
    z = net.output_z(x)
    accuracy = float(np.mean(np.argmax(z, axis=1) == labels))
    if not with_cost:
        return None, accuracy
    y = one_hot(labels, z.shape[1], z.dtype)
    n = len(x)
    cost = cost_value(net.cost, z, y) / n + weight_penalty(regularization, lmbda, n, net.weights)
    return cost, accuracy


class SeedRun:
    """One seed's network, its training data (possibly expanded) and its random streams."""

    def __init__(self, spec: dict, seed: int, x, labels, sparse: dict, timer=None):
        timer = timer or Timer()
        dtype = np.dtype(spec["dtype"])
        self.spec, self.seed, self.rng = spec, seed, streams(seed)
        self.net = Network.create(spec["sizes"], spec["cost"], spec["init"], self.rng["init"],
                                  dtype, spec["dropout"])
        rotation = spec.get("rotation") or {"copies": 0, "max_degrees": 0}
        with timer("augment"):
            self.x, self.labels = expand_with_rotations(
                x, labels, rotation["max_degrees"], rotation["copies"], self.rng["augment"])
        with timer("sparse"):
            self.engine = engine_for(spec, self.net, self.x, sparse)
        self.metrics = {name: [] for name in spec["monitor"]}
        self.monitored_epochs = []
        self.seconds = []

    def dropout_masks(self, n_batches):
        """Per hidden layer, which neurons each mini-batch keeps (None without dropout)."""
        p = self.spec["dropout"]
        if not p:
            return None
        return [self.rng["dropout"].random((n_batches, size)) >= p
                for size in self.spec["sizes"][1:-1]]

    def epoch(self):
        s = self.spec
        n, m = len(self.x), s["mini_batch"]
        start = time.perf_counter()
        order = self.rng["shuffle"].permutation(n)
        masks = self.dropout_masks(-(-n // m))
        self.engine.sgd_epoch(self.x, self.labels, order, s["eta"], s["lmbda"],
                              s["regularization"], m, masks)
        self.seconds.append(time.perf_counter() - start)

    def monitor(self, epoch, data_sets):
        s = self.spec
        self.monitored_epochs.append(epoch)
        for prefix, (x, labels) in data_sets.items():
            wanted = [k for k in self.metrics if k.startswith(prefix)]
            if wanted:
                cost, accuracy = evaluate(self.engine, x, labels, s["lmbda"], s["regularization"],
                                          with_cost=any(k.endswith("cost") for k in wanted))
                for k in wanted:
                    self.metrics[k].append(cost if k.endswith("cost") else accuracy)

    def record(self, run_id: str) -> dict:
        return {
            "schema": RECORD_SCHEMA,
            "run": run_id,
            "seed": self.seed,
            "spec": self.spec,
            "engine": type(self.engine).__name__,
            "n_train": len(self.x),
            "monitored_epochs": self.monitored_epochs,
            "metrics": self.metrics,
            "seconds_per_epoch": self.seconds,
            "versions": versions(),
        }


def engine_for(spec, net, x, sparse: dict):
    """The fast compiled engine where it applies (one hidden layer), else the NumPy one;
    sparse: the run's cache of the inputs' CSR form (fast.csr_of)."""
    if not uses_fast_engine(spec):
        return net
    from .fast import FastNetwork  # numba compiles on first use; keep it off the import path

    return FastNetwork(net, x, sparse)


def uses_fast_engine(spec) -> bool:
    if spec["engine"] == "auto":
        return len(spec["sizes"]) == 3
    return spec["engine"] == "fast"


def versions() -> dict:
    import numba
    import scipy

    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "numba": numba.__version__, "nndl3": __version__}


def train(run_id: str, spec: dict, data: dict, log=sys.stdout, timer=None) -> list[dict]:
    """Train every seed of `spec` on the prepared `data` (mnist.load); one record per seed.
    timer: a timing.Timer that has counted the phases before this call (load)."""
    timer = timer or Timer()
    x, labels = data["train"]
    x, labels = x[: spec["train_size"]], labels[: spec["train_size"]]
    compile_engine(spec)
    sparse = {}  # each input set's sparse form, built once for all seeds (fast engine)
    runs = [SeedRun(spec, seed, x, labels, sparse, timer) for seed in spec["seeds"]]
    monitored = {"training": (x, labels), "evaluation": data[spec["evaluation"]]}
    with timer("sparse"):
        prepare_monitored(spec, monitored, sparse)
    timer.mark_startup()
    every = spec.get("monitor_every", 1)
    for epoch in range(spec["epochs"]):
        due = (epoch + 1) % every == 0 or epoch == spec["epochs"] - 1
        for run in runs:
            with timer("epochs"):
                run.epoch()
            if due:
                with timer("monitoring"):
                    run.monitor(epoch, monitored)
        print(progress_line(epoch, spec["epochs"], runs, due), file=log, flush=True)
    return [{**run.record(run_id), "timing": timer.rounded()} for run in runs]


def prepare_monitored(spec, monitored: dict, sparse: dict):
    """Build the CSR form of each monitored set now (fast engine), so that conversion is
    timed as such and not as monitoring."""
    if uses_fast_engine(spec):
        from .fast import csr_of

        for name, (x, _) in monitored.items():
            if any(k.startswith(name) for k in spec["monitor"]):
                csr_of(x, sparse)


def compile_engine(spec):
    """Compile the fast engine's kernels, or load them from Numba's cache, on one throwaway
    image: part of start-up, not of the first epoch. Uses no random stream of the run."""
    if not uses_fast_engine(spec):
        return
    dtype = np.dtype(spec["dtype"])
    net = Network.create(spec["sizes"], spec["cost"], spec["init"], np.random.default_rng(0),
                         dtype, spec["dropout"])
    x, one = np.ones((1, spec["sizes"][0]), dtype), np.zeros(1, np.int64)
    engine = engine_for(spec, net, x, {})
    masks = [np.ones((1, n), bool) for n in spec["sizes"][1:-1]] if spec["dropout"] else None
    engine.sgd_epoch(x, one, one, spec["eta"], spec["lmbda"], spec["regularization"], 1, masks)
    engine.output_z(x)


def progress_line(epoch, epochs, runs, monitored: bool) -> str:
    parts = [f"epoch {epoch:>4}/{epochs}"]
    for name in runs[0].metrics if monitored else ():
        values = np.array([r.metrics[name][-1] for r in runs])
        unit = 100 if name.endswith("accuracy") else 1
        parts.append(f"{name} {unit * values.mean():.4f}" +
                     (f" (sd {unit * values.std(ddof=1):.4f})" if len(runs) > 1 else ""))
    parts.append(f"{sum(r.seconds[-1] for r in runs):.2f} s")
    return "  ".join(parts)
