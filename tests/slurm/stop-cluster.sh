#!/bin/sh
# Stop the daemons tests/slurm/start-cluster.sh started under DIR, by their pid
# files (never by name: a system Slurm or another test's cluster is left alone).
# All three get SIGTERM at once (each takes ~2 s to wind down), then up to 10 s
# before SIGKILL.
dir=${1:?usage: stop-cluster.sh DIR}
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
exit 0
