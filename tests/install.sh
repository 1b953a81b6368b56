#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Installed-layout test: make install into a DESTDIR, then build the README's
# example against the installed header and pkg-config flags (shared and
# static), check that only et_* symbols are exported, and run the example:
# it re-adopts two workers that are not its children, restarts the one that
# crashes, and ends when no worker is left.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "install.sh: FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d /tmp/exittrace-install.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

dest=$tmp/root
prefix=/usr/local
"${MAKE:-make}" -s install DESTDIR="$dest" PREFIX="$prefix" >/dev/null
for f in sbin/exittrace lib/libexittrace.a lib/libexittrace.so lib/libexittrace.so.0 \
	 lib/pkgconfig/libexittrace.pc include/exittrace.h share/man/man8/exittrace.8 \
	 share/bash-completion/completions/exittrace; do
	[ -e "$dest$prefix/$f" ] || fail "$prefix/$f not installed"
done
echo "ok: installed layout"

so=$(readlink -f "$dest$prefix/lib/libexittrace.so")
[ "$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" = libexittrace.so.0 ] ||
	fail "soname is not libexittrace.so.0"
extra=$(nm -D --defined-only "$so" | awk '$3 !~ /^et_/ && $3 !~ /^LIBEXITTRACE_/ {print $3}')
[ -z "$extra" ] || fail "shared library exports non-API symbols: $extra"
extra=$(nm -g --defined-only "$dest$prefix/lib/libexittrace.a" | awk 'NF == 3 && $3 !~ /^et_/ {print $3}')
[ -z "$extra" ] || fail "static library exports non-API symbols: $extra"
echo "ok: only et_* exported, soname libexittrace.so.0"

# the README's example, as a user would copy it
sed -n '/^<!-- example: supervise.c -->$/,/^```$/p' README.md | sed '1,2d;$d' >"$tmp/supervise.c"
[ -s "$tmp/supervise.c" ] || fail "no example found in README.md"
export PKG_CONFIG_PATH=$dest$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
# under make check SANITIZE=1 the library is built with sanitizers: so is
# its user (make exports the flags)
san=${ET_SAN_CFLAGS:-}
# shellcheck disable=SC2046,SC2086
cc -Wall -Wextra -Werror $san -o "$tmp/supervise" "$tmp/supervise.c" \
	$(pkg-config --cflags --libs libexittrace)
# shellcheck disable=SC2046,SC2086
cc -Wall -Wextra -Werror $san -o "$tmp/supervise-static" "$tmp/supervise.c" \
	$(pkg-config --cflags libexittrace) "$dest$prefix/lib/libexittrace.a" \
	$(pkg-config --static --libs libbpf) -lelf -lz
# strict C with the POSIX level the header asks for
cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -fsyntax-only \
	$(pkg-config --cflags libexittrace) -x c - <<'EOF2'
#include <exittrace.h>
int main(void) { siginfo_t si; return et_next(0, &si, 0, 0); }
EOF2
echo "ok: example builds with pkg-config, shared and static; header is strict C11"

run_example() {
	local bin=$1 out a b line
	mkfifo "$tmp/go-a" "$tmp/go-b" "$tmp/out"
	# two workers that are nobody's children here (orphans, as after a
	# supervisor's restart)
	a=$(sh -c "sh -c \"read x < '$tmp/go-a'; exit 0\" >/dev/null 2>&1 & echo \$!")
	b=$(sh -c "sh -c \"read x < '$tmp/go-b'; kill -SEGV \\\$\\\$\" >/dev/null 2>&1 & echo \$!")
	pids+=("$a" "$b")
	printf '%s\n%s\n' "$a" "$b" >"$tmp/pidfile"
	LD_LIBRARY_PATH=$dest$prefix/lib timeout 30 "$bin" "$tmp/pidfile" true >"$tmp/out" &
	pids+=("$!")
	exec 3<"$tmp/out"
	next() { read -r -t 10 line <&3 || fail "$bin: no output line (want $1)"; \
		 [[ $line == $1 ]] || fail "$bin: '$line' is not '$1'"; }
	next "adopted $a"
	next "adopted $b"
	echo go >"$tmp/go-b"
	next "worker $b killed by signal 11: restarted as *"
	next "worker * done"
	echo go >"$tmp/go-a"
	next "worker $a done"
	wait "${pids[-1]}" || fail "$bin: exit status $?, want 0"
	exec 3<&-
	rm -f "$tmp/go-a" "$tmp/go-b" "$tmp/out"
	echo "ok: $(basename "$bin") re-adopts, restarts the crashed worker, ends"
}
run_example "$tmp/supervise"
run_example "$tmp/supervise-static"
