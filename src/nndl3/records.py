"""Reading and writing run records (the JSON schema is documented in docs/run-record.md)
and reading their aggregates: each checked for the values its readers take (here, not in
nndl3.readers, which every command imports: their checks use the run schema)."""

from __future__ import annotations

import math
from pathlib import Path

from . import atomic, readers, runspec
from .errors import UserError
from .paths import RECORD_FILE


def record_path(out_dir: str | Path, seed: int) -> Path:
    return Path(out_dir) / RECORD_FILE.format(seed=seed)


def write_all(records: list[dict], out_dir: str | Path) -> list[Path]:
    paths = []
    for record in records:
        path = record_path(out_dir, record["seed"])
        atomic.write_json(path, record)
        paths.append(path)
    return paths


def read(path: str | Path) -> dict:
    """A run record, checked: missing, truncated, another schema, a lacking key or a value
    of another shape is a UserError."""
    doc = readers.result(path, readers.RECORD_SCHEMA)
    epochs_and_metrics(doc, path)
    return doc


def read_aggregate(path: str | Path) -> dict:
    """A run's aggregate, checked as a record is."""
    doc = readers.result(path, readers.AGGREGATE_SCHEMA)
    aggregate_shape(doc, path)
    return doc


def read_drawn_aggregate(path: str | Path) -> dict:
    """A run's aggregate as a figure draws it: with its metrics' statistics (SUMMARIES),
    which the check does not read."""
    doc = read_aggregate(path)
    for name, stats in doc["metrics"].items():
        readers.require(stats, SUMMARIES, path, f"aggregate metric {name!r}")
    return doc


def read_aggregates(paths, read=read_aggregate) -> dict:
    """Aggregates by run (each read by `read`); a run's given twice is named, not one of
    them dropped."""
    return readers.keyed(paths, read, lambda path, doc: doc["run"], "aggregate of run")


def epochs_problem(epochs) -> str | None:
    """Why `monitored_epochs` are not epochs, in order (None if they are)."""
    if not isinstance(epochs, list) or not all(readers.is_integer(e) and e >= 0 for e in epochs):
        return "not a list of epochs"
    if any(later <= earlier for earlier, later in zip(epochs, epochs[1:], strict=False)):
        return f"not in increasing order ({epochs!r:.40})"
    return None


def values_problem(name: str, values, epochs: list, whole: bool = True) -> str | None:
    """Why a metric's values are not one number (or null) per monitored epoch (`whole`:
    for all of them, else for the first ones: an aggregate's seed that stopped early), or
    hold an accuracy outside 0..1; None if they are sound."""
    if (not isinstance(values, list) or not all(v is None or readers.is_number(v) for v in values)
            or len(values) != len(epochs) and (whole or len(values) > len(epochs))):
        return f"not one number (or null) for each of its {len(epochs)} monitored epochs"
    if name.endswith("accuracy") and not all(v is None or 0 <= v <= 1 for v in values):
        return "an accuracy outside 0..1 (a fraction of the images)"
    return None


# an aggregate metric's statistics over its seeds, epoch by epoch (nndl3.aggregate)
SUMMARIES = ("mean", "sd", "min", "max")


