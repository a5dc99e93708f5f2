# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 24, mode = async: a power cut of the primary while the peer lags
# (async_cut_b in lib.sh: b primary behind a slow link writes numbered
# blocks, each after the previous completed; cut with a backlog of a MiB
# or more).  The standby holds exactly blocks 0..K-1 of that history, no
# gap, K below what b completed (the loss async allows).  Then b comes
# back as it was: its write-intent bitmap brings every completed write to
# a, each block of the ledger is on a's disk and the disks are identical
# (the bits of the writes the peer lacked stayed set: the epoch flush that
# clears them is a barrier on the peer, MDW_DF_BARRIER).
. /tests/lib.sh
async_cut_b 6000
async_b_returns
echo "standby a prefix ($K of $ACKED blocks) at the power cut; every completed write on it after the resync"
