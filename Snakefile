# Chapter 3 of "Neural Networks and Deep Learning", every experiment and every figure.
# Rules are thin: each calls `python -m nndl3 <command>`; the logic lives in src/nndl3.
# Targets: `all` (every figure and the replays of the author's runs, the default), one per
# experiment (config/figures.yaml) and `replay`, `replay_<script>` (workflow/rules/replay.smk).


from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"
configfile: "config/figures.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


rule all:
    input:
        expand("figures/{figure}.png", figure=FIGURES),
        "results/reproduction.md",
        expand("results/replay/{file}", file=REPLAY),


for _experiment, _figures in config["experiments"].items():

    rule:
        name:
            _experiment
        input:
            expand("figures/{figure}.png", figure=_figures),


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/check.smk"
include: "workflow/rules/calibrate.smk"
include: "workflow/rules/replay.smk"
include: "workflow/rules/recipe.smk"
include: "workflow/rules/benchmarks.smk"


# Cheap steps run where Snakemake runs, also under a cluster executor (profiles/slurm);
# so does prepare_data: a compute node may have no network for the download.
localrules:
    all,
    prepare_data,
    aggregate,
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
