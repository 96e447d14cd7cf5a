# The calibration (nndl3.calibration): every run a row or published curve reads, trained on
# the calibration seeds into results/calibration/, never over the check's seeds; one job
# per seed, so that `calibration_check` re-trains exactly one of them.
#   snakemake --cores 2 calibrate              measure (results/calibration/*)
#   snakemake --cores 2 install_calibration    measure if needed, then copy into config/
#   snakemake --cores 2 calibration_check      re-train one seed, compare with config/


# one seed a job: aggregated by aggregate_calibration once all seeds of a run are there
use rule train as train_calibration with:
    output:
        paths.CALIBRATION_RECORD,
    log:
        "logs/calibration/train/{run}/seed-{seed}.log",
    benchmark:
        benchmark_file("calibration", "{run}/seed-{seed}")
    wildcard_constraints:
        # never a seed of the check's: the tolerances must not see the seeds they judge
        seed=rf"(?!(?:{one_of(map(str, config['seeds']))})(?!\d))\d+",
    params:
        spec=calibration_spec_json,
        out_dir=lambda wildcards: paths.CALIBRATION_RUN_DIR.format(run=wildcards.run),
        aggregate="",
        code=code("train"),


rule aggregate_calibration:
    input:
        calibration_records,
    output:
        paths.CALIBRATION_AGGREGATE,
    log:
        "logs/calibration/aggregate/{run}.log",
    params:
        code=code("aggregate"),
    shell:
        "python -m nndl3 aggregate --records {input} --out {output} > {log} 2>&1"


rule calibrate:
    input:
        expected=paths.EXPECTED,
        data=paths.DATA,
        book=BOOK_FILES,
        aggregates=expand(paths.CALIBRATION_AGGREGATE, run=list(CALIBRATED)),
    output:
        points=paths.CALIBRATION_POINTS,
        curves=paths.CALIBRATION_CURVES,
    log:
        "logs/calibration/calibrate.log",
    params:
        seeds=config["calibration_seeds"],
        n_check=len(SEEDS),  # the check's seeds, which the thresholds are for
        published=published_json,
        code=code("calibrate"),
    shell:
        "python -m nndl3 calibrate --expected {input.expected}"
        " --aggregates {input.aggregates} --book {input.book} --labels {input.data}"
        " --published {params.published:q} --seeds {params.seeds}"
        " --n-check {params.n_check}"
        " --out {output.points} --out-curves {output.curves}"
        " > {log} 2>&1"


rule install_calibration:
    input:
        points=rules.calibrate.output.points,
        curves=rules.calibrate.output.curves,
    log:
        "logs/calibration/install.log",
    shell:
        "python -m nndl3 install-calibration --points {input.points}"
        " --curves {input.curves} 2>&1 | tee {log}"


rule calibration_check:
    input:
        expected=paths.EXPECTED,
        calibration=paths.CALIBRATION_INSTALLED,
        curve_calibration=paths.CALIBRATION_CURVES_INSTALLED,
        data=paths.DATA,
        book=BOOK_FILES,
        records=expand(paths.CALIBRATION_RECORD, run=list(CALIBRATED), seed=SPOT_SEED),
    log:
        "logs/calibration/check.log",
    params:
        published=published_json,
    shell:
        "python -m nndl3 calibration-check --records {input.records}"
        " --expected {input.expected} --calibration {input.calibration}"
        " --curve-calibration {input.curve_calibration} --book {input.book}"
        " --published {params.published:q} --labels {input.data} 2>&1 | tee {log}"
