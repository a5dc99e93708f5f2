#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: boot two guests (6.1) and walk through the main flows.
set -euo pipefail
cd "$(dirname "$0")/.."
kver=$(scripts/kver.sh "${KSERIES:-6.1}")
LOGDIR=build/demo
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
echo "Building the guest image for $kver ..."
tests/vm/mkinitramfs.sh "$kver" "build/kmod/$kver/mirrordisk.ko" build/bin build/initramfs-$kver.cpio
echo "Booting node-a and node-b (qemu TCG; this takes a few minutes) ..."
rc=0
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio --suite demo \
	--nodes 2 --timeout 600 --disk-mb 512 --logdir "$LOGDIR" --results "$LOGDIR/results.txt" demo || rc=$?
echo
echo "----- node-a's console (kernel messages left out) -----"
sed -n '/^@@BEGIN demo/,/^@@END demo/p' "$LOGDIR/$kver-demo-a.console.log" | grep -v '^\[ *[0-9]*\.[0-9]*\]' | grep -v '^@@'
echo "-------------------------------------------------------"
echo "Full logs: $LOGDIR"
exit $rc
