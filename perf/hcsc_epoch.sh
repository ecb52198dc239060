#!/bin/sh
# Issue 7's benchmark: seconds per HCSC/MoCo training epoch (60000 images, batch
# 256, 32-64-128 encoder, ghost batch-norm groups of 32) in bench and in PyTorch
# CPU with the same encoder and MoCo step, both on one thread; medians over
# repeats, alternating the two sides so a change in machine load hits both, then
# the ratio against the target (bench <= 0.5 x PyTorch).  Times are process CPU
# seconds: on a shared machine wall time measures the neighbours.  The seconds
# bench spends inside cblas_sgemm, over PyTorch's epoch, is the ratio that bench
# would reach if everything outside the GEMMs cost nothing.
#
# usage: sh perf/hcsc_epoch.sh [BUILD_DIR] [REPEATS] [STEPS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
repeats=${2:-3}
steps=${3:-20}
cd "$top"
# One thread on both sides, set before either library starts its thread pool.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
make --no-print-directory BUILD="$build" "$build/perf/hcsc_epoch" >/dev/null

bench_times=""
gemm_times=""
torch_times=""
torch_ok=1
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "SKIPPED: PyTorch side: python3-torch is not installed" >&2
    torch_ok=0
fi
repeat=1
while [ "$repeat" -le "$repeats" ]; do
    out=$("$build/perf/hcsc_epoch" "$steps" moco 256 32,64,128 1)
    [ "$repeat" -eq 1 ] && printf '%s\n' "$out" | grep -E 'peak|achieved|inside'
    bench_times="$bench_times $(printf '%s\n' "$out" | sed -n 's/.*(CPU \/ threads): \([0-9.]*\).*/\1/p')"
    gemm_times="$gemm_times $(printf '%s\n' "$out" | sed -n 's/^inside cblas_sgemm: \([0-9.]*\) CPU s.*/\1/p')"
    if [ "$torch_ok" -eq 1 ]; then
        out=$(/usr/bin/python3 perf/hcsc_torch_epoch.py "$steps" 256 32,64,128 1)
        torch_times="$torch_times $(printf '%s\n' "$out" | sed -n 's/.*(CPU \/ threads): \([0-9.]*\).*/\1/p')"
    fi
    repeat=$((repeat + 1))
done
median() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bench_median=$(median "$bench_times")
gemm_median=$(median "$gemm_times")
echo "moco epoch, 1 thread, median of $repeats: bench $bench_median CPU s (runs:$bench_times)"
echo "moco epoch, 1 thread, median of $repeats: inside cblas_sgemm $gemm_median CPU s (runs:$gemm_times)"
if [ "$torch_ok" -eq 1 ]; then
    torch_median=$(median "$torch_times")
    echo "moco epoch, 1 thread, median of $repeats: PyTorch $torch_median CPU s (runs:$torch_times)"
    awk -v b="$bench_median" -v t="$torch_median" 'BEGIN {
        printf "ratio bench / PyTorch: %.2f (target <= 0.50: %s)\n", b / t, (b / t <= 0.5) ? "met" : "NOT met" }'
    awk -v g="$gemm_median" -v t="$torch_median" 'BEGIN {
        printf "ratio cblas_sgemm alone / PyTorch: %.2f (the floor with free non-GEMM work; the target leaves %.1f CPU s for it)\n", g / t, 0.5 * t - g }'
fi
