#!/bin/sh
# Stop the daemons tests/slurm/start-cluster.sh started under DIR, by their pid
# files (never by name: a system Slurm or another test's cluster is left alone).
dir=${1:?usage: stop-cluster.sh DIR}
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || continue
    tries=0
    while kill -0 "$pid" 2>/dev/null && [ $tries -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
    kill -KILL "$pid" 2>/dev/null
done
exit 0
