# The reproduction gate: regenerated numbers vs the book (config/expected.yaml).

try:
    CHECKED = nndl3_check.sources("config/expected.yaml")
except UserError as error:
    raise ValueError(str(error)) from None


rule reproduction_report:
    input:
        expected="config/expected.yaml",
        calibration="config/calibration.yaml",
        aggregates=expand("results/aggregates/{run}.json", run=CHECKED["runs"]),
        svm=expand("results/svm/{n}.json", n=CHECKED["svm"]),
        neuron=expand("results/neuron/{neuron}.json", neuron=CHECKED["neuron"]),
    output:
        md="results/reproduction.md",
        json="results/reproduction.json",
    log:
        "logs/reproduction_report.log",
    shell:
        "python -m nndl3 report --expected {input.expected}"
        " --calibration {input.calibration} --aggregates {input.aggregates}"
        " --svm {input.svm} --neuron {input.neuron}"
        " --out-md {output.md} --out-json {output.json} > {log} 2>&1"


rule check:
    input:
        report="results/reproduction.json",
        table="results/reproduction.md",
    log:
        "logs/check.log",
    shell:
        "python -m nndl3 gate --report {input.report} --table {input.table} 2>&1 | tee {log}"
