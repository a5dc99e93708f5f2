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
sha256sum /mnt/file* > /tmp/sums; cat /tmp/sums
sync

say "node-b: the standby's copy cannot be opened while it is secondary"
on_b "mount -o ro /dev/mirror0 /mnt" && fail "standby mount succeeded"

say "node-b's daemon dies; node-a keeps writing alone and records what node-b lacks"
on_b "killall -9 mirrord"
sleep 1
dd if=/dev/urandom of=/mnt/late bs=1M count=8 2>/dev/null; sync
sha256sum /mnt/late >> /tmp/sums
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

say "Both copies are byte-identical"
same_disks
echo "demo finished"
