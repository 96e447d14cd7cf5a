# What tests/slurm/run.sh and tests/slurm/literature.sh share; sourced by both, after they
# set `repo` (this checkout) and `cluster` (tests/slurm/cluster.sh).

path() {  # path NAME [KEY=VALUE ...]: nndl3.paths.NAME with its wildcards filled
    python - "$@" <<'PY'
import sys

from nndl3 import paths

name, *pairs = sys.argv[1:]
print(getattr(paths, name).format(**dict(pair.split("=", 1) for pair in pairs)))
PY
}

start_cluster() {  # start_cluster: the test cluster up, starting it once more if it failed
    # A failed start stops what it started (cluster.sh) and prints why. Once in CI slurmctld
    # died silently 0.1 s after it was launched (no log, no output), and the machine where
    # these scripts were written never showed it; a second failure is a failure.
    bash "$cluster" start && return 0
    # asked to keep a failed start's daemons: a second start would find them running
    [[ "${SLURM_TEST_KEEP_ON_FAILURE:-0}" != 1 ]] || return 1
    say "the test cluster did not start (why: above); starting it once more"
    bash "$cluster" start
}

slurm_snakemake() {  # slurm_snakemake ARGS...: snakemake through the test cluster
    # The test cluster's partition and account go in through the profile's documented
    # override (docs/cluster.md), as cluster.sh built the cluster with them; the first
    # status poll after 5 s instead of the plugin's 40 keeps a short workflow short.
    eval "$(bash "$cluster" env)"
    snakemake --profile "$repo/profiles/slurm" "$@" --quiet rules \
        --default-resources "slurm_partition=$SLURM_TEST_PARTITION" \
        "slurm_account=$SLURM_TEST_ACCOUNT" \
        --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs
}

completed() {  # completed SACCT_FILE JOB_ID...: fails unless each job is COMPLETED there
    local sacct=$1 id
    shift
    [[ $# -gt 0 ]] || { say "FAIL: no job went through SLURM"; return 1; }
    for id in "$@"; do
        grep -q "^$id|.*|COMPLETED$" "$sacct" ||
            { say "FAIL: job $id is not COMPLETED in sacct"; return 1; }
    done
}

rule_job_ids() {  # rule_job_ids RUN_DIR RULE: the SLURM job ids of RULE's jobs (their logs)
    find "$1/.snakemake/slurm_logs/rule_$2" -name '*.log' -printf '%f\n' |
        sed 's/\.log$//' | sort -n | tr '\n' ' '
}
