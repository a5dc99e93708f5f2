# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 24, the async backlog's second layer (mirrord/backlog.c): b
# primary with async-buffer 1M and a spill file behind a slow link.
#  1. A power cut of b while more than a MiB of its backlog is in the
#     spill file (async_cut_b in lib.sh: numbered blocks, each written
#     after the previous completed): the standby a holds exactly blocks
#     0..K-1, no gap; b back with its bitmap brings every completed block
#     to a, disks identical.
#  2. On a live link, a burst of 12 times async-buffer goes through the
#     file and drains in order without a resync: the link never dropped
#     (no error, no congestion, nothing out of sync) and the disks are
#     identical.
. /tests/lib.sh
ASYNC_CONF='\nasync-buffer = 1M\nasync-spill = /tmp/r0.spill\nasync-spill-size = 64M'
LAG_KEY=lag_spill_bytes
async_cut_b 6000
async_b_returns ". /tests/lib.sh; $ASYNC_MK; md_load; conf_install /tmp/async.conf; mdctl up r0"
log "phase 1: standby a prefix ($K of $ACKED blocks) at the power cut with the spill file in use"

on_b "mdctl activate r0" || fail "activate b"
# A short queue on the link (netem holds up to 300 segments of 64 KiB
# otherwise: the link alone would take the burst).
on_b "/usr/sbin/tc qdisc add dev eth0 root netem delay 10ms rate 8mbit limit 20" || fail "netem on b"
on_b "dd if=/dev/urandom of=/tmp/burst bs=1M count=12 2>/dev/null" || fail "burst data"
mark_logs
on_b "dd if=/tmp/burst of=/dev/mirror0 bs=256k seek=128 oflag=direct 2>/dev/null" &
ddp=$!
max=0; i=0
while kill -0 $ddp 2>/dev/null || [ $i -lt 10 ]; do
	s=$(on_b "mdctl status --json r0" | json_field lag_spill_bytes)
	[ "${s:-0}" -gt "$max" ] && max=$s
	i=$((i + 1)); [ $i -gt 300 ] && fail "the burst did not complete in 60 s"
	sleep 0.2
done
wait $ddp || fail "the burst failed on b"
[ "$max" -gt 1048576 ] || fail "the spill file never held more than a MiB (most: $max bytes)"
wait_json b lag_bytes 0 120
js=$(on_b "mdctl status --json r0")
for kv in connection:connected congestions:0 out_of_sync_bytes:0 lag_spill_bytes:0 last_error:; do
	[ "$(echo "$js" | json_field ${kv%%:*})" = "${kv#*:}" ] || { echo "$js"; fail "b: ${kv%%:*} is not '${kv#*:}'"; }
done
mine_b | grep -q "spilling to /tmp/r0.spill" || fail "b did not log the spill"
mine_b | grep -E "async-spill:|lost:" && fail "b's link or spill failed during the burst"
on_b "/usr/sbin/tc qdisc del dev eth0 root" || true
same_disks
log "phase 2: 12 MiB through a 1 MiB buffer, at most $max bytes in the spill file, drained in order on one connection"
