#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Test runner behind `make check`: host unit tests, then the VM suites of
# tests/vm/suites on every kernel series, then one summary line.
#   tests/run.sh [--unit-only] [--soak]
# --soak runs the soak suites instead of the check suites, and before them
# each libFuzzer target to FUZZ_RUNS executions (default 10^7), one target
# after the other (tests/fuzz/run.sh).
# Environment: KSERIES (default "6.1 6.12"), SUITES (only these suites),
# LOGDIR (default build/logs), ALL_KERNELS=1 (run suites marked ONLY=6.1
# on every kernel too), FUZZ_RUNS (--soak; 0 leaves the fuzz soak out),
# SOAK_ROUNDS (--soak: how many times the soak suites run, default 1).
set -uo pipefail
cd "$(dirname "$0")/.."
KSERIES=${KSERIES:-"6.1 6.12"}
soak_runs=${FUZZ_RUNS:-10000000}
unset FUZZ_RUNS	# the unit tier's fuzz step runs by time (tests/host/fuzz.sh)
LOGDIR=${LOGDIR:-build/logs}
mode=default
case "${1:-}" in
--unit-only) mode=unit ;;
--soak) mode=soak ;;
esac
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
results=$LOGDIR/results.txt
: > "$results"

# tally NAME CMD...: run a program that reports in cmocka's words; one
# PASS or FAIL line in the results per test it counts.
tally() {
	local name=$1 out rc p f
	shift
	out=$("$@" 2>&1); rc=$?
	echo "$out" | grep -E '^\[ +(OK|FAILED|SKIPPED) +\]' | sed 's/^/  /'
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
	for _ in $(seq 1 "${p:-0}"); do echo "PASS $name" >> "$results"; done
	for _ in $(seq 1 "${f:-0}"); do echo "FAIL $name" >> "$results"; done
	if [ $rc -ne 0 ] && [ -z "$f" ]; then
		echo "$out" | tail -20
		echo "FAIL $name (exit $rc)" >> "$results"
	fi
}

