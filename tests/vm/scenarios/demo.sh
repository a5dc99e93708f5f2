# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: the main flows on two guests, narrated.
. /tests/lib.sh
say() { echo; echo "=== $*"; }

say "Both nodes: write metadata on /dev/vda, bring r0 up (secondary), make node-a primary"
cat /tests/md.conf
start_pair
mdctl status r0
on_b "mdctl status r0"

say "node-a: ext4 on /dev/mirror0, write some files (every write reaches node-b before it completes)"
mkfs.ext4 -q /dev/mirror0 || fail "mkfs"
mount /dev/mirror0 /mnt || fail "mount"
for i in 1 2 3 4 5; do dd if=/dev/urandom of=/mnt/file$i bs=1M count=4 2>/dev/null; done
(cd /mnt && sha256sum file*) > /tmp/sums; cat /tmp/sums
sync

say "node-b: the standby's copy cannot be opened while it is secondary"
on_b "mount -o ro /dev/mirror0 /mnt" && fail "standby mount succeeded"

say "node-b's daemon dies; node-a keeps writing alone and records what node-b lacks"
on_b "killall -9 mirrord"
sleep 1
dd if=/dev/urandom of=/mnt/late bs=1M count=8 2>/dev/null; sync
(cd /mnt && sha256sum late) >> /tmp/sums
mdctl status r0

say "node-b's daemon restarts: only the changed chunks are copied"
on_b "mdctl up r0"
wait_conn; wait_sync
grep 'resync to node-b finished' /var/log/mirrordisk/r0.log | tail -1
mdctl status r0

say "Switchover: unmount and deactivate on node-a, activate and mount on node-b"
umount /mnt
mdctl deactivate r0 || fail "deactivate"
on_b "mdctl activate r0" || fail "activate b"
on_b "e2fsck -fn /dev/mirror0 >/dev/null 2>&1 && echo 'e2fsck: clean'" || fail "fsck on b"
on_b "mount /dev/mirror0 /mnt && cd /mnt && sha256sum file* late" > /tmp/sums.b
cat /tmp/sums.b
diff /tmp/sums /tmp/sums.b || fail "files differ on node-b"
on_b "umount /mnt; mdctl deactivate r0"

say "Failback to node-a; then a backup split on node-b: detach, grant read-only, read, revoke, attach"
mdctl activate r0 || fail "failback"
# The application stops writing (here: the file system is not mounted) so
# that the standby's copy is consistent, node-b detaches, writes resume.
on_b "mdctl detach r0" || fail "detach"
mount /dev/mirror0 /mnt || fail "mount on a"
dd if=/dev/urandom of=/mnt/after-split bs=1M count=2 2>/dev/null; sync
(cd /mnt && sha256sum after-split) >> /tmp/sums
on_b "mdctl grant r0 && mount -o ro /dev/mirror0 /mnt && ls /mnt && sha256sum /mnt/file1" || fail "grant and read"
on_b "mdctl attach r0" && fail "attach while mounted"
on_b "umount /mnt; mdctl revoke r0; mdctl attach r0" || fail "revoke and attach"
wait_conn; wait_sync
mdctl status r0

say "Online verify: every chunk's xxh3 digest compared with node-b's"
mdctl verify r0 || fail "verify"

say "Split brain: node-b's daemon dies, both nodes write while apart; nothing is overwritten"
on_b "killall -9 mirrord"
dd if=/dev/urandom of=/mnt/late2 bs=1M count=1 2>/dev/null; sync
(cd /mnt && sha256sum late2) >> /tmp/sums
on_b "mdctl activate r0 >/dev/null && dd if=/dev/urandom of=/dev/mirror0 bs=64k count=8 oflag=direct 2>/dev/null; mdctl deactivate r0; mdctl up r0" || fail "write on b alone"
sleep 6
mdctl status r0
say "The administrator keeps node-a's data: mdctl rebuild on node-b"
on_b "mdctl rebuild r0 --from node-a" || true
on_b "mdctl rebuild r0 --from node-a --yes" || fail "rebuild"
wait_conn; wait_sync
mdctl status r0
(cd /mnt && sha256sum -c /tmp/sums) || fail "files on node-a"
umount /mnt

say "Both copies are byte-identical"
same_disks
echo "demo finished"
