# SPDX-License-Identifier: GPL-2.0-or-later
# The creation ioctl checks its geometry with overflow-safe arithmetic and
# refuses metadata that overlaps the data, whatever mdctl would have sent:
#  - a meta_offset near 2^64 that wraps the bitmap's position to byte 0;
#  - "external" metadata on the data device itself.
# Either, accepted, would write the bitmap over the start of the data.
# And the chunk size limits of proto/md_meta.h hold in the kernel too: a
# 2 MiB chunk would ask bio_alloc for more vectors than it can give.
. /tests/lib.sh
md_load
dd if=/dev/urandom of=/dev/vda bs=1M count=1 oflag=direct 2>/dev/null
before=$(dd if=/dev/vda bs=1M count=1 iflag=direct 2>/dev/null | md5sum)
data=$((128 << 20)); bm=4096
try() {	# try WANT ARGS...: mdioctl create's answer must be WANT
	want=$1; shift
	got=$(mdioctl create 5 "$@") || true
	[ "$got" = ok ] && mdioctl destroy 5 >/dev/null
	[ "$got" = "$want" ] || fail "create $*: got $got, expected $want"
}
try EINVAL /dev/vda - $data 18446744073709543424 $bm	# bm_pos wraps to 0
try EINVAL /dev/vda /dev/vda $data 0 $bm		# metadata on the data
try EINVAL /dev/vda - $data 0 $bm			# internal, inside the data
try EINVAL /dev/vda - $data $data $bm 21		# 2 MiB chunks: above the limit
try EINVAL /dev/vda - $data $data $bm 11		# 2 KiB chunks: below it
try ok /dev/vda - $data $data $bm			# sane: right after the data
[ "$(dd if=/dev/vda bs=1M count=1 iflag=direct 2>/dev/null | md5sum)" = "$before" ] ||
	fail "the start of the data changed"
echo "bad creation geometry refused, data untouched"
