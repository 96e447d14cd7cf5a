"""What the benchmarks share: one-thread settings, the benchmark network and its options,
the data, and timing by this thread's CPU time.

Import it before NumPy: it sets the thread counts of the numerical libraries to 1, which
they read once, when they load."""

from __future__ import annotations

import os

ORIGINAL_ENV = dict(os.environ)  # for what must run as the user would (the pipeline)
import nndl3  # noqa: E402, F401, I001  first: it sets Numba's cache folder before Numba loads

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")
for _var in THREAD_VARIABLES:
    os.environ[_var] = "1"

import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402

from nndl3 import paths  # noqa: E402
from nndl3.network import Network  # noqa: E402
from nndl3.options import Options  # noqa: E402
from nndl3.train import streams  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COST, INIT = "cross-entropy", "large"  # as src/nndl3/run.schema.yaml's defaults
ETA, LMBDA, M = 0.5, 0.0, 10
OPTIONS = Options(cost=COST, eta=ETA, lmbda=LMBDA, regularization="l2", mini_batch=M)
SEED = 1


def fresh_network(sizes, dtype):
    return Network.create(sizes, INIT, streams(SEED)["init"], dtype, OPTIONS)


def shuffled(n):
    return streams(SEED)["shuffle"].permutation(n)


def timed(f):
    """CPU seconds of this thread spent in f() (see median_seconds)."""
    start = time.thread_time()
    f()
    return time.thread_time() - start


def median_seconds(prepare, repeats):
    """Median CPU time of this thread over `repeats` epochs, each prepared afresh
    (preparation untimed), and the wall times. Every implementation runs in this one
    thread, so on a shared machine the CPU time is what it costs, whereas the wall time
    also counts the time other processes held the core."""
    times, walls = [], []
    for _ in range(repeats):
        epoch = prepare()
        start, wall = time.thread_time(), time.perf_counter()
        epoch()
        times.append(time.thread_time() - start)
        walls.append(time.perf_counter() - wall)
    return statistics.median(times), times, walls


def default_data() -> Path:
    """The repository's data/mnist.npz (`snakemake prepare_data`): nothing outside it."""
    return ROOT / paths.DATA


def load_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(torch):
    return {"cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "load_average_at_start": list(os.getloadavg()),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "scipy": scipy.__version__,
            "torch": None if torch is None else torch.__version__,
            "threads": {v: os.environ[v] for v in THREAD_VARIABLES}}
