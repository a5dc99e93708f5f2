#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: raw disk, the mirror and DRBD 8.4 side by side in one pair of
# guests (TCG: absolute numbers mean little, ratios measured in one run do),
# then the tables in docs/performance.md, between its BENCH markers, the
# reading of them (who is ahead where) from the same numbers, so that no
# prose outside the markers has to state a result that a run changes, and
# the plots docs/perf-*.png (tests/bench/compare_table.py).
#   BENCH_RUNTIME=seconds per fio job (default 20); KSERIES=6.1 by default.
# Then compression (bench_compress: none, zstd, auto on a throttled and
# the unthrottled link) in its own boot, its own table between the ZBENCH
# markers (tests/bench/compress_table.py); then asynchronous replication
# beside DRBD protocol A (bench_async, over a link delayed 10 ms), its table
# between the ABENCH markers (tests/bench/async_table.py).
# Then a 1 TiB device (bench_sparse: random writes spread over it beside a
# hot region, the memory it costs), its table between the SBENCH markers
# (tests/bench/sparse_table.py).
# BENCH_ONLY=compare, compress, async or sparse runs only that part, and
# leaves the other tables as they are.
set -euo pipefail
cd "$(dirname "$0")/../.."
series=${KSERIES:-6.1}
kver=$(scripts/kver.sh "$series")
LOGDIR=build/bench
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
tests/vm/mkinitramfs.sh "$kver" "build/kmod/$kver/mirrordisk.ko" build/bin build/initramfs-$kver.cpio
if [ "${BENCH_ONLY:-}" = "" ] || [ "${BENCH_ONLY:-}" = compare ]; then
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 2700 --disk-mb 1024 --logdir "$LOGDIR" \
	--results "$LOGDIR/results.txt" bench_compare
# For scale: the cipher kernel TLS uses, on this host's real CPU (one core,
# 16 KiB records, OpenSSL in user space), in kB/s.
aes=$(timeout 60 openssl speed -elapsed -seconds 2 -bytes 16384 -evp aes-128-gcm 2>/dev/null |
	awk '/^AES-128-GCM/ { sub(/k$/, "", $2); print $2 }')
python3 tests/bench/compare_table.py "$LOGDIR/$kver-bench-a.console.log" "$kver" "${aes:-0}"
fi
if [ "${BENCH_ONLY:-}" = "" ] || [ "${BENCH_ONLY:-}" = compress ]; then
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 1500 --disk-mb 1024 --logdir "$LOGDIR/compress" \
	--results "$LOGDIR/compress/results.txt" bench_compress
python3 tests/bench/compress_table.py "$LOGDIR/compress/$kver-bench-a.console.log" "$kver"
fi
if [ "${BENCH_ONLY:-}" = "" ] || [ "${BENCH_ONLY:-}" = async ]; then
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 1500 --disk-mb 1024 --logdir "$LOGDIR/async" \
	--results "$LOGDIR/async/results.txt" bench_async
python3 tests/bench/async_table.py "$LOGDIR/async/$kver-bench-a.console.log" "$kver"
fi
if [ "${BENCH_ONLY:-}" = "" ] || [ "${BENCH_ONLY:-}" = sparse ]; then
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 1800 --disk-mb $((1024 * 1024)) --logdir "$LOGDIR/sparse" \
	--results "$LOGDIR/sparse/results.txt" bench_sparse ||
	echo "bench_sparse did not end cleanly: the table is written from what it printed"
python3 tests/bench/sparse_table.py "$LOGDIR/sparse/$kver-bench-a.console.log" "$kver"
fi
