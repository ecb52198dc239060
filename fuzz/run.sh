#!/bin/sh
# Build the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined) and
# run each for FUZZ_SECONDS: `make fuzz FUZZ_SECONDS=60` or
# `FUZZ_SECONDS=60 sh fuzz/run.sh [NAME...]` (NAME: csv_dated, idx, ...).
# FUZZ_RUNS=N also stops each harness after N executions (whichever comes first).
# FUZZ_UNTIL=N instead fuzzes each harness in chunks of FUZZ_CHUNK executions
# (default 1,000,000, no time limit) until the campaign ledger holds N for it.
#
# Every harness first replays fuzz/regressions/NAME/* (past crashes: each must
# now pass), then fuzzes from fuzz/corpus/NAME (hand-made seeds plus every input
# that once added coverage) and BUILD/corpus/NAME (this machine's working corpus).
# After a clean run the inputs that add coverage are merged into fuzz/corpus/NAME,
# and the executions are appended to fuzz/executions.csv, so a campaign goes on
# across sessions and clones: commit both.  A crash input is saved as
# BUILD/crashes/NAME-crash-*; copy it into fuzz/regressions/NAME/ once fixed.
# The closing table gives executions per harness, this run and campaign total.
#
# Two instances may run at once on different harnesses (one per core): the
# library build and the ledger are serialised with flock(1).
#
# From the Makefile: FUZZ_CFLAGS (pkg-config cflags) and FUZZ_LIBS (link
# libraries) describe the dependencies; FUZZ_BUILD the output directory.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${FUZZ_BUILD:-build/fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
until_total=${FUZZ_UNTIL:-}
chunk=${FUZZ_CHUNK:-1000000}
ledger=fuzz/executions.csv
: "${FUZZ_CFLAGS:=$(pkg-config --cflags openblas lapacke jansson inih libcurl zlib expat libpng16 2>/dev/null)}"
: "${FUZZ_LIBS:=$(pkg-config --libs openblas lapacke jansson inih libcurl zlib expat libpng16 2>/dev/null) -lcrypto -lgsl -lxgboost -lcsv -lm -lpthread -ldl}"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang is not installed (Debian clang + libclang-rt-14-dev)" >&2; exit 1; }

all="csv_dated csv_long lstnet m4 idx config voc_xml gbrt_manifest nn_checkpoint merge cell_file plan"
names=${*:-$all}

# The libraries, instrumented for coverage (fuzzer-no-link) and sanitizers.
sanitize=fuzzer-no-link,address,undefined
libs="$build/lib/libbench_harness.a $build/lib/libbench_hcsc.a $build/lib/libbench_shift.a $build/lib/libbench_core.a $build/lib/libbench_nn.a $build/lib/libbench_common.a"
# -Wno-error: clang warns where gcc does not; the gcc build keeps -Werror for that code.
mkdir -p "$build"
exec 9>"$build/.build.lock"
flock 9
make --no-print-directory -j"$jobs" BUILD="$build" CC=clang OPT="-O1 -g -Wno-error" SANITIZE="$sanitize" $libs >"$build/make.log" 2>&1 \
    || { echo "fuzz: building the libraries with clang failed; see $build/make.log" >&2; tail -n 20 "$build/make.log" >&2; exit 1; }
mkdir -p "$build/bin" "$build/crashes" "$build/logs"
[ -f "$ledger" ] || echo "harness,executions,result,finished,commit" >"$ledger"
flock -u 9
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# Executions the ledger records for harness $1 (clean runs only).
campaign_total() {
    awk -F, -v name="$1" 'NR > 1 && $1 == name && $3 == "clean" { total += $2 } END { printf "%d", total }' "$ledger"
}

status=0
summary=""
for name in $names; do
    source="fuzz/fuzz_$name.c"
    [ -f "$source" ] || { echo "fuzz: no harness $source (harnesses: $all)" >&2; exit 2; }
    binary="$build/bin/fuzz_$name"
    # shellcheck disable=SC2086
    clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Iinclude -I. $FUZZ_CFLAGS "$source" fuzz/fuzz_support.c $libs $FUZZ_LIBS -o "$binary" \
        || { echo "fuzz: cannot build $binary" >&2; exit 1; }
    if [ -d "fuzz/regressions/$name" ] && [ -n "$(ls "fuzz/regressions/$name")" ]; then
        if ! "$binary" -runs=1 "fuzz/regressions/$name"/* >"$build/logs/$name.regressions.log" 2>&1; then
            echo "fuzz: $name: a past crash input fails again; see $build/logs/$name.regressions.log" >&2
            status=1
        fi
    fi
    mkdir -p "$build/corpus/$name" "fuzz/corpus/$name"
    runs_total=0
    speed=?
    verdict=clean
    while :; do
        budget="-max_total_time=$seconds ${FUZZ_RUNS:+-runs=$FUZZ_RUNS}"
        if [ -n "$until_total" ]; then
            remaining=$((until_total - $(campaign_total "$name")))
            [ "$remaining" -gt 0 ] || break
            [ "$remaining" -lt "$chunk" ] || remaining=$chunk
            budget="-runs=$remaining"
        fi
        # shellcheck disable=SC2086
        "$binary" $budget -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
            -artifact_prefix="$build/crashes/$name-" -print_final_stats=1 \
            "$build/corpus/$name" "fuzz/corpus/$name" >"$build/logs/$name.log" 2>&1
        code=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$name.log" | tail -n 1)
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/logs/$name.log" | tail -n 1)
        if [ "$code" -ne 0 ]; then
            verdict="CRASH (exit $code): $(ls -t "$build/crashes/$name-"* 2>/dev/null | head -n 1)"
            status=1
            grep -m 1 -A 12 "ERROR: \|runtime error" "$build/logs/$name.log" >&2
            flock "$ledger" sh -c 'echo "$1,$2,crash,$3,$4" >>"$5"' sh "$name" "${runs:-0}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$ledger"
            break
        fi
        runs_total=$((runs_total + ${runs:-0}))
        # Keep what added coverage where the next session (or clone) starts from.
        "$binary" -merge=1 -max_len=16384 "fuzz/corpus/$name" "$build/corpus/$name" >"$build/logs/$name.merge.log" 2>&1 \
            || echo "fuzz: $name: merging the corpus into fuzz/corpus/$name failed; see $build/logs/$name.merge.log" >&2
        flock "$ledger" sh -c 'echo "$1,$2,clean,$3,$4" >>"$5"' sh "$name" "${runs:-0}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$ledger"
        [ -n "$until_total" ] || break
        echo "fuzz: $name: $(campaign_total "$name") executions in the campaign (target $until_total), ${speed}/s"
    done
    line=$(printf '%-16s %12s executions %8s/s  %12s in the campaign  %s' "$name" "$runs_total" "${speed:-?}" \
        "$(campaign_total "$name")" "$verdict")
    echo "$line"
    summary="$summary$line
"
done
if [ -n "$until_total" ]; then limit="until $until_total executions each"; else limit="$seconds s each"; fi
printf '\nfuzz summary (%s):\n%s' "$limit" "$summary"
exit $status
