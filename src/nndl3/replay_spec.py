"""A replay's spec (`python -m nndl3 replay --spec`, the workflow's config `replay`):
checked, and what it asks of the data. Apart from nndl3.replay, so that the workflow
checks every spec when it starts without loading the replay's compiled engines."""

from __future__ import annotations

from .errors import UserError
from .mnist import SETS
from .runspec import mnist_sizes_problem


def checked(spec, where: str = "--spec") -> dict:
    """The spec a replay job receives (workflow_config.replay_specs: a file's entry with
    its seed, its script's name and each run's mini-batch size) against replay.schema.yaml,
    the schema the workflow's config is checked against: a UserError names the key and the
    value. A file laid out by key needs a key of its own for each of its runs."""
    from .schemas import problem

    if not isinstance(spec, dict) or not isinstance(spec.get("runs"), list):
        raise UserError(f"{where}: {spec!r:.60}: not a replay spec (a mapping with runs)")
    entry = {k: v for k, v in spec.items() if k not in ("seed", "script")}
    entry["runs"] = [{k: v for k, v in run.items() if k != "mini_batch"}
                     if isinstance(run, dict) else run for run in spec["runs"]]
    pieces = [("file", entry, "")]
    if "seed" in spec:
        pieces.append(("seed", spec["seed"], "seed: "))
    for k, run in enumerate(spec["runs"]):
        mini_batch = run.get("mini_batch") if isinstance(run, dict) else None
        pieces.append(("mini_batch", mini_batch, f"runs.{k}.mini_batch: "))
    for name, value, key in pieces:
        wrong = problem(value, "replay.schema.yaml", name)
        if wrong:
            raise UserError(f"{where}: {key}{wrong}")
    if spec["layout"] == "by_key":
        keys = [run["key"] for run in spec["runs"]]
        if len(set(keys)) != len(keys):
            raise UserError(f"{where}: layout by_key: runs' keys {keys}: each run needs a "
                            "key of its own")
    if spec["layout"] == "one" and len(spec["runs"]) != 1:
        raise UserError(f"{where}: layout one: the value of one run, and runs has "
                        f"{len(spec['runs'])} (layout list or by_key keeps each run's)")
    trains_on = train_size(spec)  # what the job loads; `list` runs train on all of it
    for k, run in enumerate(spec["runs"]):
        if k == 0 and not run.get("network"):
            raise UserError(f"{where}: runs.0: no network (the first run builds one)")
        if run.get("network") and (wrong := mnist_sizes_problem(run["network"])):
            raise UserError(f"{where}: runs.{k}.network: {wrong}")
        evaluated = [m for m in run["monitor"] if m.startswith("evaluation")]
        if run["evaluation"] == "none" and evaluated:
            raise UserError(f"{where}: runs.{k}: monitor {evaluated[0]} needs an evaluation "
                            "set, and evaluation is none")
        if run["training"] == "list" and run["train_size"] != trains_on:
            raise UserError(f"{where}: runs.{k}: training: list trains on all {trains_on} "
                            f"images the file's runs load, not train_size {run['train_size']}")
    return spec


def data_sets(spec: dict) -> tuple[str, ...]:
    """The MNIST sets a file's replay reads."""
    sets = {"train"} | {run["evaluation"] for run in spec["runs"] if run["evaluation"] != "none"}
    if any(run["result"] == "validation_percent" for run in spec["runs"]):
        sets.add("validation")
    return tuple(s for s in SETS if s in sets)


def train_size(spec: dict) -> int:
    return max(run["train_size"] for run in spec["runs"])
