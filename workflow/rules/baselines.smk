# Runs that are not network training: the single neuron and the baselines (the SVM sweep,
# chapter 1's average-darkness classifier and the tuned SVM).


rule neuron:
    output:
        paths.NEURON,
    log:
        "logs/neuron/{neuron}.log",
    benchmark:
        benchmark_file("neuron", "{neuron}")
    params:
        run=lambda wildcards: config["neuron"][wildcards.neuron],
        code=code("neuron"),
    shell:
        "python -m nndl3 neuron --w {params.run[w]} --b {params.run[b]}"
        " --cost {params.run[cost]} --eta {params.run[eta]} --epochs {params.run[epochs]}"
        " --out {output} > {log} 2>&1"


rule svm:
    input:
        paths.DATA,
    output:
        paths.SVM,
    log:
        "logs/svm/{n}.log",
    # Deterministic and the longest job: with `snakemake --cache` and SNAKEMAKE_OUTPUT_CACHE
    # set, a result is computed once and copied from that folder by later runs. The key
    # hashes the rule, its params and mnist.npz's provenance; `code` adds the SVM's source
    # and scikit-learn's version, which the shell command does not show. (Snakemake allows
    # no `benchmark:` on a cached rule: the result records its own times, `timing`.)
    cache: True
    # the 50,000-image SVM is among the longest jobs (docs/performance.md): start the SVMs
    # first (a number: Snakemake 9.15, which CI installs, refuses a function here)
    priority: 1
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        code=sklearn_code("svm"),
        # chapter 1's default SVM: the test set scored by the same fit
        score=lambda wildcards: (
            "--score test" if int(wildcards.n) == config["svm_test_size"] else ""
        ),
    shell:
        "python -m nndl3 svm --train-size {wildcards.n} {params.score} --data {input}"
        " --out {output} > {log} 2>&1"


rule darkness:
    input:
        paths.DATA,
    output:
        paths.BASELINE.format(name="darkness"),
    log:
        "logs/baselines/darkness.log",
    benchmark:
        benchmark_file("darkness", "darkness")
    params:
        code=code("darkness"),
    shell:
        "python -m nndl3 darkness --data {input} --out {output} > {log} 2>&1"


rule tuned_svm:
    input:
        paths.DATA,
    output:
        paths.BASELINE.format(name="tuned_svm"),
    log:
        "logs/baselines/tuned_svm.log",
    # cached like the SVM sweep (see rule svm): computed once; its search stops at the
    # spec's CPU budget
    cache: True
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        code=sklearn_code("tuned-svm"),
        spec=lambda wildcards: json.dumps(config["tuned_svm"], separators=(",", ":")),
    shell:
        "python -m nndl3 tuned-svm --spec {params.spec:q} --data {input} --out {output}"
        " > {log} 2>&1"
