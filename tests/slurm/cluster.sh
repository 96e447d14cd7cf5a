#!/usr/bin/env bash
# One-node SLURM test cluster on localhost, with real accounting
# (munged + MariaDB + slurmdbd + slurmctld + slurmd), for running Snakemake
# through snakemake-executor-plugin-slurm.
#
# Usage:
#   tests/slurm/cluster.sh start     # install packages if missing, start all daemons
#   tests/slurm/cluster.sh stop      # stop every daemon started by `start` (idempotent)
#   tests/slurm/cluster.sh status    # show which daemons are alive
#   eval "$(tests/slurm/cluster.sh env)"   # export SLURM_CONF (only needed with SLURM_TEST_LINK_ETC=0),
#                                          # and the partition and account the cluster has
#
# All state (config, logs, spool, database, munge key/socket) lives under
# $SLURM_TEST_DIR (default /tmp/slurm-test). The only thing written outside
# it is a symlink /etc/slurm/slurm.conf -> $SLURM_TEST_DIR/etc/slurm.conf
# (removed again by `stop`): snakemake-executor-plugin-slurm-jobstep >= 0.6.1
# strips every SLURM_* variable, SLURM_CONF included, before it calls `srun`
# inside the job, so srun must find the config at Slurm's default path.
# `start` refuses to replace an existing /etc/slurm/slurm.conf that is not
# such a symlink. With the link in place plain `sacct`, `sbatch`, ... work;
# exporting SLURM_CONF (see `env`) is optional.
#
# Must run as root (daemons and jobs run as root). No systemd needed: every
# daemon runs in the foreground, detached with setsid, its pid recorded in
# $SLURM_TEST_DIR/pids/<name>.pid.
#
# Tunables (environment):
#   SLURM_TEST_DIR        state directory            (/tmp/slurm-test)
#   SLURM_TEST_CLUSTER    ClusterName                (testcluster)
#   SLURM_TEST_PARTITION  partition name             (debug)
#   SLURM_TEST_ACCOUNT    account added for root     (testacct)
#   SLURM_TEST_DB_PORT    MariaDB TCP port (127.0.0.1 only)   (33306)
#   SLURM_TEST_CTLD_PORT / SLURM_TEST_SLURMD_PORT / SLURM_TEST_DBD_PORT
#                                                    (6817 / 6818 / 6819)
#   SLURM_TEST_TIMEOUT    seconds to wait for each daemon      (60)
#   SLURM_TEST_KEEP_ON_FAILURE=1  leave daemons running after a failed start
#   SLURM_TEST_LINK_ETC=0 do not create the /etc/slurm/slurm.conf symlink
#                         (then snakemake jobs fail unless jobstep <= 0.6.0)
set -euo pipefail

D="${SLURM_TEST_DIR:-/tmp/slurm-test}"
CLUSTER="${SLURM_TEST_CLUSTER:-testcluster}"
PARTITION="${SLURM_TEST_PARTITION:-debug}"
ACCOUNT="${SLURM_TEST_ACCOUNT:-testacct}"
DB_PORT="${SLURM_TEST_DB_PORT:-33306}"
CTLD_PORT="${SLURM_TEST_CTLD_PORT:-6817}"
SLURMD_PORT="${SLURM_TEST_SLURMD_PORT:-6818}"
DBD_PORT="${SLURM_TEST_DBD_PORT:-6819}"
TIMEOUT="${SLURM_TEST_TIMEOUT:-60}"
DB_USER=slurm
DB_PASS=slurmtestpw
DB_NAME=slurm_acct_db
MARKER="$D/.slurm-test-dir"
ETC_LINK=/etc/slurm/slurm.conf

CONF="$D/etc/slurm.conf"
DBD_CONF="$D/etc/slurmdbd.conf"
MUNGE_SOCK="$D/run/munge.socket.2"
MUNGE_KEY="$D/munge/munge.key"
MYSQL_DIR="$D/mysql"
MYSQL_SOCK="$D/run/mysqld.sock"

# Daemons in start order; stop goes in reverse.
DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd)

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
log() { printf '[cluster.sh +%ss] %s\n' "$(elapsed)" "$*" >&2; }

