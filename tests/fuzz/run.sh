#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run each libFuzzer target of tests/fuzz/ for a while, one after the other,
# and report in cmocka's words so that tests/run.sh counts one PASS or FAIL
# per target (tests/host/fuzz.sh runs this in make check's unit tier).
#   tests/fuzz/run.sh [--no-build]
# Environment: FUZZ_SECONDS (per target, default 5), FUZZ_TARGETS (default
# all), FUZZ_CC (default clang), FUZZ_RUNS (make soak: 10000000).
#
# With FUZZ_RUNS=N a target runs until it has executed N inputs instead of
# for FUZZ_SECONDS (libFuzzer -runs=N, no time limit), and fails if it
# stops short of N.  One process, one worker (no -jobs): the targets run
# one after the other so that VM suites on the same machine keep a core
# (FUZZ_JOBS=N: N targets at a time, make check's unit tier 2).
#
# Each target starts from its committed corpus, tests/fuzz/corpus/TARGET,
# and writes what it finds into a temporary directory, never into the
# repository.  A crashing input is saved as build/fuzz/artifacts/TARGET-*,
# the run's output as build/fuzz/logs/TARGET.log.  Without clang or
# libFuzzer the run is SKIPPED, not failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-5}
nruns=${FUZZ_RUNS:-}
case "$nruns" in
''|0|*[!0-9]*) nruns= ;;
esac
targets=${FUZZ_TARGETS:-"wire meta config runfile ctlreq zdata rx listen"}
cc=${FUZZ_CC:-clang}
logs=build/fuzz/logs arts=build/fuzz/artifacts

skip() { echo "[  SKIPPED ] fuzz: $*"; exit 0; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
command -v "$cc" >/dev/null || skip "$cc not found (make deps installs clang)"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)(n & 0); }' > "$tmp/probe.c"
"$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" >/dev/null 2>&1 ||
	skip "$cc cannot link libFuzzer (make deps installs libclang-rt-14-dev)"

mkdir -p "$logs" "$arts"
if [ "${1:-}" != --no-build ]; then
	if ! make --no-print-directory fuzz-build FUZZ_CC="$cc" > "$logs/build.log" 2>&1; then
		tail -20 "$logs/build.log"
		echo "[  FAILED  ] fuzz/build: see $logs/build.log"
		echo "[  PASSED  ] 0 test(s)."
		echo "[  FAILED  ] 1 test(s), listed below:"
		echo "[  FAILED  ] fuzz/build"
		exit 1
	fi
fi

# Inputs as long as each format needs: two superblock slots, the largest
# BITMAP packet, a runtime-file line over MD_RUN_LINE_MAX.
max_len() {
	case $1 in
	wire) echo 8448 ;;
	meta) echo 8193 ;;
	runfile) echo 9000 ;;
	zdata) echo 70000 ;;	# a 64 KiB write, compressed or not
	*) echo 4096 ;;
	esac
}

# With FUZZ_RUNS: how many inputs a target runs.  rx drives all of
# mirrord per input (about 150 a second, where the codecs do 10^5): a
# hundredth of the others' count, so that make soak stays in hours.
target_runs() {
	case $1 in
	rx) echo $(( nruns / 100 > 0 ? nruns / 100 : 1 )) ;;
	*) echo "$nruns" ;;
	esac
}

limit=()
if [ -n "$nruns" ]; then
	span="to $nruns runs (rx: $(target_runs rx))"
else
	limit=(-max_total_time="$secs") span="for $secs s"
fi

# run_target T: one target, its report in $tmp/T.out, its verdict (ok or
# failed) in $tmp/T.res.
run_target() {
	local t=$1 bin=build/fuzz/$1 log=$logs/$1.log lim=("${limit[@]}") dict=() t0 rc runs rate cov took what art
	[ -n "$nruns" ] && lim=(-runs="$(target_runs "$t")" -max_total_time=0)
	echo "[ RUN      ] fuzz/$t"
	if [ ! -x "$bin" ]; then
		echo "[  FAILED  ] fuzz/$t: $bin not built"
		echo failed > "$tmp/$t.res"; return
	fi
	rm -f "$arts/$t-"*
	mkdir -p "$tmp/$t"
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	t0=$SECONDS
	"$bin" "${lim[@]}" -timeout=10 -rss_limit_mb=1024 -max_len="$(max_len "$t")" \
		-print_final_stats=1 -artifact_prefix="$arts/$t-" "${dict[@]}" \
		"$tmp/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	# No final stats after a crash: the last progress line's count.
	[ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	took="$((SECONDS - t0)) s"
	if [ $rc -eq 0 ] && [ -n "$nruns" ] && [ "${runs:-0}" -lt "$(target_runs "$t")" ]; then
		echo "[  FAILED  ] fuzz/$t: stopped at ${runs:-?} of $(target_runs "$t") runs after $took; log $log"
		echo failed > "$tmp/$t.res"
	elif [ $rc -eq 0 ]; then
		echo "[       OK ] fuzz/$t: ${runs:-?} runs in $took, ${rate:-?} exec/s, ${cov:-cov: ?}"
		echo ok > "$tmp/$t.res"
	else
		what=$(grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*check failed|.*runtime error)' "$log")
		art=$(ls "$arts/$t-"* 2>/dev/null | head -1)
		grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9]|.*check failed|.*runtime error)' "$log" | head -20
		echo "[  FAILED  ] fuzz/$t: ${what:-exit $rc} after ${runs:-?} runs; input ${art:-not saved}; log $log"
		echo failed > "$tmp/$t.res"
	fi
}

# FUZZ_JOBS targets at a time (default 1): make check's unit tier runs
# before any VM suite and passes 2 (tests/host/fuzz.sh), one per core.
jobs=${FUZZ_JOBS:-1}
case "$jobs" in ''|0|*[!0-9]*) jobs=1 ;; esac
echo "[==========] Running ${targets// /, } $span each${jobs:+, $jobs at a time}."
running=0
for t in $targets; do
	if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
	run_target "$t" > "$tmp/$t.out" 2>&1 &
	running=$((running + 1))
done
wait
pass=0 failed=()
for t in $targets; do
	cat "$tmp/$t.out"
	if [ "$(cat "$tmp/$t.res" 2>/dev/null)" = ok ]; then pass=$((pass + 1)); else failed+=("$t"); fi
done
echo "[==========] $(( pass + ${#failed[@]} )) test(s) run."
echo "[  PASSED  ] $pass test(s)."
if [ ${#failed[@]} -gt 0 ]; then
	echo "[  FAILED  ] ${#failed[@]} test(s), listed below:"
	for t in "${failed[@]}"; do echo "[  FAILED  ] fuzz/$t"; done
	exit 1
fi
exit 0
