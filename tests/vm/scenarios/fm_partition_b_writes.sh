# Fault matrix: partition on node b during writes (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case partition b writes
