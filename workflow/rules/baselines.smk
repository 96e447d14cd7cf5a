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
        options=neuron_options,
        code=code("neuron"),
    shell:
        "python -m nndl3 neuron {params.options} --out {output} > {log} 2>&1"


rule svm_part:
    input:
        paths.DATA,
    output:
        temp(paths.SVM_PART),
    log:
        "logs/svm/parts/{n}/{part}.log",
    benchmark:
        benchmark_file("svm_part", "{n}/{part}")
    # the longest jobs: start them first
    priority: 1
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        env=SVM_ENV,
        parts=config["svm_parts"],
        code=code("svm-part"),
    shell:
        "{params.env} python -m nndl3 svm-part --train-size {wildcards.n} --part {wildcards.part}"
        " --parts {params.parts} --data {input} --out {output} > {log} 2>&1"


rule svm:
    input:
        data=paths.DATA,
        parts=svm_parts,
    output:
        paths.SVM,
    log:
        "logs/svm/{n}.log",
    # Deterministic: with `snakemake --cache` and SNAKEMAKE_OUTPUT_CACHE set, a result is
    # computed once and copied from that folder by later runs. The key hashes the rule, its
    # params and mnist.npz's provenance; `code` adds the code it runs, scikit-learn's
    # version among it (nndl3.code.library_versions), which the shell command does not
    # show. (Snakemake allows no `benchmark:` on a cached rule: the log's last line has
    # the job's times.)
    cache: True
    priority: 1
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        env=SVM_ENV,
        code=code("svm"),
        # chapter 1's default SVM: the test set scored by the same fit
        score=lambda wildcards: (
            "--score test" if int(wildcards.n) == config["svm_test_size"] else ""
        ),
    shell:
        "{params.env} python -m nndl3 svm --train-size {wildcards.n} {params.score} --data {input.data}"
        " --parts {input.parts} --out {output} > {log} 2>&1"


rule darkness:
    input:
        paths.DATA,
    output:
        paths.BASELINE.format(name="darkness"),
    log:
        "logs/baselines/darkness.log",
    benchmark:
        benchmark_file("darkness", "darkness")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("darkness"),
    shell:
        "python -m nndl3 darkness --data {input} --out {output} > {log} 2>&1"


# each candidate (C, gamma) of the search in a job of its own: none holds the pipeline
rule tuned_svm_candidate:
    input:
        paths.DATA,
    output:
        temp(paths.TUNED_CANDIDATE),
    log:
        "logs/baselines/tuned_svm/candidate-{candidate}.log",
    benchmark:
        benchmark_file("tuned_svm_candidate", "{candidate}")
    priority: 1
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        env=SVM_ENV,
        code=code("tuned-svm-candidate"),
        spec=tuned_spec,
    shell:
        "{params.env} python -m nndl3 tuned-svm-candidate --spec {params.spec:q}"
        " --candidate {wildcards.candidate} --data {input} --out {output} > {log} 2>&1"


# the search's choice from its candidates, within its budget
rule tuned_svm_search:
    input:
        expand(paths.TUNED_CANDIDATE, candidate=range(len(config["tuned_svm"]["grid"]))),
    output:
        paths.TUNED_SEARCH,
    log:
        "logs/baselines/tuned_svm/search.log",
    benchmark:
        benchmark_file("tuned_svm_search", "search")
    priority: 1
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("tuned-svm-search"),
        spec=tuned_spec,
    shell:
        "python -m nndl3 tuned-svm-search --spec {params.spec:q} --candidates {input}"
        " --out {output} > {log} 2>&1"


# the final fit on all training images, with the search's C and gamma, in svm_parts jobs
rule tuned_svm_part:
    input:
        data=paths.DATA,
        search=paths.TUNED_SEARCH,
    output:
        temp(paths.TUNED_PART),
    log:
        "logs/baselines/tuned_svm/part-{part}.log",
    benchmark:
        benchmark_file("tuned_svm_part", "{part}")
    priority: 1
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        env=SVM_ENV,
        parts=config["svm_parts"],
        code=code("svm-part"),
    shell:
        "{params.env} python -m nndl3 svm-part --part {wildcards.part}"
        " --parts {params.parts} --search {input.search} --data {input.data}"
        " --out {output} > {log} 2>&1"


# the final fit's labels of the validation or the test set: a job each, after the parts
rule tuned_svm_predict:
    input:
        data=paths.DATA,
        search=paths.TUNED_SEARCH,
        parts=expand(paths.TUNED_PART, part=range(config["svm_parts"])),
    output:
        temp(paths.TUNED_PREDICTED),
    log:
        "logs/baselines/tuned_svm/predicted-{evaluation}.log",
    benchmark:
        benchmark_file("tuned_svm_predict", "{evaluation}")
    wildcard_constraints:
        evaluation="validation|test",
    priority: 1
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        env=SVM_ENV,
        code=code("tuned-svm-predict"),
    shell:
        "{params.env} python -m nndl3 tuned-svm-predict --search {input.search} --parts {input.parts}"
        " --evaluation {wildcards.evaluation} --data {input.data} --out {output} > {log} 2>&1"


rule tuned_svm:
    input:
        data=paths.DATA,
        search=paths.TUNED_SEARCH,
        parts=expand(paths.TUNED_PART, part=range(config["svm_parts"])),
        validation=expand(paths.TUNED_PREDICTED, evaluation="validation"),
        test=expand(paths.TUNED_PREDICTED, evaluation="test"),
    output:
        paths.BASELINE.format(name="tuned_svm"),
    log:
        "logs/baselines/tuned_svm.log",
    # cached like the SVM sweep (see rule svm): computed once
    cache: True
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        code=code("tuned-svm"),
        spec=tuned_spec,
    shell:
        "python -m nndl3 tuned-svm --spec {params.spec:q} --search {input.search}"
        " --parts {input.parts} --predicted-validation {input.validation}"
        " --predicted-test {input.test} --data {input.data} --out {output} > {log} 2>&1"
