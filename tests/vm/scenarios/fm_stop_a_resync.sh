# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: stop on node a during resync (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case stop a resync
