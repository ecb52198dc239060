#!/bin/sh
# Issues 7 and 21: seconds per HCSC/MoCo training epoch (60000 images, batch 256,
# 32-64-128 encoder, ghost batch-norm groups of 32, queue 4096) in bench and in
# PyTorch CPU running the same recipe (perf/hcsc_torch_epoch.py: the whole batch
# through each layer, ghost BN per group of 32), at 2 threads (the target: bench
# <= 0.5 x PyTorch) and at 1 thread.  Medians over repeats, alternating the sides
# so a change in machine load hits both.
#
# Times are wall seconds: bench's team of threads sleeps when it has nothing to
# do, so CPU time / threads would flatter it.  Run it on an otherwise idle
# machine (pause long studies: kill -STOP, then kill -CONT).  CPU seconds and the
# part of bench's epoch spent inside cblas_sgemm (the floor for everything
# outside the GEMMs) are printed too; plain full-batch BN in PyTorch, which is
# not the recipe but is its fastest batch norm, is shown for reference.
#
# usage: sh perf/hcsc_epoch.sh [BUILD_DIR] [REPEATS] [STEPS] [THREAD_COUNTS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
repeats=${2:-3}
steps=${3:-20}
thread_counts=${4:-2 1}
cd "$top"
make --no-print-directory BUILD="$build" "$build/perf/hcsc_epoch" >/dev/null

torch_ok=1
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "SKIPPED: PyTorch side: python3-torch is not installed" >&2
    torch_ok=0
fi
median() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wall_of() { printf '%s\n' "$1" | sed -n 's/.*wall seconds per epoch: \([0-9.]*\).*/\1/p'; }
cpu_of() { printf '%s\n' "$1" | sed -n 's/.*(CPU \/ threads): \([0-9.]*\).*/\1/p'; }
status=0
for threads in $thread_counts; do
    # The thread pools start with each process: fix their size before either starts.
    export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
    bench_wall="" bench_cpu="" gemm="" ghost_wall="" plain_wall=""
    repeat=1
    while [ "$repeat" -le "$repeats" ]; do
        out=$("$build/perf/hcsc_epoch" "$steps" moco 256 32,64,128 "$threads")
        [ "$repeat" -eq 1 ] && printf '%s\n' "$out" | grep -E 'peak|achieved'
        bench_wall="$bench_wall $(wall_of "$out")"
        bench_cpu="$bench_cpu $(cpu_of "$out")"
        gemm="$gemm $(printf '%s\n' "$out" | sed -n 's/^inside cblas_sgemm: \([0-9.]*\) CPU s.*/\1/p')"
        if [ "$torch_ok" -eq 1 ]; then
            ghost_wall="$ghost_wall $(wall_of "$(/usr/bin/python3 perf/hcsc_torch_epoch.py "$steps" 256 32,64,128 "$threads" ghost)")"
            plain_wall="$plain_wall $(wall_of "$(/usr/bin/python3 perf/hcsc_torch_epoch.py "$steps" 256 32,64,128 "$threads" batch)")"
        fi
        repeat=$((repeat + 1))
    done
    b=$(median "$bench_wall")
    echo "moco epoch, $threads thread(s), median of $repeats: bench $b wall s (runs:$bench_wall), $(median "$bench_cpu") CPU s / thread"
    echo "moco epoch, $threads thread(s), median of $repeats: inside cblas_sgemm $(median "$gemm") CPU s / thread (runs:$gemm)"
    if [ "$torch_ok" -eq 1 ]; then
        t=$(median "$ghost_wall")
        p=$(median "$plain_wall")
        echo "moco epoch, $threads thread(s), median of $repeats: PyTorch ghost BN $t wall s (runs:$ghost_wall); plain BN $p (runs:$plain_wall)"
        if [ "$threads" -eq 2 ]; then
            awk -v b="$b" -v t="$t" -v p="$p" 'BEGIN {
                printf "ratio bench / PyTorch at 2 threads: %.2f (target <= 0.50: %s); against plain BN %.2f\n",
                    b / t, (b / t <= 0.5) ? "met" : "NOT met", b / p }'
        else
            awk -v b="$b" -v t="$t" -v p="$p" -v n="$threads" 'BEGIN {
                printf "ratio bench / PyTorch at %d thread(s): %.2f; against plain BN %.2f\n", n, b / t, b / p }'
        fi
    fi
done
exit $status
