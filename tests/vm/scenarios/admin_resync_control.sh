# SPDX-License-Identifier: GPL-2.0-or-later
# Resync control: a rate limit set at run time, pause and resume on the
# source; the target refuses to pause with a pointer to the source.
. /tests/lib.sh
start_pair
on_b "killall -9 mirrord" || fail "kill b"
sleep 1
fio_write --rw=write --bs=1m --size=16m --offset=0 --iodepth=4
mdctl set r0 resync-rate=2M || fail "set rate"
mdctl status --json r0 | grep -q '"resync_rate_limit_bytes": 2097152' || fail "rate not shown"
on_b "mdctl up r0" || fail "restart b"
wait_conn
sleep 2
mdctl pause r0 || fail "pause"
expect_rc 4 on_b "mdctl pause r0"	# b receives
sleep 1
d1=$(mdctl status --json r0 | json_field sync_done_bytes)
sleep 3
d2=$(mdctl status --json r0 | json_field sync_done_bytes)
log "paused: $d1 -> $d2 bytes done"
[ "$d1" = "$d2" ] || fail "resync went on while paused ($d1 -> $d2)"
mdctl status --json r0 | grep -q '"paused": true' || fail "status does not show paused"
[ "$d1" -lt 16777216 ] || fail "resync finished before the pause: rate limit not applied"
mdctl set r0 resync-rate=0 || fail "unlimit"
mdctl resume r0 || fail "resume"
wait_sync
same_disks
echo "rate limit, pause and resume applied at run time"
