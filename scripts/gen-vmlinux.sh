#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Generate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# CO-RE makes the result usable on other kernels; it is committed so that a
# build does not depend on the build host's kernel.
set -eu
BPFTOOL=${BPFTOOL:-bpftool}
BTF=${BTF:-/sys/kernel/btf/vmlinux}
out=${1:?usage: gen-vmlinux.sh OUTPUT}

if [ ! -r "$BTF" ]; then
	echo "gen-vmlinux: $BTF: kernel BTF not readable (CONFIG_DEBUG_INFO_BTF)" >&2
	exit 1
fi
mkdir -p "$(dirname "$out")"
"$BPFTOOL" btf dump file "$BTF" format c > "$out.tmp"
mv "$out.tmp" "$out"
