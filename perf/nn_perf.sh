#!/bin/sh
# Issue 4's benchmark: one training epoch of mlp, dlinear, lstnet, patchtst and
# the LSTM (deepar's teacher-forced pass) on ETTh1 windows, in bench and in
# PyTorch CPU with the same architecture, batch and threads; medians and the
# ratio against the targets (bench <= 0.5 x PyTorch for dlinear/mlp, <= 1.0 x
# otherwise), then the GEMM wrapper against raw cblas_sgemm.
#
# usage: sh perf/nn_perf.sh [BUILD_DIR] [THREADS] [REPEATS] [MODELS]
# (MODELS: a space-separated subset of "dlinear mlp lstnet patchtst deepar")
# Needs ETTh1.csv under BENCH_DATA_PATH (or bench's cache); the PyTorch half is
# skipped with a message when python3-torch is missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
threads=${2:-1}
repeats=${3:-3}
models=${4:-dlinear mlp lstnet patchtst deepar}
cd "$top"
: "${BENCH_DATA_PATH:=$top/../shared/data}"
export BENCH_DATA_PATH OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads"

make --no-print-directory BUILD="$build" "$build/lib/libbench_core.a" "$build/lib/libbench_nn.a" \
    "$build/lib/libbench_common.a" >/dev/null
# Compile and link with the Makefile's own flags and libraries, so this stays in step with it.
make_var() {
    printf 'print-var:\n\t@echo $(%s)\n' "$1" | make --no-print-directory -s -f Makefile -f - BUILD="$build" print-var
}
cflags=$(make_var CFLAGS)
ldlibs=$(make_var LDLIBS)
# shellcheck disable=SC2086
cc $cflags -o "$build/nn_perf" perf/nn_perf.c "$build/lib/libbench_core.a" "$build/lib/libbench_nn.a" \
    "$build/lib/libbench_common.a" $ldlibs

bench_out=$(mktemp)
torch_out=$(mktemp)
trap 'rm -f "$bench_out" "$torch_out"' EXIT
data="$BENCH_DATA_PATH/ETTh1.csv"
torch_ok=1
if [ ! -f "$data" ]; then
    echo "SKIPPED: PyTorch comparison needs $data" >&2
    torch_ok=0
elif ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "SKIPPED: PyTorch side: python3-torch is not installed" >&2
    torch_ok=0
fi
# Models alternate between the two sides, so a change in machine load hits both alike.
for model in $models; do
    echo "epoch of $model: bench ($repeats repeats, $threads thread(s))" >&2
    "$build/nn_perf" --threads "$threads" --repeats "$repeats" --models "$model" --no-gemm >>"$bench_out"
    if [ "$torch_ok" -eq 1 ]; then
        echo "epoch of $model: PyTorch" >&2
        /usr/bin/python3 perf/nn_perf_torch.py --data "$data" --threads "$threads" --repeats "$repeats" \
            --models "$model" >>"$torch_out"
    fi
done
"$build/nn_perf" --threads "$threads" --repeats "$repeats" --models none >>"$bench_out"

printf '%-10s %12s %12s %8s %8s\n' model bench_s torch_s ratio target
awk -v torch_file="$torch_out" '
    BEGIN { while ((getline line < torch_file) > 0) { split(line, f, " "); if (f[1] == "epoch") torch[f[2]] = f[3] } }
    $1 == "epoch" {
        target = ($2 == "dlinear" || $2 == "mlp") ? 0.5 : 1.0
        if ($2 in torch) printf "%-10s %12.3f %12.3f %8.2f %8.1f %s\n", $2, $3, torch[$2], $3 / torch[$2], target,
                                ($3 / torch[$2] <= target) ? "ok" : "MISSED"
        else printf "%-10s %12.3f %12s %8s %8.1f\n", $2, $3, "-", "-", target
    }' "$bench_out"
printf '\n%-18s %14s %14s\n' "gemm M N K" "wrapper_GF/s" "cblas_GF/s"
awk '$1 == "gemm" { printf "%-18s %14.2f %14.2f\n", $2 " " $3 " " $4, $5, $6 }' "$bench_out"
