#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install what exittrace needs to build and test, from Debian's packages.
# Does nothing (and needs no network) when everything is already there.
set -eu

PKGS="clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config make gcc \
libcmocka-dev libjson-c-dev jq strace valgrind runc busybox-static libclang-rt-dev"
# scripts/deps.sh bench: the peers and tools make bench compares with
if [ "${1:-}" = bench ]; then
	PKGS="$PKGS libbpf-tools bpftrace forkstat gnuplot-nox python3 coreutils"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "exittrace: deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi

echo "exittrace: deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
