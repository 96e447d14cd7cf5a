"""Where the workflow's files live: each path pattern written once, here. The rules
(workflow/rules/*.smk) use these patterns as outputs and inputs, with Snakemake's
wildcards in braces; the code formats them (`AGGREGATE.format(run="xent_30")`)."""

# the folders the workflow writes into: a broken file there is rebuilt by rerunning it
OUTPUT_FOLDERS = ("data", "results", "figures", "logs")
DATA = "data/mnist.npz"
DOWNLOADS = "data/raw"  # the raw IDX files, when downloaded (no MNIST_DIR)
RECORD_FILE = "seed-{seed}.json"  # a seed's record, in its run's folder (nndl3.records)
RUN_DIR = "results/runs/{run}"
RECORD = RUN_DIR + "/" + RECORD_FILE
AGGREGATE = "results/aggregates/{run}.json"
SVM_DIR = "results/svm"
SVM = SVM_DIR + "/{n}.json"
SVM_PART = "results/svm/parts/{n}/part-{part}.npz"
BASELINE = "results/baselines/{name}.json"
TUNED_SEARCH = "results/baselines/tuned_svm/search.json"
TUNED_CANDIDATE = "results/baselines/tuned_svm/candidate-{candidate}.json"
TUNED_PART = "results/baselines/tuned_svm/part-{part}.npz"
TUNED_PREDICTED = "results/baselines/tuned_svm/predicted-{evaluation}.npy"
NEURON = "results/neuron/{neuron}.json"
REPLAY = "results/replay/{file}"
FIGURE = "figures/{figure}.png"
LITERATURE_FIGURE = "figures/literature_{figure}.png"  # config/literature.yaml's figures
REPRODUCTION_MD = "results/reproduction.md"
REPRODUCTION_JSON = "results/reproduction.json"
REPRODUCTION_HTML = "results/reproduction.html"
CALIBRATION_RUN_DIR = "results/calibration/runs/{run}"
CALIBRATION_RECORD = CALIBRATION_RUN_DIR + "/" + RECORD_FILE
CALIBRATION_AGGREGATE = "results/calibration/aggregates/{run}.json"
CALIBRATION_POINTS = "results/calibration/calibration.yaml"
CALIBRATION_CURVES = "results/calibration/calibration_curves.json"
RECIPE_RUN_DIR = "results/recipe/runs/{run}"
RECIPE_RECORD = RECIPE_RUN_DIR + "/" + RECORD_FILE
RECIPE_AGGREGATE = "results/recipe/aggregates/{run}.json"
RECIPE_POINTS = "results/recipe/recipe.yaml"
RECIPE_CURVES = "results/recipe/recipe_curves.json"
# {scale}: the run as configured (`runs`, the only records the check counts), CI's
# miniature of it (the path on a few thousand images), or a probe (its first epochs on the
# full data: where a run too costly to finish stands); config/literature.yaml's
# `miniature:` and `probe:` hold each run's keys at those scales
LITERATURE_SCALES = ("runs", "miniature", "probe")
LITERATURE_RECORD = "results/literature/{scale}/{run}/" + RECORD_FILE
# a literature run's state between epochs (nndl3.literature_checkpoint); not a rule's output
LITERATURE_CHECKPOINT = "results/literature/checkpoints/{scale}/{run}/seed-{seed}.npz"
LITERATURE_MD = "results/literature/{scale}/reproduction.md"
LITERATURE_JSON = "results/literature/{scale}/reproduction.json"
LITERATURE_PROBE_JSON = "results/literature/probe/summary.json"  # literature-probe
# a literature seed's log, one progress line per epoch (docs/literature.md, cluster.md)
LITERATURE_LOG = "logs/literature/{scale}/{run}/seed-{seed}.log"
# a training job's log, whose last `timing` line has what its record cannot (the write)
TRAIN_LOG = "logs/train/{run}.log"
# the job times of the rules that keep them (`benchmark:`), read by benchmarks/breakdown.py
BENCHMARK_DIR = "logs/benchmark/{rule}"
BENCHMARK = BENCHMARK_DIR + "/{name}.tsv"
# single-file records of the benchmarks and of CI, each written by the script named and
# read by a block of `python -m nndl3 docs`
GATE_SEEDS = "results/gate_seeds.json"  # benchmarks/gate_seeds.py
MUTANTS = "results/mutants.json"  # tools/mutants.py
REFERENCE_EPOCH = "results/reference_epoch.json"  # benchmarks/reference_epoch.py
# the same measured again once the pipeline has run (.ci/run): the yardstick's drift
REFERENCE_EPOCH_AFTER = "results/reference_epoch_after.json"  # benchmarks/reference_epoch.py
PIPELINE = "results/pipeline.json"  # benchmarks/pipeline.py
PIPELINE_TIMES = "results/pipeline_times.json"  # benchmarks/breakdown.py
TARGET_TIMES = "results/target_times.json"  # benchmarks/target_times.py
BACKPROP_CLAIMS = "results/backprop_claims.json"  # benchmarks/backprop_claims.py
ETA100_SEEDS = "results/eta100_seeds.json"  # benchmarks/eta100_seeds.py
KERNEL_BENCH = "results/benchmarks.json"  # benchmarks/bench.py
REPLAY_SENSITIVITY = "results/replay_sensitivity.json"  # benchmarks/replay_sensitivity.py
WIDE_BENCH = "results/benchmarks_wide.json"  # benchmarks/wide.py
LITERATURE_COST = "results/literature_cost.json"  # benchmarks/literature_cost.py
SVM_OPTIONS_CACHE = "results/svm_options"  # benchmarks/svm_options.py: the fits it keeps
# the configuration, and the calibrations and recipe spreads installed into it
CONFIG = "config/config.yaml"
FIGURES_CONFIG = "config/figures.yaml"
EXPECTED = "config/expected.yaml"
LITERATURE_CONFIG = "config/literature.yaml"
CONFIG_SCHEMA = "workflow/schemas/config.schema.yaml"  # CONFIG and FIGURES_CONFIG's
CALIBRATION_INSTALLED = "config/calibration.yaml"
CALIBRATION_CURVES_INSTALLED = "config/calibration_curves.json"
RECIPE_INSTALLED = "config/recipe.yaml"
RECIPE_CURVES_INSTALLED = "config/recipe_curves.json"
