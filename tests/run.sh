#!/usr/bin/env bash
# Test runner behind `make check`: host unit tests, then the VM suites of
# tests/vm/suites on every kernel series, then one summary line.
#   tests/run.sh [--unit-only] [--soak]
# Environment: KSERIES (default "6.1 6.12"), SUITES (only these suites),
# LOGDIR (default build/logs), ALL_KERNELS=1 (run suites marked ONLY=6.1
# on every kernel too).
set -uo pipefail
cd "$(dirname "$0")/.."
KSERIES=${KSERIES:-"6.1 6.12"}
LOGDIR=${LOGDIR:-build/logs}
mode=default
case "${1:-}" in
--unit-only) mode=unit ;;
--soak) mode=soak ;;
esac
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
results=$LOGDIR/results.txt
: > "$results"

echo "== unit tests"
for t in build/tests/test_* tests/host/*.sh; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1); rc=$?
	echo "$out" | grep -E '^\[ +(OK|FAILED|SKIPPED) +\]' | sed 's/^/  /'
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
	for _ in $(seq 1 "${p:-0}"); do echo "PASS unit/$(basename "$t")" >> "$results"; done
	for _ in $(seq 1 "${f:-0}"); do echo "FAIL unit/$(basename "$t")" >> "$results"; done
	if [ $rc -ne 0 ] && [ -z "$f" ]; then
		echo "$out" | tail -20
		echo "FAIL unit/$(basename "$t") (exit $rc)" >> "$results"
	fi
done

if [ $mode != unit ]; then
	for series in $KSERIES; do
		kver=$(scripts/kver.sh "$series") || { echo "FAIL vm/$series - kernel not installed" >> "$results"; continue; }
		echo "== VM scenarios on $kver"
		initrd=build/initramfs-$kver.cpio
		if ! tests/vm/mkinitramfs.sh "$kver" "build/kmod/$kver/mirrordisk.ko" build/bin "$initrd"; then
			echo "FAIL vm/$kver/initramfs" >> "$results"; continue
		fi
		while read -r kind suite nodes timeout scen; do
			case "$kind" in ''|'#'*) continue ;; esac
			[ "$kind" = soak ] && [ $mode != soak ] && continue
			[ "$kind" != soak ] && [ $mode = soak ] && continue
			if [ -n "${SUITES:-}" ] && ! echo " $SUITES " | grep -q " $suite "; then continue; fi
			disk_mb=256 only=
			while :; do	# KEY=VALUE settings before the scenario names
				case "$scen" in
				DISK_MB=*) disk_mb=${scen%% *}; disk_mb=${disk_mb#DISK_MB=} ;;
				ONLY=*) only=${scen%% *}; only=${only#ONLY=} ;;
				*) break ;;
				esac
				scen=${scen#* }
			done
			if [ -n "$only" ] && [ "$only" != "$series" ] && [ -z "${ALL_KERNELS:-}" ]; then
				echo "-- suite $suite: on $only only (ALL_KERNELS=1 runs it here too)"
				continue
			fi
			echo "-- suite $suite ($nodes node(s))"
			python3 tests/vm/bench.py --kernel "$kver" --initrd "$initrd" \
				--suite "$suite" --nodes "$nodes" --timeout "$timeout" --disk-mb "$disk_mb" \
				--logdir "$LOGDIR" --results "$results" $scen
		done < tests/vm/suites
	done
fi

passed=$(grep -c '^PASS' "$results")
failed=$(grep -c '^FAIL' "$results")
skipped=$(grep -c '^SKIP' "$results")
[ "$failed" -gt 0 ] && { echo; echo "failures:"; grep '^FAIL' "$results" | sed 's/^/  /'; echo "logs: $LOGDIR"; }
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
