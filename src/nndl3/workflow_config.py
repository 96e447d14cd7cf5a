"""What the workflow needs from its config, beyond what the JSON schema can check.

Snakemake validates the config against workflow/schemas/config.schema.yaml; `check` then
verifies the cross-references (figures name existing runs, experiments name existing
figures) and each merged run spec, and `run_spec`/`figure_inputs` turn the config into
what the rules pass on.
"""

from __future__ import annotations

from . import runspec
from .errors import UserError


def run_spec(config: dict, run: str) -> dict:
    """The full spec of one run: defaults, the run's overrides, the global seeds."""
    return {**runspec.merged(config["defaults"], config["runs"][run]), "seeds": config["seeds"]}


def figure_runs(fig: dict) -> list[str]:
    """The network runs a figure draws."""
    runs = []
    for series in fig.get("series", ()):
        runs.extend(series.get("runs") or [series["run"]])
    return list(dict.fromkeys(runs))


def check(config: dict) -> None:
    """Raise UserError naming the first bad reference or bad merged run."""
    for run in config["runs"]:
        runspec.check(run_spec(config, run), f"config runs.{run}")
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
            key = ".".join(str(p) for p in cause.absolute_path) or "(top level)"
            return f"{key}: {cause.message}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__
