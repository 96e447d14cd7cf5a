rule prepare_data:
    output:
        "data/mnist.npz",
    log:
        "logs/prepare_data.log",
    params:
        mnist_dir=mnist_dir_option(),
    shell:
        "python -m nndl3 prepare-data --out {output} {params.mnist_dir} > {log} 2>&1"
