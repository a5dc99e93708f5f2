# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: hang on node b during writes (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case hang b writes