logfile_of() {
    case "$1" in
        munged) echo "$D/log/munged.log" ;;
        mariadbd) echo "$D/log/mariadbd.log" ;;
        *) echo "$D/log/$1.log" ;;
    esac
}

show_log() {
    local f
    f="$(logfile_of "$1")"
    echo "----- last 40 lines of $f -----" >&2
    if [[ -f "$f" ]]; then tail -n 40 "$f" >&2; else echo "(no log file)" >&2; fi
    # stdout/stderr of the process itself (early crashes land here)
    echo "----- last 20 lines of $D/log/$1.out -----" >&2
    if [[ -s "$D/log/$1.out" ]]; then tail -n 20 "$D/log/$1.out" >&2; else echo "(empty)" >&2; fi
    echo "----- end of $1 logs -----" >&2
}

die() { # die MESSAGE [DAEMON...]
    local msg="$1"; shift
    echo "ERROR: $msg" >&2
    local d
    for d in "$@"; do show_log "$d"; done
    exit 1
}

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (jobs and daemons run as root in this test cluster)"; }

export_env() {
    export SLURM_CONF="$CONF"
    # Make sure commands below talk to *our* munged.
    export MUNGE_SOCKET="$MUNGE_SOCK"
}

# ---------------------------------------------------------------- packages
install_packages() {
    local missing=() pkgs=() cmd
    for cmd in munged munge unmunge mariadbd mariadb-install-db mariadb mariadb-admin \
               slurmdbd slurmctld slurmd sacctmgr sacct sbatch squeue sinfo scontrol srun scancel; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "packages already installed"
        return
    fi
    log "missing commands: ${missing[*]} -> installing Debian packages"
    pkgs=(munge mariadb-server mariadb-client slurm-wlm slurmdbd slurm-client)
    # No init system here: make sure package maintainer scripts do not start
    # system-wide munge/mariadb services (docker images usually already ship
    # such a policy-rc.d; create one temporarily if not).
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
    } >"$D/log/apt.log" 2>&1 || rc=$?
    [[ $made_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
    if [[ $rc -ne 0 ]]; then
        tail -n 40 "$D/log/apt.log" >&2
        die "apt-get install ${pkgs[*]} failed (full log: $D/log/apt.log)"
    fi
    for cmd in "${missing[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || die "command $cmd still missing after installing ${pkgs[*]}"
    done
    log "packages installed"
}

# ---------------------------------------------------------------- process helpers
pid_of() { # prints pid recorded for daemon, if that process is still alive
    local f="$D/pids/$1.pid" pid
    [[ -f "$f" ]] || return 1
    pid="$(cat "$f")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    # guard against pid reuse: the process must still be the binary we started
    grep -qa "$1" "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

launch() { # launch NAME CMD... : run CMD in the foreground of a new session, in background
    local name="$1"; shift
    log "starting $name"
    # cwd $D/log: daemons and the slurmstepds/jobs they fork must not hold on
    # to the caller's directory
    ( cd "$D/log" && exec setsid "$@" >"$D/log/$name.out" 2>&1 < /dev/null ) &
    local pid=$! tries=0
    echo "$pid" > "$D/pids/$name.pid"
    # until the subshell has exec'd the daemon its cmdline is this script's, which pid_of
    # takes for a dead daemon: seen as "slurmctld died" on a loaded machine, 0 s after start
    while alive "$pid" && ! grep -qa "$name" "/proc/$pid/cmdline" 2>/dev/null \
            && (( tries++ < 200 )); do
        sleep 0.05
    done
}

# Sets ENDED to how the launched daemon NAME ended: its exit status or signal, which its
# logs lack when it dies before it opens them (seen in CI: slurmctld, no log, no output).
# Not in a $(...): only this shell can wait for its own child.
how_it_ended() { # how_it_ended NAME
    local pid status=0
    ENDED="no pid recorded"
    pid="$(cat "$D/pids/$1.pid" 2>/dev/null)" || return 0
    [[ "$pid" =~ ^[0-9]+$ ]] || { ENDED="pid file holds '$pid'"; return 0; }
    if alive "$pid"; then  # alive, but not the binary we started
        ENDED="pid $pid is alive as: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
        return 0
    fi
    wait "$pid" 2>/dev/null || status=$?
    if (( status > 128 )); then  # a signal's 128 + N, or an exit status that high
        ENDED="pid $pid ended with status $status (SIG$(kill -l $(( status - 128 )) 2>/dev/null || echo $(( status - 128 ))) if killed)"
    else
        ENDED="pid $pid exited with status $status"
    fi
}

wait_for() { # wait_for NAME DESCRIPTION CHECK-CMD...
    local name="$1" what="$2"; shift 2
    local deadline=$(( $(date +%s) + TIMEOUT ))
    while true; do
        if "$@" >/dev/null 2>&1; then
            log "$name ready ($what)"
            return 0
        fi
        if ! pid_of "$name" >/dev/null; then
            how_it_ended "$name"
            die "$name died while waiting for: $what ($ENDED)" "$name"
        fi
        if (( $(date +%s) >= deadline )); then
            die "timed out after ${TIMEOUT}s waiting for $name: $what" "$name"
        fi
        sleep 0.5
    done
}

# Members of session SID other than SID itself. Each daemon is launched as a
# session leader (setsid), so helpers it forks (slurmctld's slurmscriptd, ...)
# share its session id = the recorded pid.
# Sets SID_OF to the session id of PID, parsed from /proc/PID/stat without
# forking (scanning /proc with one awk per process took seconds here).
session_id_of() { # session_id_of PID
    local line rest
    SID_OF=""
    read -r line 2>/dev/null < "/proc/$1/stat" || return 1
    rest="${line##*) }"            # drop "pid (comm) ", comm may contain spaces
    read -r _ _ _ SID_OF _ <<< "$rest"   # state ppid pgrp session ...
}

session_members() { # session_members SID
    local sid="$1" p
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        [[ "$p" == "$sid" ]] && continue
        session_id_of "$p" || continue
        [[ "$SID_OF" == "$sid" ]] && echo "$p"
    done
    return 0
}

kill_session() { # kill_session SID WHAT
    local strays
    strays="$(session_members "$1" | tr '\n' ' ')"
    if [[ -n "${strays// /}" ]]; then
        log "killing leftover processes of $2 (session $1): $strays"
        # shellcheck disable=SC2086
        kill -KILL $strays 2>/dev/null || true
    fi
}

# slurmstepd daemons (and the job processes in their sessions) that belong to
# this cluster: slurmstepd calls setsid, so it is not in slurmd's session, but
# it inherits slurmd's environment, which has SLURM_CONF=$CONF.
kill_stepds() {
    local p comm
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        read -r comm 2>/dev/null < "/proc/$p/comm" || continue
        [[ "$comm" == slurmstepd ]] || continue
        { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$CONF" || continue
        log "killing leftover slurmstepd pid $p and its job processes"
        session_id_of "$p" && kill_session "$SID_OF" "slurmstepd $p"
        kill -KILL "$p" 2>/dev/null || true
    done
    return 0
}

# true while PID exists and is not a zombie (our daemons are reparented to
# pid 1 once the shell that launched them has exited; their zombies linger
# until pid 1 reaps them)
alive() { # alive PID
    local line rest
    kill -0 "$1" 2>/dev/null || return 1
    read -r line 2>/dev/null < "/proc/$1/stat" || return 1
    rest="${line##*) }"
    [[ "${rest:0:1}" != Z ]]
}

stop_daemon() { # stop_daemon NAME GRACE_SECONDS
    local name="$1" grace="$2" pid i
    if ! pid="$(pid_of "$name")"; then
        rm -f "$D/pids/$name.pid"
        return 0
    fi
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < grace * 10; i++ )); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        log "$name did not exit after ${grace}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for (( i = 0; i < 50; i++ )); do alive "$pid" || break; sleep 0.1; done
    fi
    kill_session "$pid" "$name"
    rm -f "$D/pids/$name.pid"
}

# ---------------------------------------------------------------- config
write_configs() {
    local host cpus_line cpus sockets cores threads boards realmem mem
    # Let slurmd describe the real hardware (and the node name it will use).
    cpus_line="$(slurmd -C 2>/dev/null | head -n 1)" || true
    [[ "$cpus_line" == NodeName=* ]] || die "slurmd -C did not print a node line: '$cpus_line'"
    log "slurmd -C: $cpus_line"
    host="$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$cpus_line")"
    field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$cpus_line"; }
    cpus="$(field CPUs)"; boards="$(field Boards)"; sockets="$(field SocketsPerBoard)"
    cores="$(field CoresPerSocket)"; threads="$(field ThreadsPerCore)"; realmem="$(field RealMemory)"
    [[ -n "$cpus" && -n "$realmem" ]] || die "could not parse CPUs/RealMemory from: $cpus_line"
    # leave some memory for the OS and the daemons themselves
    mem=$(( realmem - (realmem / 10 > 1024 ? 1024 : realmem / 10) ))

    cat > "$CONF" <<EOF
# Generated by tests/slurm/cluster.sh -- one-node test cluster on localhost
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
CredType=cred/munge
StateSaveLocation=$D/spool/slurmctld
SlurmdSpoolDir=$D/spool/slurmd
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups, no systemd in this environment
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# accounting through slurmdbd (sacct needs it)
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
# slurm.conf's AuthInfo is NOT used for connections to slurmdbd: clients and
# slurmctld take the munge socket for those from AccountingStoragePass.
AccountingStoragePass=$MUNGE_SOCK
AccountingStorageEnforce=associations
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=10
JobCompType=jobcomp/none
# no MTA here (silences "Configured MailProg is invalid")
MailProg=/bin/true
# keep finished jobs visible to squeue for a while as well
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=60
SlurmdTimeout=120
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus Boards=${boards:-1} SocketsPerBoard=${sockets:-1} CoresPerSocket=${cores:-$cpus} ThreadsPerCore=${threads:-1} RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

    cat > "$DBD_CONF" <<EOF
# Generated by tests/slurm/cluster.sh
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$D/run/slurmdbd.pid
LogFile=$D/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=$DB_USER
StoragePass=$DB_PASS
StorageLoc=$DB_NAME
EOF
    chmod 600 "$DBD_CONF"
    log "wrote $CONF (node $host: CPUs=$cpus RealMemory=$mem of $realmem MB) and $DBD_CONF"
}

