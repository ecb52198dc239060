#!/bin/sh
# Run every test binary given, then print one closing line "N passed, N failed".
# Tests that need ../shared/data find it through BENCH_DATA_PATH; they skip loudly
# (cmocka "SKIPPED") when it is absent.  OpenBLAS gets one thread per test so two
# test runs never oversubscribe the two cores.
top=$(cd "$(dirname "$0")/.." && pwd)
: "${BENCH_DATA_PATH:=$top/../shared/data}"
export BENCH_DATA_PATH OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export BENCH_BINARY="$top/${BUILD:-build}/bench"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
passed=0; failed=0; failed_names=""
timings=""
for test_binary in "$@"; do
    name=$(basename "$test_binary")
    start=$(date +%s.%N)
    if "$test_binary"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failed_names="$failed_names $name"
    fi
    timings="$timings$(echo "$start $(date +%s.%N)" | awk -v n="$name" '{printf "%7.1f s  %s", $2 - $1, n}')
"
done
echo "== seconds per test binary"
printf '%s' "$timings" | sort -rn
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "($BUILD)"; echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
