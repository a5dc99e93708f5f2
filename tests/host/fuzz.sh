#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check's fuzz step: builds the libFuzzer targets if needed and runs
# each for 5 s, two at a time (tests/fuzz/run.sh; SKIPPED without clang or libFuzzer,
# and when FUZZ_SECONDS=0).
cd "$(dirname "$0")/../.."
export FUZZ_SECONDS=${FUZZ_SECONDS:-5}
export FUZZ_JOBS=${FUZZ_JOBS:-2}	# before any VM suite: both cores
if [ "$FUZZ_SECONDS" = 0 ]; then echo "[  SKIPPED ] fuzz: FUZZ_SECONDS=0"; exit 0; fi
exec tests/fuzz/run.sh
