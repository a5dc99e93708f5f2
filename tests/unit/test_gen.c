/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_gen.c - the superblock's transitions (lib/gen.c) run as histories
 * of two nodes, each step checked by what md_gen_decide (lib/meta.c) then
 * decides: what the transitions write is what the decision reads.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "gen.h"
#include "meta.h"

/* One node: its superblock, the bits its kernel holds, its role now. */
struct node {
	struct md_super sb;
	uint64_t bits;
	bool primary;
	int idx;
};

static struct node node(int idx, uint64_t gen)
{
	struct node n = { .idx = idx };

	n.sb.gen_current = gen;
	n.sb.disk_state = MD_DISK_UPTODATE;
	return n;
}

static struct md_gen_view view(const struct node *n)
{
	struct md_gen_view v = {
		.current = n->sb.gen_current, .bitmap = n->sb.gen_bitmap,
		.history = { n->sb.gen_history[0], n->sb.gen_history[1] },
		.flags = n->sb.flags, .disk_state = n->sb.disk_state, .oos_chunks = n->bits,
		.primary_now = n->primary, .node_index = n->idx,
	};
	return v;
}

/* What a decides meeting b, checked to be b's mirror image. */
static enum md_sync_decision meet(const struct node *a, const struct node *b)
{
	static const enum md_sync_decision mirror[] = {
		[MD_SYNC_NONE] = MD_SYNC_NONE,
		[MD_SYNC_SOURCE_BITMAP] = MD_SYNC_TARGET_BITMAP,
		[MD_SYNC_TARGET_BITMAP] = MD_SYNC_SOURCE_BITMAP,
		[MD_SYNC_SOURCE_FULL] = MD_SYNC_TARGET_FULL,
		[MD_SYNC_TARGET_FULL] = MD_SYNC_SOURCE_FULL,
		[MD_SYNC_WAIT_INITIAL] = MD_SYNC_WAIT_INITIAL,
		[MD_SYNC_SPLIT_BRAIN] = MD_SYNC_SPLIT_BRAIN,
		[MD_SYNC_UNRELATED] = MD_SYNC_UNRELATED,
		[MD_SYNC_CONFLICT] = MD_SYNC_CONFLICT,
		[MD_SYNC_NO_GOOD_COPY] = MD_SYNC_NO_GOOD_COPY,
	};
	struct md_gen_view va = view(a), vb = view(b);
	enum md_sync_decision d = md_gen_decide(&va, &vb);

	assert_int_equal(md_gen_decide(&vb, &va), mirror[d]);
	return d;
}

/* A resync from src into dst ended on both sides. */
static void resync_done(struct node *src, struct node *dst, bool full)
{
	assert_int_equal(md_tr_source_done(&src->sb, &(struct md_tr){ .full = full, .now = 7 }), 1);
	assert_int_equal(md_tr_target_done(&dst->sb, &(struct md_tr){ .peer_gen = src->sb.gen_current,
								      .full = full, .now = 7 }), 1);
	src->bits = dst->bits = 0;
}

/* Connected, the primary loses the link and writes alone; they meet
 * again, the primary's bitmap is copied, and they are in sync. */
static void break_write_alone_reconnect(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);

	(void)state;
	assert_int_equal(md_tr_promote(&a.sb, &(struct md_tr){ .connected = true }), 1);
	a.primary = true;
	assert_int_equal(a.sb.gen_current, 100);	/* connected: same generation */
	assert_int_equal(meet(&a, &b), MD_SYNC_NONE);
	md_tr_link_lost(&a.sb, &(struct md_tr){ .primary = true, .now = 5 });
	md_tr_link_lost(&b.sb, &(struct md_tr){ .now = 5 });
	assert_int_equal(a.sb.gen_bitmap, 100);
	assert_true(a.sb.gen_current != 100);
	assert_int_equal(b.sb.gen_current, 100);
	assert_int_equal(a.sb.time_last_break, 5);
	a.bits = 9;
	/* A second break before a resync keeps the bitmap's generation. */
	{
		uint64_t cur = a.sb.gen_current;

		md_tr_link_lost(&a.sb, &(struct md_tr){ .primary = true });
		assert_int_equal(a.sb.gen_current, cur);
		assert_int_equal(a.sb.gen_bitmap, 100);
	}
	assert_int_equal(meet(&a, &b), MD_SYNC_SOURCE_BITMAP);
	resync_done(&a, &b, false);
	assert_int_equal(a.sb.gen_history[0], 100);
	assert_int_equal(a.sb.gen_bitmap, 0);
	assert_int_equal(b.sb.gen_current, a.sb.gen_current);
	assert_int_equal(b.sb.time_last_sync, 7);
	assert_int_equal(b.sb.time_last_full_sync, 0);
	assert_int_equal(meet(&a, &b), MD_SYNC_NONE);
}

