rule prepare_data:
    output:
        paths.DATA,
    log:
        "logs/prepare_data.log",
    params:
        code=code("prepare-data"),
    shell:
        "python -m nndl3 prepare-data --out {output} {MNIST_DIR_OPTION} > {log} 2>&1"
