#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The unit tests once more under valgrind (memcheck): no invalid access, no
# uninitialised read, no leak. One line per binary, non-zero on any error.
set -u
rc=0
for t in "$@"; do
	log=${ET_BUILD:-build}/tests/logs/valgrind-$(basename "$t").log
	mkdir -p "$(dirname "$log")"
	if timeout -k 5 300 valgrind -q --leak-check=full --errors-for-leak-kinds=all \
		--error-exitcode=99 "$t" >"$log" 2>&1; then
		echo "valgrind: $(basename "$t") clean"
	else
		echo "valgrind: $(basename "$t") FAILED (see $log)"
		rc=1
	fi
done
exit $rc
