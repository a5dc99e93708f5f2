/* SPDX-License-Identifier: GPL-2.0-or-later */
/* decide.c - see decide.h. */
#include <stdio.h>
#include "decide.h"
#include "md_wire.h"

struct md_gen_view md_hello_view(const struct md_hello_info *h, int index)
{
	struct md_gen_view v = {
		.current = h->gen_current, .bitmap = h->gen_bitmap,
		.history = { h->gen_history[0], h->gen_history[1] },
		.flags = h->sb_flags, .disk_state = h->disk_state, .oos_chunks = h->oos_chunks,
		.primary_now = h->role == MD_ROLE_PRIMARY, .node_index = index,
	};
	return v;
}

/* Features both must have alike: 0, or MDW_REJ_FEATURES with the reason. */
static uint32_t features_alike(const struct md_hello_info *me, const struct md_hello_info *them,
			       char *why, size_t len)
{
	uint64_t differ = me->features ^ them->features;

	if (differ & MDW_FEAT_XXH3) {
		/* Both digest every packet, or neither: a mismatch is a
		 * configuration error, not something to guess around. */
		snprintf(why, len, "data-integrity is %s on %s and %s on %s: set it alike",
			 me->features & MDW_FEAT_XXH3 ? "yes" : "no", me->node,
			 them->features & MDW_FEAT_XXH3 ? "yes" : "no", them->node);
		return MDW_REJ_FEATURES;
	}
	if (differ & MDW_FEAT_ZSTD) {
		/* Compression is the pair's choice, as encryption is: one
		 * side compressing for a peer that said none (or an older
		 * peer that knows no compression) is refused, not guessed. */
		snprintf(why, len, "compression is %s on %s and %s on %s: set it alike",
			 me->features & MDW_FEAT_ZSTD ? "on (zstd or auto)" : "none", me->node,
			 them->features & MDW_FEAT_ZSTD ? "on (zstd or auto)" : "none", them->node);
		return MDW_REJ_FEATURES;
	}
	return 0;
}

/* The resync direction and the refusals that follow from it. */
static uint32_t direction(const struct md_hello_info *me, const struct md_hello_info *them,
			  int me_index, enum md_sync_decision *decision, char *why, size_t len)
{
	struct md_gen_view lv = md_hello_view(me, me_index), pv = md_hello_view(them, !me_index);

	*decision = md_gen_decide(&lv, &pv);
	switch (*decision) {
	case MD_SYNC_SPLIT_BRAIN:
		snprintf(why, len, "split brain: both nodes changed the data while apart "
			 "(generations %016llx and %016llx); choose the survivor with mdctl rebuild",
			 (unsigned long long)me->gen_current, (unsigned long long)them->gen_current);
		return MDW_REJ_SPLIT_BRAIN;
	case MD_SYNC_UNRELATED:
		snprintf(why, len, "the two disks share no history (generations %016llx "
			 "and %016llx); rebuild one from the other", (unsigned long long)me->gen_current,
			 (unsigned long long)them->gen_current);
		return MDW_REJ_UNRELATED;
	case MD_SYNC_CONFLICT:
		snprintf(why, len, "rebuild marks contradict each other (both sides told "
			 "to yield, or both to survive); run mdctl rebuild again on one node");
		return MDW_REJ_CONFLICT;
	case MD_SYNC_NO_GOOD_COPY:
		snprintf(why, len, "no copy is known good: %s is %s and %s is %s; nothing is "
			 "overwritten until mdctl rebuild --from NODE names the copy to keep",
			 me->node, md_disk_state_name(me->disk_state), them->node,
			 md_disk_state_name(them->disk_state));
		return MDW_REJ_NO_GOOD_COPY;
	case MD_SYNC_TARGET_FULL:
	case MD_SYNC_TARGET_BITMAP:
		if (me->role != MD_ROLE_PRIMARY)
			return 0;
		snprintf(why, len, "%s is primary but holds older data than %s: "
			 "deactivate it first", me->node, them->node);
		return MDW_REJ_OLDER_PRIMARY;
	case MD_SYNC_SOURCE_FULL:
	case MD_SYNC_SOURCE_BITMAP:
		if (them->role != MD_ROLE_PRIMARY)
			return 0;
		snprintf(why, len, "%s is primary but holds older data than %s: "
			 "deactivate it first", them->node, me->node);
		return MDW_REJ_OLDER_PRIMARY;
	default:
		return 0;
	}
}

uint32_t md_hello_decide(const struct md_hello_info *me, const struct md_hello_info *them,
			 int me_index, uint32_t *version, enum md_sync_decision *decision,
			 char *why, size_t len)
{
	uint32_t code = (uint32_t)mdw_hello_check(me, them, version, why, len);

	*decision = MD_SYNC_NONE;
	if (!code)
		code = features_alike(me, them, why, len);
	if (!code)
		code = direction(me, them, me_index, decision, why, len);
	return code;
}
