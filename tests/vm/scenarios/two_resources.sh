# SPDX-License-Identifier: GPL-2.0-or-later
# One resource must not freeze another.  r0 and r1 live on two
# device-mapper halves of the data disk on both nodes.  r1's disk on node a
# hangs (dmsetup suspend: I/O queued); a mark on r1 (MD_IOC_SET_OOS, which
# returns only once the bitmap page is on disk) then waits on it, and
# `mdctl down r1` waits behind that.  Meanwhile r0 keeps replicating: a
# write completes and reaches b, and status answers, within a bound.
# Before per-device locking, the waiting ioctl held the module's one mutex,
# and r0's daemon blocked in its next status ioctl.  Then r1 comes up again
# over a slow bitmap (below).
. /tests/lib.sh
# h0 and h1: the first two 120 MiB of /dev/vda, on both nodes.
halves='export DM_DISABLE_UDEV=1;
	echo "0 245760 linear /dev/vda 0" | dmsetup create h0 --noudevsync &&
	echo "0 245760 linear /dev/vda 245760" | dmsetup create h1 --noudevsync'
md_load; sh -c "$halves" || fail "halves on a"
conf_install /tests/two.conf
on_b ". /tests/lib.sh; md_load; $halves && conf_install /tests/two.conf &&
	for r in r0 r1; do mdctl create --force --assume-clean \$r >/dev/null && mdctl up \$r >/dev/null || exit 1; done" ||
	fail "up on b"
for r in r0 r1; do
	mdctl create --force --assume-clean $r >/dev/null || fail "create $r"
	mdctl up $r >/dev/null || fail "up $r"
	mdctl activate --force $r >/dev/null || fail "activate $r"
done
wait_conn
i=0; until mdctl status --json r1 | grep -q '"connection": "connected"'; do
	i=$((i + 1)); [ $i -gt 150 ] && fail "r1 not connected"; sleep 0.2; done
mdctl deactivate r1 >/dev/null || fail "deactivate r1"
# r1's disk on a hangs; whatever happens below, it comes back at the end
# (a failed check must not leave the node hung for the next scenario).
trap 'DM_DISABLE_UDEV=1 dmsetup resume --noudevsync h1 2>/dev/null || true' EXIT
DM_DISABLE_UDEV=1 dmsetup suspend --noudevsync h1 || fail "suspend h1"
mdioctl setoos 1 7 > /tmp/setoos.out 2>&1 &
mark=$!
sleep 1
kill -0 $mark 2>/dev/null || fail "the mark on r1 did not wait for its hung disk: $(cat /tmp/setoos.out)"
mdctl down r1 > /tmp/down.out 2>&1 &
down=$!
sleep 2
# r0 must go on.
dd if=/dev/urandom of=/tmp/p0 bs=1M count=1 2>/dev/null
timeout 15 dd if=/tmp/p0 of=/dev/mirror0 bs=1M seek=10 oflag=direct 2>/dev/null ||
	fail "a write to r0 did not complete while r1's disk hangs"
timeout 5 mdctl status r0 >/dev/null || fail "mdctl status r0 hangs while r1's disk hangs"
[ "$(on_b "dd if=/dev/mapper/h0 bs=1M skip=10 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < /tmp/p0)" ] ||
	fail "r0's write did not reach b"
log "r0 replicated while r1 hung"
DM_DISABLE_UDEV=1 dmsetup resume --noudevsync h1 || fail "resume h1"
rc=0; wait $mark || rc=$?
[ $rc = 0 ] || fail "the mark on r1 failed after its disk came back: $(cat /tmp/setoos.out)"
rc=0; wait $down || rc=$?
[ $rc = 0 ] || fail "mdctl down r1 failed after its disk came back: $(cat /tmp/down.out)"

# Bringing r1 up over a slow metadata device: the kernel reads r1's bitmap
# when it creates the device.  The page takes 10 s to read (dm-delay over
# the bitmap of r1's internal metadata on a; its superblock, which mdctl
# and mirrord read, stays fast).  Meanwhile r0 goes on as above.  Before
# the fix, create read the bitmap under the module's one mutex, and r0's
# status ioctl waited the 10 s behind it.
log "r1 comes up over a bitmap that takes 10 s to read"
sz=$(blockdev --getsz /dev/mapper/h1)
bm=$(( (sz * 512 - 8192 - ((sz * 512 / 4096 + 7) / 8 + 4095) / 4096 * 4096) / 4096 * 4096 + 8192 ))
bm=$((bm / 512))	# first sector of r1's bitmap (lib/meta.c, md_geom_internal)
DM_DISABLE_UDEV=1 dmsetup suspend --noudevsync h1 &&
	printf '0 %s linear /dev/vda 245760\n%s %s delay /dev/vda %s 10000\n' $bm $bm $((sz - bm)) $((245760 + bm)) |
	DM_DISABLE_UDEV=1 dmsetup reload h1 && DM_DISABLE_UDEV=1 dmsetup resume --noudevsync h1 ||
	fail "slow bitmap under h1"
mdctl up r1 > /tmp/up1.out 2>&1 &
up=$!
sleep 3
kill -0 $up 2>/dev/null || fail "mdctl up r1 did not wait for its slow bitmap: $(cat /tmp/up1.out)"
timeout 3 mdctl status r0 >/dev/null || fail "mdctl status r0 waits while r1 reads its bitmap"
dd if=/dev/urandom of=/tmp/p1 bs=1M count=1 2>/dev/null
timeout 5 dd if=/tmp/p1 of=/dev/mirror0 bs=1M seek=11 oflag=direct 2>/dev/null ||
	fail "a write to r0 did not complete while r1 reads its bitmap"
[ "$(on_b "dd if=/dev/mapper/h0 bs=1M skip=11 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < /tmp/p1)" ] ||
	fail "r0's write did not reach b while r1 read its bitmap"
kill -0 $up 2>/dev/null || fail "r1 came up before the checks ended: they proved nothing"
rc=0; wait $up || rc=$?
[ $rc = 0 ] || fail "mdctl up r1 over the slow bitmap failed: $(cat /tmp/up1.out)"
mdctl status --json r0 | grep -q '"connection": "connected"' || fail "r0 lost its peer while r1 came up"
log "r0 replicated while r1 read its bitmap"
# The bitmap fast again before the end: r1's daemon writes its superblock
# (a flush, which dm-delay holds too) when it meets its peer.
DM_DISABLE_UDEV=1 dmsetup suspend --noudevsync h1 &&
	echo "0 245760 linear /dev/vda 245760" | DM_DISABLE_UDEV=1 dmsetup reload h1 &&
	DM_DISABLE_UDEV=1 dmsetup resume --noudevsync h1 || fail "h1 back to linear"
mdctl deactivate r0 >/dev/null || fail "deactivate r0"
for r in r0 r1; do mdctl down $r > /tmp/down.out 2>&1 || fail "down $r: $(cat /tmp/down.out)"; done
on_b "mdctl down r0 && mdctl down r1" > /tmp/down.out 2>&1 || fail "down on b: $(cat /tmp/down.out)"
# The next scenario expects the two data disks alike; r0's and r1's
# metadata, which differ per node, lived in the last 64 KiB of h0 and h1
# (MiB 120 and 240 of /dev/vda): blank them on both nodes.
w='for e in 1920 3840; do dd if=/dev/zero of=/dev/vda bs=64k seek=$((e - 1)) count=1 oflag=direct 2>/dev/null; done'
sh -c "$w"; on_b "$w"
echo "a hung disk under r1 did not freeze r0, nor did a slow one while r1 came up"