/* Activated while the peer is away: a new generation at once. */
static void promote_alone_starts_a_generation(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);

	(void)state;
	assert_int_equal(md_tr_promote(&a.sb, &(struct md_tr){ 0 }), 1);
	assert_true(a.sb.flags & MD_SBF_PRIMARY);
	assert_int_equal(a.sb.gen_bitmap, 100);
	a.primary = true;
	a.bits = 1;
	assert_int_equal(meet(&a, &b), MD_SYNC_SOURCE_BITMAP);
	assert_int_equal(md_tr_demote(&a.sb, NULL), 1);
	assert_int_equal(md_tr_demote(&a.sb, NULL), 0);
	a.primary = false;
	assert_int_equal(meet(&a, &b), MD_SYNC_SOURCE_BITMAP);
}

/* Issue 19, finding 1, as a history: b (first-listed) is secondary, its
 * disk fails a's write (both mark), a is deactivated, both restart
 * secondary: b is the target, never the source. */
static void failed_write_on_secondary_makes_it_the_target(void **state)
{
	struct node a = node(1, 100), b = node(0, 100);

	(void)state;
	md_tr_promote(&a.sb, &(struct md_tr){ .connected = true });
	a.primary = true;
	assert_int_equal(md_tr_inconsistent(&b.sb, NULL), 1);
	assert_int_equal(md_tr_inconsistent(&b.sb, NULL), 0);
	a.bits = b.bits = 1;
	md_tr_demote(&a.sb, NULL);
	a.primary = false;
	assert_int_equal(meet(&b, &a), MD_SYNC_TARGET_BITMAP);
	resync_done(&a, &b, false);
	assert_int_equal(b.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(meet(&b, &a), MD_SYNC_NONE);
	/* The inconsistent copy cannot be activated without force. */
	md_tr_inconsistent(&b.sb, NULL);
	{
		struct md_tr t = { .connected = true };

		assert_int_equal(md_tr_promote(&b.sb, &t), -EPERM);
		assert_non_null(strstr(t.why, "the local data is inconsistent, not up to date; use --force"));
		assert_false(b.sb.flags & MD_SBF_PRIMARY);
	}
}

/* Forced promotion of an inconsistent copy makes it the reference: a
 * history of its own, which the peer shares nothing with. */
static void forced_promotion_is_a_new_history(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);

	(void)state;
	md_tr_inconsistent(&b.sb, NULL);
	assert_int_equal(md_tr_promote(&b.sb, &(struct md_tr){ .force = true }), 1);
	b.primary = true;
	assert_int_equal(b.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(b.sb.gen_bitmap, 0);
	assert_int_equal(meet(&a, &b), MD_SYNC_UNRELATED);
}

/* Both wrote while apart: split brain, until rebuild names the survivor
 * (on either node), then a differential resync from it. */
static void split_brain_resolved_by_rebuild(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);

	(void)state;
	md_tr_promote(&a.sb, &(struct md_tr){ 0 });
	md_tr_promote(&b.sb, &(struct md_tr){ .force = false });
	a.bits = b.bits = 3;
	md_tr_demote(&a.sb, NULL);
	md_tr_demote(&b.sb, NULL);
	assert_int_equal(meet(&a, &b), MD_SYNC_SPLIT_BRAIN);
	{
		struct node k = a, y = b;

		assert_int_equal(md_tr_rebuild_keep(&k.sb, &(struct md_tr){ 0 }), 1);
		assert_int_equal(md_tr_rebuild_keep(&k.sb, &(struct md_tr){ 0 }), 0);
		assert_int_equal(meet(&k, &y), MD_SYNC_SOURCE_BITMAP);
	}
	assert_int_equal(md_tr_rebuild_yield(&b.sb, &(struct md_tr){ .full = true }), 1);
	assert_int_equal(b.sb.disk_state, MD_DISK_OUTDATED);
	assert_int_equal(meet(&a, &b), MD_SYNC_SOURCE_FULL);
	resync_done(&a, &b, true);
	assert_int_equal(b.sb.flags & (MD_SBF_DISCARD | MD_SBF_FULL), 0);
	assert_int_equal(b.sb.time_last_full_sync, 7);
	assert_int_equal(meet(&a, &b), MD_SYNC_NONE);
}

