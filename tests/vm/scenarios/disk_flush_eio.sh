# SPDX-License-Identifier: GPL-2.0-or-later
# The secondary's disk fails a flush (dm-flakey failing every write and
# flush of the data disk; the metadata is on /dev/vdb, which works): the
# writes it acknowledged before may be lost, and which ones is unknown. It
# marks its copy inconsistent and to be rebuilt in full from the primary;
# the primary's application never sees an error. After the disk recovers,
# detach + attach copies the whole device and the copies are identical.
. /tests/lib.sh
dm_pair
for n in a b; do	# + external metadata; the mirror spans the whole disk
	cmd="sed -i 's|^disk = /dev/mapper/lower|&\nmeta = /dev/vdb|' /tmp/dm.conf; dd if=/dev/zero of=/dev/vda bs=1M seek=255 count=1 oflag=direct 2>/dev/null"
	if [ $n = a ]; then sh -c "$cmd"; else on_b "$cmd"; fi
done
grep -q 'meta = /dev/vdb' /tmp/dm.conf || fail "config edit"
CONF=/tmp/dm.conf start_pair
on_b ". /tests/lib.sh; dm_lower nowrite" || fail "dm nowrite on b"
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=8 oflag=direct conv=fsync 2>/tmp/dd.err ||
	{ cat /tmp/dd.err; fail "the primary's write or flush failed although its disk works"; }
on_b "grep -q 'flush failed on /dev/mapper/lower' /var/log/mirrordisk/r0.log" || fail "no flush error in b's log"
js=$(on_b "mdctl status --json r0")
[ "$(echo "$js" | json_field disk_state)" = inconsistent ] || fail "b's copy is not inconsistent"
[ "$(echo "$js" | json_field rebuild)" = discard-local ] || fail "b is not marked for a rebuild from a"
on_b ". /tests/lib.sh; dm_lower ok" || fail "dm ok on b"
resync_b
size=$(mdctl status --json r0 | json_field size_bytes)
rs=$(mdctl status --json r0 | json_field resynced_bytes)
[ "$rs" -ge "$size" ] || fail "after a failed flush the resync copied $rs of $size bytes, not everything"
js=$(on_b "mdctl status --json r0")
[ "$(echo "$js" | json_field disk_state)" = up-to-date ] || fail "b is not up to date after the rebuild"
[ "$(echo "$js" | json_field rebuild)" = none ] || fail "b's rebuild mark was not cleared"
same_disks
dm_unpair
echo "a failed flush on the secondary: copy rebuilt in full, identical"
