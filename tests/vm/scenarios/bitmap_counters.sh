# SPDX-License-Identifier: GPL-2.0-or-later
# The counters mdctl status --json gives performance testers (channel
# version 6, md_ioc_status): a write to a chunk whose write-intent bit is
# clear waits for a bitmap page write (bitmap_waits +1, bitmap_page_writes
# up); a second write to the same chunk finds the bit durable and costs
# none (a hot chunk costs one bitmap write, not one per write).  Alone,
# the primary's cleaner runs no epoch, so the bit stays set meanwhile.
. /tests/lib.sh
md_load
conf_install
MD_NODE=node-a mdctl create --force --assume-clean r0 >/dev/null || fail "mdctl create"
MD_NODE=node-a mdctl up r0 >/dev/null || fail "mdctl up"
MD_NODE=node-a mdctl activate --force r0 >/dev/null || fail "mdctl activate"
ctr() { MD_NODE=node-a mdctl status --json r0 | json_field "$1"; }
w0=$(ctr writes); p0=$(ctr bitmap_page_writes); q0=$(ctr bitmap_waits)
[ -n "$p0" ] && [ -n "$q0" ] && [ -n "$(ctr epochs)" ] || fail "no bitmap counters in status"
one() { dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=$1 oflag=direct 2>/dev/null || fail "write at block $1"; }
one 51200	# 200 MiB in: a chunk nothing wrote yet
w1=$(ctr writes); p1=$(ctr bitmap_page_writes); q1=$(ctr bitmap_waits)
[ "$w1" -eq $((w0 + 1)) ] || fail "writes $w0 -> $w1, expected one more"
[ "$q1" -eq $((q0 + 1)) ] || fail "bitmap_waits $q0 -> $q1: the first write to a cold chunk must wait once"
[ "$p1" -gt "$p0" ] || fail "bitmap_page_writes $p0 -> $p1: no page written for a new bit"
one 51201	# the same chunk again: its bit is durable
w2=$(ctr writes); p2=$(ctr bitmap_page_writes); q2=$(ctr bitmap_waits)
[ "$w2" -eq $((w1 + 1)) ] || fail "writes $w1 -> $w2"
[ "$q2" -eq "$q1" ] && [ "$p2" -eq "$p1" ] ||
	fail "a write to a hot chunk cost a bitmap write (waits $q1 -> $q2, page writes $p1 -> $p2)"
MD_NODE=node-a mdctl deactivate r0 >/dev/null || fail "deactivate"
MD_NODE=node-a mdctl down r0 >/dev/null || fail "down"
echo "cold chunk: 1 wait, $((p1 - p0)) page write(s); hot chunk: none"