/* A failed flush: everything is copied to this node at the next connect,
 * whatever the generations say. */
static void flush_failure_takes_everything_from_the_peer(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);

	(void)state;
	assert_int_equal(md_tr_flush_failed(&a.sb, NULL), 1);
	assert_int_equal(md_tr_flush_failed(&a.sb, NULL), 0);
	assert_int_equal(a.sb.disk_state, MD_DISK_INCONSISTENT);
	assert_int_equal(meet(&a, &b), MD_SYNC_TARGET_FULL);
}

/* Detach, a read-write grant, attach: the granted copy yields. */
static void granted_standby_yields_on_attach(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);

	(void)state;
	md_tr_promote(&a.sb, &(struct md_tr){ .connected = true });
	a.primary = true;
	assert_int_equal(md_tr_detach(&b.sb, NULL), 1);
	assert_int_equal(md_tr_detach(&b.sb, NULL), 0);
	md_tr_link_lost(&a.sb, &(struct md_tr){ .primary = true });
	assert_int_equal(md_tr_grant_rw(&b.sb, NULL), 1);
	assert_int_equal(b.sb.disk_state, MD_DISK_OUTDATED);
	b.bits = 2;
	a.bits = 4;
	assert_int_equal(md_tr_attach(&b.sb, NULL), 1);
	assert_false(b.sb.flags & MD_SBF_DETACHED);
	assert_int_equal(meet(&a, &b), MD_SYNC_SOURCE_BITMAP);
}

/* md_promote_check, every row: what is never overridden, what --force
 * overrides, and what may go on. */
