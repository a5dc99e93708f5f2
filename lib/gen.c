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

int md_tr_promote(struct md_super *sb, void *tr)
{
	struct md_tr *t = tr;

	if (sb->disk_state != MD_DISK_UPTODATE) {
		if (!t->force) {
			snprintf(t->why, sizeof(t->why), "the local data is %s, not up to date",
				 md_disk_state_name(sb->disk_state));
			return -EPERM;
		}
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
