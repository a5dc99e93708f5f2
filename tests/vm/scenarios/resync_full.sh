# SPDX-License-Identifier: GPL-2.0-or-later
# Initial construction: two blank metadata sets, one node made primary with
# --force, a full sync to the other; then both copies are identical and the
# resync's progress was visible in status while it ran.
. /tests/lib.sh
on_b "dd if=/dev/urandom of=/dev/vda bs=1M count=16 seek=32 2>/dev/null"	# b's disk differs
CREATE_ARGS= up_both
[ "$(mdctl status --json r0 | json_field last_full_sync)" = never ] || fail "fresh metadata claims a full sync"
on_b "mdctl activate r0" && fail "activating blank (inconsistent) metadata was allowed"
expect_rc 4 mdctl activate r0
mdctl activate --force r0 >/dev/null || fail "activate --force"
wait_conn
seen=0
for i in $(seq 1 50); do
	mdctl status r0 | grep -q 'resync source' && { seen=1; mdctl status r0 | grep resync; break; }
	sleep 0.2
done
[ $seen = 1 ] || log "(resync finished before status showed it)"
wait_sync
size=$(mdctl status --json r0 | json_field size_bytes)
rs=$(mdctl status --json r0 | json_field resynced_bytes)
[ "$rs" -ge "$size" ] || fail "full sync copied $rs of $size bytes"
grep 'resync to node-b finished' /var/log/mirrordisk/r0.log | tail -1
for n in a b; do
	if [ $n = a ]; then full=$(mdctl status --json r0 | json_field last_full_sync)
	else full=$(on_b "mdctl status --json r0" | json_field last_full_sync); fi
	case $full in 20*) ;; *) fail "node $n: last_full_sync is '$full' after a full sync";; esac
done
same_disks
echo "full initial sync made the copies identical"
