# SPDX-License-Identifier: GPL-2.0-or-later
# A resync read belongs to the connection that asked for it.  The source's
# kernel reads a chunk for the daemon (MD_IOC_RESYNC) and queues it when
# the read completes; if the link dropped and came back meanwhile, the
# record must not go to the new connection, which did not ask for it:
# its daemon counts it against its own resync window (rs.issued) and
# sends the chunk a second time, or to a peer that expects none.  Here
# a's data disk (dm over /dev/vda, metadata on /dev/vdb) is suspended
# while a resync from a is under way, so its first reads hang; b detaches
# and attaches (a new connection, whose reads of the same chunks wait
# behind the hung ones); then the disk resumes.  The stale reads must be
# dropped: every out-of-sync chunk is resynced exactly once (resynced
# bytes = what was out of sync), and the copies end identical.
. /tests/lib.sh
dm_pair_detached
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=4 seek=16 oflag=direct 2>/dev/null || fail "write on a"
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
[ "$oos" -gt 0 ] || fail "nothing out of sync after writing alone"
DM_DISABLE_UDEV=1 dmsetup suspend --noudevsync lower || fail "suspend a's disk"
on_b "mdctl attach r0 >/dev/null" || fail "attach b"
i=0; until [ "$(mdctl status --json r0 | json_field inflight)" -gt 0 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { mdctl status r0; fail "no resync read started"; }; sleep 0.2; done
log "$(mdctl status --json r0 | json_field inflight) resync reads hang on a's suspended disk"
on_b "mdctl detach r0 >/dev/null" || fail "detach b again"
wait_json a connection connecting 20
on_b "mdctl attach r0 >/dev/null" || fail "attach b again"
wait_json a connection connected 20
sleep 1		# the new connection's resync asks for the same chunks
DM_DISABLE_UDEV=1 dmsetup resume --noudevsync lower || fail "resume a's disk"
log "a's disk resumed"
wait_conn; wait_sync
got=$(mdctl status --json r0 | json_field resynced_bytes)
[ "$got" = "$oos" ] || fail "resynced $got bytes for $oos out of sync: stale reads reached the new connection"
mdctl deactivate r0 >/dev/null
same_disks
echo "resync reads of a dropped connection were not sent on the next one"
