"""Train one run specification for each of its seeds and produce one record per seed.

Seeds are trained together in one process: the data are loaded and prepared once, each
epoch trains every seed's network in turn and evaluates them all. Each seed keeps its own
random streams (initialization, shuffling, dropout, augmentation), so a seed's record is
bit for bit the one it would get if trained alone. A seed may stop before the others
(early stopping, the learning-rate schedule, divergence); the rest go on.
"""

from __future__ import annotations

import math
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__
from .augment import expand_with_rotations
from .errors import UserError
from .network import Network, cost_value, one_hot, weight_penalty
from .options import Options
from .readers import LAST_EPOCH, RECORD_SCHEMA
from .runspec import Spec, validate
from .timing import Timer

STREAMS = ("init", "shuffle", "dropout", "augment")
# The schedule stops once eta has been halved down to this fraction of its start.
SCHEDULE_FLOOR = 1 / 128


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for each use of randomness, all derived from the run's seed."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.Generator(np.random.PCG64(s))
            for name, s in zip(STREAMS, children, strict=True)}


def evaluate(net, x, labels, options: Options, with_cost=True):
    """(cost including the weight penalty, accuracy) of `net` (a Network or its engine) on
    (x, labels), as in network2: the penalty uses n = the size of this data set. The cost,
    a third of the time on 10,000 images, is None unless asked for; the accuracy is NaN if
    an output is (a diverged seed)."""
    z = net.output_z(x)
    # finite weights near float's limit can still sum to NaN outputs, which classify nothing
    accuracy = math.nan if np.isnan(z).any() else float(np.mean(np.argmax(z, axis=1) == labels))
    if not with_cost:
        return None, accuracy
    y = one_hot(labels, z.shape[1], z.dtype)
    n = len(x)
    penalty = weight_penalty(options.regularization, options.lmbda, n, net.weights)
    cost = cost_value(options.cost, z, y) / n + penalty
    return cost, accuracy


class Stopper:
    """Early stopping and the learning-rate schedule, both driven by the no-improvement-in-n
    rule on the evaluation (validation) accuracy, measured after every epoch."""

    def __init__(self, eta: float, early_stopping: int, schedule: int):
        self.eta0 = self.eta = eta
        self.early_stopping, self.schedule = early_stopping, schedule
        self.best = -math.inf
        self.since_best = 0  # epochs completed without a new best
        self.since_change = 0  # the same, restarted when the schedule halves eta

    def after_epoch(self, accuracy: float) -> str | None:
        """Update with this epoch's accuracy; the reason to stop now, or None."""
        if accuracy > self.best:
            self.best, self.since_best, self.since_change = accuracy, 0, 0
        else:
            self.since_best += 1
            self.since_change += 1
        if self.early_stopping and self.since_best >= self.early_stopping:
            return f"early_stopping: no improvement in {self.early_stopping} epochs"
        if self.schedule and self.since_change >= self.schedule:
            self.eta /= 2
            self.since_change = 0
            if self.eta <= self.eta0 * SCHEDULE_FLOOR:
                return f"schedule: eta halved to 1/{round(self.eta0 / self.eta)} of its start"
        return None


