#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (or find cached) the Debian 12 guest image of the deployment test
# (`make check-deploy`, tests/deploy/scenario.py): a real systemd system made
# with mmdebstrap from the archive this machine's apt uses, with everything
# the packages of `make deb` need already installed, because the guests
# have no network to the archive during the test.
#
#   tests/deploy/image.sh [--extra "PKG ..."]
#
# Prints the image's directory (its last line of standard output):
#   disk.qcow2        the root file system (ext4, no partition table: root=/dev/vda),
#                     the base of the copy-on-write overlay each run makes
#   vmlinuz, initrd.img   the guest's kernel and initramfs, booted with qemu -kernel
#   id_ed25519        root's ssh key for the guest (generated with the image)
#   manifest.txt      the installed packages (name version), to check the
#                     Depends of the .debs against before booting
#   kernel.txt        the guest kernel's release (uname -r)
#
# The directory is build/deploy/image-SET-HASH, SET from the extra
# packages, HASH from this file and them: editing the recipe builds a new
# image, an unchanged one is reused (rm -rf build/deploy for a fresh one,
# e.g. after a kernel update in the archive).  Older images of the same
# set are removed.  Needs root (mmdebstrap's root mode, mkfs.ext4 -d) and
# mmdebstrap, e2fsprogs, qemu-utils, openssh-client.
#
# check-deploy, check-cluster and check-system boot the same image (its
# packages below); --extra adds packages for a test that needs more.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The guest's packages.  A system: systemd as init, udev, kmod, networking
# by systemd-networkd (in systemd), ssh for the host to drive it.  The
# kernel and its headers: DKMS builds the module in the guest when
# mirrordisk-dkms is installed.  Then every Depends of the two packages
# (debian/control; ${shlibs:Depends} of mirrordisk-utils resolves to the
# run-time libraries of its Build-Depends' -dev packages), and dkms with
# its own dependencies (gcc, make, dpkg-dev...; apt adds those).
DEPLOY_PACKAGES=(
	systemd systemd-sysv udev dbus kmod iproute2 iputils-ping procps
	openssh-server e2fsprogs util-linux
	linux-image-amd64 linux-headers-amd64 initramfs-tools
	dkms
	libaio1 libinih1 libjson-c5 libssl3 liburing2 libxxhash0
)
# make check-cluster's (and check-system's): the cluster manager, the
# agents of resource-agents with psmisc (fuser, without which
# ocf:heartbeat:Filesystem reports "not installed"), PostgreSQL 15, jq
# and xmllint.  In the one image both checks boot, so that check-system
# builds one image; off at boot (CLUSTER_SERVICES below): the cluster
# test configures and starts them.
CLUSTER_PACKAGES=(
	corosync pacemaker crmsh resource-agents psmisc postgresql-15 jq libxml2-utils
)
CLUSTER_SERVICES=(corosync.service pacemaker.service postgresql.service)
DEPLOY_PACKAGES+=("${CLUSTER_PACKAGES[@]}")
SUITE=bookworm
DISK_SIZE=4G
extra=
while [ $# -gt 0 ]; do
	case "$1" in
	--extra) extra=$2; shift 2 ;;
	*) echo "usage: $0 [--extra \"PKG ...\"]" >&2; exit 2 ;;
	esac
done
# shellcheck disable=SC2206
[ -n "$extra" ] && DEPLOY_PACKAGES+=($extra)

hash=$( { cat "$0"; echo "extra=$extra"; } | sha256sum | cut -c1-12)
# One image kept per set of extra packages (check-deploy's and
# check-cluster's live side by side); an older one of the same set goes.
family=$(echo "extra=$extra" | sha256sum | cut -c1-6)
top=build/deploy
dir=$top/image-$family-$hash
if [ -f "$dir/disk.qcow2" ]; then
	echo "image: cached $dir" >&2
	echo "$dir"
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "image.sh: needs root (mmdebstrap root mode, mkfs.ext4 -d)" >&2; exit 1; }
for t in mmdebstrap mkfs.ext4 qemu-img ssh-keygen; do
	command -v $t >/dev/null || { echo "image.sh: $t missing: make deps" >&2; exit 1; }
done

mkdir -p "$top"
exec 9>"$top/.build.lock"
flock 9	# one build at a time; a second waits, then finds the image
if [ -f "$dir/disk.qcow2" ]; then echo "$dir"; exit 0; fi

