# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of the secondary's receive buffer: mirrord
# as built (a packet cut by a receive stays where it is until the rest
# would not fit, rx.c rx_compact) against /usr/sbin/mirrord-old, a build
# that moved every cut packet to the front after each parse.  Copy the
# old build into the initramfs's binaries as mirrord-old first (it is run
# through mdctl up --mirrord on both nodes).  Three rounds in one boot,
# 15 s per fio job of bench/mirror.fio (seq1m, randw4k), unencrypted.
# Not in make bench or any suite.  Prints
# "@@AB ROUND VARIANT JOB KIB_S IOPS BUSY_MS_A BUSY_MS_B".
. /tests/lib.sh
REPS="1 2 3"
VARIANTS="old new"
JOBS="seq1m randw4k"
[ -x /usr/sbin/mirrord-old ] || skip "no /usr/sbin/mirrord-old in this initramfs"
plain_conf
CONF=/tmp/plain.conf
up_with() {
	md_load; conf_install
	on_b ". /tests/lib.sh; CONF=$CONF; md_load; conf_install; mdctl create --force --assume-clean r0 >/dev/null && mdctl up --mirrord $1 r0" || fail "up b"
	mdctl create --force --assume-clean r0 >/dev/null || fail "create a"
	mdctl up --mirrord "$1" r0 || fail "up a"
	mdctl activate --force r0 >/dev/null || fail "activate a"
	wait_conn; wait_sync
}
for rep in $REPS; do
	for v in $VARIANTS; do
		if [ $v = old ]; then up_with /usr/sbin/mirrord-old; else up_with /usr/sbin/mirrord; fi
		for t in $JOBS; do
			sleep 1; a0=$(busy_ms); b0=$(on_b ". /tests/lib.sh; busy_ms")
			DEV=/dev/mirror0 RUNTIME=15 fio --section=$t --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail fio; }
			a1=$(busy_ms); b1=$(on_b ". /tests/lib.sh; busy_ms")
			awk -F';' -v v=$v -v t=$t -v r=$rep -v ba=$((a1 - a0)) -v bb=$((b1 - b0)) \
				'{ printf "@@AB %s %s %s %s %s %s %s\n", r, v, t, $48, $49, ba, bb }' /tmp/b.out
		done
		size=$(mdctl status --json r0 | json_field size_bytes)
		mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
	done
done
same_disks "$size"
