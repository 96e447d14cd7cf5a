"""Which runs have the author's recipe: the runs `snakemake recipe_seeds` trains and
docs/replay.md's table. Apart from nndl3.recipe (the sampler) so that the recipe's training
jobs' code (nndl3.code) is the sampler's alone, not the config and calibration code that
plans them."""

from __future__ import annotations

from .recipe_spec import missing, of


def recipes(config: dict, runs) -> dict[str, dict | str]:
    """{run: its recipe, or the reason it has none} for `runs` of the config."""
    from .workflow_config import run_spec

    out = {}
    for run in runs:
        spec = run_spec(config, run)
        lacks = missing(spec)
        out[run] = f"none ({lacks})" if lacks else of(spec)
    return out


def read_recipes(config: dict, expected: dict) -> dict[str, dict | str]:
    """`recipes` of every run a row or published curve reads, in the config's order."""
    from .book_runs import Published
    from .calibration import run_seeds

    read = run_seeds(expected, config["calibration_seeds"], Published.from_config(config))
    return recipes(config, [r for r in config["runs"] if r in read])


def recipe_runs(config: dict, expected: dict) -> list[str]:
    """The runs `snakemake recipe_seeds` trains: every run a row or published curve reads
    that has a recipe, in the config's order."""
    return [run for run, got in read_recipes(config, expected).items()
            if isinstance(got, dict)]


def table(config: dict, expected: dict) -> str:
    """docs/replay.md's list: every run a row or published curve reads, in the config's
    order, with its recipe (program, draws) or why it has none."""
    lines = ["| run | program | initial draws | eta | lambda | epochs | images |",
             "|---|---|---|---|---|---|---|"]
    for run, got in read_recipes(config, expected).items():
        if isinstance(got, str):
            lines.append(f"| `{run}` | no recipe: {got.removeprefix('none ')[1:-1]} "
                         "| | | | | |")
        else:
            lines.append(f"| `{run}` | {got['program']} | {', then '.join(got['draws'])} | "
                         f"{got['eta']:g} | {got['lmbda']:g} | {got['epochs']} | "
                         f"{got['train_size']} |")
    return "\n".join(lines) + "\n"
