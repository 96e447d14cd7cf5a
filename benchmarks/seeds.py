"""Seeds trained together: `nndl3.train.train` with several seeds against one."""

from __future__ import annotations

import io
import statistics
import time

from common import COST, ETA, INIT, LMBDA, M

from nndl3 import runspec
from nndl3.train import train


def seeds_spec(n_seeds, train_size):
    spec = {"sizes": [784, 30, 10], "cost": COST, "init": INIT, "eta": ETA, "lmbda": LMBDA,
            "regularization": "l2", "dropout": 0.0, "epochs": 1, "mini_batch": M,
            "train_size": train_size, "evaluation": "test",
            "monitor": ["evaluation_accuracy"], "monitor_every": 1,
            "rotation": {"max_degrees": 0, "copies": 0}, "dtype": "float32",
            "engine": "auto", "seeds": list(range(1, n_seeds + 1))}
    return runspec.validate(spec, "benchmark spec")


def time_seeds(data, n_seeds, train_size, repeats):
    """Median over repeats of (sum of the records' seconds_per_epoch, wall time of train())."""
    spec = seeds_spec(n_seeds, train_size)
    epochs, walls = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        records = train("benchmark", spec, data, log=io.StringIO())
        walls.append(time.perf_counter() - start)
        epochs.append(sum(sum(r["seconds_per_epoch"]) for r in records))
    return {"seeds": n_seeds, "engine": records[0]["engine"],
            "epoch_seconds": statistics.median(epochs), "wall_seconds": statistics.median(walls),
            "epoch_seconds_all": epochs, "wall_seconds_all": walls}


def together(data, n_seeds, train_size, repeats):
    """One seed and n_seeds, and the ratios of their times."""
    one, many = (time_seeds(data, k, train_size, repeats) for k in (1, n_seeds))
    return {"runs": [one, many],
            "ratio_epoch": many["epoch_seconds"] / one["epoch_seconds"],
            "ratio_wall": many["wall_seconds"] / one["wall_seconds"]}
