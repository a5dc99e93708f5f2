# SPDX-License-Identifier: GPL-2.0-or-later
# A refusal stays in the link state only while the peer refuses.  a comes
# back with another secret: b's handshakes fail, its status says refused.
# Then a goes down: nothing listens at a's address any more, and b's
# status says connecting again (it said refused until a returned, which
# made admin_outdate's wait for "connecting" fail when a went down in the
# middle of b's handshake).  With the secret back, the pair connects.
. /tests/lib.sh
start_pair
mdctl deactivate r0 >/dev/null || fail "deactivate a"
mdctl down r0 >/dev/null || fail "down a"
secret_install another-secret-of-sufficient-length
mdctl up r0 >/dev/null || fail "up a with another secret"
wait_json b connection refused 30
log "b refused by a, which holds another secret"
mdctl down r0 >/dev/null || fail "down a"
wait_json b connection connecting 15
log "a down: b says connecting"
secret_install
mdctl up r0 >/dev/null || fail "up a again"
wait_conn 60
