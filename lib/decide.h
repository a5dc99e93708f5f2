/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * decide.h - the verdict of a handshake, from the two HELLOs alone: are
 * the two nodes compatible (protocol, resource, names, sizes, roles:
 * mdw_hello_check), do their features agree, and which way does the data
 * go (md_gen_decide), with the refusals that follow.  Pure: both daemons
 * run it on the same two HELLOs and reach mirror-image verdicts; unit
 * tested row by row (tests/unit/test_handshake.c) and fuzzed with the
 * HELLO decoder (tests/fuzz/wire.c).
 */
#ifndef MD_LIB_DECIDE_H
#define MD_LIB_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "meta.h"
#include "wire.h"

/* The generation view of a node as its HELLO describes it; index is its
 * node index in the resource (the tie-breaker). */
struct md_gen_view md_hello_view(const struct md_hello_info *h, int index);

/*
 * me meets them; me_index is our node index.  Returns 0 to go on, with
 * *version the protocol to speak and *decision the resync direction, or
 * the MDW_REJ_* code to refuse with and the reason in why (which fits
 * len, however small).  *decision is set whenever the HELLOs were
 * compatible (a split brain is refused, and still named).
 */
uint32_t md_hello_decide(const struct md_hello_info *me, const struct md_hello_info *them,
			 int me_index, uint32_t *version, enum md_sync_decision *decision,
			 char *why, size_t len);

#endif
