"""Aggregate the per-seed records of one run: mean, sd, min, max per monitored epoch."""

from __future__ import annotations

import numpy as np

from .errors import UserError

AGGREGATE_SCHEMA = "nndl3.aggregate/1"


def aggregate(records: list[dict]) -> dict:
    """One run's seeds combined; per metric the per-epoch statistics and the raw per-seed rows."""
    first = records[0]
    for r in records[1:]:
        if r["run"] != first["run"] or r["monitored_epochs"] != first["monitored_epochs"]:
            raise UserError(f"run {first['run']}: records of seeds {first['seed']} and "
                            f"{r['seed']} do not belong together (run or epochs differ)")
    metrics = {}
    for name in first["metrics"]:
        rows = np.array([r["metrics"][name] for r in records], dtype=np.float64)
        metrics[name] = {
            "mean": rows.mean(axis=0).tolist(),
            "sd": (rows.std(axis=0, ddof=1) if len(rows) > 1 else np.zeros(rows.shape[1])).tolist(),
            "min": rows.min(axis=0).tolist(),
            "max": rows.max(axis=0).tolist(),
            "per_seed": rows.tolist(),
        }
    return {
        "schema": AGGREGATE_SCHEMA,
        "run": first["run"],
        "spec": {k: v for k, v in first["spec"].items() if k != "seeds"},
        "seeds": [r["seed"] for r in records],
        "monitored_epochs": first["monitored_epochs"],
        "metrics": metrics,
        "seconds_per_epoch_mean": float(np.mean([r["seconds_per_epoch"] for r in records])),
    }