# ---------------------------------------------------------------- /etc link
link_etc() {
    if [[ "${SLURM_TEST_LINK_ETC:-1}" != 1 ]]; then
        log "SLURM_TEST_LINK_ETC=${SLURM_TEST_LINK_ETC}: not linking $ETC_LINK (clients need SLURM_CONF=$CONF)"
        return 0
    fi
    if [[ -L "$ETC_LINK" ]]; then
        local target
        target="$(readlink "$ETC_LINK")"
        if [[ "$target" != "$CONF" && -e "$ETC_LINK" ]]; then
            die "$ETC_LINK is a symlink to $target (another test cluster?); stop that one first or remove the link"
        fi
    elif [[ -e "$ETC_LINK" ]]; then
        die "$ETC_LINK exists and is not our symlink; refusing to replace it (set SLURM_TEST_LINK_ETC=0 to skip, see header)"
    fi
    mkdir -p "$(dirname "$ETC_LINK")"
    ln -sfn "$CONF" "$ETC_LINK"
    log "linked $ETC_LINK -> $CONF"
}

unlink_etc() {
    if [[ -L "$ETC_LINK" && "$(readlink "$ETC_LINK")" == "$CONF" ]]; then
        rm -f "$ETC_LINK"
        log "removed symlink $ETC_LINK"
    fi
}

