"""Where the workflow's files live: each path pattern written once, here. The rules
(workflow/rules/*.smk) use these patterns as outputs and inputs, with Snakemake's
wildcards in braces; the code formats them (`AGGREGATE.format(run="xent_30")`)."""

DATA = "data/mnist.npz"
RUN_DIR = "results/runs/{run}"
RECORD = RUN_DIR + "/seed-{seed}.json"
AGGREGATE = "results/aggregates/{run}.json"
SVM = "results/svm/{n}.json"
BASELINE = "results/baselines/{name}.json"
NEURON = "results/neuron/{neuron}.json"
REPLAY = "results/replay/{file}"
FIGURE = "figures/{figure}.png"
REPRODUCTION_MD = "results/reproduction.md"
REPRODUCTION_JSON = "results/reproduction.json"
REPRODUCTION_HTML = "results/reproduction.html"
CALIBRATION_RUN_DIR = "results/calibration/runs/{run}"
CALIBRATION_RECORD = CALIBRATION_RUN_DIR + "/seed-{seed}.json"
CALIBRATION_AGGREGATE = "results/calibration/aggregates/{run}.json"
CALIBRATION_POINTS = "results/calibration/calibration.yaml"
CALIBRATION_CURVES = "results/calibration/calibration_curves.json"
# the job times of the rules that keep them (`benchmark:`), read by benchmarks/breakdown.py
BENCHMARK = "logs/benchmark/{rule}/{name}.tsv"
