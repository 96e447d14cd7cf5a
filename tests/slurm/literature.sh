#!/usr/bin/env bash
# The literature runs' path through a one-node SLURM cluster (tests/slurm/cluster.sh):
# `snakemake literature_miniature` (config/literature.yaml `miniature:`, a few epochs on a
# few thousand images, seed 1 only: two jobs of seconds) submitted through profiles/slurm; every training job
# must be COMPLETED in sacct, and the check of the miniature must have run (its rows are
# `not run`: a miniature's records never count). It checks the path, not the numbers.
#
#   tests/slurm/literature.sh          (run as root; needs data/mnist.npz or MNIST_DIR)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/nndl3-slurm-literature.XXXXXX)
cluster="$repo/tests/slurm/cluster.sh"
say() { printf '[slurm/literature.sh] %s\n' "$*"; }

cleanup() { bash "$cluster" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

git clone -q "$repo" "$work/slurm"
if [[ -z "${MNIST_DIR:-}" ]]; then
    mkdir -p "$work/slurm/data" && cp "$repo/data/mnist.npz" "$work/slurm/data/"
fi
printf 'seeds: [1]\n' > "$work/one-seed.yaml"
bash "$cluster" start
say "running 'literature_miniature' through SLURM"
(cd "$work/slurm" && snakemake --profile "$repo/profiles/slurm" literature_miniature \
    --quiet rules --configfile "$work/one-seed.yaml" \
    --default-resources "slurm_partition=${SLURM_TEST_PARTITION:-debug}" \
    "slurm_account=${SLURM_TEST_ACCOUNT:-testacct}" \
    --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs)

sacct -X -n -P --format=JobID,JobName%40,State | tee "$work/sacct.txt"
ids=$(find "$work/slurm/.snakemake/slurm_logs/rule_literature_train" -name '*.log' \
    -printf '%f\n' | sed 's/\.log$//' | sort -n | tr '\n' ' ')
[[ -n "$ids" ]] || { say "FAIL: no literature training job went through SLURM"; exit 1; }
for id in $ids; do
    grep -q "^$id|.*|COMPLETED$" "$work/sacct.txt" ||
        { say "FAIL: job $id is not COMPLETED in sacct"; exit 1; }
done
say "SLURM jobs of literature_train, all COMPLETED: $ids"
report="$work/slurm/results/literature/miniature/reproduction.md"
grep -q "not run" "$report" || { say "FAIL: $report lacks the not-run rows"; exit 1; }
grep -c "^epoch" "$work"/slurm/logs/literature/miniature/*/seed-*.log | sed 's/^/  progress lines: /'
say "ok: the literature path ran through SLURM"
