# Chapter 2's claims about backpropagation, measured (benchmarks/backprop_claims.py). A
# timing on one core: not part of `all`, where other jobs share the cores; run it alone.


rule backprop_claims:
    input:
        paths.DATA,
    output:
        paths.BACKPROP_CLAIMS,
    log:
        "logs/backprop_claims.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        code=script_code("benchmarks/backprop_claims.py"),
    shell:
        "python benchmarks/backprop_claims.py --data {input} --out {output} > {log} 2>&1"
