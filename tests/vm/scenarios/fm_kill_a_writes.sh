# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: kill on node a during writes (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case kill a writes
