#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mkinitramfs.sh KVER KO BINDIR OUT   (EXTRA_BINS="/usr/bin/perf ...": more host
# programs in the guest, e.g. to profile a scenario)
# Assemble the guest initramfs for kernel KVER: busybox, fio, iperf3, e2fsprogs, dmsetup,
# iproute2's tc (/usr/sbin/tc: busybox's own tc knows no netem),
# util-linux's chrt (busybox here has none: a scenario orders a race),
# DRBD's user tools, the project's binaries (from BINDIR: build/bin, or
# build/san/bin for a SAN=1 suite), the module KO, the test scripts, and
# the kernel modules the guest needs together with their dependencies as
# the kernel's own modules.dep lists them (tls and the AES-GCM pieces the
# kernel's TLS asks the crypto API for: there is no modprobe in the guest;
# aesni_intel and ghash_clmulni_intel serve them: runner.py's CPU model has AES-NI).
set -euo pipefail
KVER=$1 KO=$2 BINDIR=$3 OUT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
MODDIR=/lib/modules/$KVER
WANT_MODS="crc32c_generic virtio_pci virtio_blk virtio_net ext4 drbd dm_mod dm_flakey dm_delay sch_netem tls gcm ctr ghash_generic aesni_intel ghash_clmulni_intel"
HOST_BINS="/usr/sbin/tc /usr/bin/chrt /usr/bin/fio /usr/bin/iperf3 /sbin/dmsetup /sbin/mke2fs /sbin/e2fsck /sbin/dumpe2fs /usr/sbin/drbdsetup /usr/sbin/drbdadm /usr/sbin/drbdmeta /lib/drbd/drbdsetup-84 /lib/drbd/drbdadm-84"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/drbd,lib64,etc,proc,sys,dev,tmp,run,mnt,var/lib/drbd,var/run/drbd,var/log,modules,tests}

cp /usr/bin/busybox "$root/bin/busybox"
for b in sh mount; do ln -s busybox "$root/bin/$b"; done

# Shared libraries: the closure ldd reports, at their canonical paths.
copy_with_libs() {
	local f=$1 dst=${2:-$1}
	mkdir -p "$root/$(dirname "$dst")"
	cp -L "$f" "$root/$dst"
	ldd "$f" 2>/dev/null | awk '/=>/ {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
		[ -n "$lib" ] && [ -e "$lib" ] || continue
		[ -e "$root/$lib" ] && continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
}
for b in $HOST_BINS ${EXTRA_BINS:-}; do copy_with_libs "$b"; done
for b in "$BINDIR"/*; do copy_with_libs "$b" "/usr/sbin/$(basename "$b")"; done
# Programs built with the sanitizers (make sanitize: BINDIR build/san/bin)
# bring libasan and libubsan along in their ldd closure; /etc/md-san tells
# the guest, whose driver.sh then fails a scenario on a sanitizer report.
if ldd "$BINDIR/mirrord" 2>/dev/null | grep -q libasan; then
	echo "$BINDIR" > "$root/etc/md-san"
fi
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
ln -s mke2fs "$root/sbin/mkfs.ext4"
ln -s e2fsck "$root/sbin/fsck.ext4"

# Kernel modules, in load order, decompressed (busybox insmod wants plain
# ELF).  A module built into this kernel is simply absent from modules.dep.
order=()
add_mod() {
	local rel=$1 dep
	for m in "${order[@]}"; do [ "$m" = "$rel" ] && return; done
	for dep in $(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$MODDIR/modules.dep"); do
		add_mod "$dep"
	done
	order+=("$rel")
}
for name in $WANT_MODS; do
	rel=$(awk -F: -v n="$name" '{ f = $1; sub(/.*\//, "", f); sub(/\.ko(\.xz|\.zst)?$/, "", f); gsub(/-/, "_", f); if (f == n) { print $1; exit } }' "$MODDIR/modules.dep")
	if [ -z "$rel" ]; then
		grep -q "/$name.ko" "$MODDIR/modules.builtin" && continue
		echo "mkinitramfs: module $name not found for $KVER" >&2; exit 1
	fi
	add_mod "$rel"
done
: > "$root/modules/order"
for rel in "${order[@]}"; do
	base=$(basename "$rel"); base=${base%.xz}; base=${base%.zst}
	case "$rel" in
	*.xz) xz -dc "$MODDIR/$rel" > "$root/modules/$base" ;;
	*.zst) zstd -qdc "$MODDIR/$rel" > "$root/modules/$base" ;;
	*) cp "$MODDIR/$rel" "$root/modules/$base" ;;
	esac
	echo "$base" >> "$root/modules/order"
done
cp "$KO" "$root/modules/mirrordisk.ko"
# The test modules of some scenarios (tests/vm/mdfault.c, mdslabwrite.c), built beside it.
for m in mdfault mdslabwrite; do
	[ -f "$(dirname "$KO")/$m.ko" ] && cp "$(dirname "$KO")/$m.ko" "$root/modules/"
done

cp "$HERE/init" "$root/init"
chmod +x "$root/init"
cp -r "$HERE/guest/." "$root/tests/"
cp -r "$HERE/scenarios" "$root/tests/"
# make bench's fio jobs: the file a tester runs on real hardware.
cp -r "$HERE/../../bench" "$root/tests/"
echo "$KVER" > "$root/etc/kver"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

(cd "$root" && find . | cpio -o -H newc --quiet) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
