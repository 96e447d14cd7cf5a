#!/usr/bin/env bash
# End-to-end test of profiles/slurm: start a real one-node SLURM cluster (tests/slurm/
# cluster.sh), build one experiment through snakemake-executor-plugin-slurm, show that
# the jobs went through SLURM (sacct), and compare the results with a local run of the
# same config and seeds: every figure byte-identical, every record's metrics identical.
#
#   tests/slurm/run.sh [TARGET]        (default: overfitting; run as root)
#
# REFERENCE_DIR=<checkout> reuses a checkout where TARGET was already built locally
# (CI passes its own, after the full pipeline); otherwise a local run is made first.
# Needs data/mnist.npz in this checkout or MNIST_DIR; with MNIST_DIR the SLURM run prepares
# its data itself, which shows that prepare_data runs on the submitting host (a local
# rule). Stops the cluster on exit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-overfitting}
work=$(mktemp -d /tmp/nndl3-slurm.XXXXXX)
cluster="$repo/tests/slurm/cluster.sh"
say() { printf '[slurm/run.sh] %s\n' "$*"; }

cleanup() { bash "$cluster" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

clone() { # clone DIR: a copy of this checkout's committed tree, with the prepared data
    git clone -q "$repo" "$1"
    mkdir -p "$1/data"
    if [[ -f "$repo/data/mnist.npz" ]]; then cp "$repo/data/mnist.npz" "$1/data/"; fi
}

reference=${REFERENCE_DIR:-}
if [[ -z "$reference" ]]; then
    reference="$work/local"
    clone "$reference"
    say "local reference run of '$target'"
    (cd "$reference" && snakemake --cores 2 "$target" --quiet rules)
fi

git clone -q "$repo" "$work/slurm"
if [[ -z "${MNIST_DIR:-}" ]]; then  # with MNIST_DIR, prepare_data runs in the SLURM run
    mkdir -p "$work/slurm/data" && cp "$repo/data/mnist.npz" "$work/slurm/data/"
fi
bash "$cluster" start
say "running '$target' through SLURM"
# The test cluster's partition and account go in through the profile's documented override
# (docs/cluster.md), from the same variables cluster.sh builds the cluster with; the first
# status poll after 5 s instead of the plugin's 40 keeps this short workflow short.
(cd "$work/slurm" && snakemake --profile "$repo/profiles/slurm" "$target" --quiet rules \
    --default-resources "slurm_partition=${SLURM_TEST_PARTITION:-debug}" \
    "slurm_account=${SLURM_TEST_ACCOUNT:-testacct}" \
    --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs)

say "jobs recorded by SLURM accounting (sacct):"
sacct -X -n -P --format=JobID,JobName%40,State | tee "$work/sacct.txt"
# the executor keeps one log per job, named by its SLURM job id, under its rule's folder
train_ids=$(find "$work/slurm/.snakemake/slurm_logs/rule_train" -name '*.log' -printf '%f\n' |
    sed 's/\.log$//' | sort -n | tr '\n' ' ')
say "SLURM job ids of the training jobs: $train_ids"
for id in $train_ids; do
    grep -q "^$id|.*|COMPLETED$" "$work/sacct.txt" ||
        { say "FAIL: training job $id is not COMPLETED in sacct"; exit 1; }
done
[[ -n "$train_ids" ]] || { say "FAIL: no training job went through SLURM"; exit 1; }
if [[ -n "${MNIST_DIR:-}" ]]; then  # prepare_data ran, on this host (a local rule)
    [[ -f "$work/slurm/logs/prepare_data.log" ]] || { say "FAIL: prepare_data did not run"; exit 1; }
    [[ ! -d "$work/slurm/.snakemake/slurm_logs/rule_prepare_data" ]] ||
        { say "FAIL: prepare_data was submitted to SLURM; it is a local rule"; exit 1; }
    say "prepare_data ran on the submitting host"
fi
failed=$(grep -vc '|COMPLETED$' "$work/sacct.txt" || true)
[[ $failed -eq 0 ]] || { say "FAIL: $failed SLURM job(s) did not complete"; exit 1; }

say "comparing with the local run"
python - "$reference" "$work/slurm" "$target" <<'PY'
import json
import sys
from pathlib import Path

import yaml

local, slurm, target = map(Path, sys.argv[1:])
figures = yaml.safe_load((local / "config" / "figures.yaml").read_text())
names = figures["experiments"][str(target)]
problems = []
for name in names:
    a, b = (d / "figures" / f"{name}.png" for d in (local, slurm))
    if a.read_bytes() != b.read_bytes():
        problems.append(f"figures/{name}.png differs")
records = sorted((slurm / "results" / "runs").glob("*/seed-*.json"))
for record in records:
    rel = record.relative_to(slurm)
    mine, theirs = (json.loads((d / rel).read_text()) for d in (slurm, local))
    if json.dumps(mine["metrics"]) != json.dumps(theirs["metrics"]):
        problems.append(f"{rel}: metrics differ")
if problems or not records:
    raise SystemExit("FAIL: " + ("; ".join(problems) or "no records"))
print(f"identical: {len(names)} figure(s) byte for byte, metrics of {len(records)} record(s)")
PY
say "PASS"
