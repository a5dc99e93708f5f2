# SPDX-License-Identifier: GPL-2.0-or-later
# A failed bitmap write (the metadata device returns EIO on writes; the
# data disks are healthy).  The policy (docs/design.md, "Metadata
# failure"): while the peer is connected, writes go on in sync, each
# completing only once the peer holds it; status says the metadata failed.
# With no peer, a write that cannot be recorded fails: it never completes
# on one disk alone without a durable record.  Node a's metadata is on
# /dev/mapper/meta (/dev/vdb through dm-flakey, switched to error_writes).
. /tests/lib.sh
pair_dm_meta meta
dm_meta meta nowrite || fail "dm error_writes"
dd if=/dev/urandom of=/tmp/p1 bs=1M count=1 2>/dev/null
dd if=/tmp/p1 of=/dev/mirror0 bs=1M seek=20 oflag=direct 2>/tmp/dd.err ||
	{ cat /tmp/dd.err; fail "connected: a write failed although both data disks work"; }
[ "$(on_b "dd if=/dev/vda bs=1M skip=20 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < /tmp/p1)" ] ||
	fail "connected: the write did not reach b"
mdctl status --json r0 | grep -q '"metadata": "failed"' || { mdctl status r0; fail "status does not show the failed metadata"; }
mdctl status r0 | grep -q 'metadata failed' || fail "text status does not say metadata failed"
on_b "killall -9 mirrord"
i=0; until mdctl status --json r0 | grep -q '"connection": "connecting"'; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "a did not notice the peer's loss"; sleep 0.2; done
before=$(dd if=/dev/vda bs=1M skip=30 count=1 iflag=direct 2>/dev/null | md5sum)
if dd if=/tmp/p1 of=/dev/mirror0 bs=1M seek=30 oflag=direct 2>/dev/null; then
	fail "disconnected: a write that could not be recorded completed"
fi
[ "$(dd if=/dev/vda bs=1M skip=30 count=1 iflag=direct 2>/dev/null | md5sum)" = "$before" ] ||
	fail "disconnected: the refused write reached a's disk anyway"
log "disconnected write refused as expected, nothing written"
dm_meta meta ok || fail "dm ok"
mdctl deactivate r0 >/dev/null; mdctl down r0 >/dev/null
echo "metadata failure: in sync while connected, refused when alone"
