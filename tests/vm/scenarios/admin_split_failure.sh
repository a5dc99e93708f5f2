# SPDX-License-Identifier: GPL-2.0-or-later
# Failure during the split: the primary (b) loses power while the standby
# (a) is detached and granted.  The admin rebuilds from the standby, makes
# it primary, and the old primary comes back as secondary and ends identical.
. /tests/lib.sh
up_both
on_b "mdctl activate --force r0" || fail "activate b"
wait_conn
wait_sync
on_b ". /tests/lib.sh; fio_write --rw=write --bs=64k --size=1m --offset=0" || fail "write on b"
mdctl detach r0 || fail "detach a"
on_b ". /tests/lib.sh; fio_write --rw=write --bs=64k --size=2m --offset=8m" || fail "write on b after split"
# b keeps calling; a refuses with the reason, readable through TLS.
wait_log b "node-a is detached from the mirror"
mdctl grant r0 || fail "grant a"
fio_verify --rw=write --bs=64k --size=1m --offset=0
echo "@@CRASH b" > /dev/console
sleep 2
expect_rc 4 mdctl rebuild r0 --from node-a	# asks for confirmation
expect_rc 2 mdctl rebuild r0			# which side?
expect_rc 3 mdctl rebuild r0 --from node-z
mdctl rebuild r0 --from node-a --yes || fail "rebuild from a"
mdctl activate r0 || fail "activate a"
mdctl status --json r0 | grep -q '"role": "primary"' || fail "a not primary"
fio_write --rw=write --bs=64k --size=1m --offset=32m
b_back_up
wait_conn
wait_sync
on_b "mdctl status --json r0" | grep -q '"role": "secondary"' || fail "b is not secondary"
grep 'resync to node-b' /var/log/mirrordisk/r0.log | tail -2
same_disks
fio_verify --rw=write --bs=64k --size=1m --offset=32m
echo "rebuilt from the standby; the old primary came back as secondary, identical"
