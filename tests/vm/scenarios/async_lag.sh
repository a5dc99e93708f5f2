# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 24: lag_seconds within a second of the truth.  mode async; node b's
# data disk stops answering (dm suspended: its daemon and the link stay
# healthy, its metadata is on /dev/vdb), so a write a completes stays in
# the backlog: the truth at any moment is the time since that write
# completed on a, measured here with the guest's clock.  mdctl status is
# read three times over about 5 s (the daemon publishes every half second
# while a backlog exists; status ages the value to the moment it runs),
# each within 1 s of
# the truth; b's disk back, the backlog drains to 0 and the disks are
# identical.
. /tests/lib.sh
md_load
on_b ". /tests/lib.sh; dm_lower ok" || fail "dm_lower on b"
ext='s|^disk = /dev/vda|&\nmeta = /dev/vdb|;s|^timeout = 5|timeout = 5\nmode = async|'
sed "$ext" /tests/md.conf > /tmp/lag.conf
on_b "sed '$ext' /tests/md.conf | sed 's|^disk = /dev/vda|disk = /dev/mapper/lower|' > /tmp/lag.conf"
grep -q '^mode = async' /tmp/lag.conf || fail "config edit"
wipe_tail
CONF=/tmp/lag.conf start_pair
wait_json a async_active true 10
[ "$(mdctl status --json r0 | json_field lag_writes)" = 0 ] || fail "a backlog before the test"
on_b "DM_DISABLE_UDEV=1 dmsetup suspend --noudevsync lower" || fail "suspend b's disk"
dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=2560 oflag=direct 2>/dev/null || fail "the write on a"
tw=$(uptime_s)
for pause in 1 2 2; do
	sleep $pause
	ts=$(uptime_s)
	js=$(mdctl status --json r0)
	lag=$(echo "$js" | json_field lag_seconds)
	te=$(uptime_s)
	[ "$(echo "$js" | json_field lag_writes)" = 1 ] || { echo "$js"; fail "the write is not in the backlog"; }
	log "lag_seconds $lag, truth $(awk -v a="$tw" -v b="$ts" -v c="$te" 'BEGIN { printf "%.2f..%.2f", b - a, c - a }') s"
	# The truth while status ran: between ts - tw and te - tw.
	awk -v l="$lag" -v a="$tw" -v b="$ts" -v c="$te" 'BEGIN { exit !(l >= b - a - 1 && l <= c - a + 1) }' ||
		fail "lag_seconds $lag is not within 1 s of the truth"
done
on_b "DM_DISABLE_UDEV=1 dmsetup resume --noudevsync lower" || fail "resume b's disk"
wait_json a lag_writes 0 30
[ "$(mdctl status --json r0 | json_field lag_seconds)" = 0.000 ] ||
	{ mdctl status --json r0; fail "lag_seconds not 0 once the backlog drained"; }
wait_sync
mdctl deactivate r0 >/dev/null
same_disks
mdctl down r0; on_b "mdctl down r0"
on_b "DM_DISABLE_UDEV=1 dmsetup remove --noudevsync lower"
echo "lag_seconds within 1 s of the truth at three readings; drained to 0 after b's disk returned"
