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

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402

from nndl3 import arguments, mnist, paths, runspec  # noqa: E402
from nndl3.network import Network  # noqa: E402
from nndl3.options import Options  # noqa: E402
from nndl3.train import streams  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# the network every benchmark trains: run.schema.yaml's defaults
_DEFAULTS = runspec.defaults()
COST, INIT, ETA, LMBDA, REGULARIZATION, M, SIZES = (
    _DEFAULTS[key] for key in ("cost", "init", "eta", "lmbda", "regularization", "mini_batch",
                               "sizes"))
# the reference (per example, slow) is timed on REFERENCE_EXAMPLES images, scaled to the epoch
REFERENCE_EXAMPLES, EPOCH_IMAGES = 5000, mnist.N_TRAIN
OPTIONS = Options(cost=COST, eta=ETA, lmbda=LMBDA, regularization=REGULARIZATION, mini_batch=M)
SEED = 1


def train_size(text: str) -> int:
    """A --train-size: a count of MNIST's training images, refused before any work."""
    value = arguments.positive(text)
    if value > mnist.N_TRAIN:
        raise argparse.ArgumentTypeError(f"{text}: at most {mnist.N_TRAIN:,}, the training "
                                         "images")
    return value


def fresh_network(sizes, dtype):
    return Network.create(sizes, INIT, streams(SEED)["init"], dtype, OPTIONS)


def shuffled(n):
    return streams(SEED)["shuffle"].permutation(n)


def timed(f):
    """CPU seconds of this thread spent in f() (see median_seconds)."""
    start = time.thread_time()
    f()
    return time.thread_time() - start


def child_seconds(command: list[str], env: dict | None = None, **run) -> dict:
    """Wall and CPU seconds (user, system: its own and its children's) of a command run to
    its end, in the environment the benchmark was started with (not its one-thread
    settings) updated by `env`; and its exit status. `run`: subprocess.run's options."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    rc = subprocess.run(command, env={**ORIGINAL_ENV, **(env or {})}, **run).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "user": after.ru_utime - before.ru_utime,
            "system": after.ru_stime - before.ru_stime, "returncode": rc}


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


def interleaved_median_seconds(prepares: dict, repeats):
    """median_seconds of each of `prepares` ({name: prepare}), their epochs interleaved
    (a, b, a, b, ...), so that a machine slower for a while slows both alike and their
    ratio stays the engines'. {name: (median, times, walls)}."""
    timed = {name: ([], []) for name in prepares}
    for _ in range(repeats):
        for name, prepare in prepares.items():
            _, times, walls = median_seconds(prepare, 1)
            timed[name][0].extend(times)
            timed[name][1].extend(walls)
    return {name: (statistics.median(times), times, walls)
            for name, (times, walls) in timed.items()}


def default_data() -> Path:
    """The repository's data/mnist.npz (`snakemake prepare_data`): nothing outside it."""
    return ROOT / paths.DATA


def relative(path: Path) -> str:
    """path as the record gives it: relative to the repository when inside it (a committed
    record names nothing outside the repository)."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


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


# the instruction-set extensions that decide which vector code the kernel can run
INSTRUCTION_SETS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl")


def instruction_sets():
    """The extensions of INSTRUCTION_SETS this CPU reports (/proc/cpuinfo's flags)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return [f for f in INSTRUCTION_SETS if f in flags]
    except OSError:
        pass
    return None


def compiled_for():
    """The CPU and features Numba compiles the kernel for: the host's, unless
    NUMBA_CPU_NAME / NUMBA_CPU_FEATURES say otherwise (how an AVX2 run is made on an
    AVX-512 machine, benchmarks/fast_kernel.md); and OpenBLAS's core type (the floor's
    matrix product)."""
    import llvmlite.binding as llvm

    features = numba.config.CPU_FEATURES  # None: the host's; "": the named CPU's own
    return {"numba_cpu_name": numba.config.CPU_NAME or llvm.get_host_cpu_name(),
            "numba_cpu_features": ("host" if features is None
                                   else features or "the CPU name's own"),
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "auto")}


def git_commit():
    """The checkout's commit, with `+changes` when the working tree differs from it."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty.strip() else "")


def machine(torch):
    return {"cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "instruction_sets": instruction_sets(), "compiled_for": compiled_for(),
            "git_commit": git_commit(),
            "load_average_at_start": list(os.getloadavg()),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "scipy": scipy.__version__,
            "torch": None if torch is None else torch.__version__,
            "threads": {v: os.environ[v] for v in THREAD_VARIABLES}}
