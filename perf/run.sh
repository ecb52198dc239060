#!/bin/sh
# `make perf`: run every benchmark program and script, each validating its
# results before timing them.  Figures are medians over repeats; the machine is
# described first so numbers can be compared.
top=$(cd "$(dirname "$0")/.." && pwd)
: "${BENCH_DATA_PATH:=$top/../shared/data}"
export BENCH_DATA_PATH BENCH_BINARY="$top/${BUILD:-build}/bench"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null)"
status=0
for program in "$@"; do
    # A program with a driver script of the same name (perf/NAME.sh) runs from there.
    [ -f "$top/perf/$(basename "$program").sh" ] && continue
    echo "== $(basename "$program")"
    "$program" || status=1
done
for script in "$top"/perf/*.sh; do
    [ "$(basename "$script")" = run.sh ] && continue
    [ -f "$script" ] || continue
    echo "== $(basename "$script")"
    sh "$script" "${BUILD:-build}" || status=1
done
exit $status
