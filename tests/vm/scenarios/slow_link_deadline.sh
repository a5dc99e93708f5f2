# SPDX-License-Identifier: GPL-2.0-or-later
# A live daemon behind a slow link is never blamed by the kernel (issue 19,
# finding 6).  Bounds of ko_conf: mirrord gives up on a request it took
# and the peer did not acknowledge after 6 s; the kernel on a daemon that
# does not take or acknowledge anything after 8 s.  The link from a to b
# is limited to 32 Mbit/s (tc netem rate, 4 MiB/s) and fio keeps 64 writes
# of 1 MiB in flight: mirrord takes 4 MiB per channel read and two reads
# are on the wire at a time, so what it holds is acknowledged within about
# 2-3 s (under its 6 s; the socket's buffer included), while the rest
# waits in the kernel's queue for up to 14 s.  The daemon is alive and
# takes requests every second.  Before the
# fix the kernel measured from when a request was queued and went
# standalone at 8 s ("mirrord has not taken the request ..."); now it
# measures a queued request from when the daemon last took one, and a
# taken one from when it was taken.
. /tests/lib.sh
ko_conf /tests/md.conf /tmp/ko.conf; on_b ". /tests/lib.sh; ko_conf /tests/md.conf /tmp/ko.conf"
CONF=/tmp/ko.conf start_pair
trap '/usr/sbin/tc qdisc del dev eth0 root 2>/dev/null || true' EXIT
/usr/sbin/tc qdisc add dev eth0 root netem rate 32mbit || fail "netem rate on a"
dmesg -c >/dev/null
n0=$(wc -l < /var/log/mirrordisk/r0.log)	# earlier scenarios' lines are not ours
log "64 x 1 MiB in flight over 32 Mbit/s"
fio_write --rw=write --bs=1m --size=64m --offset=0 --iodepth=64
log "fio done"
/usr/sbin/tc qdisc del dev eth0 root || fail "netem off"
if dmesg | grep "mirrord has not"; then
	fail "the kernel blamed a live daemon behind a slow link"
fi
st=$(mdctl status --json r0)
echo "$st" | grep -q '"daemon_deadline_misses": 0,' || { echo "$st"; fail "a deadline miss was counted"; }
echo "$st" | grep -q '"connection": "connected"' || { echo "$st"; fail "the link dropped"; }
tail -n +$((n0 + 1)) /var/log/mirrordisk/r0.log | grep -q "peer too slow" && fail "the daemon's own bound fired: the link setting proves nothing"
[ "$(echo "$st" | json_field out_of_sync_bytes)" = 0 ] || fail "writes were marked: they were not replicated"
mdctl deactivate r0 >/dev/null
same_disks
echo "a slow link: the daemon kept its requests in bound, the kernel did not step in"
