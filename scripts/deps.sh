#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install everything the build, the tests, the demo and the benchmarks need,
# from Debian only (make deb: dpkg-dev, debhelper, dh-dkms; make
# check-deploy: mmdebstrap for its guest image, ssh into the guests; make
# bench: iperf3 in the guests, gnuplot for its plots).
# Idempotent and quiet when all is present: it first asks dpkg which
# packages are missing and does nothing if none are.
set -euo pipefail


PKGS=(
	build-essential pkg-config git bc flex bison libelf-dev sparse
	liburing-dev libaio-dev libzstd-dev libxxhash-dev libcmocka-dev
	libinih-dev libjson-c-dev libssl-dev
	clang libclang-rt-14-dev
	qemu-system-x86 qemu-utils busybox-static cpio kmod xz-utils zstd
	fio drbd-utils dmsetup e2fsprogs util-linux iproute2 python3
	linux-image-amd64 linux-headers-amd64
	dpkg-dev debhelper dh-dkms
	mmdebstrap openssh-client
	resource-agents libxml2-utils jq
	iperf3 gnuplot-nox
)

if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive

add_backports() {
	if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 1
	fi
	echo "deps: adding bookworm-backports to apt sources"
	$SUDO tee /etc/apt/sources.list.d/mirrordisk-backports.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	return 0
}

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# The 6.12 kernel: any installed linux-image-6.12.*-amd64 with matching headers.
bpo_ok=1
if ! ls /boot/vmlinuz-6.12.*-amd64 >/dev/null 2>&1 || ! ls -d /usr/src/linux-headers-6.12.*-amd64 >/dev/null 2>&1; then
	bpo_ok=0
fi

if [ ${#missing[@]} -eq 0 ] && [ $bpo_ok = 1 ]; then
	exit 0
fi

add_backports || true
echo "deps: installing ${missing[*]:-} $( [ $bpo_ok = 0 ] && echo '6.12 kernel from bookworm-backports')"
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $bpo_ok = 0 ]; then
	# Install the versioned 6.12 packages that the backports meta-package
	# names, not the meta-package itself: that would replace the 6.1
	# linux-image-amd64 and leave the 6.1 kernel to autoremove.
	img=$(apt-cache depends linux-image-amd64/bookworm-backports | awk '/Depends: linux-image-6.12/ {print $2; exit}')
	[ -n "$img" ] || { echo "deps: no 6.12 kernel found in bookworm-backports" >&2; exit 1; }
	hdr=${img/linux-image-/linux-headers-}
	$SUDO apt-get install -y -qq --no-install-recommends "$img" "$hdr" >/dev/null
fi
# Kernel images are root-only readable on Debian; qemu runs as the caller.
$SUDO chmod a+r /boot/vmlinuz-* 2>/dev/null || true
echo "deps: done"