static void promote_rule_every_row(void **state)
{
	static const struct {
		struct md_promote_facts f;
		enum md_promote want;
		const char *why;
	} rows[] = {
		{ { MD_DISK_UPTODATE, 0, false, false, false, false, 0 }, MD_PROMOTE_OK, "" },
		{ { MD_DISK_UPTODATE, 0, false, true, false, false, 0 }, MD_PROMOTE_OK, "" },
		{ { MD_DISK_UPTODATE, 0, true, false, false, false, 0 }, MD_PROMOTE_NEVER, "the peer is primary" },
		{ { MD_DISK_UPTODATE, 0, true, true, false, false, 0 }, MD_PROMOTE_NEVER, "--force does not override" },
		{ { MD_DISK_CONSISTENT, 0, true, true, false, false, 0 }, MD_PROMOTE_NEVER, "the peer is primary" },
		{ { MD_DISK_FAILED, 0, false, false, false, false, 0 }, MD_PROMOTE_NEVER, "the local disk is failed" },
		{ { MD_DISK_FAILED, 0, false, true, false, false, 0 }, MD_PROMOTE_NEVER, "the local disk is failed" },
		{ { MD_DISK_DISKLESS, 0, false, true, false, false, 0 }, MD_PROMOTE_NEVER, "the local disk is diskless" },
		{ { MD_DISK_UPTODATE, MD_SBF_DETACHED, false, false, false, false, 0 }, MD_PROMOTE_FORCEABLE, "detached" },
		{ { MD_DISK_UPTODATE, MD_SBF_DETACHED, false, true, false, false, 0 }, MD_PROMOTE_OK, "" },
		{ { MD_DISK_CONSISTENT, 0, false, false, false, false, 0 }, MD_PROMOTE_FORCEABLE,
		  "consistent, not known to be up to date: this node started without meeting its peer" },
		{ { MD_DISK_CONSISTENT, 0, false, true, false, false, 0 }, MD_PROMOTE_OK, "" },
		{ { MD_DISK_OUTDATED, 0, false, false, false, false, 0 }, MD_PROMOTE_FORCEABLE, "outdated (known to be behind" },
		{ { MD_DISK_OUTDATED, 0, false, true, false, false, 0 }, MD_PROMOTE_OK, "" },
		{ { MD_DISK_INCONSISTENT, 0, false, false, false, false, 0 }, MD_PROMOTE_FORCEABLE, "inconsistent, not up to date" },
		{ { MD_DISK_INCONSISTENT, 0, false, true, false, false, 0 }, MD_PROMOTE_OK, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char why[256] = "stale";

		assert_int_equal(md_promote_check(&rows[i].f, why, sizeof(why)), rows[i].want);
		if (!rows[i].why[0])
			assert_string_equal(why, "");
		else
			assert_non_null(strstr(why, rows[i].why));
	}
}

/*
 * Fencing's rule (md_promote_needs_fence): with fencing configured and the
 * link down, a copy whose peer is not recorded behind asks fence-peer
 * first.  The row the cluster test found: an up-to-date secondary whose
 * link was cut (peer unknown) promoted by the cluster while the other
 * node, as up to date, could be promoted later with neither knowing.
 */
static void promotion_without_the_link_needs_the_peer_fenced(void **state)
{
	static const struct {
		struct md_promote_facts f;
		bool want;
	} rows[] = {
		/* disk, flags, peer primary, force, fencing, connected, peer disk */
		{ { MD_DISK_UPTODATE, 0, false, false, true, false, MD_DISK_UNKNOWN }, true },
		{ { MD_DISK_UPTODATE, 0, false, false, true, false, MD_DISK_UPTODATE }, true },
		{ { MD_DISK_CONSISTENT, 0, false, false, true, false, MD_DISK_UPTODATE }, true },
		{ { MD_DISK_UPTODATE, 0, false, false, true, false, MD_DISK_OUTDATED }, false },
		{ { MD_DISK_UPTODATE, 0, false, false, true, false, MD_DISK_INCONSISTENT }, false },
		{ { MD_DISK_UPTODATE, 0, false, false, true, true, MD_DISK_UPTODATE }, false },
		{ { MD_DISK_UPTODATE, 0, false, false, false, false, MD_DISK_UNKNOWN }, false },
		{ { MD_DISK_UPTODATE, 0, false, true, true, false, MD_DISK_UNKNOWN }, false },
		{ { MD_DISK_UPTODATE, MD_SBF_DETACHED, false, false, true, false, MD_DISK_UNKNOWN }, false },
		{ { MD_DISK_OUTDATED, 0, false, false, true, false, MD_DISK_UNKNOWN }, false },
		{ { MD_DISK_FAILED, 0, false, false, true, false, MD_DISK_UNKNOWN }, false },
	};
	struct node a = node(0, 100);
	struct md_tr t = { .fencing = true };

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(md_promote_needs_fence(&rows[i].f), rows[i].want);
	/* Under the lock too: refused until the peer is recorded behind. */
	a.sb.peer_disk_state = MD_DISK_UPTODATE;
	assert_int_equal(md_tr_promote(&a.sb, &t), -EPERM);
	assert_non_null(strstr(t.why, "fence-peer must outdate or fence it first"));
	assert_false(a.sb.flags & MD_SBF_PRIMARY);
	t = (struct md_tr){ .fencing = true, .connected = true };
	assert_int_equal(md_tr_promote(&a.sb, &t), 1);
	a.sb.flags &= ~MD_SBF_PRIMARY;
	t = (struct md_tr){ .fencing = true, .force = true };
	assert_int_equal(md_tr_promote(&a.sb, &t), 1);
	a.sb.flags &= ~MD_SBF_PRIMARY;
	assert_int_equal(md_tr_peer_outdated(&a.sb, NULL), 1);
	t = (struct md_tr){ .fencing = true };
	assert_int_equal(md_tr_promote(&a.sb, &t), 1);
}

/* A node that starts alone is consistent: refused without --force, up to
 * date again once it meets its peer with equal generations. */
static void lone_start_is_consistent_until_the_peer_is_met(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);
	struct md_tr t = { 0 };

	(void)state;
	a.sb.flags |= MD_SBF_PRIMARY;	/* primary when it stopped: proves nothing */
	assert_int_equal(md_tr_start_alone(&a.sb, NULL), 1);
	assert_int_equal(a.sb.disk_state, MD_DISK_CONSISTENT);
	assert_int_equal(md_tr_start_alone(&a.sb, NULL), 0);
	assert_int_equal(md_tr_promote(&a.sb, &t), -EPERM);
	assert_non_null(strstr(t.why, "consistent"));
	/* The decision takes a consistent copy for a good one. */
	assert_int_equal(meet(&a, &b), MD_SYNC_NONE);
	assert_int_equal(md_tr_peer_met(&a.sb, &(struct md_tr){ .decision = MD_SYNC_NONE,
								 .peer_disk = MD_DISK_UPTODATE }), 1);
	assert_int_equal(a.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_UPTODATE);
	assert_int_equal(md_tr_peer_met(&a.sb, &(struct md_tr){ .decision = MD_SYNC_NONE,
								 .peer_disk = MD_DISK_UPTODATE }), 0);
	t = (struct md_tr){ .connected = true };
	assert_int_equal(md_tr_promote(&a.sb, &t), 1);
	/* Only an up-to-date copy becomes consistent. */
	md_tr_inconsistent(&b.sb, NULL);
	assert_int_equal(md_tr_start_alone(&b.sb, NULL), 0);
	assert_int_equal(b.sb.disk_state, MD_DISK_INCONSISTENT);
}

