# SPDX-License-Identifier: GPL-2.0-or-later
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
# log TEXT: a step of the scenario; under the driver (MD_T0: when the
# scenario started) with the seconds since then, to see where time goes.
log() { if [ -n "${MD_T0:-}" ]; then echo "# [$(( $(cut -d. -f1 /proc/uptime) - MD_T0 )) s] $*"; else echo "# $*"; fi; }

# Load the module fresh (a scenario may have left it out).
md_load() { lsmod | grep -q '^mirrordisk ' || insmod /modules/mirrordisk.ko; }

# Back to a clean node: no daemons, no devices, no module.
md_reset() {
	# Each step may find nothing to do; scenarios run under 'sh -e'.
	killall -9 fio mirrord dd mdclient mdrelay mdwrite 2>/dev/null || true
	/usr/sbin/tc qdisc del dev eth0 root 2>/dev/null || true	# a failed scenario's netem
	# Writes a failed fencing scenario left held (destroy refuses a held
	# device, and its writers cannot exit before they complete).
	[ -e /etc/mirrordisk/mirrordisk.conf ] && mdctl resume-io r0 >/dev/null 2>&1 || true
	sleep 0.2
	umount /mnt 2>/dev/null || true
	if [ -e /dev/mirrordisk-ctl ]; then
		for d in /dev/mirror[0-9]*; do
			[ -b "$d" ] && mdctl --force destroy-minor "${d#/dev/mirror}" 2>/dev/null || true
		done
	fi
	rmmod mdfault 2>/dev/null || true	# tests/vm/mdfault.c, if a scenario left it
	rmmod mirrordisk 2>/dev/null || true
	# Device-mapper layers a scenario left (lower, slowmeta, ...).
	for m in /dev/mapper/*; do
		[ -b "$m" ] && DM_DISABLE_UDEV=1 dmsetup remove --noudevsync "${m#/dev/mapper/}" 2>/dev/null
	done
	return 0
}

# Block-level checks of the write-intent order (bitmap_order,
# bitmap_group_order): md5_of FILE, the md5 of a file; at_a BLOCK and at_b
# BLOCK, the md5 of that 4 KiB block of the lower disk on a and on b, read
# past the page cache.
md5_of() { md5sum < "$1" | cut -c1-32; }
at_a() { dd if=/dev/vda bs=4k skip="$1" count=1 iflag=direct 2>/dev/null | md5sum | cut -c1-32; }
at_b() { on_b "dd if=/dev/vda bs=4k skip=$1 count=1 iflag=direct 2>/dev/null" | md5sum | cut -c1-32; }

# dump_blocked: after a scenario timed out, what it waited for: every task
# in uninterruptible sleep with its kernel stack, and the daemon's last log
# lines (the console keeps only a hung task's name, not its stack).
dump_blocked() {
	for st in /proc/[0-9]*/stat; do
		d=${st%/stat}
		[ "$(cut -d' ' -f3 "$st" 2>/dev/null)" = D ] || continue
		echo "blocked: ${d#/proc/} $(cat "$d/comm" 2>/dev/null) wchan=$(cat "$d/wchan" 2>/dev/null)"
		sed 's/^/    /' "$d/stack" 2>/dev/null
	done
	tail -n 12 /var/log/mirrordisk/*.log 2>/dev/null
	return 0
}

# digest DEV [BYTES]: the XXH3-128 digest of a device (or its first BYTES).
digest() {
	# Read past the page cache: the module writes the lower disk directly.
	sync; echo 3 > /proc/sys/vm/drop_caches
	# mdsum (tests/vm/mdsum.c): XXH3-128 of the first $2 bytes (all
	# without), many times faster than sha256sum behind a pipe under TCG.
	mdsum "$1" $2
}

# expect_rc N CMD...: run CMD, fail unless its exit code is N.
expect_rc() {
	want=$1; shift
	if "$@"; then got=0; else got=$?; fi
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}

# ---- two-node helpers (node a drives, node b answers through on_b) ----

# conf_install [FILE]: FILE, else $CONF, else the bench's default config,
# and the secret both nodes' configurations name (the same on both, as an
# admin copies it; on real servers: mdctl create --new-secret).
conf_install() {
	mkdir -p /etc/mirrordisk
	cp "${1:-${CONF:-/tests/md.conf}}" /etc/mirrordisk/mirrordisk.conf
	secret_install
}
TEST_SECRET=4d1rr0rd15k-t35t-b3nch-53cr3t-0f-b0th-n0d35
secret_install() {
	( umask 077; echo "${1:-$TEST_SECRET}" > /etc/mirrordisk/r0.secret )
}

# up_both [mdctl options for b]: module, config, fresh metadata and
# 'mdctl up r0' on both.  CREATE_ARGS go to create; the default,
# --assume-clean, relies on every scenario leaving the two disks identical
# (each one checks it) so that suites need not pay a full sync per scenario;
# CREATE_ARGS= (empty) creates blank metadata: a full initial sync.
up_both() {
	md_load; conf_install
	ca=${CREATE_ARGS---assume-clean}
	on_b "export MD_DAEMON_ARGS='${MD_DAEMON_ARGS:-}'; . /tests/lib.sh; CONF=$CONF; md_load; conf_install; mdctl create --force $ca r0 >/dev/null && mdctl up $1 r0" || fail "mdctl up on b"
	mdctl create --force $ca r0 >/dev/null || fail "mdctl create on a"
	mdctl up r0 || fail "mdctl up on a"
}

# plain_conf: /tmp/plain.conf on both nodes, the test resource with
# encryption = none (the benches' like-for-like with DRBD 8.4).
plain_conf() {
	sed 's/^timeout = 5/&\nencryption = none/' /tests/md.conf > /tmp/plain.conf
	on_b "sed 's/^timeout = 5/&\\nencryption = none/' /tests/md.conf > /tmp/plain.conf"
}

# start_pair: both up, a primary, the initial full sync done (or skipped
# with CREATE_ARGS=--assume-clean).
start_pair() {
	up_both "$1"
	mdctl activate --force r0 >/dev/null || fail "activate a"
	wait_conn
	wait_sync
}

# wait_sync [SECONDS]: until both nodes report health normal.
wait_sync() {
	i=0
	while :; do
		mdctl status --json r0 | grep -q '"health": "normal"' &&
			on_b "mdctl status --json r0" | grep -q '"health": "normal"' && return 0
		i=$((i + 1)); [ $i -gt $((${1:-120} * 5)) ] && { mdctl status r0; on_b "mdctl status r0"; tail -8 /var/log/mirrordisk/r0.log; on_b "tail -8 /var/log/mirrordisk/r0.log"; fail "not in sync"; }
		sleep 0.2
	done
}

# sync_wait_quiet [SECONDS]: until a's mirrord says connected and both
# copies up to date (mdctl wait-sync: one process blocked on the event
# stream).  For the benches' resync timings (then wait_sync for b's
# view): wait_sync's loop starts mdctl, grep and sleep every 0.2 s, which
# took about a third of a guest's one vCPU (94 ms of CPU a round) from
# the resync it was timing.
sync_wait_quiet() {
	mdctl wait-sync r0 --timeout "${1:-600}" || { mdctl status r0; fail "wait-sync: not in sync"; }
}

# wait_conn [SECONDS]: until both nodes report the link connected.
wait_conn() {
	i=0
	while :; do
		mdctl status --json r0 | grep -q '"connection": "connected"' &&
			on_b "mdctl status --json r0" | grep -q '"connection": "connected"' && return 0
		i=$((i + 1)); [ $i -gt $((${1:-30} * 5)) ] && { mdctl status r0; on_b "mdctl status r0"; fail "not connected"; }
		sleep 0.2
	done
}

# b_back_up [CMD]: after a power cut of node b, wait for it to boot again
# and bring r0 up there (with CMD, run that on b instead).
b_back_up() {
	i=0
	until mdagent -c "$PEER" true 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 120 ] && fail "node b did not come back"
		sleep 1
	done
	on_b "${1:-. /tests/lib.sh; md_load; conf_install; mdctl up r0}" || fail "up b after the crash"
}

# ---- a peer's volatile cache (peer_cache_loss, demote_cache_loss) ----
# cache_pair [INSMOD ARGS]: the module loaded afresh with ARGS on both
# nodes, a on /dev/vda, b on /dev/mapper/lower (dm_lower, so that its disk
# can drop writes later), a primary, in sync.
cache_pair() {
	rmmod mirrordisk 2>/dev/null || true
	insmod /modules/mirrordisk.ko "$@" || fail "insmod on a"
	conf_install /tests/md.conf
	on_b ". /tests/lib.sh; dm_lower ok && { rmmod mirrordisk 2>/dev/null; true; } &&
		insmod /modules/mirrordisk.ko $* &&
		sed 's|^disk = /dev/vda|disk = /dev/mapper/lower|' /tests/md.conf > /tmp/dm.conf &&
		conf_install /tmp/dm.conf && mdctl create --force --assume-clean r0 >/dev/null && mdctl up r0 >/dev/null" ||
		fail "up b on the dm layer"
	mdctl create --force --assume-clean r0 >/dev/null || fail "create a"
	mdctl up r0 >/dev/null || fail "up a"
	mdctl activate --force r0 >/dev/null || fail "activate a"
	wait_conn; wait_sync
}

# b_drop_writes: from now on b's disk drops every write and flush while
# reporting them done (dm-flakey drop_writes): the worst volatile cache.
b_drop_writes() {
	on_b "DM_DISABLE_UDEV=1; export DM_DISABLE_UDEV; sz=\$(blockdev --getsz /dev/vda);
		dmsetup suspend --noudevsync lower &&
		echo \"0 \$sz flakey /dev/vda 0 0 3600 1 drop_writes\" | dmsetup reload lower &&
		dmsetup resume --noudevsync lower" || fail "drop_writes on b"
}

# b_cache_resynced MIB FILE: after b's power cut, b back up: its media
# lacks the 1 MiB write of FILE at MIB (else the model did not hold), and
# the reconnect's resync brings it there.
b_cache_resynced() {
	b_back_up
	[ "$(on_b "dd if=/dev/vda bs=1M skip=$1 count=1 iflag=direct 2>/dev/null" | md5sum)" != "$(md5sum < "$2")" ] ||
		fail "the write reached b's media: the dropped-write model does not hold"
	wait_conn; wait_sync
	[ "$(on_b "dd if=/dev/vda bs=1M skip=$1 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < "$2")" ] ||
		{ diff_map; fail "the write b acknowledged but lost in its cache was not resynced"; }
}

# tls_sw: "TX RX", the kernel's current count of TLS sockets with the
# record layer in software (kTLS) each way (/proc/net/tls_stat).
tls_sw() { awk '$1 == "TlsCurrTxSw" { t = $2 } $1 == "TlsCurrRxSw" { r = $2 } END { print t + 0, r + 0 }' /proc/net/tls_stat 2>/dev/null || echo "0 0"; }

# wait_log NODE TEXT [SECONDS]: until NODE's (a or b) mirrord log has TEXT
# (a grep pattern), else fail with the tails of both logs.
wait_log() {
	i=0
	until if [ $1 = a ]; then grep -q "$2" /var/log/mirrordisk/r0.log; else on_b "grep -q '$2' /var/log/mirrordisk/r0.log"; fi; do
		i=$((i + 1)); [ $i -gt $((${3:-20} * 5)) ] && { tail -5 /var/log/mirrordisk/r0.log; on_b "tail -5 /var/log/mirrordisk/r0.log"; fail "$1 never logged: $2"; }
		sleep 0.2
	done
}

# flip_repaired MIB TEXT: with the relay of tests/vm/mdrelay.c between the
# nodes, arm it, write 1 MiB at MIB on a; b must log TEXT (it refused the
# changed packet), then the pair reconnects, resyncs, and b holds the write.
flip_repaired() {
	dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
	on_b "touch /tmp/flip"
	dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=$1 oflag=direct 2>/dev/null || fail "write at $1 MiB"
	on_b "grep -q flipped /tmp/relay.log" || fail "the relay flipped nothing"
	wait_log b "$2" 10
	log "b refused the changed packet and reset the link"
	wait_conn 30; wait_sync
	[ "$(on_b "dd if=/dev/vda bs=1M skip=$1 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < /tmp/pat)" ] ||
		fail "b does not hold the write after the resync"
	same_disks
}

# json_field KEY: the value of "KEY" in mdctl status --json read from stdin.
json_field() { sed -n "s/.*\"$1\": \"*\([^\",]*\)\"*,*$/\1/p" | head -1; }

# fio_pattern ARGS...: a verifiable write pattern on DEV (default /dev/mirror0).
fio_write() {
	fio --name=w --filename=${DEV:-/dev/mirror0} --direct=1 --ioengine=libaio \
		--verify=crc32c --do_verify=1 --randrepeat=1 --output-format=terse "$@" \
		> /tmp/fio.out 2>&1 || { tail -30 /tmp/fio.out; fail "fio failed: $*"; }
}
# fio_verify ARGS...: read back what fio_write ARGS wrote and check it,
# opening the device read-only (so it also works on a read-only grant).
fio_verify() {
	va=""
	for a in "$@"; do
		case "$a" in --rw=write) a=--rw=read ;; --rw=randwrite) a=--rw=randread ;; esac
		va="$va $a"
	done
	fio --name=w --filename=${DEV:-/dev/mirror0} --direct=1 --ioengine=libaio \
		--verify=crc32c --readonly --randrepeat=1 --output-format=terse $va \
		> /tmp/fio.out 2>&1 || { tail -30 /tmp/fio.out; fail "fio verify failed: $*"; }
}

# same_disks [BYTES]: the data areas of the lower disks of a and b (the
# mirror's size; the metadata at the end differs by design) are identical.
same_disks() {
	n=${1:-$(mdctl status --json r0 | json_field size_bytes)}
	[ -n "$n" ] || fail "cannot tell the mirror size"
	on_b ". /tests/lib.sh; digest /dev/vda $n" > /tmp/digest.b &
	da=$(digest /dev/vda $n); wait; db=$(cat /tmp/digest.b)
	if [ -z "$da" ] || [ "$da" != "$db" ]; then
		diff_map > /tmp/diffmap 2>&1; head -40 /tmp/diffmap
		fail "lower disks differ: a=$da b=$db"
	fi
	log "lower disks identical ($da)"
}

# diff_map: which MiB of the lower disks differ (for failure reports).
mib_sums() { sync; echo 3 > /proc/sys/vm/drop_caches; mn=$(($(blockdev --getsize64 /dev/vda) / 1048576)); i=0; while [ $i -lt $mn ]; do echo "$i $(dd if=/dev/vda bs=1M skip=$i count=1 2>/dev/null | md5sum | cut -c1-8)"; i=$((i+1)); done; }
diff_map() {
	mib_sums > /tmp/sums.a
	on_b ". /tests/lib.sh; mib_sums" > /tmp/sums.b
	echo "MiB that differ (of $(wc -l < /tmp/sums.a) and $(wc -l < /tmp/sums.b)):"
	awk 'NR == FNR { a[$1] = $2; next } a[$1] != $2 { print "  MiB " $1 ": a " a[$1] " b " $2 }' \
		/tmp/sums.a /tmp/sums.b | head -20
	echo "status a:"; mdctl status r0; echo "status b:"; on_b "mdctl status r0"
	echo "log a:"; tail -15 /var/log/mirrordisk/r0.log; echo "log b:"; on_b "tail -15 /var/log/mirrordisk/r0.log"
}

# ---- a failing disk: device-mapper over /dev/vda ----
# dm_pair: /dev/mapper/lower (1:1) on both nodes and /tmp/dm.conf, the
# default config with that as the disk: then CONF=/tmp/dm.conf start_pair.
dm_pair() {
	dm_lower ok || fail "dm_lower on a"
	on_b ". /tests/lib.sh; dm_lower ok" || fail "dm_lower on b"
	edit='s|^disk = /dev/vda|disk = /dev/mapper/lower|'
	sed "$edit" /tests/md.conf > /tmp/dm.conf; on_b "sed '$edit' /tests/md.conf > /tmp/dm.conf"
}

# reaches_b MIB FILE: write FILE (1 MiB) at MIB through the mirror; fail
# unless node b's disk then holds it.
reaches_b() {
	dd if="$2" of=/dev/mirror0 bs=1M seek="$1" oflag=direct conv=fsync 2>/dev/null || fail "write at $1 MiB"
	[ "$(on_b "dd if=/dev/vda bs=1M skip=$1 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < "$2")" ] ||
		fail "the write at $1 MiB did not reach b"
}

# resync_b: detach and attach node b, and wait until the resync is done.
resync_b() {
	on_b "mdctl detach r0 >/dev/null && mdctl attach r0 >/dev/null" || fail "detach/attach b"
	wait_conn; wait_sync
}

# drbd_start: DRBD 8.4 (the bench's comparison) up on both nodes with
# /etc/drbd.conf as each has it, connected, the initial sync skipped (both
# disks are the bench's, their contents do not matter), a primary.
drbd_start() {
	# In the background on both nodes, bounded: DRBD's attach sometimes
	# never ends in these guests (drbdsetup blocked in the kernel; see
	# bench_sparse), and a bench would then wait for its runner's timeout.
	cmd="yes yes | drbdadm create-md --force r0 >/dev/null 2>&1; drbdadm up r0"
	sh -c "$cmd" </dev/null >/dev/null 2>&1 &
	on_b "sh -c '$cmd' </dev/null >/dev/null 2>&1 &"
	i=0
	until grep -q 'cs:Connected' /proc/drbd 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 600 ] && { cat /proc/drbd; fail "DRBD did not attach and connect within 120 s (drbdsetup blocked in the kernel?)"; }
		sleep 0.2
	done
	drbdadm -- --clear-bitmap new-current-uuid r0 || fail "drbd skip initial sync"
	drbdadm primary r0 || fail "drbd primary"
}

# dm_unpair: the resource down on both nodes and the dm layers removed.
dm_unpair() {
	mdctl deactivate r0 >/dev/null; mdctl down r0; on_b "mdctl down r0"
	DM_DISABLE_UDEV=1 dmsetup remove --noudevsync lower
	on_b "DM_DISABLE_UDEV=1 dmsetup remove --noudevsync lower"
}

# dm_lower ok|error|nowrite|delay|readdelay: /dev/mapper/lower maps
# /dev/vda 1:1 ("ok"), or with DM_ERR_SECTORS (default 2048: 1 MiB) at
# DM_ERR_MIB (default 64) answering every I/O with EIO ("error"), or
# failing every write and flush while reads work ("nowrite", dm-flakey),
# or every I/O taking DM_DELAY_MS (default 100) more ("delay", dm-delay),
# or only every read ("readdelay").
# Created on first use; later calls swap the table (suspend, reload, resume).
dm_lower() {
	export DM_DISABLE_UDEV=1
	sz=$(blockdev --getsz /dev/vda); s=$((${DM_ERR_MIB:-64} * 2048)); n=${DM_ERR_SECTORS:-2048}; e=$((s + n))
	if [ "$1" = error ]; then
		t="0 $s linear /dev/vda 0
$s $n error
$e $((sz - e)) linear /dev/vda $e"
	elif [ "$1" = nowrite ]; then
		t="0 $sz flakey /dev/vda 0 0 3600 1 error_writes"
	elif [ "$1" = delay ]; then
		t="0 $sz delay /dev/vda 0 ${DM_DELAY_MS:-100}"
	elif [ "$1" = readdelay ]; then	# reads only, writes at once
		t="0 $sz delay /dev/vda 0 ${DM_DELAY_MS:-100} /dev/vda 0 0"
	else
		t="0 $sz linear /dev/vda 0"
	fi
	if ! dmsetup info lower >/dev/null 2>&1; then
		echo "$t" | dmsetup create lower --noudevsync || return 1
	else
		dmsetup suspend --noudevsync lower && echo "$t" | dmsetup reload lower &&
			dmsetup resume --noudevsync lower || return 1
	fi
}

# dm_meta NAME ok|delay MS|nowrite: /dev/mapper/NAME over /dev/vdb (the
# small disk scenarios use for external metadata): a 1:1 map, its writes
# delayed MS ms (dm-delay), or every write failing (dm-flakey).  Created on
# first use; later calls swap the table.
dm_meta() {
	export DM_DISABLE_UDEV=1
	sz=$(blockdev --getsz /dev/vdb)
	case "$2" in
	delay) t="0 $sz delay /dev/vdb 0 0 /dev/vdb 0 $3" ;;
	nowrite) t="0 $sz flakey /dev/vdb 0 0 3600 1 error_writes" ;;
	*) t="0 $sz linear /dev/vdb 0" ;;
	esac
	if ! dmsetup info "$1" >/dev/null 2>&1; then
		echo "$t" | dmsetup create "$1" --noudevsync
	else
		dmsetup suspend --noudevsync "$1" && echo "$t" | dmsetup reload "$1" &&
			dmsetup resume --noudevsync "$1"
	fi
}

# pair_dm_meta NAME: a pair whose metadata is external, on node a on
# /dev/mapper/NAME (dm_meta over /dev/vdb, 1:1 for now), on node b on
# /dev/vdb; the mirror spans the whole of /dev/vda.  Started like
# start_pair (assume-clean), with the config in /tmp/NAME.conf.
pair_dm_meta() {
	md_load
	dm_meta "$1" ok || fail "dm $1"
	sed "s|^disk = /dev/vda|&\nmeta = /dev/mapper/$1|" /tests/md.conf > "/tmp/$1.conf"
	on_b "sed 's|^disk = /dev/vda|&\nmeta = /dev/vdb|' /tests/md.conf > /tmp/$1.conf"
	wipe_tail
	CONF="/tmp/$1.conf" start_pair
}

# wipe_tail: the last MiB of /dev/vda on both nodes blanked.  It holds the
# internal metadata of earlier scenarios; a pair on external metadata
# spans the whole disk and --assume-clean needs both tails equal.
wipe_tail() {
	w='dd if=/dev/zero of=/dev/vda bs=1M seek=$(($(blockdev --getsize64 /dev/vda) / 1048576 - 1)) count=1 oflag=direct 2>/dev/null'
	sh -c "$w"; on_b "$w"
}

# dm_pair_detached: a's data disk behind dm_lower (ok), the metadata on
# /dev/vdb on both (so that the data disks' tails are data), both up, a
# primary, then b detached: a writes alone, and what it writes is a's
# resync to b when b attaches (resync_stale_read, destroy_inflight).
dm_pair_detached() {
	dm_lower ok || fail "dm_lower on a"
	sed 's|^disk = /dev/vda|disk = /dev/mapper/lower\nmeta = /dev/vdb|' /tests/md.conf > /tmp/dmpair.conf
	on_b "sed 's|^disk = /dev/vda|&\nmeta = /dev/vdb|' /tests/md.conf > /tmp/dmpair.conf"
	wipe_tail
	CONF=/tmp/dmpair.conf start_pair
	on_b "mdctl detach r0 >/dev/null" || fail "detach b"
	wait_json a connection connecting 20
}

# ---- timeouts (docs/design.md, "Timeouts") ----
# ko_conf SRC DST: SRC with short bounds: timeout 2 s, ko-count 3, so the
# daemon gives up on a peer after 6 s and the kernel on the daemon after
# 8 s (under the guests' 20 s hung-task limit).
ko_conf() { sed 's/^timeout = .*/timeout = 2\nko-count = 3/' "$1" > "$2"; }
KO_BOUND=6 KERNEL_DEADLINE=8

# timed_write OFFSET_MIB LIMIT_S: one 4 KiB O_DIRECT write through the
# mirror in the background; fail unless it completes within LIMIT_S.
# TOOK is the seconds it took.
timed_write() {
	t0=$(date +%s)
	dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=$(($1 * 256)) oflag=direct 2>/dev/null &
	w=$!
	i=0
	while kill -0 $w 2>/dev/null; do
		i=$((i + 1)); [ $i -gt $(($2 * 5)) ] && fail "a write at $1 MiB did not complete in $2 s"
		sleep 0.2
	done
	wrc=0; wait $w || wrc=$?
	[ $wrc -eq 0 ] || fail "the write at $1 MiB failed ($wrc)"
	TOOK=$(($(date +%s) - t0))
}

# wait_json NODE KEY VALUE SECONDS: until mdctl status --json on NODE (a|b)
# shows "KEY": VALUE (a substring match on the value).
wait_json() {
	i=0
	while :; do
		# status exits 5 while the resource is not up: its JSON still counts
		if [ "$1" = a ]; then out=$(mdctl status --json r0 || true); else out=$(on_b "mdctl status --json r0" || true); fi
		echo "$out" | grep -q "\"$2\": \"*$3" && return 0
		i=$((i + 1)); [ $i -gt $(($4 * 5)) ] && { echo "$out"; fail "node $1: $2 never became $3"; }
		sleep 0.2
	done
}

# ---- fencing and handlers (fence_* scenarios) ----
# fence_conf OUT LINE...: the bench's configuration (or $FENCE_BASE) with
# LINEs (fencing, handlers) added to [resource r0]; also written to the
# same path on b.
fence_conf() {
	fc_out=$1 fc_in=${FENCE_BASE:-/tests/md.conf}; shift
	{ sed -n '1,/^secret-file/p' "$fc_in"
	  for l in "$@"; do echo "$l"; done
	  sed '1,/^secret-file/d' "$fc_in"; } > "$fc_out"
	put_b "$fc_out"
}
# ---- the fencing scenarios (fence_*_activate) ----
js() { mdctl status --json r0 || true; }
is() { [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"; }
# fence_pair BODY [ko]: /tmp/fp.sh, a shell script of BODY, as fence-peer
# on both nodes, fencing = resource-only, handler-timeout = 10 (ko: over
# ko_conf's short timeouts), and the pair started, a primary.
fence_pair() {
	printf '#!/bin/sh\n%s\n' "$1" > /tmp/fp.sh
	chmod +x /tmp/fp.sh; put_b /tmp/fp.sh 755
	fp_base=/tests/md.conf
	if [ "${2:-}" = ko ]; then ko_conf /tests/md.conf /tmp/ko.conf; fp_base=/tmp/ko.conf; fi
	FENCE_BASE=$fp_base fence_conf /tmp/fence.conf "fencing = resource-only" "fence-peer = /tmp/fp.sh" "handler-timeout = 10"
	CONF=/tmp/fence.conf start_pair
}
# resynced_from_a [SECS]: the link back (within SECS, default 60), b
# resynced from a (a's log since mark_logs says so), a's peer then up to
# date, a deactivated, the disks equal.
resynced_from_a() {
	wait_conn ${1:-60}
	wait_sync
	mine | grep -q "resync to node-b" || { mine | tail -5; fail "a was not the resync source"; }
	is "a's peer_disk_state" "$(js | json_field peer_disk_state)" up-to-date
	mdctl deactivate r0 >/dev/null || fail "deactivate a"
	same_disks
}
# put_b FILE [MODE]: copy a small text file of a to the same path on b.
put_b() {
	on_b "cat > $1 <<'MD_PUT_EOF'
$(cat "$1")
MD_PUT_EOF
chmod ${2:-644} $1" || fail "copy $1 to b"
}
# mark_logs: this scenario's log lines start here, on both nodes (earlier
# scenarios' lines are not its own); mine and mine_b print a's and b's
# since, wait_mine NODE TEXT [SECONDS] waits until they have TEXT.
MDLOG=/var/log/mirrordisk/r0.log
mark_logs() { MINE_N0=$(cat $MDLOG 2>/dev/null | wc -l); MINE_N0B=$(on_b "cat $MDLOG 2>/dev/null | wc -l"); }
mine() { tail -n +$((MINE_N0 + 1)) $MDLOG; }
mine_b() { on_b "tail -n +$((MINE_N0B + 1)) $MDLOG"; }
wait_mine() {
	i=0
	until if [ $1 = a ]; then mine | grep -q "$2"; else mine_b | grep -q "$2"; fi; do
		i=$((i + 1)); [ $i -gt $((${3:-20} * 5)) ] && { mine | tail -5; mine_b | tail -5; fail "$1 never logged: $2"; }
		sleep 0.2
	done
}
# own_log N0: the lines of a's mirrord log after the first N0.
own_log() { tail -n +$(($1 + 1)) /var/log/mirrordisk/r0.log; }
# wait_own_log N0 TEXT [SECONDS]: until a's log after line N0 has TEXT.
wait_own_log() {
	i=0
	until own_log "$1" | grep -q "$2"; do
		i=$((i + 1)); [ $i -gt $((${3:-20} * 5)) ] && { own_log "$1" | tail -20; fail "a never logged: $2"; }
		sleep 0.2
	done
}
# pid_gone PID: no such process, or a zombie (dead, not yet reaped).
pid_gone() { [ ! -e /proc/$1 ] || grep -q '^State:.*Z' /proc/$1/status 2>/dev/null; }
# partition_a SECONDS: a's link down for SECONDS, from half a second on,
# in the background (on_b does not work meanwhile).
partition_a() { (sleep 0.5; ifconfig eth0 down; sleep $1; ifconfig eth0 up) >/dev/null 2>&1 & }
# uptime_s: seconds since boot, with hundredths.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
# status_field KEY: a field of this node's mdctl status --json r0.
status_field() { mdctl status --json r0 | json_field "$1"; }
# chunk_writes FIRST END: one 4 KiB write into each 64 KiB chunk
# FIRST..END-1 of /dev/mirror0.
chunk_writes() {
	c=$1
	while [ $c -lt $2 ]; do
		dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=$((c * 16)) oflag=direct 2>/dev/null ||
			fail "write to chunk $c"
		c=$((c + 1))
	done
}

# busy_ms: this guest's busy CPU time so far, ms: user, nice, system,
# irq and softirq of /proc/stat's "cpu" line (USER_HZ, 100 on x86);
# idle and iowait are not busy.
busy_ms() { awk '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8) * 10; exit }' /proc/stat; }
# bg_write MIB FILE: a 4 KiB direct write at MIB in the background; FILE
# gets "EXIT UPTIME" when it completes.
bg_write() {
	rm -f "$2"
	(dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=$(($1 * 256)) oflag=direct 2>/dev/null
	 echo "$? $(uptime_s)" > "$2.tmp"; mv "$2.tmp" "$2") &
}
# wait_file FILE SECONDS: until FILE exists.
wait_file() {
	i=0
	until [ -e "$1" ]; do
		i=$((i + 1)); [ $i -gt $(($2 * 5)) ] && fail "$1 did not appear within $2 s"
		sleep 0.2
	done
}
# wait_held [SECONDS]: until a's status says the module holds writes.
wait_held() {
	i=0
	until mdctl status --json r0 | grep -q '"io_held": true'; do
		i=$((i + 1)); [ $i -gt $((${1:-20} * 5)) ] && { mdctl status r0; fail "status never said the writes are held"; }
		sleep 0.2
	done
}

# ---- mode = async (async_prefix, async_failover) ----
# async_cut_b N: a pair with mode = async, b primary behind a slow link
# (netem on b: 25 ms, 2 Mbit/s), writing numbered 4 KiB blocks 0..N-1,
# each after the previous completed (mdwrite; its ledger of completed
# writes in /tmp/acked here); once b's status shows a backlog of 1 MiB,
# b's power is cut (the host runner).  Then a has given up on the link
# and applied what it received; it must hold exactly blocks 0..K-1 of the
# history (mdwrite prefix), K below what b completed.  Sets ACKED and K.
async_cut_b() {
	# ASYNC_CONF: more lines for the resource (\n between them); LAG_KEY:
	# the status field that must pass 1 MiB before the cut (lag_bytes).
	ASYNC_MK="sed 's|^timeout = 5|timeout = 5\\nmode = async${ASYNC_CONF:-}|' /tests/md.conf > /tmp/async.conf"
	sh -c "$ASYNC_MK"; on_b "$ASYNC_MK"
	grep -q '^mode = async' /tmp/async.conf || fail "config edit"
	CONF=/tmp/async.conf start_pair
	js=$(mdctl status --json r0)
	[ "$(echo "$js" | json_field mode)" = async ] && [ "$(echo "$js" | json_field async_active)" = true ] ||
		{ echo "$js"; fail "a: mode async not active"; }
	# A clean history: the region zeroed on both, the backlog drained.
	dd if=/dev/zero of=/dev/mirror0 bs=1M count=$(($1 * 4096 / 1048576 + 1)) oflag=direct 2>/dev/null || fail "zero"
	wait_json a lag_bytes 0 60
	mdctl deactivate r0 || fail "deactivate a"
	on_b "mdctl activate r0" || fail "activate b"
	on_b "/usr/sbin/tc qdisc add dev eth0 root netem delay 25ms rate 2mbit limit 300" || fail "netem on b"
	log "b writes $1 numbered blocks, each after the previous completed"
	on_b "mdwrite write /dev/mirror0 $1" > /tmp/acked 2>/dev/null &
	acw=$!
	i=0
	while :; do
		js=$(on_b "mdctl status --json r0")
		lag=$(echo "$js" | json_field ${LAG_KEY:-lag_bytes})
		[ "${lag:-0}" -gt 1048576 ] && [ "$(wc -l < /tmp/acked)" -gt 500 ] && break
		i=$((i + 1)); [ $i -gt 300 ] && { echo "$js"; fail "no ${LAG_KEY:-lag_bytes} of 1 MiB after 60 s ($(wc -l < /tmp/acked) writes)"; }
		sleep 0.2
	done
	log "backlog on b: $(echo "$js" | json_field lag_bytes) bytes ($(echo "$js" | json_field lag_spill_bytes) in the spill file) in $(echo "$js" | json_field lag_writes) writes, oldest $(echo "$js" | json_field lag_seconds) s, drains in $(echo "$js" | json_field drain_seconds) s"
	# The host runner watches the console for this line and kills b's qemu.
	echo "@@CRASH b" > /dev/console
	sleep 3
	kill $acw 2>/dev/null || true
	ACKED=$(wc -l < /tmp/acked)
	wait_json a connection connecting 60
	K=$(mdwrite prefix /dev/vda $1) || { echo "$K"; fail "the standby is not a prefix of b's history"; }
	log "b completed $ACKED writes; the standby holds blocks 0..$((K - 1)), no gap"
	[ "$K" -gt 0 ] || fail "nothing reached the standby"
	[ "$K" -lt "$ACKED" ] || fail "the standby holds all $ACKED writes: the peer did not lag (was it asynchronous?)"
}

# async_b_returns [UP]: after async_cut_b, b back (UP: how it starts, as
# b_back_up takes it); its resync brings every block b completed to a,
# and the disks are identical.
async_b_returns() {
	b_back_up "$@"
	wait_conn 60
	wait_sync 180
	sync; echo 3 > /proc/sys/vm/drop_caches
	mdwrite check /dev/vda /tmp/acked || fail "a completed write is missing on a after b's resync"
	same_disks
}

# What a node holds in a stall (sh -c "$STALL_DUMP"; on_b "$STALL_DUMP"), first what reads no disk (a stalled
# disk hangs whatever reads it): the lower disk's requests in flight and
# its blk-mq state (requests the driver holds, dispatch list, queue state,
# tags, the scheduler's queues), every task in uninterruptible sleep with
# its stack, the workqueues (sysrq t), the virtio interrupts, whether the
# other disk answers, mirrord's log, the disk after a forced queue run
# (a lost queue run would resume; requests the device holds would not:
# then look for virtio errors in the runner's NODE.qemu.err); then the module's
# view twice 10 s apart, from an mdctl in the background (it reads the
# metadata: a process in uninterruptible sleep cannot be timed out); last
# one read of the lower disk, also in the background, after which the
# scenario says whether fio went on.  2026-12-07: in one stall the lower disk answered
# nothing, mdctl's own read of it included (docs/performance.md).
STALL_DUMP='echo "vda inflight: $(cat /sys/block/vda/inflight)"; mount -t debugfs none /sys/kernel/debug 2>/dev/null || :; for f in state busy dispatch tags sched_tags; do echo "vda hctx0 $f: $(cat /sys/kernel/debug/block/vda/hctx0/$f 2>/dev/null | head -12 | tr "\n" " ")"; done; for f in /sys/kernel/debug/block/vda/sched/*; do echo "vda sched ${f##*/}: $(head -8 $f 2>/dev/null | tr "\n" " ")"; done; for f in state requeue_list; do echo "vda $f: $(head -8 /sys/kernel/debug/block/vda/$f 2>/dev/null | tr "\n" " ")"; done; grep virtio /proc/interrupts; (dd if=/dev/vdb of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null && echo "the other disk (vdb) answers" &); sleep 2; for t in /proc/[0-9]*; do [ "$(cut -d" " -f3 $t/stat 2>/dev/null)" = D ] || continue; echo "D task ${t##*/} $(cat $t/comm) wchan $(cat $t/wchan)"; sed "s/^/    /" $t/stack || :; done; echo t > /proc/sysrq-trigger; dmesg | tail -150 | grep -E -A12 "workqueue|Showing busy" | head -60; tail -5 /var/log/mirrordisk/r0.log; echo run > /sys/kernel/debug/block/vda/state 2>/dev/null; sleep 2; echo "vda after a queue run: inflight $(cat /sys/block/vda/inflight), busy $(head -4 /sys/kernel/debug/block/vda/hctx0/busy 2>/dev/null | tr "\n" " ")"; for i in 1 2; do rm -f /tmp/st.$i; (mdctl status --json r0 > /tmp/st.$i 2>&1 &); sleep 5; echo "module ($i, 5 s after asking): $(grep -E "\"(inflight|oldest_request_ms|local_oldest_ms|local_oldest_offset|epochs|bitmap_write_rounds)\"" /tmp/st.$i | tr -d "\n ")  vda inflight: $(cat /sys/block/vda/inflight)"; [ $i = 2 ] || sleep 5; done'
