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
# shellcheck source=tests/slurm/common.sh
source "$repo/tests/slurm/common.sh"
say() { printf '[slurm/literature.sh] %s\n' "$*"; }

cleanup() { bash "$cluster" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

git clone -q "$repo" "$work/slurm"
if [[ -z "${MNIST_DIR:-}" ]]; then
    data=$(path DATA)
    mkdir -p "$(dirname "$work/slurm/$data")" && cp "$repo/$data" "$work/slurm/$data"
fi
printf 'seeds: [1]\n' > "$work/one-seed.yaml"
start_cluster
say "running 'literature_miniature' through SLURM"
(cd "$work/slurm" && slurm_snakemake literature_miniature --configfile "$work/one-seed.yaml")

sacct -X -n -P --format=JobID,JobName%40,State | tee "$work/sacct.txt"
ids=$(rule_job_ids "$work/slurm" literature_train)
# shellcheck disable=SC2086
completed "$work/sacct.txt" $ids
say "SLURM jobs of literature_train, all COMPLETED: $ids"
report="$work/slurm/$(path LITERATURE_MD scale=miniature)"
grep -q "not run" "$report" || { say "FAIL: $report lacks the not-run rows"; exit 1; }
grep -c "^epoch" "$work"/slurm/$(path LITERATURE_LOG scale=miniature 'run=*' 'seed=*') |
    sed 's/^/  progress lines: /'
say "ok: the literature path ran through SLURM"
