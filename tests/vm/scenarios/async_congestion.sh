# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 24: on-congestion pull-ahead.  mode async with a 1 MiB buffer over
# a link netem holds to 8 Mbit/s (1 MB/s) and 10 ms:
#   - a 6 MiB burst of direct writes fills the buffer: a drops the link
#     instead of holding the writes (the burst completes on the local
#     disk), status says "ahead" with the time it ends, and b, which
#     still holds a consistent prefix, is refused with the reason;
#   - after the 10 s hold-off a connects again and resyncs b (the catch-up):
#     status says b's copy is not a consistent prefix meanwhile, and is
#     again once it ends; the disks are identical;
#   - a planned switchover while pulled ahead: mdctl deactivate ends the
#     hold-off and waits for the peer, so b, activated next, holds the
#     burst (b's copy says up to date during a hold-off: activating it
#     before the catch-up would lose the burst);
#   - no flapping: fio writing 64 MiB at twice the link's rate costs at
#     most 3 congestions: the hold-off doubles (20 s now, the last
#     congestion being recent), and the catch-up finishes, the writes
#     waiting as with block while it runs, instead of dropping the link
#     again; fio's verify passes; the disks are identical again.
. /tests/lib.sh
trap 'rc=$?; /usr/sbin/tc qdisc del dev eth0 root 2>/dev/null || true; exit $rc' EXIT
start_pair
for kv in mode=async async-buffer=1M on-congestion=pull-ahead; do
	expect_rc 0 mdctl set r0 $kv
done
wait_json a async_active true 10
js=$(mdctl status --json r0)
[ "$(echo "$js" | json_field on_congestion)" = pull-ahead ] || { echo "$js"; fail "on_congestion not in status"; }
/usr/sbin/tc qdisc add dev eth0 root netem delay 10ms rate 8mbit || fail "netem on a"
mark_logs

log "a 6 MiB burst into a 1 MiB buffer"
dd if=/dev/urandom of=/tmp/burst bs=1M count=6 2>/dev/null
dd if=/tmp/burst of=/dev/mirror0 bs=1M seek=16 oflag=direct 2>/dev/null || fail "the burst failed"
wait_mine a "on-congestion pull-ahead: the link stays down for 10 s" 20
wait_json a connection ahead 10		# published once the connection's I/O ended
js=$(mdctl status --json r0)
echo "$js" | grep -E '"(connection|congestions|ahead_until|peer_consistent_prefix|peer_inconsistent_since)"'
[ "$(echo "$js" | json_field connection)" = ahead ] || fail "a not ahead after the congestion"
[ "$(echo "$js" | json_field congestions)" = 1 ] || fail "congestions: expected 1"
echo "$js" | grep -q '"ahead_until": "20' || fail "no ahead_until while ahead"
[ "$(echo "$js" | json_field peer_consistent_prefix)" = true ] ||
	fail "b holds a prefix while a is ahead (no resync began), status says otherwise"
[ "$(echo "$js" | json_field out_of_sync_bytes)" != 0 ] || fail "the bitmap recorded nothing"
wait_mine b "pulled ahead under congestion" 30

log "the catch-up: a resync after the hold-off"
wait_json a peer_consistent_prefix false 40
js=$(mdctl status --json r0)
echo "$js" | grep -q '"peer_inconsistent_since": "20' || { echo "$js"; fail "no peer_inconsistent_since during the catch-up"; }
wait_conn 60
wait_sync 120
wait_json a peer_consistent_prefix true 10
[ "$(mdctl status --json r0 | json_field congestions)" = 1 ] || fail "a second congestion during the catch-up"
same_disks

log "a planned switchover while pulled ahead"
dd if=/dev/urandom of=/tmp/burst2 bs=1M count=4 2>/dev/null
dd if=/tmp/burst2 of=/dev/mirror0 bs=1M seek=24 oflag=direct 2>/dev/null || fail "the second burst failed"
wait_json a connection ahead 20
mdctl deactivate r0 > /tmp/deact.out || { cat /tmp/deact.out; fail "deactivate while ahead"; }
cat /tmp/deact.out
grep -q 'pulled ahead under congestion: ending the hold-off' /tmp/deact.out || fail "deactivate did not end the hold-off"
# Right when deactivate returned: b either is the catch-up's target
# (inconsistent: it cannot be activated) or already holds the burst.
bd=$(on_b "mdctl status --json r0" | json_field disk_state)
if [ "$bd" != inconsistent ]; then
	on_b "dd if=/dev/vda bs=1M skip=24 count=4 iflag=direct 2>/dev/null" | cmp -s - /tmp/burst2 ||
		fail "deactivate returned while b ($bd) lacked the burst: activating b would lose it"
fi
log "b right after deactivate: $bd"
wait_sync 120
on_b "mdctl activate r0" || fail "activate b after the catch-up"
on_b "dd if=/dev/mirror0 bs=1M skip=24 count=4 iflag=direct 2>/dev/null" | cmp -s - /tmp/burst2 ||
	fail "b, activated after the switchover, lacks the burst a completed while ahead"
on_b "mdctl deactivate r0" || fail "deactivate b"
mdctl activate r0 >/dev/null || fail "activate a again"
wait_json a async_active true 10

log "no flapping: fio writes 64 MiB at 2 MB/s over a 1 MB/s link"
FIO="--rw=randwrite --bs=64k --iodepth=4 --size=64m --offset=32m"
n0=$(mine | grep -c 'on-congestion pull-ahead' || true)
t0=$(uptime_s)
fio_write $FIO --rate=2m
nc=$(( $(mine | grep -c 'on-congestion pull-ahead' || true) - n0 ))
log "$nc congestion(s) while fio wrote for $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", b - a }') s"
mine | grep 'on-congestion pull-ahead' | tail -n +2 | sed 's/^/    /'
[ "$nc" -ge 1 ] || fail "fio at twice the link's rate caused no congestion (test setup)"
[ "$nc" -le 3 ] || fail "$nc congestions: the hold-off did not grow, or a catch-up was cut (flapping)"
mine | grep 'on-congestion pull-ahead' | sed -n 2p | grep -q 'the link stays down for 20 s' ||
	fail "the hold-off of a congestion soon after the first was not doubled to 20 s"
/usr/sbin/tc qdisc del dev eth0 root || fail "netem off"
wait_conn 120
wait_sync 180
wait_json a peer_consistent_prefix true 10
expect_rc 0 mdctl set r0 mode=sync
fio_verify $FIO
same_disks
echo "pull-ahead: the burst completed locally, one congestion, the catch-up resync made the disks identical; $nc congestion(s) under sustained overload"
