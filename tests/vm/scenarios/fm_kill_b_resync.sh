# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: kill on node b during resync (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case kill b resync
