# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: powercut on node b during resync (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case powercut b resync
