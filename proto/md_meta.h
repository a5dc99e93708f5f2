/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * md_meta.h - the on-disk metadata of a mirror disk node.  See
 * docs/metadata.md for the full description.
 *
 * The metadata area is either internal (the last MD_META_SIZE(...) bytes of
 * the lower device, which the mirror device then does not expose) or
 * external (from offset 0 of a separate small device).  Inside the area:
 *
 *   offset 0        superblock slot 0 (4 KiB)
 *   offset 4096     superblock slot 1 (4 KiB)
 *   offset 8192     write-intent bitmap: one bit per chunk, bit n of the
 *                   device is bit (n % 8) of byte (n / 8), rounded up to
 *                   whole 4 KiB pages
 *
 * Superblock updates alternate between the two slots and carry an
 * increasing sequence number and an xxh64 checksum, so a torn write of one
 * slot leaves the other one valid: readers take the valid slot with the
 * higher sequence.  A slot with a wrong magic is "not ours"; a slot with our
 * magic and a bad checksum is corrupt.  Neither is ever repaired silently.
 *
 * Bitmap pages are written whole; a torn page write can only leave bits set
 * that should be clear (a bit is set and persisted before the first write
 * to its chunk, and cleared lazily), which costs extra resync, never data.
 *
 * All fields little-endian; reserved bytes zero.
 */
#ifndef MD_META_H
#define MD_META_H

#include "md_chan.h"

#define MD_SB_MAGIC		0x3142534du	/* "MSB1" */
/*
 * Version 2 added peer_disk_state and the disk state "consistent" (values
 * a version-1 reader refuses as "cannot be right").  Readers take version
 * 1 too (its peer_disk_state is reserved, zero: unknown); writers write 2.
 */
#define MD_SB_VERSION		2
#define MD_SB_VERSION_MIN	1
#define MD_SB_SIZE		4096u
#define MD_SB_SLOTS		2
#define MD_BITMAP_OFFSET	(MD_SB_SLOTS * MD_SB_SIZE)
#define MD_BM_PAGE		4096u

/*
 * Bitmap chunk size limits: md_super.chunk_shift, the config file's
 * "chunk-size" and md_ioc_create.chunk_shift.  Here, in the on-disk format
 * header, because the kernel checks them too and includes only this and
 * md_chan.h.  4 KiB is the page the bitmap tracks at best; above 1 MiB a
 * single small write costs a megabyte of resync.  The format allowed up to
 * 30 until the reader was tightened; no config ever produced more than 20.
 */
#define MD_CHUNK_SHIFT_MIN	12	/* 4 KiB */
#define MD_CHUNK_SHIFT_MAX	20	/* 1 MiB */
#define MD_CHUNK_SHIFT_DEFAULT	16	/* 64 KiB: 2 MiB of bitmap per TiB */

/* Bytes of metadata for a device of 'data' bytes with chunks of 1 << shift. */
#define MD_BITMAP_BYTES(data, shift)					\
	((((((data) + (1ull << (shift)) - 1) >> (shift)) + 7) / 8 +	\
	  MD_BM_PAGE - 1) / MD_BM_PAGE * MD_BM_PAGE)
#define MD_META_SIZE(data, shift)					\
	(MD_BITMAP_OFFSET + MD_BITMAP_BYTES(data, shift))

/* md_super.flags */
#define MD_SBF_PRIMARY		(1u << 0)	/* primary now; set means "crashed while primary" after a crash */
#define MD_SBF_EXTERNAL		(1u << 1)	/* metadata on a separate device */
#define MD_SBF_DETACHED		(1u << 2)	/* out of the mirror until "mdctl attach" */
#define MD_SBF_DISCARD		(1u << 3)	/* rebuild/grant: this copy yields to the peer's */
#define MD_SBF_SURVIVOR		(1u << 4)	/* rebuild: the peer's copy yields to this one */
#define MD_SBF_FULL		(1u << 5)	/* with DISCARD/SURVIVOR: copy everything */
#define MD_SBF_ALL		(MD_SBF_PRIMARY | MD_SBF_EXTERNAL | MD_SBF_DETACHED | \
				 MD_SBF_DISCARD | MD_SBF_SURVIVOR | MD_SBF_FULL)

/*
 * md_super.disk_state (1 to 4) and peer_disk_state (0 to 4).  FAILED and
 * DISKLESS are never stored: status derives them at run time, and a
 * refusal to promote names them (lib/gen.c, md_promote_check).
 */
#define MD_DISK_UNKNOWN		0	/* peer_disk_state: never met, or lost (DRBD's DUnknown) */
#define MD_DISK_UPTODATE	1	/* holds the newest data it knows of */
#define MD_DISK_INCONSISTENT	2	/* a resync target that has not finished */
#define MD_DISK_OUTDATED	3	/* consistent, but known to be behind */
#define MD_DISK_CONSISTENT	4	/* good when last seen: started without meeting the peer since */
#define MD_DISK_STORED_MAX	MD_DISK_CONSISTENT
#define MD_DISK_FAILED		5	/* run time only: the local disk failed */
#define MD_DISK_DISKLESS	6	/* run time only: no local disk */

/* Generation identifier values with a meaning of their own. */
#define MD_GEN_BLANK		0ull	/* never synced: needs a full sync */
#define MD_GEN_CLEAN		1ull	/* created with --assume-clean: equal on both */
#define MD_GEN_HISTORY		2

struct md_super {
	__u32 magic;
	__u32 version;
	__u64 csum;			/* xxh64 of the slot with csum = 0, seed 0 */
	__u64 seq;			/* increases with every write */
	__u32 flags;			/* MD_SBF_* */
	__u32 disk_state;		/* MD_DISK_* */
	__u8 uuid[16];			/* identity of the resource, same on both nodes */
	char resource[MD_NAME_LEN];
	char node[MD_NAME_LEN];
	__u64 data_bytes;		/* size of the mirror device */
	__u32 chunk_shift;		/* bitmap chunk = 1 << chunk_shift bytes */
	__u32 reserved0;
	__u64 bitmap_bytes;		/* at MD_BITMAP_OFFSET in the area */
	__u64 gen_current;
	__u64 gen_bitmap;		/* gen_current when the bitmap started tracking */
	__u64 gen_history[MD_GEN_HISTORY];
	__u64 time_created;		/* unix seconds */
	__u64 time_last_sync;		/* last time both sides were in sync */
	__u64 time_last_break;		/* last time the peer was lost */
	__u64 time_last_full_sync;	/* last full or checksum resync (0: never) */
	__u32 peer_disk_state;		/* the peer's, as last known (version 2) */
	__u32 reserved1;
	__u8 reserved[MD_SB_SIZE - 272];
};

_Static_assert(sizeof(struct md_super) == MD_SB_SIZE, "md_super size");

#endif /* MD_META_H */
