# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of how bm_work writes the bitmap pages random
# writes spread over a 1 TiB device need (nearly every write the first to
# its chunk in a long time, so it waits for a bitmap page write): rounds
# of up to bitmap_write_batch pages, the waiting writes dispatched after
# every round (bitmap_early=1) or only once no page is dirty (0, as
# before).  Three rounds in one boot, 15 s per job of fio's 4 KiB random
# writes at QD32 over the whole device (bench_sparse's spread job),
# unencrypted.  Not in make bench or any suite.  Run with 1 TiB disks:
#   python3 tests/vm/runner.py --kernel KVER --initrd INITRD --suite bench \
#     --nodes 2 --timeout 1500 --disk-mb 1048576 --logdir D --results D/r.txt bench_bm_ab
# Prints "@@AB ROUND EARLY BATCH IOPS MEAN_LAT_US PAGE_WRITES BITMAP_WAITS WRITES ROUNDS".
. /tests/lib.sh
P=/sys/module/mirrordisk/parameters
plain_conf
CONF=/tmp/plain.conf start_pair
size=$(mdctl status --json r0 | json_field size_bytes)
ctrs() { js=$(mdctl status --json r0); for k in bitmap_page_writes bitmap_waits writes bitmap_write_rounds; do echo "$js" | json_field $k; done | tr '\n' ' '; }
for rep in 1 2 3; do
	for v in "1 16 1 0" "1 64 0 1" "1 16 1 1"; do
		set -- $v
		echo $1 > $P/bitmap_early && echo $2 > $P/bitmap_write_batch && echo $3 > $P/bitmap_fua && echo $4 > $P/bitmap_sim || fail "parameters $v"
		echo "@@AB-GO $rep $v" > /dev/console
		c0=$(ctrs)
		fio --name=j --filename=/dev/mirror0 --direct=1 --rw=randwrite --bs=4k --iodepth=32 --ioengine=libaio \
			--size="$size" --norandommap --randrepeat=0 --time_based --runtime=15 \
			--output-format=terse --terse-version=3 > /tmp/j.out 2>&1 &
		f=$!; i=0
		while kill -0 $f 2>/dev/null; do
			i=$((i + 1))
			if [ $i -gt 300 ]; then
				{ echo "@@STALL $rep $v: node a"; sh -c "$STALL_DUMP" || :
				  echo "@@STALL node b"; on_b "$STALL_DUMP" || :; } 2>&1 | tee /dev/console
				fail "fio stalled ($v, round $rep)"
			fi
			sleep 0.2
		done
		wait $f || { cat /tmp/j.out; fail fio; }
		echo "@@AB-DONE $rep $v" > /dev/console
		c1=$(ctrs)
		awk -F';' -v r=$rep -v e=$1 -v b=$2/$3/$4 -v c="$c0 $c1" '{ split(c, v, " ")
			printf "@@AB %s %s %s %s %s %d %d %d %d\n", r, e, b, $49, $81, v[5] - v[1], v[6] - v[2], v[7] - v[3], v[8] - v[4] }' /tmp/j.out
	done
done
echo 0 > $P/bitmap_sim; echo 1 > $P/bitmap_early; echo 16 > $P/bitmap_write_batch
mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
