# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, the resync's own rate: iperf3 a -> b (the link), then four full
# resyncs of the 1 GiB data disk (fresh metadata on both, activate
# --force), unencrypted, each awaited with mdctl wait-sync (no polling),
# with both guests' busy CPU over it.  Not in make bench or any suite:
# the back-to-back runs behind docs/design.md section 8 ("Runs") and
# docs/performance.md's note on resync in runs, run once with the build
# before and once with the build after a change.  Run it with
#   python3 tests/vm/runner.py --kernel KVER --initrd build/initramfs-KVER.cpio \
#     --suite bench --nodes 2 --timeout 900 --disk-mb 1024 --logdir D \
#     --results D/r.txt bench_resync_runs
# Prints "@@IPERF KBIT_S" and "@@RS ROUND MIB_S WALL_MS A_BUSY_MS B_BUSY_MS
# MODE CHANNEL_READS CHANNEL_REQUESTS" (mirrord --chan-read MODE, rounds
# alternating adaptive and blocking; the reads and requests since start).
. /tests/lib.sh
plain_conf
on_b "iperf3 -s -D" || fail "iperf3 server on b"
sleep 1
iperf3 -c "$PEER" -t 10 -f k > /tmp/i.out 2>&1 || { cat /tmp/i.out; fail "iperf3"; }
echo "@@IPERF $(awk '/receiver$/ { for (i = 2; i <= NF; i++) if ($i == "Kbits/sec") print $(i - 1) }' /tmp/i.out)"
# Interleaved: how mirrord reads the kernel channel (--chan-read), the
# default adaptive beside blocking.
round=0
for mode in adaptive blocking adaptive blocking; do
	round=$((round + 1))
	MD_DAEMON_ARGS="--chan-read $mode" CONF=/tmp/plain.conf CREATE_ARGS= up_both
	a0=$(busy_ms); b0=$(on_b ". /tests/lib.sh; busy_ms"); t0=$(uptime_ms)
	mdctl activate --force r0 >/dev/null || fail "activate"
	sync_wait_quiet 600
	t1=$(uptime_ms); a1=$(busy_ms); b1=$(on_b ". /tests/lib.sh; busy_ms")
	size=$(mdctl status --json r0 | json_field size_bytes)
	echo "@@RS $round $((size / 1024 * 1000 / (t1 - t0) / 1024)) $((t1 - t0)) $((a1 - a0)) $((b1 - b0)) $mode" \
		"$(mdctl status --json r0 | json_field channel_reads) $(mdctl status --json r0 | json_field channel_requests)"
	wait_sync
	same_disks
	mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
done