# ---------------------------------------------------------------- start
prepare_dir() {
    [[ "$D" == /?* && "$D" != *..* ]] || die "SLURM_TEST_DIR must be an absolute path other than / (got '$D')"
    if [[ -e "$D" && ! -d "$D" ]]; then die "$D exists and is not a directory"; fi
    if [[ -d "$D" ]]; then
        if [[ -n "$(ls -A "$D")" && ! -f "$MARKER" ]]; then
            die "$D is not empty and was not created by cluster.sh (no $MARKER); refusing to wipe it. Set SLURM_TEST_DIR to another path."
        fi
        local name
        for name in "${DAEMONS[@]}"; do
            if pid_of "$name" >/dev/null; then
                die "$name is already running from $D (pid $(pid_of "$name")); run '$0 stop' first"
            fi
        done
        # fresh state every start (only our own sub-directories)
        rm -rf "${D:?}/etc" "$D/log" "$D/run" "$D/pids" "$D/spool" "$D/munge" "$MYSQL_DIR"
    fi
    mkdir -p "$D"
    touch "$MARKER"
    mkdir -p "$D/etc" "$D/log" "$D/run" "$D/pids" "$D/spool/slurmctld" "$D/spool/slurmd" "$D/munge" "$MYSQL_DIR"
    chmod 700 "$D/munge"
    chmod 755 "$D" "$D/run"
}

