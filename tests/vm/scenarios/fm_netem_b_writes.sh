# Fault matrix: netem on node b during writes (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case netem b writes
