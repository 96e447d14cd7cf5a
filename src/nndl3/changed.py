"""A changed experiment: a run whose settings differ from the book's.

The committed `config/config.yaml` is the one record of each run's book settings (for a
technique the book runs nowhere, the settings its claims were calibrated on). A user's own
values come in with `--configfile` or `--config`; the workflow hands the jobs that judge
or draw a run the committed settings (`--book-settings`), and a run whose aggregate was
trained with other settings is changed: its check rows and curves are reported as
`changed`, neither passed nor failed (their tolerances were measured on the book's
settings), and its figures say on their face what differs. Reading the committed settings
is the workflow's (nndl3.workflow_config: book_settings, read_committed, of_config); this
module compares, and so the check's and plot's code does not depend on the config's.
"""

from __future__ import annotations

import json

from .runspec import ANNOTATIONS
from .status import CHANGED

# Keys of a run's spec that are not a setting of the experiment: what says what the run
# is, and the seeds (any number of seeds samples the same experiment; an aggregate's spec
# has none).
NOT_SETTINGS = (*ANNOTATIONS, "seeds")


def neuron_key(name: str) -> str:
    """A single-neuron run's key among the book's settings (runs and neuron runs may share
    a name)."""
    return f"neuron {name}"


def neuron_trained(results: dict) -> dict:
    """{neuron_key: {"spec": its settings}} of single-neuron results by name: what
    `changed` compares, as it compares an aggregate's spec."""
    from .neuron import settings_of

    return {neuron_key(name): {"spec": settings_of(r)} for name, r in results.items()}


def value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else json.dumps(v) if isinstance(v, list | dict) \
        else "none" if v is None else str(v)


NOT_COMMITTED = "not a run of the committed config"


# Settings that are sets: their order changes nothing (the monitors are measured by name).
UNORDERED = ("monitor",)


def engine_of(settings: dict) -> str:
    """The engine that trains a run: `auto` is the fast engine where it accepts the run's
    network and options, else NumPy's (train.engine_for). So `engine: fast` on a run that
    `auto` trains with the fast engine changes nothing: the same arithmetic, the same bits."""
    if settings["engine"] != "auto":
        return settings["engine"]
    from . import fast  # Numba's import, only when a run names another engine than the book
    from .options import Options

    try:
        fast.refuse_unsupported(settings["sizes"], Options.of(settings))
    except fast.UnsupportedByFastEngine:
        return "numpy"
    except KeyError:  # an older spec without every option: which engine, it cannot tell
        return "auto"
    return "fast"


def differing(spec: dict, book: dict) -> list[str]:
    """The settings in which a run's spec is not the book's, sorted."""
    def of(settings, k):
        v = settings.get(k)
        return sorted(v) if k in UNORDERED and isinstance(v, list) else v

    def differ(k):
        if of(spec, k) == of(book, k):
            return False
        return k != "engine" or None in (spec.get(k), book.get(k)) \
            or engine_of(spec) != engine_of(book)

    return [k for k in sorted((set(spec) | set(book)) - set(NOT_SETTINGS)) if differ(k)]


def differences(spec: dict, book: dict | None) -> str:
    """What a run's spec changes from the book's settings, e.g. `eta 0.1, book 0.5`
    ('' if nothing)."""
    if book is None:
        return NOT_COMMITTED
    return "; ".join(f"{k} {value(spec.get(k))}, book {value(book.get(k))}"
                     for k in differing(spec, book))


def trained_with(spec: dict, book: dict | None) -> str:
    """What a changed run was trained with, in the settings it changes, e.g. `eta 0.1`: its
    figures' labels name the book's setting, and add this."""
    if book is None:
        return NOT_COMMITTED
    return ", ".join(f"{k} {value(spec.get(k))}" for k in differing(spec, book))


def changed_runs(runs, aggregates: dict, book: dict | None) -> list[str]:
    """Those of `runs` whose aggregate's spec is not the book's settings (none when no book
    settings were given: nothing to compare)."""
    if book is None:
        return []
    return [run for run in runs if run in aggregates
            and differences(aggregates[run]["spec"], book.get(run))]


def changed(runs, aggregates: dict, book: dict | None) -> str | None:
    """`run: what differs` for each of `runs` whose aggregate's spec is not the book's
    settings, or None (also when no book settings were given: nothing to compare)."""
    found = [f"{run}: {differences(aggregates[run]['spec'], book.get(run))}"
             for run in changed_runs(runs, aggregates, book)]
    return " | ".join(found) or None


def summary(rows: list[dict]) -> str:
    """The tables' closing words on changed rows ('' if none)."""
    ids = [r["id"] for r in rows if r["status"] == CHANGED]
    return (f"; {len(ids)} changed (settings not the book's, not compared): "
            f"{', '.join(ids)}") if ids else ""