# The machine's own apt sources: every enabled sources file whose URIs are
# all Debian's archive (another vendor's repository is left out).
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	uris=$(grep -Eo '(https?|file|cdrom)://[^ ]+|^URIs:.*' "$f" | sed 's/^URIs://' | tr ' ' '\n' | grep . || true)
	[ -n "$uris" ] || continue
	if echo "$uris" | grep -qv 'debian'; then
		echo "image: apt sources $f left out (not Debian's archive)" >&2
		continue
	fi
	sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || { echo "image.sh: no Debian apt sources on this machine" >&2; exit 1; }

work=$top/tmp-$hash
rm -rf "$work"
mkdir -p "$work"
root=$work/root
log=$work/build.log
start=$(date +%s)
echo "image: building $dir (${DEPLOY_PACKAGES[*]}) from ${sources[*]}; log $log" >&2

ssh-keygen -q -t ed25519 -N '' -C mirrordisk-deploy-test -f "$work/id_ed25519"

# Docs and man pages left out (size); the lists of the archive are removed
# by mmdebstrap's cleanup: apt in the guest knows only what is installed, so
# a dependency missing here fails the install at once instead of hanging.
if ! mmdebstrap --mode=root --variant=apt --format=directory \
	--include="$(IFS=,; echo "${DEPLOY_PACKAGES[*]}")" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	"$SUITE" "$root" "${sources[@]}" >"$log" 2>&1; then
	tail -30 "$log" >&2
	echo "image.sh: mmdebstrap failed (log $log)" >&2
	exit 1
fi

kver=$(ls "$root/lib/modules")
[ "$(echo "$kver" | wc -l)" = 1 ] || { echo "image.sh: not one kernel in the image: $kver" >&2; exit 1; }
[ -d "$root/lib/modules/$kver/build" ] || { echo "image.sh: no headers for $kver in the image" >&2; exit 1; }

# The system's configuration: generic, both guests boot the same image; the
# test gives each its host name and link address at first boot.
echo deploy > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$root/etc/fstab"
# Each guest makes its own machine-id at first boot; the first-boot wizard
# would wait for answers on the console.
: > "$root/etc/machine-id"
ln -sf /dev/null "$root/etc/systemd/system/systemd-firstboot.service"
# The NIC of the host's ssh (qemu user networking, MAC 52:54:00:12:34:xx):
# DHCP.  The inter-node link is configured by the test (another file).
mkdir -p "$root/etc/systemd/network"
cat > "$root/etc/systemd/network/10-mgmt.network" <<'EOF'
[Match]
MACAddress=52:54:00:12:34:01 52:54:00:12:34:02 52:54:00:12:34:03 52:54:00:12:34:04

[Network]
DHCP=ipv4
LinkLocalAddressing=no

[DHCPv4]
UseDNS=no
EOF
chroot "$root" systemctl enable -q systemd-networkd.service
for t in "${CLUSTER_SERVICES[@]}"; do
	chroot "$root" systemctl disable -q "$t"
done
# Background jobs that only cost CPU under TCG.
for t in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
	chroot "$root" systemctl disable -q "$t" 2>/dev/null || true
done
# The host's way in: root with the key made above, nothing else.
install -d -m 700 "$root/root/.ssh"
install -m 600 "$work/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
printf 'PasswordAuthentication no\nUseDNS no\n' > "$root/etc/ssh/sshd_config.d/deploy-test.conf"

cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
chmod a+r "$work/vmlinuz" "$work/initrd.img"
echo "$kver" > "$work/kernel.txt"
# shellcheck disable=SC2016
chroot "$root" dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version} ${Provides}\n' |
	awk '$1 == "ii" { $1 = ""; sub(/^ /, ""); print }' > "$work/manifest.txt"

truncate -s "$DISK_SIZE" "$work/disk.raw"
mkfs.ext4 -q -L deploy-root -d "$root" "$work/disk.raw" >>"$log" 2>&1
qemu-img convert -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
rm -rf "$root" "$work/disk.raw"

# The older images of this set, and any of the naming before sets.
for old in "$top"/image-"$family"-* "$top"/image-????????????; do
	[ -d "$old" ] && [ "$old" != "$dir" ] && rm -rf "$old"
done
rm -rf "$dir"
mv "$work" "$dir"
echo "image: built $dir in $(( $(date +%s) - start )) s (kernel $kver, $(du -sh "$dir/disk.qcow2" | cut -f1))" >&2
echo "$dir"
