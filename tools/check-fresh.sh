#!/bin/sh
# `make check-fresh`: run each README command once, as a newcomer would, on its own
# bare Debian 12 and print its exit code and wall time.
#
# Usage (as root): tools/check-fresh.sh PROJECT WORK_DIR [SHARED_DIR] [COMMAND...]
#   COMMAND defaults to "bench check" (make bench, make check).
#
# Why a chroot per command: CI and a developer's machine already have every package
# the project ever installed, so a Makefile that only works the second time (flags
# computed before `make deps` ran, a package missing from a list) passes there.  Here
# WORK_DIR/base is debootstrap --variant=minbase bookworm from the machine's own
# Debian mirror plus only build-essential and git (built once, reused; FRESH_REBUILD=1
# rebuilds it), and every command gets its own copy of it, so `make check` cannot
# profit from packages `make bench` installed.  The project is cloned from its
# committed HEAD at the start (uncommitted changes are not tested); SHARED_DIR, when given, is
# copied beside the clone as ../shared, as CI has it.  Logs: WORK_DIR/logs/CMD.log.
set -u
[ $# -ge 2 ] || { echo "usage: $0 PROJECT WORK_DIR [SHARED_DIR] [COMMAND...]" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "check-fresh: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
project=$(cd "$1" && pwd) || exit 2
mkdir -p "$2" && work=$(cd "$2" && pwd) || exit 2
shift 2
shared=""
if [ $# -gt 0 ] && [ -d "$1" ]; then shared=$(cd "$1" && pwd); shift; fi
commands=${*:-bench check}
base=$work/base logs=$work/logs
# Every command tests the same commit: HEAD as it is now (FRESH_REF to choose another).
ref=$(git -C "$project" rev-parse "${FRESH_REF:-HEAD}") || exit 2

say() { echo "check-fresh: $*" >&2; }

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >/dev/null ||
        { say "cannot install debootstrap"; exit 1; }
fi

# The mirror this machine's apt uses (deb822 sources first, then the classic list).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

mounted=""
unmount_all() {
    for dir in $mounted; do umount "$dir/dev" "$dir/proc" 2>/dev/null; done
    mounted=""
}
trap unmount_all EXIT INT TERM
mount_into() {
    mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev" && mounted="$mounted $1"
}
# Never rm -rf a tree with /dev or /proc still bound into it.
remove_tree() {
    if grep -q " $1/" /proc/mounts; then say "$1 still has mounts; not removing it"; exit 1; fi
    rm -rf "$1"
}
# A clean environment, as a login on a new machine has: nothing of this shell leaks in.
in_root() {
    chroot "$1" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb LANG=C.UTF-8 \
        bash -lc "$2"
}

if [ -n "${FRESH_REBUILD:-}" ] || [ ! -f "$base/.ready" ]; then
    say "building the bare Debian 12 in $base (debootstrap minbase from $mirror)"
    remove_tree "$base"
    debootstrap --variant=minbase bookworm "$base" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { say "debootstrap failed; see $work/debootstrap.log"; exit 1; }
    cp /etc/resolv.conf "$base/etc/resolv.conf" 2>/dev/null
    mount_into "$base" || exit 1
    in_root "$base" "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential git" \
        >>"$work/debootstrap.log" 2>&1 || { say "installing build-essential and git failed"; exit 1; }
    unmount_all
    touch "$base/.ready"
fi

rm -rf "$logs"
mkdir -p "$logs"
summary="" failures=0
for command in $commands; do
    root=$work/run-$command
    remove_tree "$root"
    cp -a "$base" "$root"
    { git clone -q "$project" "$root/root/bench" && git -C "$root/root/bench" checkout -q "$ref"; } ||
        { say "cannot clone $project at $ref"; exit 1; }
    [ -n "$shared" ] && cp -r "$shared" "$root/root/shared"
    mount_into "$root" || exit 1
    say "make $command in a fresh copy (log: $logs/$command.log)"
    start=$(date +%s)
    in_root "$root" "cd /root/bench && make $command" >"$logs/$command.log" 2>&1
    status=$?
    end=$(date +%s)
    unmount_all
    [ "$status" -eq 0 ] || failures=$((failures + 1))
    summary="$summary make $command: exit $status, $((end - start)) s;"
    say "make $command: exit $status after $((end - start)) s"
    [ "$status" -eq 0 ] || tail -n 15 "$logs/$command.log" >&2
done
# The copies stay (WORK_DIR/run-CMD/root/bench) to look at what each command made.
echo "check-fresh: commit $(echo "$ref" | cut -c1-7):$summary logs in $logs"
[ "$failures" -eq 0 ]
