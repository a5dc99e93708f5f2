# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 24, failover in mode = async: the primary b loses power with a
# backlog (async_cut_b in lib.sh); the standby a, a prefix 0..K-1 of b's
# history, takes over (mdctl activate, no --force) and writes.  b comes
# back: a's new generation descends from the one b crashed in, so the
# generation rules make b the resync target, and the writes b completed
# that a never had (in b's bitmap) are rewritten with a's data, which b's
# log (new since its reboot) says with their count: nothing given up
# silently.  The disks end
# identical: the prefix, a's write after the takeover, none of b's lost
# blocks.
. /tests/lib.sh
N=6000
async_cut_b $N
mdctl activate r0 || fail "the standby cannot take over"
dd if=/dev/urandom of=/tmp/mark bs=4k count=1 2>/dev/null
dd if=/tmp/mark of=/dev/mirror0 bs=4k seek=$((N + 16)) oflag=direct 2>/dev/null || fail "write on a"
b_back_up
wait_conn 60
wait_sync 180
same_disks
kb=$(on_b "mdwrite prefix /dev/vda $N") || fail "b is not a prefix after the resync"
[ "$kb" = "$K" ] || fail "b holds blocks 0..$((kb - 1)), a 0..$((K - 1))"
on_b "dd if=/dev/vda bs=4k skip=$((N + 16)) count=1 iflag=direct 2>/dev/null" | cmp -s - /tmp/mark ||
	fail "a's write after the takeover is not on b"
on_b "cat /var/log/mirrordisk/r0.log" | grep -E 'resync from node-a: [0-9]+ chunks marked here' ||
	fail "b did not say that its own changes are rewritten"
echo "takeover with the prefix ($K of $ACKED blocks); b, back, resynced from a; disks identical"
