# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: eio on node a during writes (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case eio a writes