/* A node that recorded its peer outdated starts up to date: the peer cannot
 * have been promoted without --force since. */
static void lone_start_after_peer_outdated_stays_up_to_date(void **state)
{
	struct node a = node(0, 100);

	(void)state;
	assert_int_equal(md_tr_peer_outdated(&a.sb, NULL), 1);
	assert_int_equal(md_tr_peer_outdated(&a.sb, NULL), 0);
	assert_int_equal(md_tr_start_alone(&a.sb, NULL), 0);
	assert_int_equal(a.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(md_tr_promote(&a.sb, &(struct md_tr){ 0 }), 1);
}

/* fence-peer answered "peer inconsistent" (3): recorded as such, and a
 * lone start stays up to date as after "outdated". */
static void lone_start_after_peer_inconsistent_stays_up_to_date(void **state)
{
	struct node a = node(0, 100);
	struct md_tr t = { .peer_disk = MD_DISK_INCONSISTENT };

	(void)state;
	assert_int_equal(md_tr_peer_outdated(&a.sb, &t), 1);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_INCONSISTENT);
	assert_int_equal(md_tr_peer_outdated(&a.sb, &t), 0);
	assert_int_equal(md_tr_start_alone(&a.sb, NULL), 0);
	assert_int_equal(a.sb.disk_state, MD_DISK_UPTODATE);
	/* "outdated" (4) afterwards replaces it. */
	assert_int_equal(md_tr_peer_outdated(&a.sb, NULL), 1);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_OUTDATED);
}

/* A lone start (consistent) whose fence-peer then answered "outdated" or
 * "fenced" is up to date and may be promoted without --force; one whose
 * handler failed stays consistent and refused. */
static void consistent_copy_up_to_date_once_peer_fenced(void **state)
{
	struct node a = node(0, 100);
	struct md_promote_facts f = { 0 };
	char why[256];

	(void)state;
	assert_int_equal(md_tr_start_alone(&a.sb, NULL), 1);
	assert_int_equal(a.sb.disk_state, MD_DISK_CONSISTENT);
	f.disk_state = a.sb.disk_state;
	assert_int_equal(md_promote_check(&f, why, sizeof(why)), MD_PROMOTE_FORCEABLE);
	assert_int_equal(md_tr_peer_outdated(&a.sb, NULL), 1);
	assert_int_equal(a.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_OUTDATED);
	f.disk_state = a.sb.disk_state;
	assert_int_equal(md_promote_check(&f, why, sizeof(why)), MD_PROMOTE_OK);
	/* Recorded already, and up to date: nothing to write. */
	assert_int_equal(md_tr_peer_outdated(&a.sb, NULL), 0);
	/* An outdated or inconsistent copy is not made up to date by it. */
	a.sb.disk_state = MD_DISK_OUTDATED;
	assert_int_equal(md_tr_peer_outdated(&a.sb, NULL), 0);
	assert_int_equal(a.sb.disk_state, MD_DISK_OUTDATED);
}

