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
 * attach, grant_rw) take tr NULL.
 */
#ifndef MD_LIB_GEN_H
#define MD_LIB_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include "md_meta.h"

struct md_tr {
	bool connected;		/* promote: the peer is connected now */
	bool force;		/* promote: make this copy the reference */
	bool primary;		/* link_lost: this node is primary */
	bool full;		/* *_done: it was a full resync; rebuild_*: copy everything */
	uint64_t peer_gen;	/* target_done: the source's current identifier */
	uint64_t now;		/* unix seconds (0: the clock) */
	char why[160];		/* a refusal's reason */
};

/* mdctl activate: only an up-to-date copy, or any with force (which makes
 * it the reference: a new history); writing without the peer starts a new
 * generation (md_tr_write_alone); records the primary role. */
int md_tr_promote(struct md_super *sb, void *tr);
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
