#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kver.sh SERIES: the newest installed kernel of a series (6.1 or 6.12) that
# has both its image and its headers, e.g. "6.1.0-56-amd64".
series=$1
for d in $(ls -d /usr/src/linux-headers-"$series".*-amd64 2>/dev/null | sort -V -r); do
	v=${d#/usr/src/linux-headers-}
	[ -e "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v" ] && { echo "$v"; exit 0; }
done
exit 1
