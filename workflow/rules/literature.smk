# The results chapter 3 cites from the literature (config/literature.yaml, issue 27):
# `snakemake literature` trains every run for every seed (hours of CPU, docs/literature.md),
# checks the rows of config/expected.yaml `literature:` and draws the figures;
# `snakemake literature_<run>` trains one run; `snakemake literature_miniature` runs the
# whole path on a few thousand images (CI, through the cluster executor); `snakemake
# literature_probe` the probed runs' first epochs and their figure. None is in `all`.


rule literature:
    input:
        paths.LITERATURE_MD.format(scale=RUNS_SCALE),
        expand(paths.LITERATURE_FIGURE, figure=LITERATURE_FIGURES),


rule literature_miniature:
    input:
        paths.LITERATURE_MD.format(scale=MINIATURE_SCALE),


# each probed run's first epochs (config/literature.yaml `probe:`), and their figure
rule literature_probe:
    input:
        paths.LITERATURE_PROBE_JSON,
        expand(paths.LITERATURE_FIGURE, figure=LITERATURE_PROBE_FIGURES),


rule literature_train:
    input:
        paths.DATA,
    output:
        paths.LITERATURE_RECORD,
    log:
        paths.LITERATURE_LOG,
    wildcard_constraints:
        scale=one_of(paths.LITERATURE_SCALES),
        run=one_of(LITERATURE_RUNS),
        # the config's seeds (a job's spec is made from them): seed-99.json is no target
        seed=one_of(map(str, SEEDS)),
    threads: literature_threads
    resources:
        mem_mb=4000,
        # a limit, not an estimate: the longest run (dropout, 3,000 epochs) takes hours
        runtime=lambda wildcards: {
            RUNS_SCALE: 24 * 60,
            MINIATURE_SCALE: 30,
            PROBE_SCALE: 120,
        }[wildcards.scale],
    params:
        spec=literature_spec_option,
        code=code("literature-train"),
        # a killed job resumes from its last saved epoch (nndl3.literature_checkpoint)
        checkpoint=lambda w: paths.LITERATURE_CHECKPOINT.format(
            scale=w.scale, run=w.run, seed=w.seed
        ),
    shell:
        "python -m nndl3 literature-train --run {wildcards.run} --seed {wildcards.seed}"
        " {params.spec} --data {input} --out {output} --scale {wildcards.scale}"
        " --threads {threads}"
        " --checkpoint {params.checkpoint} > {log} 2>&1"


# where the probed runs stand, for docs/literature.md's `literature-probe` block
rule literature_probe_summary:
    input:
        literature_records(PROBE_SCALE, LITERATURE_PROBE),
    output:
        paths.LITERATURE_PROBE_JSON,
    log:
        "logs/literature/probe/summary.log",
    params:
        code=code("literature-probe"),
    shell:
        "python -m nndl3 literature-probe --records {input} --out {output} > {log} 2>&1"


rule literature_check:
    input:
        expected=paths.EXPECTED,
        records=lambda wildcards: literature_records(
            wildcards.scale,
            LITERATURE_RUNS if wildcards.scale == RUNS_SCALE else LITERATURE_MINIATURE,
        ),
    output:
        md=paths.LITERATURE_MD,
        json=paths.LITERATURE_JSON,
    log:
        "logs/literature/{scale}/check.log",
    wildcard_constraints:
        scale=one_of([RUNS_SCALE, MINIATURE_SCALE]),
    params:
        code=code("literature-check"),
    shell:
        "python -m nndl3 literature-check --expected {input.expected}"
        " --records {input.records} --out-md {output.md} --out-json {output.json}"
        " > {log} 2>&1"


# The literature's figures are the figure registry's (nndl3.figures), their entries
# config/literature.yaml's `figures:`; drawn by the plot command, every role passed.
LITERATURE_PLOT = (
    "python -m nndl3 plot --spec {params.spec:q} "
    + " ".join(f"--{role} {{input.{role}}}" for role in nndl3_figures.ROLES)
    + " --out {output} > {log} 2>&1"
)


rule literature_figure:
    input:
        unpack(literature_figure_inputs),
    output:
        paths.LITERATURE_FIGURE,
    log:
        "logs/literature/{figure}.log",
    wildcard_constraints:
        figure=one_of(LITERATURE_FIGURES),
    params:
        spec=lambda wildcards: json.dumps(
            LITERATURE["figures"][wildcards.figure], separators=(",", ":")
        ),
        code=code("plot"),
    shell:
        LITERATURE_PLOT


localrules:
    literature,
    literature_miniature,
    literature_check,
    literature_probe_summary,
    literature_figure,


# one target per run, after the fixed rules: a run that would be named as one is refused
for _run in LITERATURE_RUNS:

    rule:
        name:
            new_rule(
                f"literature_{_run}",
                f"{paths.LITERATURE_CONFIG}: runs.{_run}",
                stop_literature,
            )
        input:
            literature_records(RUNS_SCALE, [_run]),
