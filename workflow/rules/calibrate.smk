# The calibration (nndl3.calibration): every run a row or published curve reads, trained on
# the calibration seeds into results/calibration/, never over the check's seeds; one job
# per seed, so that `calibration_check` re-trains exactly one of them.
#   snakemake --cores 2 calibrate              measure (results/calibration/*)
#   snakemake --cores 2 install_calibration    measure if needed, then copy into config/
#   snakemake --cores 2 calibration_check      re-train one seed, compare with config/


use rule train as train_calibration with:
    output:
        "results/calibration/runs/{run}/seed-{seed}.json",
    log:
        "logs/calibration/train/{run}/seed-{seed}.log",
    benchmark:
        "logs/benchmark/calibration/{run}/seed-{seed}.tsv"
    params:
        spec=calibration_spec_json,
        out_dir=lambda wildcards: f"results/calibration/runs/{wildcards.run}",


use rule aggregate as aggregate_calibration with:
    input:
        calibration_records,
    output:
        "results/calibration/aggregates/{run}.json",
    log:
        "logs/calibration/aggregate/{run}.log",


rule calibrate:
    input:
        expected="config/expected.yaml",
        data="data/mnist.npz",
        book=BOOK_FILES,
        aggregates=expand(
            "results/calibration/aggregates/{run}.json", run=list(CALIBRATED)
        ),
    output:
        points="results/calibration/calibration.yaml",
        curves="results/calibration/calibration_curves.json",
    log:
        "logs/calibration/calibrate.log",
    params:
        seeds=config["calibration_seeds"],
        published=published_json,
    shell:
        "python -m nndl3 calibrate --expected {input.expected}"
        " --aggregates {input.aggregates} --book {input.book} --labels {input.data}"
        " --published {params.published:q} --seeds {params.seeds}"
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
        expected="config/expected.yaml",
        calibration="config/calibration.yaml",
        curve_calibration="config/calibration_curves.json",
        data="data/mnist.npz",
        book=BOOK_FILES,
        records=expand(
            "results/calibration/runs/{run}/seed-{seed}.json",
            run=list(CALIBRATED),
            seed=SPOT_SEED,
        ),
    log:
        "logs/calibration/check.log",
    params:
        published=published_json,
    shell:
        "python -m nndl3 calibration-check --records {input.records}"
        " --expected {input.expected} --calibration {input.calibration}"
        " --curve-calibration {input.curve_calibration} --book {input.book}"
        " --published {params.published:q} --labels {input.data} 2>&1 | tee {log}"
