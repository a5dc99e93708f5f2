/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * meta.c - fuzz target: the superblock reader of lib/meta.c
 * (md_sb_decode, md_meta_read), which takes whatever is on the metadata
 * device: a torn write, another program's data, a disk from elsewhere.
 *
 * Input: one control byte, then the start of a metadata area (its two
 * 4 KiB superblock slots; a shorter input is a short device).  Control
 * bits 0 and 1 recompute the xxh64 of slot 0 and 1 before the read: a
 * fuzzer cannot forge a checksum, and without a valid one every mutation
 * would stop at the first check.  Bits 2 and 3 give each slot's node
 * out-of-sync chunks, bits 4 and 5 make it primary now (for the
 * generation rules below).  The area is read through a memfd, as
 * md_meta_read reads a device.
 *
 * Checked: an accepted slot encodes back to the same 4096 bytes; md_meta_read
 * returns the valid slot with the higher sequence, or the error the
 * contract in meta.h names; when both slots are valid, md_gen_decide on the
 * two (as if they were the two nodes of a pair) mirrors itself.
 *
 * The write-intent bitmap that follows the slots is read by the kernel
 * module alone (kmod/bitmap.c); user space decodes bitmaps only from the
 * wire, which the wire target covers.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>
#include "fuzz.h"
#include "meta.h"

#define AREA	(MD_SB_SLOTS * MD_SB_SIZE)

static int memfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

/* Give the slot a correct checksum, whatever else it holds. */
static void fix_csum(unsigned char *slot)
{
	uint64_t csum = 0;

	memcpy(slot + offsetof(struct md_super, csum), &csum, 8);
	csum = htole64(XXH64(slot, MD_SB_SIZE, 0));
	memcpy(slot + offsetof(struct md_super, csum), &csum, 8);
}

static bool valid_error(int rc)
{
	return rc == -ENOENT || rc == -EBADMSG || rc == -EPROTO || rc == -EINVAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static unsigned char area[AREA], again[MD_SB_SIZE];
	struct md_super cand[MD_SB_SLOTS], sb;
	int rc[MD_SB_SLOTS], best = -1, r, slot = -1;
	uint8_t ctl;
	size_t n;

	if (size < 1)
		return 0;
	ctl = in[0];
	n = size - 1 < AREA ? size - 1 : AREA;
	memset(area, 0, sizeof(area));
	memcpy(area, in + 1, n);
	for (int i = 0; i < MD_SB_SLOTS; i++)
		if (ctl & (1u << i) && n >= (size_t)(i + 1) * MD_SB_SIZE)
			fix_csum(area + i * MD_SB_SIZE);

	/* Each whole slot on its own. */
	for (int i = 0; i < MD_SB_SLOTS; i++) {
		const unsigned char *s = area + i * MD_SB_SIZE;

		rc[i] = -ENOENT;
		if (n < (size_t)(i + 1) * MD_SB_SIZE)
			continue;
		memset(&cand[i], 0xa5, sizeof(cand[i]));
		rc[i] = md_sb_decode(s, &cand[i]);
		FUZZ_CHECK(rc[i] == 0 || valid_error(rc[i]));
		if (rc[i])
			continue;
		md_sb_encode(&cand[i], again);
		if (cand[i].version == MD_SB_VERSION) {
			FUZZ_CHECK(memcmp(again, s, MD_SB_SIZE) == 0);
		} else {
			/* An older version reads, and is written as the current
			 * one: the same fields but the version and checksum. */
			struct md_super up;

			FUZZ_CHECK(md_sb_decode(again, &up) == 0 && up.version == MD_SB_VERSION);
			up.version = cand[i].version;
			up.csum = cand[i].csum;
			FUZZ_CHECK(memcmp(&up, &cand[i], sizeof(up)) == 0);
		}
		FUZZ_CHECK(strnlen(cand[i].resource, MD_NAME_LEN) < MD_NAME_LEN);
		FUZZ_CHECK(strnlen(cand[i].node, MD_NAME_LEN) < MD_NAME_LEN);
		FUZZ_CHECK(cand[i].chunk_shift >= MD_CHUNK_SHIFT_MIN &&
			   cand[i].chunk_shift <= MD_CHUNK_SHIFT_MAX);
		FUZZ_CHECK(cand[i].bitmap_bytes ==
			   MD_BITMAP_BYTES(cand[i].data_bytes, cand[i].chunk_shift));
		if (best < 0 || cand[i].seq > cand[best].seq)
			best = i;
	}

	/* The same bytes as a device. */
	if (memfd < 0) {
		memfd = memfd_create("mdfuzz-meta", MFD_CLOEXEC);
		FUZZ_CHECK(memfd >= 0);
	}
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(n == 0 || pwrite(memfd, area, n, 0) == (ssize_t)n);
	memset(&sb, 0x5a, sizeof(sb));
	r = md_meta_read(memfd, 0, &sb, &slot);
	if (n < AREA) {
		FUZZ_CHECK(r == -EIO);
	} else if (best >= 0) {
		FUZZ_CHECK(r == 0 && slot == best);
		FUZZ_CHECK(memcmp(&sb, &cand[best], sizeof(sb)) == 0);
	} else if (rc[0] == -ENOENT && rc[1] == -ENOENT) {
		FUZZ_CHECK(r == -ENOENT);
	} else {
		/* A corrupt superblock is reported as such, never as "no
		 * metadata". */
		FUZZ_CHECK(r != -ENOENT && (r == rc[0] || r == rc[1]));
	}

	/* Two valid superblocks: the generation rules of a pair of nodes. */
	if (rc[0] == 0 && rc[1] == 0 && n >= AREA) {
		struct md_gen_view v[2];

		for (int i = 0; i < 2; i++) {
			v[i] = (struct md_gen_view){
				.current = cand[i].gen_current, .bitmap = cand[i].gen_bitmap,
				.history = { cand[i].gen_history[0], cand[i].gen_history[1] },
				.flags = cand[i].flags,
				.oos_chunks = ctl & (4u << i) ? cand[i].seq | 1 : 0,
				.primary_now = ctl & (16u << i),
			};
		}
		fuzz_check_gen_mirror(v[0], v[1]);
	}
	return 0;
}
