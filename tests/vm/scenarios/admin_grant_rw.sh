# SPDX-License-Identifier: GPL-2.0-or-later
# A read-write grant: the standby changes its detached copy; on attach,
# those changes are overwritten from the primary (with the primary's own
# changes since the split), never the other way.
. /tests/lib.sh
start_pair
fio_write --rw=write --bs=64k --size=2m --offset=0
on_b "mdctl detach r0" || fail "detach"
on_b "mdctl grant --rw r0" || fail "grant rw"
on_b "mdctl status --json r0" | grep -q '"granted": "read-write"' || fail "status does not show the grant"
on_b "dd if=/dev/urandom of=/dev/mirror0 bs=64k count=16 seek=64 oflag=direct 2>/dev/null" || fail "write on the granted copy"
on_b "dd if=/dev/urandom of=/dev/mirror0 bs=64k count=4 oflag=direct 2>/dev/null" || fail "overwrite old data on b"
fio_write --rw=write --bs=64k --size=1m --offset=8m
expect_rc 4 on_b "mdctl activate r0"	# a granted standby is not a primary
on_b "mdctl revoke r0" || fail "revoke"
on_b "mdctl attach r0" || fail "attach"
wait_conn
wait_sync
fio_verify --rw=write --bs=64k --size=2m --offset=0
fio_verify --rw=write --bs=64k --size=1m --offset=8m
same_disks
on_b "mdctl status --json r0" | grep -q '"disk_state": "up-to-date"' || fail "b not up to date"
echo "changes on the granted standby were replaced by the primary's data"
