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
# shellcheck source=tests/slurm/common.sh
source "$repo/tests/slurm/common.sh"
data=$(path DATA)  # the prepared MNIST
say() { printf '[slurm/run.sh] %s\n' "$*"; }

cleanup() { bash "$cluster" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

clone() { # clone DIR: a copy of this checkout's committed tree, with the prepared data
    git clone -q "$repo" "$1"
    mkdir -p "$(dirname "$1/$data")"
    if [[ -f "$repo/$data" ]]; then cp "$repo/$data" "$1/$data"; fi
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
    mkdir -p "$(dirname "$work/slurm/$data")" && cp "$repo/$data" "$work/slurm/$data"
fi
start_cluster
say "running '$target' through SLURM"
(cd "$work/slurm" && slurm_snakemake "$target")

say "jobs recorded by SLURM accounting (sacct):"
sacct -X -n -P --format=JobID,JobName%40,State | tee "$work/sacct.txt"
# the executor keeps one log per job, named by its SLURM job id, under its rule's folder
train_ids=$(rule_job_ids "$work/slurm" train)
say "SLURM job ids of the training jobs: $train_ids"
# shellcheck disable=SC2086
completed "$work/sacct.txt" $train_ids
if [[ -n "${MNIST_DIR:-}" ]]; then  # prepare_data ran, on this host (a local rule)
    [[ -f "$work/slurm/$data" ]] || { say "FAIL: prepare_data did not run"; exit 1; }
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

from nndl3 import paths

local, slurm, target = map(Path, sys.argv[1:])
figures = yaml.safe_load((local / paths.FIGURES_CONFIG).read_text())
names = figures["experiments"][str(target)]
problems = []
for name in names:
    figure = paths.FIGURE.format(figure=name)
    if (local / figure).read_bytes() != (slurm / figure).read_bytes():
        problems.append(f"{figure} differs")
records = sorted(slurm.glob(paths.RECORD.format(run="*", seed="*")))
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
