# SPDX-License-Identifier: GPL-2.0-or-later
# Bitmap pages of one pass go to the disk together (issue 25; kmod/bitmap.c,
# md_bm_write_round).  A 4 GiB device with 4 KiB chunks has 32 bitmap
# pages, one per 128 MiB; its metadata sits behind dm-delay (writes
# delayed DELAY ms).  A write to page 0's region starts a round of page
# writes; while it is in flight, writes to 8 other pages' regions each set
# a new bit and wait.  With bitmap_write_batch=16 (the default) their 8
# pages are written in one round: 2 rounds, 9 page writes.  With 1 (one at
# a time, as before) the same writes take 9 rounds.  Every write completes
# and its data is on the lower disk.
. /tests/lib.sh
DELAY=2000
PARAM=/sys/module/mirrordisk/parameters/bitmap_write_batch
md_load
dm_meta slowmeta ok || fail "dm slowmeta"
sed "s|^disk = /dev/vda|&\nmeta = /dev/mapper/slowmeta|; s|^timeout = 5|&\nchunk-size = 4K|" \
	/tests/md.conf > /tmp/batch.conf
conf_install /tmp/batch.conf
export MD_NODE=node-a
mdctl create --force --assume-clean r0 >/dev/null || fail "mdctl create"
mdctl up r0 >/dev/null || fail "mdctl up"
mdctl activate --force r0 >/dev/null || fail "mdctl activate"
[ "$(mdctl status --json r0 | json_field chunk_bytes)" = 4096 ] || fail "chunk-size 4K not in effect"
ctr() { mdctl status --json r0 | json_field "$1"; }
[ -n "$(ctr bitmap_write_rounds)" ] || fail "no bitmap_write_rounds in status"
trap 'dm_meta slowmeta ok 2>/dev/null; wait' EXIT
PAGE_BLOCKS=32768		# 4 KiB blocks per bitmap page's 128 MiB

# round BATCH FIRST: write block FIRST of pages 0..8's regions (page 0's
# at once, the others while its page write is in flight); ROUNDS and
# PAGES: the rounds and page writes they took.
round() {
	echo "$1" > $PARAM || fail "bitmap_write_batch $1"
	r0=$(ctr bitmap_write_rounds); p0=$(ctr bitmap_page_writes)
	dm_meta slowmeta delay $DELAY || fail "dm delay"
	dd if=/dev/urandom of=/tmp/w0 bs=4k count=1 2>/dev/null
	t0=$(cut -d' ' -f1 /proc/uptime)
	dd if=/tmp/w0 of=/dev/mirror0 bs=4k seek="$2" oflag=direct 2>/dev/null &
	pids=$!
	sleep 0.3
	for pg in 1 2 3 4 5 6 7 8; do
		dd if=/dev/urandom of=/tmp/w$pg bs=4k count=1 2>/dev/null
		dd if=/tmp/w$pg of=/dev/mirror0 bs=4k seek=$((pg * PAGE_BLOCKS + $2)) oflag=direct 2>/dev/null &
		pids="$pids $!"
	done
	t1=$(cut -d' ' -f1 /proc/uptime)
	# They must all have set their bits inside the first round's window.
	awk -v a="$t0" -v b="$t1" -v d=$DELAY 'BEGIN { exit !((b - a) * 1000 < d - 700) }' ||
		skip "the writes came too late for the $DELAY ms window (slow guest)"
	for p in $pids; do wait "$p" || fail "a write failed (batch $1)"; done
	dm_meta slowmeta ok
	for pg in 0 1 2 3 4 5 6 7 8; do
		off=$((pg * PAGE_BLOCKS + $2))
		[ "$(dd if=/dev/vda bs=4k skip=$off count=1 iflag=direct 2>/dev/null | md5sum)" = \
		  "$(md5sum < /tmp/w$pg)" ] || fail "block $off not on the lower disk (batch $1)"
	done
	ROUNDS=$(($(ctr bitmap_write_rounds) - r0)) PAGES=$(($(ctr bitmap_page_writes) - p0))
	log "bitmap_write_batch=$1: $ROUNDS rounds, $PAGES page writes"
}
round 16 100
[ "$PAGES" = 9 ] || fail "batch 16: $PAGES page writes for 9 new pages"
[ "$ROUNDS" = 2 ] || fail "batch 16: $ROUNDS rounds, expected 2 (page 0, then the 8 others together)"
# Chunks nothing wrote yet, in the same pages: new bits again.
round 1 200
[ "$ROUNDS" = 9 ] && [ "$PAGES" = 9 ] || fail "batch 1: $ROUNDS rounds, $PAGES page writes, expected 9 and 9"
echo 16 > $PARAM
mdctl deactivate r0 >/dev/null || fail "deactivate"
mdctl down r0 >/dev/null || fail "down"
echo "9 new bitmap pages: 2 rounds written together, 9 one at a time"
