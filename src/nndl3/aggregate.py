"""Aggregate the per-seed records of one run: mean, sd, min, max per monitored epoch.

Seeds may stop at different epochs (early stopping, the schedule, divergence): each
epoch's statistics are over the seeds that have a finite value there, and `n` says how
many do. A missing or non-finite value is null in `per_seed`.
"""

from __future__ import annotations

import numpy as np

from .errors import UserError
from .readers import AGGREGATE_SCHEMA


def padded(rows: list[list], length: int) -> np.ndarray:
    """Seeds x epochs as floats, NaN where a seed has no (finite) value."""
    out = np.full((len(rows), length), np.nan)
    for i, row in enumerate(rows):
        out[i, :len(row)] = np.array(row, dtype=np.float64)  # None -> nan
    return out


def statistics(rows: np.ndarray) -> dict:
    """Per epoch over the seeds with a finite value: mean, sd (0 for one), min, max, n."""
    ok = np.isfinite(rows)
    n = ok.sum(axis=0)
    filled = np.where(ok, rows, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        var = np.where(ok, (rows - mean) ** 2, 0.0).sum(axis=0) / (n - 1)
    sd = np.where(n > 1, np.sqrt(np.where(n > 1, var, 0.0)), 0.0)
    lo = np.where(ok, rows, np.inf).min(axis=0)
    hi = np.where(ok, rows, -np.inf).max(axis=0)
    return {"mean": nulls(mean), "sd": nulls(np.where(n > 0, sd, np.nan)), "min": nulls(lo),
            "max": nulls(hi), "n": n.tolist()}


def nulls(values: np.ndarray) -> list:
    return [float(v) if np.isfinite(v) else None for v in values]


def without_seeds(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "seeds"}


def diverged_seeds(agg: dict) -> list[tuple[int, int]]:
    """(seed, epoch) of each seed of an aggregate that diverged, in the aggregate's order
    (none in an aggregate older than `diverged_at_epoch`)."""
    epochs = agg.get("diverged_at_epoch") or ()
    return [(seed, epoch) for seed, epoch in zip(agg.get("seeds", ()), epochs, strict=False)
            if epoch is not None]


def diverged_named(run: str, agg: dict) -> list[str]:
    """`run seed s at epoch e` for each diverged seed: how a check names them."""
    return [f"{run} seed {seed} at epoch {epoch}" for seed, epoch in diverged_seeds(agg)]


def aggregate(records: list[dict], sources=None) -> dict:
    """One run's seeds combined; per metric the per-epoch statistics and the raw per-seed rows.
    sources: the records' files, to name in errors (default: their seeds)."""
    sources = sources or [f"seed {r['seed']}" for r in records]
    i = max(range(len(records)), key=lambda k: len(records[k]["monitored_epochs"]))
    first = records[i]
    epochs = first["monitored_epochs"]
    for r, source in zip(records, sources, strict=True):
        if r["run"] != first["run"] or r["monitored_epochs"] != epochs[:len(r["monitored_epochs"])]:
            raise UserError(f"{source}: run {r['run']}, does not belong with {sources[i]}, run "
                            f"{first['run']} (the run or its epochs differ)")
        if without_seeds(r["spec"]) != without_seeds(first["spec"]):
            raise UserError(f"{source}: run {r['run']} trained with another spec than "
                            f"{sources[i]}")
    seeds = [r["seed"] for r in records]
    if len(set(seeds)) < len(seeds):
        twice = max(seeds, key=seeds.count)
        where = [source for source, seed in zip(sources, seeds, strict=True) if seed == twice]
        raise UserError(f"{where[1]}: run {first['run']}: seed {twice} given twice (also "
                        f"{where[0]})")
    metrics = {}
    for name in first["metrics"]:
        rows = padded([r["metrics"][name] for r in records], len(epochs))
        metrics[name] = {**statistics(rows), "per_seed": [nulls(row) for row in rows]}
    codes = {r.get("code") for r in records}
    if len(codes) > 1:
        raise UserError(f"run {first['run']}: its records come from different code "
                        f"({', '.join(sorted(map(str, codes)))}): retrain the run")
    out = {
        "schema": AGGREGATE_SCHEMA,
        "run": first["run"],
        "code": codes.pop(),  # nndl3.code.digest("train") of the records, None if unknown
        "spec": without_seeds(first["spec"]),
        "seeds": seeds,
        "monitored_epochs": epochs,
        "metrics": metrics,
        "seconds_per_epoch_mean": float(np.mean(np.concatenate(
            [r["seconds_per_epoch"] for r in records]))),
        # how each seed ended (records older than these keys count as run to the end)
        "stopped_at_epoch": [r["stopped_at_epoch"] if "stopped_at_epoch" in r else epochs[-1]
                             for r in records],
        "stop_reason": [r.get("stop_reason") for r in records],
        "diverged_at_epoch": [r.get("diverged_at_epoch") for r in records],
    }
    if any(r.get("eta_per_epoch") for r in records):
        rows = padded([r.get("eta_per_epoch") or [] for r in records],
                      max(len(r.get("eta_per_epoch") or []) for r in records))
        out["eta"] = {**statistics(rows), "per_seed": [nulls(row) for row in rows]}
    return out
