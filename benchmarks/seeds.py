"""Seeds trained together: `nndl3.train.train` with several seeds against one."""

from __future__ import annotations

import io
import statistics
import time

import common  # noqa: F401  the one-thread settings, before NumPy loads

from nndl3 import runspec
from nndl3.train import train


def seeds_spec(n_seeds, train_size):
    """The benchmark network, trained and monitored as run.schema.yaml's defaults say, for
    one epoch, seeds 1 to n_seeds."""
    return runspec.validate({"epochs": 1, "train_size": train_size,
                             "seeds": list(range(1, n_seeds + 1))}, "benchmark spec")


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
