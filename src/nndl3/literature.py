"""The literature runs (config/literature.yaml): Simard 2003 and Hinton 2012, one seed each.

A run trains `wide.WideNetwork` on the first 50,000 training images (a fresh distorted copy
of them every epoch if the run has a `distortion`, drawn from the seed's `augment` stream
on a second thread while the epoch before trains), and after every epoch measures the
validation and the test accuracy. The record keeps both curves and the epoch best on
validation, at which the papers read their test error. One progress line per epoch:
epoch, validation and test accuracy, the best so far, seconds, time left.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from . import paths, readers
from .errors import UserError, require_one_of
from .runspec import ANNOTATIONS, WIDE_FIXED, defaults, merged, off_default, trained_at, validate
from .train import git_commit, streams, versions

CONFIG = paths.LITERATURE_CONFIG
RECORD_SCHEMA = "nndl3-literature-record/1"


# ---------------------------------------------------------------- configuration


def load_config(path=CONFIG) -> dict:
    return readers.yaml_mapping(path, "literature config", ("defaults", "runs"))


def run_spec(config: dict, literature: dict, run: str, scale: str = "runs",
             files: tuple[str, str] = (paths.CONFIG, CONFIG)) -> dict:
    """config/config.yaml's defaults (less those the wide engine does not take,
    runspec.WIDE_FIXED), then the literature defaults, then the run's keys (and at another
    scale than `runs`, that scale's keys for it), with config/config.yaml's seeds;
    validated. `files`: where the two came from, for the errors."""
    config_file, literature_file = files
    for doc, file, keys in ((config, config_file, ("defaults",)),
                            (literature, literature_file, ("defaults", "runs"))):
        for key in keys:
            if not isinstance(doc[key], dict):
                raise UserError(f"{file}: {key}: {type(doc[key]).__name__}, not a mapping")
    if not isinstance(config["seeds"], list):
        raise UserError(f"{config_file}: seeds: {config['seeds']!r}, not a list of seeds")
    runs = literature["runs"]
    if run not in runs:
        raise UserError(f"{literature_file}: runs: no run {run!r} (one of {', '.join(runs)})")
    require_one_of(scale, paths.LITERATURE_SCALES, "--scale")
    taken = {k: v for k, v in config["defaults"].items() if k not in WIDE_FIXED}
    spec = merged(merged(taken, literature["defaults"]),
                  settings(runs[run], f"{literature_file}: runs.{run}"))
    if scale != "runs":
        short = trained_at(literature, scale)
        if run not in short:
            raise UserError(f"{literature_file}: {scale}: no entry for run {run!r}")
        spec = merged(spec, settings(short[run], f"{literature_file}: {scale}.{run}"))
    # a run's description is prose: rewording it must not rerun hours of seeds (the spec
    # is the job's param); the book's runs keep theirs in their records (seconds to rerun)
    spec = {**{k: v for k, v in spec.items() if k not in ANNOTATIONS}, "seeds": config["seeds"]}
    return checked_spec(spec, f"{literature_file}: {scale}.{run}")


def check_runs(config: dict, literature: dict, path) -> None:
    """Every run's spec at every scale it has an entry for, as its job will make it from
    `config` (the merged config: its defaults and seeds), for the workflow to check when
    it starts (here, not in workflow_config: the figures' code digest would take in this
    module's)."""
    for scale in paths.LITERATURE_SCALES:
        entries = trained_at(literature, scale)
        if not isinstance(entries, dict):
            raise UserError(f"{path}: {scale}: {entries!r:.40}: not a mapping of run to its "
                            "settings")
        for run in entries:
            if run not in literature["runs"]:
                raise UserError(f"{path}: {scale}.{run}: no run {run!r} under runs")
            run_spec(config, literature, run, scale, (paths.CONFIG, str(path)))


def settings(entry, where: str) -> dict:
    """A run's entry of settings: a mapping (an empty entry, YAML's null, is none)."""
    if not isinstance(entry, dict):
        raise UserError(f"{where}: {entry!r:.40}: not a mapping of settings")
    return entry


def checked_spec(spec: dict, where: str) -> dict:
    """A literature run's full spec, validated (a run spec, on the wide engine, with none of
    the options it does not take set otherwise than their default)."""
    spec = validate(spec, where)
    if spec["engine"] != "wide":
        raise UserError(f"{where}: engine: {spec['engine']!r}: the literature runs train "
                        "with engine 'wide'")
    if fixed := off_default(spec, WIDE_FIXED):
        raise UserError(f"{where}: {fixed[0]}: {spec[fixed[0]]!r}: engine 'wide' trains "
                        f"{defaults()[fixed[0]]!r} only")
    return spec


# ---------------------------------------------------------------- schedules


def eta_of(spec: dict, epoch: int) -> float:
    decay = spec.get("eta_decay")
    if not decay:
        return spec["eta"]
    return spec["eta"] * decay["factor"] ** (epoch // decay["every"])


def momentum_of(spec: dict, epoch: int) -> float:
    s = spec.get("momentum_schedule")
    if not s:
        return spec["momentum"]
    return s["start"] + (s["end"] - s["start"]) * min(epoch / s["epochs"], 1.0)


# ---------------------------------------------------------------- the network


def create(spec: dict, rng: np.random.Generator):
    """The run's WideNetwork: with init_std, weights and biases N(0, init_std^2) (drawn in
    float64, biases first, as network.initial_parameters draws); else the book's init."""
    from .network import initial_parameters
    from .wide import WideNetwork

    dtype = np.dtype(spec["dtype"])
    sizes = spec["sizes"]
    if spec.get("init_std"):
        std = spec["init_std"]
        biases = [std * rng.standard_normal(n) for n in sizes[1:]]
        weights = [std * rng.standard_normal((o, i)) for i, o in zip(sizes[:-1], sizes[1:],
                                                                      strict=True)]
        weights = [w.astype(dtype) for w in weights]
        biases = [b.astype(dtype) for b in biases]
    else:
        weights, biases = initial_parameters(sizes, spec["init"], rng, dtype)
    return WideNetwork(weights, biases, wide_options(spec))


def wide_options(spec: dict):
    """The wide engine's options of a run's spec (what a step does, not its numbers)."""
    from .wide import WideOptions

    schedule = spec.get("momentum_schedule") or {}
    return WideOptions(mini_batch=spec["mini_batch"], max_norm=spec.get("max_norm", 0.0),
                       max_norm_output=spec.get("max_norm_output", False),
                       dropout=spec["dropout"], input_dropout=spec.get("input_dropout", 0.0),
                       damped_momentum=bool(schedule.get("damped")))


class InThisThread:
    """A one-worker executor that runs each task as it is submitted, in the calling thread:
    TrainingImages on one core."""

    def submit(self, task) -> Future:
        done = Future()
        done.set_result(task())
        return done

    def shutdown(self) -> None:
        pass


# threads a distorted run uses: this one trains while a second draws the next epoch's images
DRAWING_THREADS = 2


class TrainingImages:
    """The CSR form of each epoch's training images: the originals, or a fresh distorted
    copy per epoch, the next one drawn on a second thread while the current one trains, or
    with `threads` 1 before it trains (the draws stay in order either way: the same seed,
    the same images)."""

    def __init__(self, x, how, rng, seconds=(), threads: int = DRAWING_THREADS):
        from .wide import csr

        self.x, self.how, self.rng, self.csr = x, how, rng, csr
        self.seconds = list(seconds)  # drawing + conversion, per epoch, on the second thread
        self.dense = None  # the distorted images before conversion: one buffer, reused
        self.drawn_from = rng.bit_generator.state  # before the pending draw (a checkpoint's)
        if how is None:
            self.fixed = csr(x)
            return
        self.pool = ThreadPoolExecutor(max_workers=1) if threads > 1 else InThisThread()
        self.next = self.pool.submit(self.draw)

    def draw(self):
        from .distort import distort

        start = time.thread_time()
        self.drawn_from = self.rng.bit_generator.state
        self.dense = distort(self.x, self.how, self.rng, self.dense)
        images = self.csr(self.dense)
        self.seconds.append(time.thread_time() - start)
        return images

    def epoch(self, more: bool):
        """This epoch's images; `more`: start drawing the next epoch's."""
        if self.how is None:
            return self.fixed
        images = self.next.result()
        if more:
            self.next = self.pool.submit(self.draw)
        else:
            self.pool.shutdown()
        return images

    def pending_state(self) -> dict:
        """The stream's state before the next epoch's images were drawn: what a resumed run
        draws them from (waits for that draw, which the next epoch needs anyway)."""
        if self.how is not None:
            self.next.result()
        return self.drawn_from


# ---------------------------------------------------------------- training


def train_seed(run: str, spec: dict, seed: int, data: dict, log=None,
               checkpoint=None, threads: int = DRAWING_THREADS) -> dict:
    """Train one seed of a literature run; its record. With a `checkpoint`
    (nndl3.literature_checkpoint), resume from its state if it is this run's, and save the
    state every so many epochs; `threads`: 2 draws a distorted run's images on a second
    thread, 1 on this one (the same record either way, its timings aside)."""
    from .literature_checkpoint import restore

    log = log or sys.stdout  # looked up now: the CLI guards stdout while a command runs

    rng = streams(seed)
    x, labels = (a[: spec["train_size"]] for a in data["train"])
    net = create(spec, rng["init"])
    state = (checkpoint.load(log, [p.shape for p in net.params()], spec["epochs"])
             if checkpoint else None)
    if state:
        try:
            restore(state, net, rng)
        except (TypeError, ValueError, KeyError) as e:  # a generator's state it cannot take
            print(f"checkpoint {checkpoint.path}: unusable ({e}); starting afresh", file=log)
            rng, state = streams(seed), None
            net = create(spec, rng["init"])
    progress_so_far = state["progress"] if state else {
        "validation_accuracy": [], "test_accuracy": [], "seconds": [], "distortion": [],
        "resumed_at": []}
    if state:
        progress_so_far["resumed_at"].append(state["epoch"])
    images = TrainingImages(x, spec.get("distortion"), rng["augment"],
                            progress_so_far["distortion"], threads)
    curves = {k: progress_so_far[k] for k in ("validation_accuracy", "test_accuracy")}
    seconds = progress_so_far["seconds"]
    epochs = spec["epochs"]
    for epoch in range(state["epoch"] if state else 0, epochs):
        start = time.perf_counter()
        csr = images.epoch(more=epoch + 1 < epochs)
        order = rng["shuffle"].permutation(len(x))
        net.sgd_epoch(csr, labels, order, eta_of(spec, epoch), momentum_of(spec, epoch),
                      rng["dropout"])
        for name, key in (("validation_accuracy", "validation"), ("test_accuracy", "test")):
            curves[name].append(net.accuracy(*data[key]))
        seconds.append(time.perf_counter() - start)
        print(progress(epoch, epochs, curves, seconds), file=log, flush=True)
        if checkpoint and checkpoint.due(epoch, epochs):
            checkpoint.save(epoch, net, rng, images.pending_state(),
                            {**curves, "seconds": seconds,
                             # the next epoch's draw is redone on resuming
                             "distortion": images.seconds[: epoch + 1],
                             "resumed_at": progress_so_far["resumed_at"]}, log)
    best = int(np.argmax(curves["validation_accuracy"]))
    return {"schema": RECORD_SCHEMA, "run": run, "seed": seed, "spec": dict(spec),
            "engine": "wide", "n_train": len(x), **curves, "best_epoch": best,
            "test_at_best": curves["test_accuracy"][best],
            "seconds_per_epoch": seconds, "distortion_seconds": images.seconds,
            "resumed_at": progress_so_far["resumed_at"],
            "git_commit": git_commit(), "versions": versions()}


def progress(epoch: int, epochs: int, curves: dict, seconds: list) -> str:
    """epoch, validation and test accuracy, the best on validation so far, time left."""
    validation = curves["validation_accuracy"]
    best = int(np.argmax(validation))
    left = (epochs - epoch - 1) * float(np.median(seconds[-20:]))
    return (f"epoch {epoch:>4}/{epochs}  validation {100 * validation[-1]:.2f} %  "
            f"test {100 * curves['test_accuracy'][-1]:.2f} %  best validation "
            f"{100 * validation[best]:.2f} % at epoch {best}  {seconds[-1]:.2f} s  "
            f"time left {left / 3600:.2f} h")


def read_record(path) -> dict:
    doc = readers.json_file(path, "literature record")
    if not isinstance(doc, dict) or doc.get("schema") != RECORD_SCHEMA:
        raise UserError(f"{path}: not a literature record (schema {RECORD_SCHEMA})")
    for key, valid, name in (("run", lambda v: isinstance(v, str), "a string"),
                             ("seed", readers.is_integer, "an integer"),
                             ("spec", lambda v: isinstance(v, dict), "a mapping")):
        if not valid(doc.get(key)):
            raise UserError(f"{path}: {key!r} is {doc.get(key)!r}, not {name}")
    if doc.get("scale") is not None:  # records before `scale` have none (runs, or miniature)
        require_one_of(doc["scale"], paths.LITERATURE_SCALES, f"{path}: scale")
    return doc


def unique_seeds(paths, records) -> None:
    """A UserError naming the second record of a run and seed given twice (it would count
    as another seed)."""
    seen = {}
    for path, record in zip(paths, records, strict=True):
        key = (record["run"], record["seed"])
        if key in seen:
            raise UserError(f"{path}: run {key[0]} seed {key[1]} again (also {seen[key]})")
        seen[key] = path


def one_spec_per_run(paths, records) -> None:
    """A UserError naming a record trained with another spec than its run's other seeds
    (their mean would pool two experiments)."""
    from .aggregate import without_seeds

    first = {}
    for path, record in zip(paths, records, strict=True):
        key = (record["run"], record.get("scale"))
        spec = without_seeds(record.get("spec") or {})
        if key in first and spec != first[key][1]:
            raise UserError(f"{path}: run {record['run']} trained with another spec than "
                            f"{first[key][0]}")
        first.setdefault(key, (path, spec))


def finished(path, record) -> None:
    """A record the check can read, as literature-train writes it: validation and test
    accuracies per epoch, the epoch best on validation (the first), the test accuracy
    there, the test set's size (its binomial spread)."""
    curves = [record.get(key) for key in ("validation_accuracy", "test_accuracy")]
    for key, curve in zip(("validation_accuracy", "test_accuracy"), curves, strict=True):
        if not isinstance(curve, list) or not curve or not all(
                readers.is_number(a) and 0 <= a <= 1 for a in curve):
            raise UserError(f"{path}: {key}: not a list of accuracies in [0, 1], one an epoch")
    validation, test = curves
    if len(validation) != len(test):
        raise UserError(f"{path}: {len(validation)} validation accuracies, {len(test)} test "
                        "accuracies: not one of each an epoch")
    best = int(np.argmax(validation))
    if record.get("best_epoch") != best or record.get("test_at_best") != test[best]:
        raise UserError(f"{path}: best_epoch {record.get('best_epoch')!r}, test_at_best "
                        f"{record.get('test_at_best')!r}: not the epoch best on validation "
                        f"({best}) and the test accuracy there ({test[best]})")
    if not readers.is_integer(record.get("n_test")) or record["n_test"] < 1:
        raise UserError(f"{path}: n_test {record.get('n_test')!r}: not a number of test images")
