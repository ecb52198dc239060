#!/bin/sh
# `make valgrind`: a tiny configuration of every task (forecast, hcsc, detect;
# one thread, a few cells) run by BUILD/bench under memcheck, every worker
# process followed.  Passes only with zero errors and zero definite leaks in
# every process; suppressions (tools/valgrind.supp) cover third-party libraries
# only, each entry explained there.
# usage: sh tools/valgrind.sh BUILD [TASK...]   (TASK: forecast hcsc detect; default all)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build/valgrind}
[ $# -gt 0 ] && shift
tasks=${*:-forecast hcsc detect}
bench="$top/$build/bench"
command -v valgrind >/dev/null 2>&1 || { echo "valgrind: not installed (Debian package valgrind)" >&2; exit 1; }
[ -x "$bench" ] || { echo "valgrind: $bench not built" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-valgrind.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
: "${BENCH_DATA_PATH:=$top/../shared/data}"
export BENCH_DATA_PATH

cat > "$work/forecast.ini" <<CONF
[run]
seeds = 1
threads = 1
[dataset tiny]
path = $top/tests/data/harness/hourly.csv
step_seconds = 3600
seasonal_period = 24
protocol = ltsf
lookback = 48
horizons = 12
[model naive]
[model seasonal_naive]
[model mean]
window = 24
[model ridge]
[model gbrt]
n_estimators = 3
max_depth = 2
[model dlinear]
epochs = 1
CONF
cat > "$work/hcsc.ini" <<CONF
[run]
seeds = 1
jobs = 1
threads = 1
train_limit = 64
test_limit = 32
checkpoints = false
[hcsc]
epochs = 1
warmup_epochs = 0
batch = 32
queue = 64
clusters = 8,4
linear_epochs = 1
linear_holdout = 16
eval_kmeans_restarts = 1
[model raw]
[model hcsc]
CONF
cat > "$work/detect.ini" <<CONF
[benchmark]
generate = yes
seed = 2022
scenes = 12
size = 32
devices = D1,D2
[protocol]
name = transfer
ap = all_point
[train]
steps = 2
batch = 2
width = 4
threads = 1
[run]
methods = source_only,psn
seeds = 1
pairs = D1>D2
CONF

status=0
run_task() { # name, bench arguments...
    name=$1; shift
    mkdir -p "$work/logs/$name"
    start=$(date +%s)
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
        --trace-children=yes --track-origins=no --num-callers=30 \
        --suppressions="$top/tools/valgrind.supp" --log-file="$work/logs/$name/%p.log" \
        "$bench" "$@" >"$work/logs/$name.out" 2>&1
    code=$?
    processes=$(ls "$work/logs/$name" | wc -l)
    dirty=$(grep -L "ERROR SUMMARY: 0 errors" "$work/logs/$name"/*.log)
    if [ "$code" -ne 0 ] || [ -n "$dirty" ]; then
        status=1
        echo "valgrind: $name: exit $code; processes with errors or definite leaks:" >&2
        for log in $dirty; do echo "---- $log" >&2; grep -v "^==[0-9]*== *$" "$log" | head -n 60 >&2; done
        [ "$code" -ne 0 ] && tail -n 20 "$work/logs/$name.out" >&2
    fi
    printf 'valgrind: %-8s %3s process(es), %4s s: %s\n' "$name" "$processes" "$(( $(date +%s) - start ))" \
        "$([ "$code" -eq 0 ] && [ -z "$dirty" ] && echo "0 errors, 0 definite leaks" || echo FAILED)"
}

for task in $tasks; do
    case $task in
    forecast) run_task forecast run "$work/forecast.ini" --out "$work/forecast" --quiet ;;
    hcsc) run_task hcsc hcsc run "$work/hcsc.ini" --out "$work/hcsc" ;;
    detect) run_task detect shift run "$work/detect.ini" --out "$work/detect" ;;
    *) echo "valgrind: unknown task $task (forecast, hcsc, detect)" >&2; exit 2 ;;
    esac
done
exit $status
