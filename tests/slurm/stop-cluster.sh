#!/bin/sh
# Stop the daemons tests/slurm/start-cluster.sh started under DIR, by their pid
# files (never by name: a system Slurm or another test's cluster is left alone).
# First up to 15 s for queued and running jobs to end, so no job step outlives
# the cluster; then SIGTERM to all three daemons at once (each takes ~2 s to
# wind down), up to 10 s before SIGKILL; last, any slurmstepd of this cluster
# still there (found by SLURM_CONF=DIR/slurm.conf in its environment).
dir=${1:?usage: stop-cluster.sh DIR}
dir=$(cd "$dir" 2>/dev/null && pwd) || exit 0
PATH="$PATH:/usr/sbin:/sbin"
if [ -s "$dir/slurmctld.pid" ] && command -v squeue >/dev/null 2>&1; then
    tries=0
    while [ $tries -lt 30 ] && [ -n "$(SLURM_CONF="$dir/slurm.conf" squeue -h 2>/dev/null)" ]; do
        sleep 0.5; tries=$((tries + 1))
    done
fi
pids=""
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
done
for pid in $pids; do
    tries=0
    while kill -0 "$pid" 2>/dev/null && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
    kill -KILL "$pid" 2>/dev/null
done
for proc in /proc/[0-9]*; do
    [ "$(cat "$proc/comm" 2>/dev/null)" = slurmstepd ] || continue
    tr '\0' '\n' < "$proc/environ" 2>/dev/null | grep -qx "SLURM_CONF=$dir/slurm.conf" || continue
    kill -KILL "${proc#/proc/}" 2>/dev/null
done
exit 0
