# SPDX-License-Identifier: GPL-2.0-or-later
# Fault matrix: eio on node b during resync (tests/vm/guest/matrix.sh).
. /tests/matrix.sh
fault_case eio b resync
