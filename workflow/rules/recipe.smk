# The author's recipe as a sampler (nndl3.recipe, docs/replay.md): every run a row or
# published curve reads that his code can train, trained his way with each recipe seed into
# results/recipe/, one job per (run, seed); then the calibration's code measures the spread.
#   snakemake --cores 2 recipe_seeds      measure (results/recipe/recipe*.{yaml,json})
#   snakemake --cores 2 install_recipe    measure if needed, then copy into config/
#   snakemake --cores 2 recipe_check      re-train one recipe seed, compare with config/

RECIPE_SEEDS = config["recipe_seeds"]
# every run a row or published curve reads that has a recipe (nndl3.recipe_plan.recipe_runs)
RECIPE_RUNS = nndl3_recipe_plan.recipe_runs(config, EXPECTED)


rule recipe_train:
    input:
        paths.DATA,
    output:
        paths.RECIPE_RECORD,
    log:
        "logs/recipe/train/{run}/seed-{seed}.log",
    benchmark:
        benchmark_file("recipe", "{run}/seed-{seed}")
    wildcard_constraints:
        run=one_of(RECIPE_RUNS),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        spec=run_spec_json,
        out_dir=lambda wildcards: paths.RECIPE_RUN_DIR.format(run=wildcards.run),
        code=code("recipe"),
    shell:
        "python -m nndl3 recipe --spec {params.spec:q} --run {wildcards.run}"
        " --seeds {wildcards.seed} --data {input} --out-dir {params.out_dir} > {log} 2>&1"


use rule aggregate_calibration as aggregate_recipe with:
    input:
        lambda wildcards: expand(
            paths.RECIPE_RECORD,
            run=wildcards.run,
            seed=RECIPE_SEEDS,
        ),
    output:
        paths.RECIPE_AGGREGATE,
    log:
        "logs/recipe/aggregate/{run}.log",


rule recipe_seeds:
    input:
        expected=paths.EXPECTED,
        data=paths.DATA,
        book=BOOK_FILES,
        aggregates=expand(paths.RECIPE_AGGREGATE, run=RECIPE_RUNS),
    output:
        points=paths.RECIPE_POINTS,
        curves=paths.RECIPE_CURVES,
    log:
        "logs/recipe/calibrate.log",
    params:
        seeds=RECIPE_SEEDS,
        n_check=len(SEEDS),  # the check's seeds, which the thresholds are for
        published=published_json,
        code=code("calibrate"),
    shell:
        "python -m nndl3 calibrate --recipe --expected {input.expected}"
        " --aggregates {input.aggregates} --book {input.book} --labels {input.data}"
        " --published {params.published:q} --seeds {params.seeds}"
        " --n-check {params.n_check}"
        " --out {output.points} --out-curves {output.curves}"
        " > {log} 2>&1"


rule install_recipe:
    input:
        points=rules.recipe_seeds.output.points,
        curves=rules.recipe_seeds.output.curves,
    log:
        "logs/recipe/install.log",
    params:
        points=paths.RECIPE_INSTALLED,
        curves=paths.RECIPE_CURVES_INSTALLED,
    shell:
        "python -m nndl3 install-calibration --points {input.points}"
        " --curves {input.curves} --target-points {params.points}"
        " --target-curves {params.curves} 2>&1 | tee {log}"


rule recipe_check:
    input:
        expected=paths.EXPECTED,
        calibration=paths.RECIPE_INSTALLED,
        curve_calibration=paths.RECIPE_CURVES_INSTALLED,
        data=paths.DATA,
        book=BOOK_FILES,
        records=expand(
            paths.RECIPE_RECORD,
            run=RECIPE_RUNS,
            seed=nndl3_calibration.spot_seed(RECIPE_SEEDS),
        ),
    log:
        "logs/recipe/check.log",
    params:
        published=published_json,
    shell:
        "python -m nndl3 calibration-check --recipe --records {input.records}"
        " --expected {input.expected} --calibration {input.calibration}"
        " --curve-calibration {input.curve_calibration} --book {input.book}"
        " --published {params.published:q} --labels {input.data} 2>&1 | tee {log}"
