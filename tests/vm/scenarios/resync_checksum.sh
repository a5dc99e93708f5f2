# SPDX-License-Identifier: GPL-2.0-or-later
# Checksum-based resync: of 8 MiB marked out of sync, the 4 MiB whose
# digests already match on the peer are not sent; the rest is.
. /tests/lib.sh
mk='sed "s/^timeout = 5/timeout = 5\nchecksum-resync = yes/" /tests/md.conf > /tmp/cs.conf'
sh -c "$mk"; on_b "$mk"
grep -q 'checksum-resync = yes' /tmp/cs.conf || fail "config edit"
export CONF=/tmp/cs.conf
start_pair
on_b "killall -9 mirrord"
sleep 1
PAT="--direct=1 --rw=write --bs=64k --offset=32m --buffer_pattern=0x5a5a5a5a --ioengine=psync"
fio --name=p --filename=/dev/mirror0 $PAT --size=8m >/dev/null || fail "write on a"
# The first half of it lands on b's disk too, behind the mirror's back.
on_b "fio --name=p --filename=/dev/vda $PAT --size=4m >/dev/null" || fail "write on b"
on_b "mdctl up r0" >/dev/null || fail "restart b"
wait_conn
wait_sync
line=$(grep 'resync to node-b finished' /var/log/mirrordisk/r0.log | tail -1)
echo "$line"
echo "$line" | grep -q 'finished: 128 chunks .* 64 found identical' || fail "expected 64 of 128 chunks identical"
same_disks
unset CONF
echo "checksum resync sent only the differing chunks"