start_munged() {
    dd if=/dev/urandom bs=1 count=1024 of="$MUNGE_KEY" status=none
    chmod 400 "$MUNGE_KEY"
    # socket in $D/run (0755: munged wants the socket dir accessible to all);
    # --force: do not refuse to start over permissions of the parent
    # directories of an arbitrary SLURM_TEST_DIR (a test cluster, root only)
    launch munged munged --foreground --force \
        --key-file="$MUNGE_KEY" \
        --socket="$MUNGE_SOCK" \
        --pid-file="$D/run/munged.pid" \
        --log-file="$D/log/munged.log" \
        --seed-file="$D/munge/munged.seed"
    wait_for munged "munge credential round trip" \
        bash -c "munge -S '$MUNGE_SOCK' -n | unmunge -S '$MUNGE_SOCK'"
}

# shellcheck disable=SC2120  # called with arguments via wait_for "$@"
mysql_root() { mariadb --no-defaults --protocol=socket --socket="$MYSQL_SOCK" -uroot "$@"; }

start_mariadb() {
    log "initializing MariaDB data directory $MYSQL_DIR"
    if ! mariadb-install-db --no-defaults --user=root --datadir="$MYSQL_DIR" \
            --auth-root-authentication-method=socket --skip-test-db \
            >"$D/log/mariadb-install-db.log" 2>&1; then
        tail -n 40 "$D/log/mariadb-install-db.log" >&2
        die "mariadb-install-db failed (log: $D/log/mariadb-install-db.log)"
    fi
    launch mariadbd mariadbd --no-defaults --user=root \
        --datadir="$MYSQL_DIR" \
        --socket="$MYSQL_SOCK" \
        --pid-file="$D/run/mariadbd.pid" \
        --log-error="$D/log/mariadbd.log" \
        --bind-address=127.0.0.1 --port="$DB_PORT" \
        --skip-name-resolve \
        --innodb-use-native-aio=0 \
        --innodb-buffer-pool-size=512M \
        --innodb-log-file-size=64M \
        --innodb-lock-wait-timeout=900 \
        --max-allowed-packet=64M
    wait_for mariadbd "SELECT 1 over $MYSQL_SOCK" mysql_root -e 'SELECT 1'
    mysql_root <<EOF || die "could not create the slurm database user" mariadbd
CREATE DATABASE IF NOT EXISTS $DB_NAME;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF
    wait_for mariadbd "TCP login as $DB_USER on 127.0.0.1:$DB_PORT" \
        mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$DB_PORT" -u"$DB_USER" -p"$DB_PASS" "$DB_NAME" -e 'SELECT 1'
}

start_slurmdbd() {
    launch slurmdbd slurmdbd -D
    wait_for slurmdbd "sacctmgr can reach slurmdbd on port $DBD_PORT" \
        sacctmgr -n -P list cluster format=cluster
}

register_accounting() {
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
        sacctmgr -i add cluster "$CLUSTER" >"$D/log/sacctmgr.log" 2>&1 \
            || { cat "$D/log/sacctmgr.log" >&2; die "sacctmgr add cluster $CLUSTER failed" slurmdbd; }
    fi
    if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
        sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" \
            Description="snakemake test account" Organization=test >>"$D/log/sacctmgr.log" 2>&1 \
            || { cat "$D/log/sacctmgr.log" >&2; die "sacctmgr add account $ACCOUNT failed" slurmdbd; }
    fi
    if ! sacctmgr -n -P list assoc user=root account="$ACCOUNT" format=account | grep -qx "$ACCOUNT"; then
        sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" >>"$D/log/sacctmgr.log" 2>&1 \
            || { cat "$D/log/sacctmgr.log" >&2; die "sacctmgr add user root account=$ACCOUNT failed" slurmdbd; }
    fi
    log "accounting: cluster=$CLUSTER, account=$ACCOUNT (user root)"
}

