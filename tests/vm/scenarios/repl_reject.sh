# SPDX-License-Identifier: GPL-2.0-or-later
# A peer with a wrong protocol version, or a different device size, is
# refused with a clear message, and nothing is replicated to it.
. /tests/lib.sh
up_both "--daemon-args=--proto-version=99"
mdctl activate --force r0 || fail "activate"
sleep 4
mdctl status --json r0 | grep -q '"connection": "connected"' && fail "connected to a v99 peer"
grep -q "no common protocol version" /var/log/mirrordisk/r0.log /dev/null ||
	on_b "grep -q 'no common protocol version' /var/log/mirrordisk/r0.log" ||
	{ cat /var/log/mirrordisk/r0.log; fail "no protocol message"; }
on_b "mdctl down r0" || fail "down b"

# Node b's disk is now the 64 MiB /dev/vdb: sizes differ.
on_b "sed 's|disk = /dev/vda|disk = /dev/vdb|' /tests/md.conf > /tmp/s.conf; . /tests/lib.sh; conf_install /tmp/s.conf; mdctl create --force r0 && mdctl up r0" || fail "up b small"
sleep 4
mdctl status --json r0 | grep -q '"connection": "connected"' && fail "connected to a smaller peer"
grep -q "device size mismatch" /var/log/mirrordisk/r0.log || { cat /var/log/mirrordisk/r0.log; fail "no size message"; }
mdctl status r0
echo "mismatched peers refused"
