/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gen.h - every change of a node's generation identifiers, role record,
 * rebuild marks and disk state, in one place, named for the event that
 * causes it.  mirrord and mdctl apply them alike, to the superblock under
 * the metadata lock (md_sb_update), and the unit tests run histories of
 * them through md_gen_decide (lib/meta.h): what the transitions write is
 * what the decision reads.  docs/metadata.md explains the identifiers.
 *
 * Each transition has the md_sb_fn shape: it takes the superblock and a
 * struct md_tr (the facts of the event), and returns 1 when it changed
 * the superblock (to be written), 0 when there was nothing to change, or
 * -EPERM when the event is refused (md_tr.why says why).  Those that
 * need no facts (demote, write_alone, inconsistent, flush_failed, detach,
 * attach, grant_rw, start_alone, peer_outdated) take tr NULL.
 */
#ifndef MD_LIB_GEN_H
#define MD_LIB_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "md_meta.h"

struct md_tr {
	bool connected;		/* promote, outdate: the peer is connected now */
	bool force;		/* promote: make this copy the reference */
	bool primary;		/* link_lost, outdate: this node is primary */
	bool peer_primary;	/* promote: the peer is connected and primary */
	bool fencing;		/* promote: fencing is configured (not none) */
	uint32_t decision;	/* peer_met: the handshake's enum md_sync_decision */
	uint32_t peer_disk;	/* peer_met: the disk state the peer's HELLO gave */
	bool full;		/* *_done: it was a full resync; rebuild_*: copy everything */
	uint64_t peer_gen;	/* target_done: the source's current identifier */
	uint64_t now;		/* unix seconds (0: the clock) */
	char why[160];		/* a refusal's reason */
};

/*
 * May this node be promoted, and if not why: the one rule mdctl activate
 * applies (md_tr_promote, under the metadata lock) and mdctl status shows
 * (may_promote, promote_refusal); md_promote_needs_fence below adds
 * fencing's condition.  Rows:
 *   peer connected and primary                -> NEVER (--force too)
 *   disk failed or diskless                   -> NEVER
 *   detached, or disk not up to date          -> FORCEABLE (--force: OK)
 *   up to date, attached, no primary peer     -> OK
 * why gets the reason of a refusal (empty for OK).
 */
enum md_promote { MD_PROMOTE_OK = 0, MD_PROMOTE_FORCEABLE, MD_PROMOTE_NEVER };
struct md_promote_facts {
	uint32_t disk_state;	/* this copy's MD_DISK_* (FAILED, DISKLESS too) */
	uint32_t sb_flags;	/* MD_SBF_* (DETACHED) */
	bool peer_primary;	/* the peer is connected and primary */
	bool force;		/* the administrator overrides what may be overridden */
	/* md_promote_needs_fence only: */
	bool fencing;		/* fencing is configured (not none) */
	bool connected;		/* the link to the peer is up now */
	uint32_t peer_disk_state;	/* the peer's disk state last recorded here */
};
enum md_promote md_promote_check(const struct md_promote_facts *f, char *why, size_t len);

/*
 * Fencing's rule for a promotion without the peer (DRBD's: with fencing,
 * a primary whose link is down needs its peer known to be behind): true
 * when fence-peer must answer 3, 4 or 7 before this copy may be promoted:
 * fencing configured, the link down, no --force, attached, and the copy
 * consistent (a lone start) or up to date while the peer is not recorded
 * outdated or inconsistent.  A peer that may be promoted with the same
 * data as ours would otherwise go on as a second history the moment
 * either side writes (docs/design.md, "Who may be promoted").
 */
bool md_promote_needs_fence(const struct md_promote_facts *f);

/* mdctl activate: md_promote_check's rule and md_promote_needs_fence's
 * (t->fencing, t->connected; fence-peer's answer is in peer_disk_state by
 * then); forcing a copy that is not consistent makes it the reference (a
 * new history), forcing a consistent one only declares it up to date;
 * writing without the peer starts a new generation (md_tr_write_alone);
 * records the primary role. */
int md_tr_promote(struct md_super *sb, void *tr);
/* mdctl up created the device: this node starts without having met its
 * peer, which may have been promoted and written since.  An up-to-date
 * copy becomes consistent, unless the peer is recorded outdated. */
int md_tr_start_alone(struct md_super *sb, void *tr);
/* The handshake agreed (decision, peer_disk): the peer's disk state is
 * recorded (inconsistent when it is to be our resync's target, unless it
 * said outdated), and a consistent copy that is not the target is up to
 * date again: it met the peer and holds at least the peer's data. */
int md_tr_peer_met(struct md_super *sb, void *tr);
/* mdctl outdate: this copy is known to be behind; refused on a primary
 * and while connected (the peer would go on taking it for up to date).
 * Only a resync from the peer (md_tr_target_done) ends it. */
int md_tr_outdate(struct md_super *sb, void *tr);
/* This node learned that the peer's copy is behind (fence-peer): outdated, or
 * inconsistent with tr->peer_disk MD_DISK_INCONSISTENT (tr may be NULL).  A
 * consistent copy (a lone start) becomes up to date: the peer cannot have
 * newer data that a cluster could promote. */
int md_tr_peer_outdated(struct md_super *sb, void *tr);
/* While connected, the peer said its disk state changed (MDW_STATE: a
 * failed write made it inconsistent, a resync up to date): recorded as
 * tr->peer_disk; 0 (not said) changes nothing. */
int md_tr_peer_state(struct md_super *sb, void *tr);
/* mdctl deactivate: the primary role is no longer recorded. */
int md_tr_demote(struct md_super *sb, void *tr);
/* This node writes without its peer: the bitmap starts tracking from the
 * current generation, and a new one begins (once, until a resync ends). */
int md_tr_write_alone(struct md_super *sb, void *tr);
/* The link broke: when it happened, and a primary writes alone from now. */
int md_tr_link_lost(struct md_super *sb, void *tr);
/* A resync into this copy began, or a write from the peer failed on its
 * disk, or a verify found it differs from the primary's: inconsistent. */
int md_tr_inconsistent(struct md_super *sb, void *tr);
/* Our disk failed a flush: which acknowledged writes it kept is unknown;
 * inconsistent, and everything is copied from the peer at the next connect. */
int md_tr_flush_failed(struct md_super *sb, void *tr);
/* A resync into this copy ended: it holds the source's generation. */
int md_tr_target_done(struct md_super *sb, void *tr);
/* A resync from this copy ended: the bitmap's generation goes to history. */
int md_tr_source_done(struct md_super *sb, void *tr);
/* mdctl detach / attach: out of the mirror, and back. */
int md_tr_detach(struct md_super *sb, void *tr);
int md_tr_attach(struct md_super *sb, void *tr);
/* mdctl grant --rw: changes made on the detached copy are overwritten
 * from the primary on attach (outdated until then). */
int md_tr_grant_rw(struct md_super *sb, void *tr);
/* mdctl rebuild --from: this copy is kept (the peer's yields), or yields;
 * either ends the detachment. */
int md_tr_rebuild_keep(struct md_super *sb, void *tr);
int md_tr_rebuild_yield(struct md_super *sb, void *tr);

#endif