start_slurmctld() {
    launch slurmctld slurmctld -D -f "$CONF"
    wait_for slurmctld "scontrol ping reports UP" \
        bash -c "scontrol ping | grep -q 'is UP'"
    # slurmctld registers itself with slurmdbd; sacct --clusters all needs that
    wait_for slurmctld "cluster $CLUSTER registered in slurmdbd with a control host" \
        bash -c "sacctmgr -n -P list cluster format=cluster,controlhost | grep -q '^$CLUSTER|.'"
}

start_slurmd() {
    launch slurmd slurmd -D -f "$CONF"
    wait_for slurmd "node idle in partition $PARTITION" \
        bash -c "sinfo -h -p '$PARTITION' -N -o '%t' | grep -qx 'idle'"
}

smoke_test() {
    local out
    out="$(timeout "$TIMEOUT" srun -A "$ACCOUNT" -p "$PARTITION" -N1 -n1 -t 1 hostname 2>&1)" \
        || die "smoke test 'srun hostname' failed: $out" slurmctld slurmd
    log "smoke test: srun hostname -> $out"
}

on_start_exit() {
    local rc=$1
    trap - EXIT
    if [[ $rc -ne 0 ]]; then
        echo "ERROR: cluster.sh start failed (exit $rc) after $(elapsed)s" >&2
        if [[ "${SLURM_TEST_KEEP_ON_FAILURE:-0}" == 1 ]]; then
            echo "SLURM_TEST_KEEP_ON_FAILURE=1: leaving daemons running; run '$0 stop' to clean up" >&2
        else
            echo "stopping the daemons that were started ..." >&2
            do_stop || true
        fi
    fi
    exit "$rc"
}

do_start() {
    need_root
    prepare_dir
    trap 'on_start_exit $?' EXIT
    install_packages
    export_env
    write_configs
    link_etc
    start_munged
    start_mariadb
    start_slurmdbd
    register_accounting
    start_slurmctld
    start_slurmd
    smoke_test
    trap - EXIT
    log "cluster '$CLUSTER' is up: partition=$PARTITION account=$ACCOUNT state=$D"
    if [[ -L "$ETC_LINK" ]]; then
        log "client commands find the config via $ETC_LINK (SLURM_CONF=$CONF also works)"
    else
        log "client commands need: export SLURM_CONF=$CONF"
    fi
}

# ---------------------------------------------------------------- stop
do_stop() {
    if [[ ! -d "$D/pids" ]]; then
        unlink_etc
        log "nothing to stop ($D/pids does not exist)"
        return 0
    fi
    export_env
    # cancel jobs while slurmctld is still there
    if pid_of slurmctld >/dev/null; then
        local jobs
        jobs="$(timeout 10 squeue -h -o %i 2>/dev/null | tr '\n' ' ')" || true
        if [[ -n "${jobs// /}" ]]; then
            log "cancelling jobs: $jobs"
            # shellcheck disable=SC2086
            timeout 10 scancel $jobs 2>/dev/null || true
            local i
            for (( i = 0; i < 20; i++ )); do
                [[ -z "$(timeout 5 squeue -h -t R,CG,PD -o %i 2>/dev/null)" ]] && break
                sleep 0.5
            done
        fi
    fi
    stop_daemon slurmd 15
    kill_stepds
    stop_daemon slurmctld 15
    stop_daemon slurmdbd 15
    stop_daemon mariadbd 60
    stop_daemon munged 10
    unlink_etc
    log "all daemons stopped (state kept in $D)"
}

do_status() {
    local name pid rc=0
    for name in "${DAEMONS[@]}"; do
        if pid="$(pid_of "$name")"; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; rc=3; fi
    done
    return $rc
}

case "${1:-}" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    env) echo "export SLURM_CONF=$CONF SLURM_TEST_PARTITION=$PARTITION SLURM_TEST_ACCOUNT=$ACCOUNT" ;;
    *) echo "usage: $0 {start|stop|status|env}" >&2; exit 2 ;;
esac