def aggregate_shape(doc: dict, path) -> None:
    """An aggregate's seeds, epochs and metrics of the shapes its readers (the check, the
    figures) take: one row of values per seed, each value a number or null."""
    where = f"{path}: aggregate"
    seeds, epochs = doc["seeds"], doc["monitored_epochs"]
    if (not isinstance(seeds, list) or not seeds or not all(readers.is_integer(s) for s in seeds)
            or len(set(seeds)) != len(seeds)):
        raise UserError(f"{where}: seeds: {seeds!r:.40} is not a list of distinct seeds")
    if problem := epochs_problem(epochs):
        raise UserError(f"{where}: monitored_epochs: {problem}")
    if "spec" in doc:
        runspec.check_values(doc["spec"], f"{where}: spec")
    if not isinstance(doc["metrics"], dict):
        raise UserError(f"{where}: metrics: {doc['metrics']!r:.40} is not a mapping of "
                        "metric to its statistics")
    for name, stats in doc["metrics"].items():
        readers.require(stats, ("per_seed",), path, f"aggregate metric {name!r}")
        rows = stats["per_seed"]
        if not isinstance(rows, list) or len(rows) != len(seeds):
            raise UserError(f"{where}: metrics.{name}.per_seed: not one row for each of its "
                            f"{len(seeds)} seeds")
        for seed, row in zip(seeds, rows, strict=True):
            if problem := values_problem(name, row, epochs, whole=False):
                raise UserError(f"{where}: metrics.{name}.per_seed, seed {seed}: {problem}")
        for summary in SUMMARIES:  # the figures draw these, as stored
            if summary in stats and (problem := values_problem(name, stats[summary], epochs)):
                raise UserError(f"{where}: metrics.{name}.{summary}: {problem}")
    reasons = doc.get("stop_reason", [None] * len(seeds))
    if (not isinstance(reasons, list) or len(reasons) != len(seeds)
            or not all(r is None or isinstance(r, str) for r in reasons)):
        raise UserError(f"{where}: stop_reason: not one reason (text, or null) for each of "
                        f"its {len(seeds)} seeds")
    for key in ("stopped_at_epoch", "diverged_at_epoch"):
        given = doc.get(key, [None] * len(seeds))
        if (not isinstance(given, list) or len(given) != len(seeds)
                or not all(e is None or readers.is_integer(e) for e in given)):
            raise UserError(f"{where}: {key}: not one epoch (or null) for each of its "
                            f"{len(seeds)} seeds")


def epochs_and_metrics(doc: dict, path) -> None:
    """A run record's seed, epochs and metrics of the shapes the aggregate reads: one value
    (a number, or null where a seed diverged) per monitored epoch."""
    where = f"{path}: run record"
    if not isinstance(doc["run"], str) or not doc["run"]:
        raise UserError(f"{where}: run: {doc['run']!r:.40} is not a run's name")
    reason = doc.get("stop_reason")
    if reason is not None and not isinstance(reason, str):
        raise UserError(f"{where}: stop_reason: {reason!r:.40} is not a reason (text)")
    runspec.check_values(doc["spec"], f"{where}: spec")  # which the aggregate carries on
    if not readers.is_integer(doc["seed"]) or doc["seed"] < 0:
        raise UserError(f"{where}: seed: {doc['seed']!r} is not a seed (an integer >= 0)")
    epochs = doc["monitored_epochs"]
    if epochs_problem(epochs) or not epochs and doc.get("diverged_at_epoch") is None:
        # none only where the seed diverged before its first monitored epoch
        raise UserError(f"{where}: monitored_epochs: {epochs_problem(epochs) or 'none'}")
    for key, optional in (("seconds_per_epoch", False), ("eta_per_epoch", True)):
        values = doc.get(key)
        if not (optional and values is None) and (
                not isinstance(values, list) or readers.not_non_negative(values)):
            raise UserError(f"{where}: {key}: {values!r:.40} is not a list of numbers >= 0")
    for key in ("stopped_at_epoch", "diverged_at_epoch", "n_train"):
        low = -math.inf if key == "stopped_at_epoch" else 0  # its range: its spec's, below
        if doc.get(key) is not None and (not readers.is_integer(doc[key]) or doc[key] < low):
            raise UserError(f"{where}: {key}: {doc[key]!r} is not a count (an integer >= 0)")
    if not isinstance(doc["metrics"], dict):
        raise UserError(f"{where}: metrics: {doc['metrics']!r:.40} is not a mapping of "
                        "metric to values")
    monitored = doc["spec"].get("monitor", []) if isinstance(doc["spec"], dict) else []
    missing = [m for m in monitored if m not in doc["metrics"]]
    if missing:
        raise UserError(f"{where}: metrics: no values of {', '.join(missing)}, which its spec "
                        "monitors")
    for name, values in doc["metrics"].items():
        if problem := values_problem(name, values, epochs):
            raise UserError(f"{where}: metrics.{name}: {problem}")
    stopped = doc.get("stopped_at_epoch")
    planned = doc["spec"].get("epochs") if isinstance(doc["spec"], dict) else None
    if readers.is_integer(stopped) and readers.is_integer(planned) and not 0 <= stopped < planned:
        raise UserError(f"{where}: stopped_at_epoch: {stopped} is not one of its spec's "
                        f"{planned} epochs")

