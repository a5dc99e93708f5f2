/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * meta.h - reading, writing and checking the on-disk metadata
 * (proto/md_meta.h), and the generation-identifier rules that decide the
 * resync direction on every connect (docs/metadata.md).
 */
#ifndef MD_LIB_META_H
#define MD_LIB_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "md_meta.h"

/* Where the metadata area of a node is, and how big the data area is. */
struct md_geom {
	uint64_t area_offset;	/* byte offset of the area on the meta device */
	uint64_t data_bytes;	/* size of the mirror device */
	uint64_t bitmap_bytes;
	uint32_t chunk_shift;
	bool external;
};

/* Internal metadata: the data area is what is left after the area. */
int md_geom_internal(uint64_t lower_bytes, uint32_t chunk_shift, struct md_geom *g);
/* External: the data area is the whole lower device; the meta device must
 * hold the area. */
int md_geom_external(uint64_t lower_bytes, uint64_t meta_bytes, uint32_t chunk_shift,
		     struct md_geom *g);

/* Open the device holding a node's metadata (O_RDWR|O_DIRECT; the lower
 * disk itself when meta is NULL or "") and compute the geometry. */
int md_meta_locate(const char *disk, const char *meta, uint32_t chunk_shift,
		   struct md_geom *g, int *fd_out);

/*
 * Read-modify-write of the superblock under an exclusive flock on
 * lock_path, which mdctl and mirrord share.  fn returns <0 to abort with
 * that error, 0 to leave the superblock as it is, 1 to write it.
 */
typedef int (*md_sb_fn)(struct md_super *sb, void *arg);
int md_sb_update(int fd, uint64_t area_offset, const char *lock_path, md_sb_fn fn, void *arg);

void md_sb_encode(const struct md_super *sb, void *slot);
/* 0; -ENOENT (not our magic: no metadata or someone else's); -EBADMSG (our
 * magic, bad checksum: torn or corrupt); -EPROTO (newer version); -EINVAL
 * (fields that cannot be right). */
int md_sb_decode(const void *slot, struct md_super *sb);

/*
 * Read the two slots at area_offset of fd and pick the valid one with the
 * higher sequence.  Returns 0, or the error of md_sb_decode when no slot is
 * valid (-EBADMSG wins over -ENOENT: a corrupt superblock is reported as
 * such, never as "no metadata").  *slot_out gets the slot used.
 */
int md_meta_read(int fd, uint64_t area_offset, struct md_super *sb, int *slot_out);
/* Bump seq, write it to the slot that is not the newest, and fdatasync. */
int md_meta_write(int fd, uint64_t area_offset, struct md_super *sb);
/* Write a fresh superblock to both slots and zero the bitmap. */
int md_meta_create(int fd, const struct md_geom *g, struct md_super *sb);

uint64_t md_gen_new(void);	/* a random generation identifier >= 16 */

/* Result of comparing the generation identifiers of two nodes. */
enum md_sync_decision {
	MD_SYNC_NONE = 0,	/* in sync, nothing to copy */
	MD_SYNC_SOURCE_BITMAP,	/* we are newer: copy what the bitmaps mark */
	MD_SYNC_TARGET_BITMAP,	/* the peer is newer: receive what the bitmaps mark */
	MD_SYNC_SOURCE_FULL,	/* we are newer, bitmap unusable: copy everything */
	MD_SYNC_TARGET_FULL,
	MD_SYNC_WAIT_INITIAL,	/* both blank: wait until one side is made primary */
	MD_SYNC_SPLIT_BRAIN,	/* both written while apart: an admin decides */
	MD_SYNC_UNRELATED,	/* no common history: different data sets */
	MD_SYNC_CONFLICT,	/* rebuild marks on both sides contradict each other */
	MD_SYNC_NO_GOOD_COPY,	/* the only possible source knows its copy is wrong */
};

struct md_gen_view {
	uint64_t current, bitmap, history[MD_GEN_HISTORY];
	uint32_t flags;		/* MD_SBF_* (PRIMARY: primary now or crashed as one) */
	uint32_t disk_state;	/* MD_DISK_* (0 reads as up to date) */
	uint64_t oos_chunks;	/* bits set in its bitmap */
	bool primary_now;	/* its current role */
	int node_index;		/* 0 or 1, to break ties the same way on both */
};

/* Pure function; decide(a, b) and decide(b, a) always mirror each other. */
enum md_sync_decision md_gen_decide(const struct md_gen_view *local,
				    const struct md_gen_view *peer);
const char *md_sync_decision_name(enum md_sync_decision d);
const char *md_disk_state_name(uint32_t disk_state);	/* MD_DISK_*: "up-to-date"... */

#endif
