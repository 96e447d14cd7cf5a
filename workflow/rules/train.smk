# One generic training rule: the run id selects its spec from config; all seeds of a run
# are trained together in one job, which also writes the run's aggregate (one process
# fewer per run: the same `python -m nndl3 aggregate` code, on the records it wrote).


rule train:
    input:
        paths.DATA,
    output:
        records=expand(paths.RECORD, seed=SEEDS, allow_missing=True),
        aggregate=paths.AGGREGATE,
    log:
        paths.TRAIN_LOG,
    benchmark:
        benchmark_file("train", "{run}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        spec=run_spec_json,
        out_dir=lambda wildcards: paths.RUN_DIR.format(run=wildcards.run),
        aggregate=lambda wildcards: "--out-aggregate "
        + paths.AGGREGATE.format(run=wildcards.run),
        code=code("train"),
    shell:
        "python -m nndl3 train --spec {params.spec:q} --run {wildcards.run} --data {input}"
        " --out-dir {params.out_dir} {params.aggregate} > {log} 2>&1"