/* The peer's disk state as its STATE says while connected: recorded when
 * said and different; 0 (a peer without the feature) changes nothing. */
static void peer_state_said_while_connected(void **state)
{
	struct node a = node(0, 100);

	(void)state;
	a.sb.peer_disk_state = MD_DISK_UPTODATE;
	assert_int_equal(md_tr_peer_state(&a.sb, &(struct md_tr){ .peer_disk = 0 }), 0);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_UPTODATE);
	assert_int_equal(md_tr_peer_state(&a.sb, &(struct md_tr){ .peer_disk = MD_DISK_INCONSISTENT }), 1);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_INCONSISTENT);
	assert_int_equal(md_tr_peer_state(&a.sb, &(struct md_tr){ .peer_disk = MD_DISK_INCONSISTENT }), 0);
	assert_int_equal(md_tr_peer_state(&a.sb, &(struct md_tr){ .peer_disk = MD_DISK_FAILED }), 0);
	assert_int_equal(md_tr_peer_state(&a.sb, &(struct md_tr){ .peer_disk = MD_DISK_UPTODATE }), 1);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_UPTODATE);
	assert_int_equal(a.sb.disk_state, MD_DISK_UPTODATE);	/* ours untouched */
}

/* Forcing a consistent copy declares it up to date without a new history:
 * it writes alone from its generation, so the peer's copy, if it did not
 * move, is a bitmap resync's target, and if it did, a split brain. */
static void forced_consistent_copy_keeps_its_history(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);

	(void)state;
	md_tr_start_alone(&a.sb, NULL);
	assert_int_equal(md_tr_promote(&a.sb, &(struct md_tr){ .force = true }), 1);
	a.primary = true;
	a.bits = 1;
	assert_int_equal(a.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(a.sb.gen_bitmap, 100);
	assert_int_equal(meet(&a, &b), MD_SYNC_SOURCE_BITMAP);
	md_tr_promote(&b.sb, &(struct md_tr){ 0 });	/* b was promoted too, alone */
	assert_int_equal(meet(&a, &b), MD_SYNC_SPLIT_BRAIN);
}

/* The handshake's verdict as the superblock records it: a consistent copy
 * that is the source is up to date, its peer recorded as the target
 * (inconsistent, or outdated if it said so) until the resync ends; a
 * consistent target stays consistent. */
static void peer_met_records_the_peer(void **state)
{
	struct node a = node(0, 200), b = node(1, 100);

	(void)state;
	a.sb.gen_bitmap = 100;
	md_tr_start_alone(&a.sb, NULL);
	md_tr_start_alone(&b.sb, NULL);
	assert_int_equal(meet(&a, &b), MD_SYNC_SOURCE_BITMAP);
	md_tr_peer_met(&a.sb, &(struct md_tr){ .decision = MD_SYNC_SOURCE_BITMAP,
					       .peer_disk = MD_DISK_UPTODATE });
	md_tr_peer_met(&b.sb, &(struct md_tr){ .decision = MD_SYNC_TARGET_BITMAP,
					       .peer_disk = MD_DISK_UPTODATE });
	assert_int_equal(a.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_INCONSISTENT);
	assert_int_equal(b.sb.disk_state, MD_DISK_CONSISTENT);
	assert_int_equal(b.sb.peer_disk_state, MD_DISK_UPTODATE);
	resync_done(&a, &b, false);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_UPTODATE);
	assert_int_equal(b.sb.disk_state, MD_DISK_UPTODATE);
	md_tr_peer_met(&a.sb, &(struct md_tr){ .decision = MD_SYNC_SOURCE_FULL,
					       .peer_disk = MD_DISK_OUTDATED });
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_OUTDATED);
}

/* mdctl outdate: refused on a primary and while connected; an outdated
 * copy meeting an up-to-date peer with the same generation is the resync's
 * target, never simply up to date; the resync's end makes it so. */
