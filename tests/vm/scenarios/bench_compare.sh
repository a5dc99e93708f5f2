# fio on the raw lower disk, on the mirror (synchronous), and on DRBD 8.4
# protocol C, one after the other in the same two guests.  Prints
#   @@RESULT TARGET TEST BW_KIB_S IOPS LAT_MEAN_US
# lines that tests/bench/run.sh turns into docs/performance.md.
. /tests/lib.sh
RUNTIME=${BENCH_RUNTIME:-20}

run_fio() {	# TARGET DEV
	for t in seq1m randw4k randw4k_qd1; do
		case $t in
		seq1m) args="--rw=write --bs=1m --iodepth=16 --ioengine=libaio" ;;
		randw4k) args="--rw=randwrite --bs=4k --iodepth=32 --ioengine=libaio" ;;
		randw4k_qd1) args="--rw=randwrite --bs=4k --iodepth=1 --ioengine=psync" ;;
		esac
		fio --name=b --filename="$2" --direct=1 $args --size=128m --time_based \
			--runtime="$RUNTIME" --output-format=terse --terse-version=3 \
			> /tmp/b.out 2>&1 || { cat /tmp/b.out; fail "fio $1 $t"; }
		awk -F';' -v tgt="$1" -v t="$t" '{ printf "@@RESULT %s %s %s %s %s\n", tgt, t, $48, $49, $81 }' /tmp/b.out
	done
}

run_fio raw /dev/vda

up_both
mdctl activate r0 || fail "activate"
wait_conn
run_fio mirror /dev/mirror0
mdctl deactivate r0
mdctl down r0; on_b "mdctl down r0"

mkdir -p /etc/drbd.d
cp /tests/drbd.conf /etc/drbd.conf
on_b "mkdir -p /etc/drbd.d; cp /tests/drbd.conf /etc/drbd.conf"
for n in a b; do
	cmd="yes yes | drbdadm create-md --force r0 >/dev/null 2>&1; drbdadm up r0"
	if [ $n = a ]; then sh -c "$cmd" || fail "drbd up a"; else on_b "$cmd" || fail "drbd up b"; fi
done
i=0
until grep -q 'cs:Connected' /proc/drbd; do
	i=$((i + 1)); [ $i -gt 150 ] && { cat /proc/drbd; fail "DRBD did not connect"; }
	sleep 0.2
done
drbdadm -- --clear-bitmap new-current-uuid r0 || fail "drbd skip initial sync"
drbdadm primary r0 || fail "drbd primary"
cat /proc/drbd
run_fio drbd /dev/drbd0
drbdadm secondary r0
drbdadm down r0; on_b "drbdadm down r0"
echo "benchmark done"
