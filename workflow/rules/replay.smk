# The author's published runs replayed from his seed (nndl3.replay, docs/replay.md):
# results/replay/<file> holds the lists of book_runs/<file>, in its layout.

REPLAY_SCRIPTS = {
    script: expand(paths.REPLAY, file=files)
    for script, files in config["replay"]["scripts"].items()
}


rule replay_file:
    input:
        paths.DATA,
    output:
        paths.REPLAY,
    log:
        "logs/replay/{file}.log",
    benchmark:
        benchmark_file("replay_file", "{file}")
    wildcard_constraints:
        file=one_of(REPLAY),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        spec=lambda wildcards: json.dumps(REPLAY[wildcards.file], separators=(",", ":")),
        engine=config["replay"]["engine"],
        code=code("replay"),
    shell:
        "python -m nndl3 replay --spec {params.spec:q} --engine {params.engine}"
        " --data {input} --out {output} > {log} 2>&1"


rule replay:
    input:
        [path for paths in REPLAY_SCRIPTS.values() for path in paths],


# one target per script, after the file's fixed rules (new_rule)
for _script, _paths in REPLAY_SCRIPTS.items():

    rule:
        name:
            new_rule(f"replay_{_script}", f"replay.scripts.{_script}")
        input:
            _paths,
