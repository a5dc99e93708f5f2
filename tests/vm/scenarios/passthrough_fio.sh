# SPDX-License-Identifier: GPL-2.0-or-later
# A mirror device with no peer passes a fio write-then-verify run, and what
# it wrote is on the lower disk byte for byte.  The device declares stable
# writes: page-cache pages under writeback stay unchanged, so the local
# disk and the daemon, which copy a write's pages at different moments,
# see the same bytes.
. /tests/lib.sh
md_load
conf_install
MD_NODE=node-a mdctl create --force --assume-clean r0 || fail "mdctl create"
MD_NODE=node-a mdctl up r0 || fail "mdctl up"
# Alone, never meeting its peer: consistent, and the administrator decides.
MD_NODE=node-a mdctl activate --force r0 || fail "mdctl activate"
[ "$(cat /sys/block/mirror0/queue/stable_writes)" = 1 ] || fail "stable writes not declared"
# udev's /dev/mirror/<resource> link reads this (packaging/60-mirrordisk.rules).
[ "$(cat /sys/block/mirror0/mirror/name)" = r0 ] || fail "no resource name in sysfs"
fio --name=pt --filename=/dev/mirror0 --direct=1 --rw=randwrite --bs=4k \
	--size=64m --iodepth=16 --ioengine=libaio --verify=crc32c \
	--do_verify=1 --randrepeat=1 --output-format=terse >/tmp/fio.out 2>&1 \
	|| { cat /tmp/fio.out; fail "fio verify failed"; }
a=$(digest /dev/mirror0 67108864); b=$(digest /dev/vda 67108864)
[ "$a" = "$b" ] || fail "mirror and lower disk differ ($a vs $b)"
MD_NODE=node-a mdctl status r0
MD_NODE=node-a mdctl deactivate r0 || fail "deactivate"
MD_NODE=node-a mdctl down r0 || fail "down"
echo "fio verify passed; lower disk matches"
