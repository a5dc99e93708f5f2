# Shell helpers for scenarios; sourced by driver.sh and by every scenario.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
NODE=$(cat /etc/md-node 2>/dev/null)
PEER=$(cat /etc/md-peer 2>/dev/null)
KVER=$(cat /etc/kver 2>/dev/null)
SKIP=4

# on_b CMD...: run a shell command on node b; its output and exit code are ours.
on_b() { mdagent -c "$PEER" "$*"; }

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit $SKIP; }
log() { echo "# $*"; }

# Load the module fresh (a scenario may have left it out).
md_load() { lsmod | grep -q '^mirrordisk ' || insmod /modules/mirrordisk.ko; }

# Back to a clean node: no daemons, no devices, no module.
md_reset() {
	killall -9 fio mirrord 2>/dev/null
	sleep 0.2
	umount /mnt 2>/dev/null
	if [ -e /dev/mirrordisk-ctl ]; then
		for d in /dev/mirror[0-9]*; do
			[ -b "$d" ] && mdctl --force destroy-minor "${d#/dev/mirror}" 2>/dev/null
		done
	fi
	rmmod mirrordisk 2>/dev/null
	return 0
}

# digest DEV [BYTES]: sha256 of a device (or its first BYTES).
digest() {
	if [ -n "$2" ]; then
		head -c "$2" "$1" | sha256sum | cut -d' ' -f1
	else
		sha256sum < "$1" | cut -d' ' -f1
	fi
}

# expect_rc N CMD...: run CMD, fail unless its exit code is N.
expect_rc() {
	want=$1; shift
	if "$@"; then got=0; else got=$?; fi
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}
