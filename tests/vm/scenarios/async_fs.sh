# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 24, the file system variant of async_prefix: b primary in mode =
# async behind a slow link, ext4 on its mirror, files written with a sync
# every 20 of them; b's power is cut while its backlog exceeds a MiB.  The
# standby a takes over with its prefix: ext4 mounts (its journal replays)
# and e2fsck -f finds it clean, which holds only if the peer applied the
# writes in order with the flushes' barriers kept (MDW_DF_BARRIER).
# b comes back as the resync target (async_failover says why).
. /tests/lib.sh
ASYNC_MK="sed 's|^timeout = 5|timeout = 5\\nmode = async|' /tests/md.conf > /tmp/async.conf"
sh -c "$ASYNC_MK"; on_b "$ASYNC_MK"
CONF=/tmp/async.conf start_pair
mdctl deactivate r0 || fail "deactivate a"
on_b "mdctl activate r0" || fail "activate b"
on_b "mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 /dev/mirror0 && mount /dev/mirror0 /mnt" ||
	fail "mkfs and mount on b"
# 20 files the standby holds for sure, then the slow link.
on_b "for i in \$(seq 1000 1019); do dd if=/dev/urandom of=/mnt/g\$i bs=64k count=2 2>/dev/null; done; sync" ||
	fail "first files on b"
wait_json b lag_bytes 0 60
on_b "/usr/sbin/tc qdisc add dev eth0 root netem delay 25ms rate 2mbit limit 300" || fail "netem on b"
log "b writes files of 128 KiB, a sync every 20"
on_b "i=0; while :; do dd if=/dev/urandom of=/mnt/f\$i bs=64k count=2 2>/dev/null; i=\$((i + 1)); [ \$((i % 20)) = 0 ] && sync; done" >/dev/null 2>&1 &
wr=$!
i=0
while :; do
	lag=$(on_b "mdctl status --json r0" | json_field lag_bytes)
	[ "${lag:-0}" -gt 1048576 ] && break
	i=$((i + 1)); [ $i -gt 300 ] && fail "no backlog of 1 MiB after 60 s"
	sleep 0.2
done
log "backlog on b: $lag bytes; power cut"
echo "@@CRASH b" > /dev/console
sleep 3
kill $wr 2>/dev/null || true
wait_json a connection connecting 60
mdctl activate r0 || fail "the standby cannot take over"
mount /dev/mirror0 /mnt || fail "the standby's file system does not mount"
n=$(ls /mnt | grep -c '^f' || true)
[ "$(ls /mnt | grep -c '^g' || true)" = 20 ] || { ls /mnt; umount /mnt; fail "the files written before the backlog are not all on the standby"; }
umount /mnt || fail "umount on a"
e2fsck -fn /dev/mirror0 > /tmp/fsck.out 2>&1 || { cat /tmp/fsck.out; fail "e2fsck: the standby's file system is not clean"; }
log "a took over: ext4 mounted, 20 + $n files, e2fsck -f clean"
b_back_up
wait_conn 60
wait_sync 180
same_disks