class SeedRun:
    """One seed's network, its training data (possibly expanded) and its random streams."""

    def __init__(self, run_id: str, spec: dict, options: Options, seed: int, x, labels,
                 sparse: dict, note=None, timer=None):
        timer = timer or Timer()
        dtype = np.dtype(spec["dtype"])
        self.run_id, self.spec, self.seed, self.rng = run_id, spec, seed, streams(seed)
        self.options = options
        self.net = Network.create(spec["sizes"], spec["init"], self.rng["init"], dtype, options)
        rotation = spec["rotation"]
        with timer("augment"):
            self.x, self.labels = expand_with_rotations(
                x, labels, rotation["max_degrees"], rotation["copies"], self.rng["augment"])
        with timer("sparse"):
            self.engine = engine_for(spec, self.net, self.x, sparse, note)
        self.metrics = {name: [] for name in spec["monitor"]}
        self.monitored_epochs = []
        self.seconds = []
        self.stopper = Stopper(options.eta, spec["early_stopping"], options.schedule)
        self.etas = []  # eta of each epoch trained
        self.stopped_at, self.stop_reason, self.diverged_at = None, None, None

    @property
    def running(self) -> bool:
        return self.stop_reason is None

    def dropout_masks(self, n_batches):
        """Per hidden layer, which neurons each mini-batch keeps (None without dropout)."""
        p = self.options.dropout
        if not p:
            return None
        return [self.rng["dropout"].random((n_batches, size)) >= p
                for size in self.spec["sizes"][1:-1]]

    def epoch(self):
        n, m = len(self.x), self.options.mini_batch
        start = time.perf_counter()
        order = self.rng["shuffle"].permutation(n)
        masks = self.dropout_masks(-(-n // m))
        eta = self.stopper.eta
        self.engine.sgd_epoch(self.x, self.labels, order, eta, masks)
        self.etas.append(eta)
        self.seconds.append(time.perf_counter() - start)

    def weights_finite(self) -> bool:
        return all(np.isfinite(p).all() for p in self.net.weights + self.net.biases)

    def finite(self) -> bool:
        """Weights, biases and every monitored value of the last epoch are finite."""
        if not self.weights_finite():
            return False
        return all(math.isfinite(v[-1]) for v in self.metrics.values() if v)

    def after_epoch(self, epoch: int, due: bool, log) -> None:
        """Decide whether this seed stops after `epoch`: divergence, then the stopping rules."""
        if not self.finite():
            self.stop(epoch, "diverged: cost, outputs or weights not finite")
            self.diverged_at = epoch
            print(f"warning: run {self.run_id}, seed {self.seed}: diverged at epoch {epoch} "
                  "(cost, outputs or weights NaN or infinite); this seed stops", file=log,
                  flush=True)
            return
        if due and (self.spec["early_stopping"] or self.options.schedule):
            reason = self.stopper.after_epoch(self.metrics["evaluation_accuracy"][-1])
            if reason:
                self.stop(epoch, reason)

    def stop(self, epoch: int, reason: str) -> None:
        self.stopped_at, self.stop_reason = epoch, reason

    def monitor(self, epoch, data_sets):
        self.monitored_epochs.append(epoch)
        if not self.weights_finite():  # NaN weights classify every image as one digit
            for values in self.metrics.values():
                values.append(math.nan)
            return
        for prefix, (x, labels) in data_sets.items():
            wanted = [k for k in self.metrics if k.startswith(prefix)]
            if wanted:
                cost, accuracy = evaluate(self.engine, x, labels, self.options,
                                          with_cost=any(k.endswith("cost") for k in wanted))
                for k in wanted:
                    self.metrics[k].append(cost if k.endswith("cost") else accuracy)

    def record(self, commit: str | None) -> dict:
        return {
            "schema": RECORD_SCHEMA,
            "run": self.run_id,
            "seed": self.seed,
            "spec": self.spec,
            "engine": engine_name(self.engine),
            "n_train": len(self.x),
            "monitored_epochs": self.monitored_epochs,
            # JSON has no NaN: a value that is not finite (a diverged seed) is written as null
            "metrics": {k: [v if math.isfinite(v) else None for v in values]
                        for k, values in self.metrics.items()},
            "seconds_per_epoch": self.seconds,
            "stopped_at_epoch": self.stopped_at,
            "stop_reason": self.stop_reason,
            "diverged_at_epoch": self.diverged_at,
            "eta_per_epoch": self.etas if self.options.schedule else None,
            "git_commit": commit,
            "versions": versions(),
        }


def engine_for(spec, net, x, sparse: dict, note=None):
    """The fast compiled engine if it trains this network with its options, else the NumPy
    one (the network itself); sparse: the run's cache of the inputs' CSR form
    (fast.csr_of). The fast engine refuses what it cannot do when it is built.

    With engine `auto`, a refusal falls back to NumPy and `note` (default: print to stderr)
    gets one line saying so; with engine `fast` it is an error. Never silent."""
    if spec["engine"] == "numpy":
        return net
    from . import fast  # numba compiles on first use; keep it off the import path

    try:
        return fast.FastNetwork(net, x, sparse)
    except fast.UnsupportedByFastEngine as exc:
        if spec["engine"] == "fast":
            raise UserError(f"engine: fast: {exc} (use engine 'auto' or 'numpy')") from None
        (note or _stderr)(f"engine: the fast engine does not support this run ({exc}); "
                          "training with the NumPy engine")
        return net


def engine_name(engine) -> str:
    """The engine as the spec names it: "fast" or "numpy"."""
    return "numpy" if isinstance(engine, Network) else "fast"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def git_commit() -> str | None:
    """The project's commit (`git rev-parse HEAD` beside this package), or None: no git, or
    not a checkout (an installed package)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def versions() -> dict:
    import numba
    import scipy

    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "numba": numba.__version__, "nndl3": __version__}


def train(run_id: str, spec: dict, data: dict, log=None, timer=None) -> list[dict]:
    """Train every seed of `spec` on the prepared `data` (mnist.load); one record per seed.
    timer: a timing.Timer that has counted the phases before this call (load). A spec
    that runspec.validate has not returned (a test's, a benchmark's) is validated here."""
    log = log or sys.stdout  # looked up now: the CLI guards stdout while a command runs
    if not isinstance(spec, Spec):
        spec = validate(spec, "run spec")
    timer = timer or Timer()
    x, labels = data["train"]
    x, labels = x[: spec["train_size"]], labels[: spec["train_size"]]
    said = set()

    def note(line):  # one line per run, however many seeds say it
        if line not in said:
            said.add(line)
            print(line, file=log, flush=True)

    options = Options.of(spec)
    compile_engine(spec, options)
    sparse = {}  # each input set's sparse form, built once for all seeds (fast engine)
    runs = [SeedRun(run_id, spec, options, seed, x, labels, sparse, note, timer)
            for seed in spec["seeds"]]
    monitored = {"training": (x, labels), "evaluation": data[spec["evaluation"]]}
    with timer("sparse"):
        prepare_monitored(runs[0].engine, spec, monitored, sparse)
    timer.mark_startup()
    every = spec["monitor_every"]
    for epoch in range(spec["epochs"]):
        due = (epoch + 1) % every == 0 or epoch == spec["epochs"] - 1
        active = [run for run in runs if run.running]
        if not active:
            break
        # a diverging seed overflows: after_epoch says so in one line, NumPy need not
        with np.errstate(over="ignore", invalid="ignore"):
            for run in active:
                with timer("epochs"):
                    run.epoch()
                if due:
                    with timer("monitoring"):
                        run.monitor(epoch, monitored)
                run.after_epoch(epoch, due, log)
            line = progress_line(epoch, spec["epochs"], active, due)
        print(line, file=log, flush=True)
    for run in runs:
        if run.running:
            run.stop(len(run.etas) - 1, LAST_EPOCH)
        print(f"seed {run.seed}: stopped after epoch {run.stopped_at} ({run.stop_reason})",
              file=log, flush=True)
    commit = git_commit()
    return [{**run.record(commit), "timing": timer.rounded(without=("write",))} for run in runs]


def prepare_monitored(engine, spec, monitored: dict, sparse: dict):
    """Build the CSR form of each monitored set now (fast engine), so that conversion is
    timed as such and not as monitoring."""
    if engine_name(engine) == "fast":
        from .fast import csr_of

        for name, (x, _) in monitored.items():
            if any(k.startswith(name) for k in spec["monitor"]):
                csr_of(x, sparse)


def compile_engine(spec, options: Options):
    """Compile the fast engine's kernels, or load them from Numba's cache, on one throwaway
    image: part of start-up, not of the first epoch. Uses no random stream of the run.
    Nothing to do if the run trains with NumPy."""
    dtype = np.dtype(spec["dtype"])
    net = Network.create(spec["sizes"], spec["init"], np.random.default_rng(0), dtype, options)
    x, one = np.ones((1, spec["sizes"][0]), dtype), np.zeros(1, np.int64)
    engine = engine_for(spec, net, x, {}, note=lambda line: None)
    if engine is net:
        return
    masks = [np.ones((1, n), bool) for n in spec["sizes"][1:-1]] if options.dropout else None
    engine.sgd_epoch(x, one, one, options.eta, masks)
    engine.output_z(x)


def progress_line(epoch, epochs, runs, monitored: bool) -> str:
    """One line per epoch: the monitored values' mean (and sd) over the seeds still running."""
    parts = [f"epoch {epoch:>4}/{epochs}"]
    for name in runs[0].metrics if monitored else ():
        values = np.array([r.metrics[name][-1] for r in runs])
        unit = 100 if name.endswith("accuracy") else 1
        parts.append(f"{name} {unit * values.mean():.4f}" +
                     (f" (sd {unit * values.std(ddof=1):.4f})" if len(runs) > 1 else ""))
    if runs[0].spec["schedule"]:
        parts.append("eta " + "/".join(f"{r.etas[-1]:g}" for r in runs))
    parts.append(f"{len(runs)} seed(s) running" if len(runs) != len(runs[0].spec["seeds"])
                 else "")
    parts.append(f"{sum(r.seconds[-1] for r in runs):.2f} s")
    return "  ".join(p for p in parts if p)
