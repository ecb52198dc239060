#!/bin/sh
# `make bench`: fetch the Debian-packaged series (no network but the Debian
# archive), run configs/default.ini, and write tables, figures and the HTML page
# into runs/default/.  Progress shows on a terminal as a bar and in a log as one
# line per finished cell with the elapsed time, so a log shows how far it got.
set -e
build=${1:-build}
bench="$build/bench"
out=${BENCH_OUT:-runs/default}
for dataset in co2 elec_equip sunspots; do
    "$bench" data path "$dataset" >/dev/null 2>&1 || "$bench" data fetch "$dataset" >/dev/null
done
status=0
"$bench" run configs/default.ini --out "$out" --jobs 2 || status=$?
# Exit 1 means some cells failed: their holes are marked in the tables; go on.
[ "$status" -le 1 ] || exit "$status"
"$bench" table "$out" --format md --out "$out/table.md"
"$bench" table "$out" --format tex --out "$out/table.tex"
if "$bench" help 2>/dev/null | grep -q '^  plot '; then "$bench" plot "$out" --format svg; fi
if "$bench" help 2>/dev/null | grep -q '^  report '; then "$bench" report "$out"; fi
# Short slices of the other two tasks, each in its own run directory.
hcsc_status=0
"$bench" hcsc run configs/hcsc-fmnist-slice.ini --out "$out-hcsc" || hcsc_status=$?
[ "$hcsc_status" -le 1 ] || exit "$hcsc_status"
shift_status=0
"$bench" shift run configs/shift-xray-slice.ini --out "$out-shift" || shift_status=$?
[ "$shift_status" -le 1 ] || exit "$shift_status"
for dir in "$out-hcsc" "$out-shift"; do
    "$bench" table "$dir" --format md --out "$dir/table.md"
    "$bench" table "$dir" --format tex --out "$dir/table.tex"
    "$bench" plot "$dir" --format svg >/dev/null 2>&1 || true
    "$bench" report "$dir"
done
echo "bench: results in $out/, $out-hcsc/ and $out-shift/ (results.csv, table.md, table.tex, index.html each)"
cat "$out/table.md" "$out-hcsc/table.md" "$out-shift/table.md"
[ "$status" -ne 0 ] && exit "$status"
[ "$hcsc_status" -ne 0 ] && exit "$hcsc_status"
exit "$shift_status"
