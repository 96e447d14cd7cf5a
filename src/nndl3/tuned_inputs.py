"""The tuned SVM's inputs, checked on the way in: its spec (the workflow's `--spec`), a
candidate's result and the search's result (files its own jobs write). A broken one is a
one-line error naming the file (or option), the key and the value, never a traceback or a
fit with the wrong parameters."""

from __future__ import annotations

from .errors import UserError
from .readers import advice_for, is_number, json_file, require

SEARCH_KEYS = ("search_size", "budget_cpu_seconds", "tried", "skipped", "best", "cpu_seconds")


def params(value, where: str) -> dict:
    """{"C": c, "gamma": g}, both positive numbers (extra keys allowed)."""
    if not isinstance(value, dict) or not all(
            is_number(value.get(k)) and value[k] > 0 for k in ("C", "gamma")):
        raise UserError(f"{where}: {value!r}: not C and gamma, two positive numbers")
    return value


def spec(doc, where: str = "--spec") -> dict:
    """The search's grid (a list of C, gamma), its training size and its CPU budget, by
    tuned_svm.schema.yaml, the schema of the config's `tuned_svm`."""
    from .schemas import problem

    wrong = problem(doc, "tuned_svm.schema.yaml")
    if wrong:
        raise UserError(f"{where}: {wrong}")
    return doc


def candidate_result(doc, path) -> dict:
    """A candidate's result (baselines.candidate): its C, gamma, validation accuracy and CPU
    seconds."""
    require(doc, ("validation_accuracy", "cpu_seconds"), path, "tuned SVM candidate's result")
    params(doc, f"{path}")
    accuracy, seconds = doc["validation_accuracy"], doc["cpu_seconds"]
    if not is_number(accuracy) or not 0 <= accuracy <= 1:
        raise UserError(f"{path}: validation_accuracy: {accuracy!r}: not in [0, 1]; "
                        f"{advice_for(path)}")
    if not is_number(seconds) or seconds < 0:
        raise UserError(f"{path}: cpu_seconds: {seconds!r}: not a number of seconds; "
                        f"{advice_for(path)}")
    return doc


def search(path, spec: dict | None = None) -> dict:
    """The search's result (baselines.select): its best is one of the candidates it tried,
    its CPU seconds a number; with the `spec` (`spec` above), it searched that spec's grid,
    in its order, on its training size and within its budget."""
    doc = require(json_file(path, "tuned SVM search"), SEARCH_KEYS, path, "tuned SVM search")
    if not is_number(doc["cpu_seconds"]) or doc["cpu_seconds"] < 0:
        raise UserError(f"{path}: cpu_seconds: {doc['cpu_seconds']!r}: not a number of "
                        f"seconds; {advice_for(path)}")
    if not isinstance(doc["tried"], list) or not doc["tried"]:
        raise UserError(f"{path}: tried: {doc['tried']!r}: no candidate tried; {advice_for(path)}")
    tried = [candidate_result(t, f"{path}: tried[{k}]") for k, t in enumerate(doc["tried"])]
    best = params(doc["best"], f"{path}: best")
    pair = [(t["C"], t["gamma"]) for t in tried]
    if (best["C"], best["gamma"]) not in pair:
        raise UserError(f"{path}: best {best!r} is none of the candidates tried; "
                        f"{advice_for(path)}")
    if spec is not None:
        searched = pair + [(s.get("C"), s.get("gamma")) for s in doc["skipped"]
                           if isinstance(s, dict)] if isinstance(doc["skipped"], list) else None
        if searched != [(g["C"], g["gamma"]) for g in spec["grid"]]:
            raise UserError(f"{path}: searched another grid than --spec's; {advice_for(path)}")
        for key in ("search_size", "budget_cpu_seconds"):
            if doc[key] != spec[key]:
                raise UserError(f"{path}: {key}: {doc[key]!r}, not --spec's {spec[key]!r}; "
                                f"{advice_for(path)}")
    return doc
