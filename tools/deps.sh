#!/bin/sh
# Install the Debian packages bench needs, only those missing (idempotent: with
# everything present it prints nothing and touches nothing).
missing=""
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
echo "bench: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "bench: run as root: apt-get install$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
${SUDO:-} apt-get update -qq >/dev/null || exit 1
# shellcheck disable=SC2086
${SUDO:-} apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 1
