rule prepare_data:
    output:
        paths.DATA,
    log:
        "logs/prepare_data.log",
    params:
        mnist_dir=mnist_dir_option(),
        code=code("prepare-data"),
    shell:
        "python -m nndl3 prepare-data --out {output} {params.mnist_dir} > {log} 2>&1"
