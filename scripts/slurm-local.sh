#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, from Debian's packages (apt-get install slurm-wlm
# munge), for running `mfl sweep --emit slurm` scripts for real (test/experiments/slurm.test.ts).
#
#   scripts/slurm-local.sh start    munge key if missing, munged, slurm.conf, slurmctld, slurmd;
#                                   returns once sinfo shows the node idle (already running: no-op)
#   scripts/slurm-local.sh stop     stops slurmd, slurmctld and the munged this script started
#   scripts/slurm-local.sh status   exit 0 when the node answers, 1 otherwise
#   scripts/slurm-local.sh logs     the last lines of the daemons' logs
#
# Runs as root, without systemd (the daemons fork themselves) and without cgroups (process
# tracking by process tree, no task containment), so it also works inside containers. The config
# goes to /etc/slurm/slurm.conf, where sbatch, squeue, sinfo and scancel look by default, so no
# SLURM_CONF is needed. A slurm.conf this script did not write is never overwritten. State and
# spool live under /var/spool/mfl-slurm, logs under /var/log/mfl-slurm. MFL_SLURM_MEMORY (MB
# offered to jobs, default 2048; more than the machine has drains the node) and MFL_SLURM_WAIT
# (seconds start waits for a working node, default 60) override the defaults.
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
MARK='# written by mfl scripts/slurm-local.sh'
STATE=/var/spool/mfl-slurm
LOGS=/var/log/mfl-slurm
RUN=/run/mfl-slurm
NODE=$(hostname -s)
# Memory the node offers to jobs, MB: small enough for any machine this runs on, large enough
# for a few test shards at a time.
REAL_MEMORY=${MFL_SLURM_MEMORY:-2048}
WAIT_SECONDS=${MFL_SLURM_WAIT:-60}

die() {
  echo "slurm-local: $*" >&2
  exit 1
}

log_tails() {
  local f
  for f in "$LOGS/slurmctld.log" "$LOGS/slurmd.log" /var/log/munge/munged.log; do
    [ -f "$f" ] && {
      echo "--- tail of $f"
      tail -n 20 "$f"
    }
  done
  return 0
}

running() { # pidfile
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

node_state() {
  # Empty while slurmctld does not answer.
  { sinfo -h -N -n "$NODE" -o %t 2>/dev/null || true; } | head -n 1
}

check_installed() {
  local missing=() c
  for c in munged munge slurmctld slurmd sinfo srun sbatch; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: apt-get install -y slurm-wlm munge"
  [ "$(id -u)" -eq 0 ] || die 'must run as root (the daemons run as root here)'
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  local owner=root
  id munge >/dev/null 2>&1 && owner=munge
  chown "$owner:" /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  # A munged started by someone else (a service manager, an earlier run) is as good as ours.
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge "$RUN"
  chown "$owner:" /run/munge /var/lib/munge /var/log/munge
  if [ "$owner" = munge ]; then
    runuser -u munge -- munged
  else
    munged --force
  fi
  cp /run/munge/munged.pid "$RUN/munged.pid"
  local i
  for ((i = 0; i < 50; i++)); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log_tails >&2
  die 'munged does not answer'
}

write_conf() {
  if [ -f "$CONF" ] && ! grep -qxF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; move it away first"
  fi
  mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGS" "$RUN"
  local tmp="$CONF.tmp.$$"
  cat >"$tmp" <<EOF
$MARK
ClusterName=mfl-local
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# No cgroups: processes are tracked through their parents, tasks are not contained.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs stay visible to scontrol (there is no accounting database to ask instead).
MinJobAge=600
# scancel: SIGTERM, then SIGKILL after this many seconds.
KillWait=10
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$REAL_MEMORY State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$tmp" "$CONF"
}

start() {
  check_installed
  if running "$RUN/slurmctld.pid" && running "$RUN/slurmd.pid"; then
    local now
    now=$(node_state)
    case $now in
      idle | mix | alloc)
        echo "slurm-local: already running (node $NODE $now)"
        return 0
        ;;
    esac
  fi
  start_munge
  write_conf
  running "$RUN/slurmctld.pid" || slurmctld || {
    log_tails >&2
    die 'slurmctld failed to start'
  }
  running "$RUN/slurmd.pid" || slurmd || {
    log_tails >&2
    die 'slurmd failed to start'
  }
  local end=$((SECONDS + WAIT_SECONDS)) state=''
  while [ $SECONDS -lt $end ]; do
    state=$(node_state)
    case $state in
      idle | mix | alloc) break ;;
      # A node left down or drained by an earlier run of a different configuration.
      down* | drain* | fail*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  case $state in
    idle | mix | alloc) ;;
    *)
      sinfo -N >&2 || true
      log_tails >&2
      die "node $NODE is not idle after ${WAIT_SECONDS}s (state: ${state:-none})"
      ;;
  esac
  # slurmctld restores the node's last state before slurmd has registered: only a job that ran
  # shows that the whole chain (munge, slurmctld, slurmd, slurmstepd) works.
  local left=$((end - SECONDS))
  if ! timeout "$((left > 5 ? left : 5))" srun --quiet --time=1 --ntasks=1 true; then
    squeue >&2 || true
    log_tails >&2
    die "a test job (srun true) did not run within ${WAIT_SECONDS}s"
  fi
  echo "slurm-local: running, node $NODE ($(nproc) CPUs, ${REAL_MEMORY}M) in partition local"
}

stop_daemons() { # pidfile...: SIGTERM to all at once, SIGKILL to any still there after 10 s
  local f pids=() i
  for f in "$@"; do
    if running "$f"; then
      pids+=("$(cat "$f")")
      kill "${pids[-1]}" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 100; i++)); do
    local alive=0 pid
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$@"
}

stop() {
  stop_daemons "$RUN/slurmd.pid" "$RUN/slurmctld.pid" "$RUN/munged.pid"
  echo 'slurm-local: stopped'
}

status() {
  local state=''
  # Without slurmctld, sinfo retries for seconds before giving up: ask it only when it can answer.
  if running "$RUN/slurmctld.pid" && running "$RUN/slurmd.pid"; then state=$(node_state); fi
  if [ -n "$state" ]; then
    echo "slurm-local: running, node $NODE $state"
    return 0
  fi
  echo 'slurm-local: not running'
  return 1
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) log_tails ;;
  *) die "usage: $0 start|stop|status|logs" ;;
esac