static void outdated_copy_is_up_to_date_only_after_a_resync(void **state)
{
	struct node a = node(0, 100), b = node(1, 100);
	struct md_tr t = { .primary = true };

	(void)state;
	assert_int_equal(md_tr_outdate(&b.sb, &t), -EPERM);
	assert_non_null(strstr(t.why, "primary"));
	t = (struct md_tr){ .connected = true };
	assert_int_equal(md_tr_outdate(&b.sb, &t), -EPERM);
	assert_non_null(strstr(t.why, "connected"));
	t = (struct md_tr){ 0 };
	assert_int_equal(md_tr_outdate(&b.sb, &t), 1);
	assert_int_equal(b.sb.disk_state, MD_DISK_OUTDATED);
	assert_int_equal(md_tr_outdate(&b.sb, &t), 0);
	assert_int_equal(md_tr_start_alone(&b.sb, NULL), 0);	/* stays outdated */
	assert_int_equal(md_tr_promote(&b.sb, &t), -EPERM);
	assert_non_null(strstr(t.why, "outdated"));
	assert_int_equal(meet(&b, &a), MD_SYNC_TARGET_FULL);
	b.bits = 1;
	assert_int_equal(meet(&b, &a), MD_SYNC_TARGET_BITMAP);
	md_tr_peer_met(&b.sb, &(struct md_tr){ .decision = MD_SYNC_TARGET_BITMAP,
					       .peer_disk = MD_DISK_UPTODATE });
	md_tr_peer_met(&a.sb, &(struct md_tr){ .decision = MD_SYNC_SOURCE_BITMAP,
					       .peer_disk = MD_DISK_OUTDATED });
	assert_int_equal(b.sb.disk_state, MD_DISK_OUTDATED);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_OUTDATED);
	resync_done(&a, &b, false);
	assert_int_equal(b.sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(a.sb.peer_disk_state, MD_DISK_UPTODATE);
	/* An inconsistent copy stays inconsistent: outdated would be better. */
	md_tr_inconsistent(&b.sb, NULL);
	assert_int_equal(md_tr_outdate(&b.sb, &(struct md_tr){ 0 }), 0);
	assert_int_equal(b.sb.disk_state, MD_DISK_INCONSISTENT);
	/* A consistent one may be outdated. */
	md_tr_start_alone(&a.sb, NULL);
	assert_int_equal(md_tr_outdate(&a.sb, &(struct md_tr){ 0 }), 1);
}

/* activate --force never overrides a connected primary peer. */
static void forced_promotion_against_a_primary_peer_refused(void **state)
{
	struct node a = node(0, 100);
	struct md_tr t = { .force = true, .connected = true, .peer_primary = true };

	(void)state;
	md_tr_start_alone(&a.sb, NULL);
	assert_int_equal(md_tr_promote(&a.sb, &t), -EPERM);
	assert_non_null(strstr(t.why, "the peer is primary"));
	assert_int_equal(a.sb.disk_state, MD_DISK_CONSISTENT);
	assert_false(a.sb.flags & MD_SBF_PRIMARY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(break_write_alone_reconnect),
		cmocka_unit_test(promote_alone_starts_a_generation),
		cmocka_unit_test(failed_write_on_secondary_makes_it_the_target),
		cmocka_unit_test(forced_promotion_is_a_new_history),
		cmocka_unit_test(split_brain_resolved_by_rebuild),
		cmocka_unit_test(flush_failure_takes_everything_from_the_peer),
		cmocka_unit_test(granted_standby_yields_on_attach),
		cmocka_unit_test(promote_rule_every_row),
		cmocka_unit_test(promotion_without_the_link_needs_the_peer_fenced),
		cmocka_unit_test(lone_start_is_consistent_until_the_peer_is_met),
		cmocka_unit_test(lone_start_after_peer_outdated_stays_up_to_date),
		cmocka_unit_test(lone_start_after_peer_inconsistent_stays_up_to_date),
		cmocka_unit_test(consistent_copy_up_to_date_once_peer_fenced),
		cmocka_unit_test(peer_state_said_while_connected),
		cmocka_unit_test(forced_consistent_copy_keeps_its_history),
		cmocka_unit_test(peer_met_records_the_peer),
		cmocka_unit_test(outdated_copy_is_up_to_date_only_after_a_resync),
		cmocka_unit_test(forced_promotion_against_a_primary_peer_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
