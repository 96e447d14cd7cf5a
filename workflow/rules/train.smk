# One generic training rule: the run id selects its spec from config; all seeds of a run
# are trained together in one job.


rule train:
    input:
        "data/mnist.npz",
    output:
        expand("results/runs/{{run}}/seed-{seed}.json", seed=SEEDS),
    log:
        "logs/train/{run}.log",
    benchmark:
        "logs/benchmark/train/{run}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        spec=run_spec_json,
        out_dir=lambda wildcards: f"results/runs/{wildcards.run}",
    shell:
        "python -m nndl3 train --spec {params.spec:q} --run {wildcards.run} --data {input}"
        " --out-dir {params.out_dir} > {log} 2>&1"


rule aggregate:
    input:
        expand("results/runs/{{run}}/seed-{seed}.json", seed=SEEDS),
    output:
        "results/aggregates/{run}.json",
    log:
        "logs/aggregate/{run}.log",
    shell:
        "python -m nndl3 aggregate --records {input} --out {output} > {log} 2>&1"
