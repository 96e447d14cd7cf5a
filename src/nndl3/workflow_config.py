"""What the workflow needs from its config, beyond what the JSON schema can check.

Snakemake validates the config against workflow/schemas/config.schema.yaml; `check` then
verifies the cross-references (figures name existing runs, experiments name existing
figures) and each merged run spec (runspec.validate), and `run_spec`/`figure_inputs` turn
the config into what the rules pass on.
"""

from __future__ import annotations

from . import book_runs, runspec
from .errors import UserError


def run_spec(config: dict, run: str) -> dict:
    """The full spec of one run, validated and complete: the config's defaults, the run's
    overrides, the global seeds, and the defaults of the keys none of them set."""
    spec = {**runspec.merged(config["defaults"], config["runs"][run]), "seeds": config["seeds"]}
    return runspec.validate(spec, f"config runs.{run}")


def figure_runs(fig: dict) -> list[str]:
    """The network runs a figure draws."""
    runs = []
    for series in fig.get("series", ()):
        runs.extend(series.get("runs") or [series["run"]])
    return list(dict.fromkeys(runs))


def check(config: dict) -> None:
    """Raise UserError naming the first bad reference or bad merged run."""
    for run in config["runs"]:
        run_spec(config, run)
    for name, fig in config["figures"].items():
        for run in figure_runs(fig):
            if run not in config["runs"]:
                raise UserError(f"config figures.{name}: unknown run {run!r}")
        if fig["family"] == "neuron" and fig.get("neuron") not in config["neuron"]:
            raise UserError(f"config figures.{name}: unknown neuron run {fig.get('neuron')!r}")
        for series in fig.get("series", ()):
            metric = series.get("metric")
            for run in series.get("runs") or [series["run"]]:
                if metric not in run_spec(config, run)["monitor"]:
                    raise UserError(f"config figures.{name}: run {run} does not monitor "
                                    f"{metric!r}")
            if "book" in series:
                check_book_series(name, series)
        for mark in fig.get("marks") or ():
            if "book" in mark and mark["book"] not in book_runs.POINTS:
                raise UserError(f"config figures.{name}: marks: {mark['book']!r} is not a "
                                f"published sweep ({', '.join(book_runs.POINTS)})")
    for name, figures in config["experiments"].items():
        for fig in figures:
            if fig not in config["figures"]:
                raise UserError(f"config experiments.{name}: unknown figure {fig!r}")


def one_line(error: Exception) -> str:
    """A config error in one line: a schema violation as `key.path: message`."""
    import jsonschema

    # snakemake.utils.validate raises its WorkflowError while handling jsonschema's error
    for cause in (error, error.__context__):
        if isinstance(cause, jsonschema.ValidationError):
            return runspec.schema_error(cause)
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def check_book_series(name: str, series: dict) -> None:
    """A series' `book:` entry must name the published list of this very run and metric."""
    file, key, listed = book_runs.reference(series["book"])
    mapped = book_runs.RUNS.get((file, key))
    if mapped is None:
        raise UserError(f"config figures.{name}: book: no published run {file} key {key!r}")
    if (mapped[0], listed) != (series["run"], series["metric"]):
        raise UserError(f"config figures.{name}: book: {file} key {key!r} list {listed!r} is "
                        f"run {mapped[0]} {listed}, not {series['run']} {series['metric']}")
