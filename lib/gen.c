/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gen.c - see gen.h. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include "gen.h"
#include "meta.h"

static uint64_t tr_now(const struct md_tr *t)
{
	return t->now ? t->now : (uint64_t)time(NULL);
}

/* Set and clear flags, and the disk state unless 0: 1 if anything changed. */
static int change(struct md_super *sb, uint32_t set, uint32_t clear, uint32_t disk_state)
{
	uint32_t f = (sb->flags | set) & ~clear;

	if (f == sb->flags && (!disk_state || disk_state == sb->disk_state))
		return 0;
	sb->flags = f;
	if (disk_state)
		sb->disk_state = disk_state;
	return 1;
}

int md_tr_write_alone(struct md_super *sb, void *tr)
{
	(void)tr;
	if (sb->gen_bitmap)
		return 0;	/* the bitmap tracks an older generation already */
	sb->gen_bitmap = sb->gen_current;
	sb->gen_current = md_gen_new();
	return 1;
}

enum md_promote md_promote_check(const struct md_promote_facts *f, char *why, size_t len)
{
	const char *fix = "; use --force to make this node's data the reference (the peer's "
			  "differing data will be overwritten)";

	why[0] = '\0';
	if (f->peer_primary) {
		snprintf(why, len, "the peer is primary; deactivate it first (--force does not "
			 "override this: two primaries would split the data)");
		return MD_PROMOTE_NEVER;
	}
	if (f->disk_state == MD_DISK_FAILED || f->disk_state == MD_DISK_DISKLESS) {
		snprintf(why, len, "the local disk is %s", md_disk_state_name(f->disk_state));
		return MD_PROMOTE_NEVER;
	}
	if (f->force)
		return MD_PROMOTE_OK;
	if (f->sb_flags & MD_SBF_DETACHED) {
		snprintf(why, len, "this node is detached: its copy lacks what the peer wrote since; "
			 "attach it, or keep this copy with mdctl rebuild --from this node (or --force)");
		return MD_PROMOTE_FORCEABLE;
	}
	switch (f->disk_state) {
	case MD_DISK_UPTODATE:
		return MD_PROMOTE_OK;
	case MD_DISK_CONSISTENT:
		snprintf(why, len, "the local data is consistent, not known to be up to date: this "
			 "node started without meeting its peer, which may have written since; "
			 "connect the peer first, or use --force if you know its data is older");
		break;
	case MD_DISK_OUTDATED:
		snprintf(why, len, "the local data is outdated (known to be behind the peer's); a "
			 "resync from the peer makes it up to date%s", fix);
		break;
	default:
		snprintf(why, len, "the local data is %s, not up to date%s",
			 md_disk_state_name(f->disk_state), fix);
	}
	return MD_PROMOTE_FORCEABLE;
}

bool md_promote_needs_fence(const struct md_promote_facts *f)
{
	if (!f->fencing || f->connected || f->force || f->peer_primary ||
	    (f->sb_flags & MD_SBF_DETACHED))
		return false;
	if (f->disk_state == MD_DISK_CONSISTENT)
		return true;
	return f->disk_state == MD_DISK_UPTODATE && f->peer_disk_state != MD_DISK_OUTDATED &&
	       f->peer_disk_state != MD_DISK_INCONSISTENT;
}

int md_tr_promote(struct md_super *sb, void *tr)
{
	struct md_tr *t = tr;
	struct md_promote_facts f = {
		.disk_state = sb->disk_state, .sb_flags = sb->flags,
		.peer_primary = t->peer_primary, .force = t->force,
		.fencing = t->fencing, .connected = t->connected,
		.peer_disk_state = sb->peer_disk_state,
	};

	if (md_promote_check(&f, t->why, sizeof(t->why)) != MD_PROMOTE_OK)
		return -EPERM;
	/* Checked again under the lock: fence-peer's answer is recorded here. */
	if (md_promote_needs_fence(&f)) {
		snprintf(t->why, sizeof(t->why), "fencing is configured and the link is down: the "
			 "peer's copy (last known %s) may be promoted too; fence-peer must outdate "
			 "or fence it first (--force overrides)", md_disk_state_name(sb->peer_disk_state));
		return -EPERM;
	}
	if (sb->disk_state == MD_DISK_CONSISTENT)
		sb->disk_state = MD_DISK_UPTODATE;	/* forced: the administrator knows */
	if (sb->disk_state != MD_DISK_UPTODATE) {
		/* Forced: this node's data becomes the reference. */
		sb->disk_state = MD_DISK_UPTODATE;
		sb->gen_current = md_gen_new();
		sb->gen_bitmap = 0;
	} else if (!t->connected) {
		md_tr_write_alone(sb, t);
	}
	sb->flags |= MD_SBF_PRIMARY;
	return 1;
}

int md_tr_start_alone(struct md_super *sb, void *tr)
{
	(void)tr;
	/* A peer recorded behind (outdated, or inconsistent: fence-peer's
	 * answers) cannot have written since: this copy stays up to date. */
	if (sb->disk_state != MD_DISK_UPTODATE || sb->peer_disk_state == MD_DISK_OUTDATED ||
	    sb->peer_disk_state == MD_DISK_INCONSISTENT)
		return 0;
	sb->disk_state = MD_DISK_CONSISTENT;
	return 1;
}

