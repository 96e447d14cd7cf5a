# Chapters 1 to 3 of "Neural Networks and Deep Learning", every experiment and every figure.
# Rules are thin: each calls `python -m nndl3 <command>` (backprop_claims a benchmark
# script); the logic lives in src/nndl3.
# Targets: `all` (every figure and the replays of the author's runs, the default), one per
# experiment (config/figures.yaml) and `replay`, `replay_<script>` (workflow/rules/replay.smk).


import sys
from pathlib import Path

from snakemake.utils import min_version

from nndl3.errors import UserError
from nndl3.workflow_config import FILES as CONFIG_FILES, snakemake_minimum, unreadable

try:  # pyproject.toml's, where it says why
    min_version(snakemake_minimum(Path(workflow.basedir, "pyproject.toml")))
except UserError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)

_problem = unreadable(workflow.basedir, workflow.overwrite_configfiles)
if _problem:  # one line naming the file, then exit status 1
    print(f"error: {_problem}", file=sys.stderr)
    sys.exit(1)

for _file in CONFIG_FILES:  # the one list of config files (nndl3.workflow_config)

    configfile: _file


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


rule all:
    input:
        expand(paths.FIGURE, figure=FIGURES),
        paths.REPRODUCTION_MD,
        expand(paths.REPLAY, file=REPLAY),


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/check.smk"
include: "workflow/rules/calibrate.smk"
include: "workflow/rules/replay.smk"
include: "workflow/rules/recipe.smk"
include: "workflow/rules/benchmarks.smk"
include: "workflow/rules/literature.smk"


# after every fixed rule: an experiment named as one is refused (new_rule)
for _experiment, _figures in config["experiments"].items():

    rule:
        name:
            new_rule(_experiment, f"experiments.{_experiment}")
        input:
            expand(paths.FIGURE, figure=_figures),


# Cheap steps run where Snakemake runs, also under a cluster executor (profiles/slurm);
# so does prepare_data: a compute node may have no network for the download.
localrules:
    all,
    prepare_data,
    neuron,
    plot,
    report,
    check,
    aggregate_calibration,
    calibrate,
    install_calibration,
    calibration_check,
    aggregate_recipe,
    recipe_seeds,
    install_recipe,
    recipe_check,
