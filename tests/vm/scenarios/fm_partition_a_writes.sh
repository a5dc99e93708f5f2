# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: partition on node a during writes (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case partition a writes