int md_tr_peer_met(struct md_super *sb, void *tr)
{
	struct md_tr *t = tr;
	uint32_t disk = sb->disk_state, peer = t->peer_disk;

	switch (t->decision) {
	case MD_SYNC_SOURCE_BITMAP:
	case MD_SYNC_SOURCE_FULL:
		if (peer != MD_DISK_OUTDATED)
			peer = MD_DISK_INCONSISTENT;
		/* fall through */
	case MD_SYNC_NONE:
		if (disk == MD_DISK_CONSISTENT)
			disk = MD_DISK_UPTODATE;
		break;
	default:
		break;
	}
	if (disk == sb->disk_state && peer == sb->peer_disk_state)
		return 0;
	sb->disk_state = disk;
	sb->peer_disk_state = peer;
	return 1;
}

int md_tr_outdate(struct md_super *sb, void *tr)
{
	struct md_tr *t = tr;

	if (t->primary) {
		snprintf(t->why, sizeof(t->why), "this node is primary: its copy is the one in use; "
			 "deactivate it first");
		return -EPERM;
	}
	if (t->connected) {
		snprintf(t->why, sizeof(t->why), "connected to the peer, which takes this copy for "
			 "up to date; disconnect first");
		return -EPERM;
	}
	if (sb->disk_state != MD_DISK_UPTODATE && sb->disk_state != MD_DISK_CONSISTENT)
		return 0;	/* outdated already, or inconsistent: worse */
	sb->disk_state = MD_DISK_OUTDATED;
	return 1;
}

int md_tr_peer_outdated(struct md_super *sb, void *tr)
{
	const struct md_tr *t = tr;
	uint32_t peer = t && t->peer_disk == MD_DISK_INCONSISTENT ? MD_DISK_INCONSISTENT :
			MD_DISK_OUTDATED;

	/* A consistent copy (a lone start) whose peer is now known to be
	 * behind holds the newest data there is: up to date (DRBD's rule). */
	if (sb->peer_disk_state == peer && sb->disk_state != MD_DISK_CONSISTENT)
		return 0;
	sb->peer_disk_state = peer;
	if (sb->disk_state == MD_DISK_CONSISTENT)
		sb->disk_state = MD_DISK_UPTODATE;
	return 1;
}

int md_tr_peer_state(struct md_super *sb, void *tr)
{
	const struct md_tr *t = tr;

	if (!t->peer_disk || t->peer_disk > MD_DISK_STORED_MAX || sb->peer_disk_state == t->peer_disk)
		return 0;
	sb->peer_disk_state = t->peer_disk;
	return 1;
}

int md_tr_demote(struct md_super *sb, void *tr)
{
	(void)tr;
	return change(sb, 0, MD_SBF_PRIMARY, 0);
}

int md_tr_link_lost(struct md_super *sb, void *tr)
{
	struct md_tr *t = tr;

	sb->time_last_break = tr_now(t);
	if (t->primary)
		md_tr_write_alone(sb, t);
	return 1;
}

int md_tr_inconsistent(struct md_super *sb, void *tr)
{
	(void)tr;
	return change(sb, 0, 0, MD_DISK_INCONSISTENT);
}

int md_tr_flush_failed(struct md_super *sb, void *tr)
{
	(void)tr;
	return change(sb, MD_SBF_DISCARD | MD_SBF_FULL, 0, MD_DISK_INCONSISTENT);
}

int md_tr_target_done(struct md_super *sb, void *tr)
{
	struct md_tr *t = tr;

	sb->gen_current = t->peer_gen;
	sb->gen_bitmap = 0;
	sb->disk_state = MD_DISK_UPTODATE;
	sb->peer_disk_state = MD_DISK_UPTODATE;	/* the source */
	sb->flags &= ~(MD_SBF_PRIMARY | MD_SBF_DISCARD | MD_SBF_SURVIVOR | MD_SBF_FULL);
	sb->time_last_sync = tr_now(t);
	if (t->full)
		sb->time_last_full_sync = sb->time_last_sync;
	return 1;
}

int md_tr_source_done(struct md_super *sb, void *tr)
{
	struct md_tr *t = tr;

	if (sb->gen_bitmap) {
		sb->gen_history[1] = sb->gen_history[0];
		sb->gen_history[0] = sb->gen_bitmap;
		sb->gen_bitmap = 0;
	}
	sb->peer_disk_state = MD_DISK_UPTODATE;	/* the target has all of ours */
	sb->flags &= ~(MD_SBF_DISCARD | MD_SBF_SURVIVOR | MD_SBF_FULL);
	sb->time_last_sync = tr_now(t);
	if (t->full)
		sb->time_last_full_sync = sb->time_last_sync;
	return 1;
}

int md_tr_detach(struct md_super *sb, void *tr)
{
	(void)tr;
	return change(sb, MD_SBF_DETACHED, 0, 0);
}

int md_tr_attach(struct md_super *sb, void *tr)
{
	(void)tr;
	return change(sb, 0, MD_SBF_DETACHED, 0);
}

int md_tr_grant_rw(struct md_super *sb, void *tr)
{
	(void)tr;
	return change(sb, MD_SBF_DISCARD, 0, MD_DISK_OUTDATED);
}

/* rebuild: mark is SURVIVOR or DISCARD, the other one is cleared. */
static int rebuild(struct md_super *sb, const struct md_tr *t, uint32_t mark, uint32_t other,
		   uint32_t disk_state)
{
	return change(sb, mark | (t->full ? MD_SBF_FULL : 0),
		      other | MD_SBF_DETACHED | (t->full ? 0 : MD_SBF_FULL), disk_state);
}

int md_tr_rebuild_keep(struct md_super *sb, void *tr)
{
	return rebuild(sb, tr, MD_SBF_SURVIVOR, MD_SBF_DISCARD, MD_DISK_UPTODATE);
}

int md_tr_rebuild_yield(struct md_super *sb, void *tr)
{
	return rebuild(sb, tr, MD_SBF_DISCARD, MD_SBF_SURVIVOR, MD_DISK_OUTDATED);
}