# run_suite: one VM suite (the loop's variables), with its time.
run_suite() {
	local t0
	echo "-- suite $suite ($nodes node(s)${san:+, sanitizer build})"
	t0=$(date +%s)
	python3 tests/vm/runner.py --kernel "$kver" --initrd "$suite_initrd" \
		--suite "$suite" --nodes "$nodes" --timeout "$timeout" --disk-mb "$disk_mb" \
		--logdir "$vmlog" --results "$vmres" $scen
	echo "   suite $suite took $(( $(date +%s) - t0 )) s, boots included"
}
# solo_wait: until the one-node suites running in the background end,
# then their reports.
solo=0 solo_out=$(mktemp -d)
trap 'rm -rf "$solo_out"' EXIT
# Background jobs (the unit tier's, the one-node suites') ignore SIGINT in
# a script: an interrupted run ends them itself.
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
solo_wait() {
	[ $solo -eq 0 ] && return
	wait
	cat "$solo_out"/* 2>/dev/null; rm -f "$solo_out"/*
	solo=0
}

echo "== unit tests"
t0=$(date +%s)
# Two at a time (no VM runs yet: both cores), each one's report printed
# whole, in order.
unit_out=$(mktemp -d)
n=0
for t in build/tests/test_* tests/host/*.sh; do
	[ -x "$t" ] || continue
	[ $n -ge 2 ] && wait -n
	n=$((n + 1))
	tally "unit/$(basename "$t")" "$t" > "$unit_out/$(printf %03d $n)" 2>&1 &
done
wait
cat "$unit_out"/* 2>/dev/null; rm -rf "$unit_out"
echo "   unit tests took $(( $(date +%s) - t0 )) s"

if [ $mode = soak ] && [ "$soak_runs" != 0 ]; then
	echo "== fuzz soak: each target to $soak_runs runs"
	tally fuzz-soak/run.sh env FUZZ_RUNS="$soak_runs" tests/fuzz/run.sh
fi

# make soak repeats its suites SOAK_ROUNDS times, each round's logs and
# results in LOGDIR/round-N, and ends with a table (tests/vm/soak_table.py).
rounds=1
[ $mode = soak ] && rounds=${SOAK_ROUNDS:-1}
for round in $(seq 1 $rounds); do
	vmlog=$LOGDIR vmres=$results
	if [ $mode = soak ]; then
		vmlog=$LOGDIR/round-$round vmres=$vmlog/results.txt
		mkdir -p "$vmlog"; : > "$vmres"
		echo "== soak round $round of $rounds"
	fi
	[ $mode = unit ] && break
	for series in $KSERIES; do
		kver=$(scripts/kver.sh "$series") || { echo "FAIL vm/$series - kernel not installed" >> "$results"; continue; }
		echo "== VM scenarios on $kver"
		initrd=build/initramfs-$kver.cpio
		if ! tests/vm/mkinitramfs.sh "$kver" "build/kmod/$kver/mirrordisk.ko" build/bin "$initrd"; then
			echo "FAIL vm/$kver/initramfs" >> "$results"; continue
		fi
		san_initrd=	# SAN=1 suites: made on first use, once per kernel
		while read -r kind suite nodes timeout scen; do
			case "$kind" in ''|'#'*) continue ;; esac
			[ "$kind" = soak ] && [ $mode != soak ] && continue
			[ "$kind" != soak ] && [ $mode = soak ] && continue
			if [ -n "${SUITES:-}" ] && ! echo " $SUITES " | grep -q " $suite "; then continue; fi
			disk_mb=256 only= san=
			while :; do	# KEY=VALUE settings before the scenario names
				case "$scen" in
				DISK_MB=*) disk_mb=${scen%% *}; disk_mb=${disk_mb#DISK_MB=} ;;
				ONLY=*) only=${scen%% *}; only=${only#ONLY=} ;;
				SAN=*) san=${scen%% *}; san=${san#SAN=}; [ "$san" = 1 ] || san= ;;
				*) break ;;
				esac
				scen=${scen#* }
			done
			if [ -n "$only" ] && [ "$only" != "$series" ] && [ -z "${ALL_KERNELS:-}" ]; then
				echo "-- suite $suite: on $only only (ALL_KERNELS=1 runs it here too)"
				continue
			fi
			suite_initrd=$initrd
			if [ -n "$san" ]; then	# the programs of make sanitize
				suite_initrd=build/initramfs-$kver-san.cpio
				if [ -z "$san_initrd" ]; then
					if [ ! -x build/san/bin/mirrord ]; then
						echo "build/san/bin/mirrord missing: make sanitize"
						san_initrd=failed
					elif ! tests/vm/mkinitramfs.sh "$kver" "build/kmod/$kver/mirrordisk.ko" build/san/bin "$suite_initrd" < /dev/null; then
						san_initrd=failed
					else
						san_initrd=$suite_initrd
					fi
				fi
				if [ "$san_initrd" = failed ]; then
					echo "FAIL vm/$kver/$suite - no sanitizer initramfs" >> "$results"; continue
				fi
			fi
			# One-node suites boot one 1-vCPU guest: two of them run side
			# by side (both cores), each one's report printed when both
			# are done; a two-node suite waits for them.
			if [ "$nodes" = 1 ]; then
				[ $solo -ge 2 ] && solo_wait
				solo=$((solo + 1))
				run_suite > "$solo_out/$suite" 2>&1 < /dev/null &
			else
				solo_wait
				run_suite
			fi
		done < tests/vm/suites
		solo_wait
	done
	[ "$vmres" != "$results" ] && cat "$vmres" >> "$results"
done
[ $mode = soak ] && python3 tests/vm/soak_table.py "$LOGDIR"

passed=$(grep -c '^PASS' "$results")
failed=$(grep -c '^FAIL' "$results")
skipped=$(grep -c '^SKIP' "$results")
[ "$failed" -gt 0 ] && { echo; echo "failures:"; grep '^FAIL' "$results" | sed 's/^/  /'; echo "logs: $LOGDIR"; }
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
