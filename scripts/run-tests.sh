#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run cmocka test binaries, each bounded in time, and close with one line:
# "N passed, N failed, N skipped" (tests, not binaries). Non-zero when any
# test failed or a binary crashed, hung or ran nothing.
set -u
label=$1
shift
pass=0 fail=0 skip=0 broken=0
logdir=${ET_BUILD:-build}/tests/logs
mkdir -p "$logdir"

for t in "$@"; do
	name=$(basename "$t")
	log=$logdir/$name.log
	echo "== $name"
	case $t in
	*.sh)	# a shell test is one test: its exit status says
		timeout -k 5 600 bash "$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		if [ "$rc" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
		continue ;;
	esac
	timeout -k 5 600 "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	skip=$((skip + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		echo "!! $name: exit status $rc with no failure counted (crash or timeout)"
		broken=$((broken + 1))
	elif [ -z "$p$f$s" ]; then
		echo "!! $name: ran no test"
		broken=$((broken + 1))
	fi
done

echo "$label: $pass passed, $((fail + broken)) failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$broken" -eq 0 ]
