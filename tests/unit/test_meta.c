/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_meta.c - the on-disk superblock (lib/meta.c, proto/md_meta.h) and the
 * generation-identifier rules that pick the resync direction.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <endian.h>
#include <xxhash.h>
#include <cmocka.h>
#include "meta.h"

static struct md_super sample(void)
{
	struct md_super sb;

	memset(&sb, 0, sizeof(sb));
	snprintf(sb.resource, sizeof(sb.resource), "r0");
	snprintf(sb.node, sizeof(sb.node), "alpha");
	sb.disk_state = MD_DISK_UPTODATE;
	sb.data_bytes = 1ull << 30;
	sb.chunk_shift = 16;
	sb.bitmap_bytes = MD_BITMAP_BYTES(sb.data_bytes, 16);
	sb.gen_current = 0x1234567890abcdefull;
	sb.seq = 7;
	return sb;
}

static void sb_round_trip(void **state)
{
	struct md_super in = sample(), out;
	unsigned char slot[MD_SB_SIZE];

	(void)state;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), 0);
	assert_int_equal(out.seq, 7);
	assert_int_equal(out.gen_current, 0x1234567890abcdefull);
	assert_string_equal(out.resource, "r0");
	assert_int_equal(out.bitmap_bytes, 4096);	/* 16384 chunks = 2 KiB, one page */
}

static void sb_golden_header(void **state)
{
	struct md_super in = sample();
	unsigned char slot[MD_SB_SIZE];

	(void)state;
	md_sb_encode(&in, slot);
	/* magic "MSB1", version 2 (peer_disk_state), little-endian */
	assert_memory_equal(slot, "MSB1\x02\x00\x00\x00", 8);
	assert_int_equal(slot[offsetof(struct md_super, seq)], 7);
}

/* The offsets docs/metadata.md documents; a time field survives encoding
 * little-endian at its offset. */
static void sb_layout(void **state)
{
	struct md_super in = sample(), out;
	unsigned char slot[MD_SB_SIZE];

	(void)state;
	assert_int_equal(offsetof(struct md_super, data_bytes), 176);
	assert_int_equal(offsetof(struct md_super, gen_current), 200);
	assert_int_equal(offsetof(struct md_super, time_last_sync), 240);
	assert_int_equal(offsetof(struct md_super, time_last_break), 248);
	assert_int_equal(offsetof(struct md_super, time_last_full_sync), 256);
	assert_int_equal(offsetof(struct md_super, peer_disk_state), 264);
	assert_int_equal(offsetof(struct md_super, reserved1), 268);
	assert_int_equal(offsetof(struct md_super, reserved), 272);
	in.time_last_full_sync = 0x0102030405060708ull;
	md_sb_encode(&in, slot);
	assert_memory_equal(slot + 256, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	assert_int_equal(md_sb_decode(slot, &out), 0);
	assert_int_equal(out.time_last_full_sync, 0x0102030405060708ull);
}

/* Version 2: peer_disk_state at 264 and the disk state "consistent";
 * a version-1 superblock (those bytes zero) still reads, its peer's state
 * unknown; a newer version is refused, as are values that cannot be. */
static void reseal(unsigned char *slot, uint32_t version)
{
	uint32_t v = htole32(version);
	uint64_t csum;

	memcpy(slot + offsetof(struct md_super, version), &v, 4);
	memset(slot + offsetof(struct md_super, csum), 0, 8);
	csum = htole64(XXH64(slot, MD_SB_SIZE, 0));
	memcpy(slot + offsetof(struct md_super, csum), &csum, 8);
}

static void sb_version2_peer_disk_state(void **state)
{
	struct md_super in = sample(), out, sample_v1 = sample();
	unsigned char slot[MD_SB_SIZE];

	(void)state;
	in.disk_state = MD_DISK_CONSISTENT;
	in.peer_disk_state = MD_DISK_OUTDATED;
	md_sb_encode(&in, slot);
	assert_memory_equal(slot + 264, "\x03\x00\x00\x00", 4);
	assert_int_equal(md_sb_decode(slot, &out), 0);
	assert_int_equal(out.disk_state, MD_DISK_CONSISTENT);
	assert_int_equal(out.peer_disk_state, MD_DISK_OUTDATED);
	assert_string_equal(md_disk_state_name(out.disk_state), "consistent");
	assert_string_equal(md_disk_state_name(MD_DISK_UNKNOWN), "unknown");
	assert_string_equal(md_disk_state_name(MD_DISK_FAILED), "failed");
	assert_string_equal(md_disk_state_name(MD_DISK_DISKLESS), "diskless");

	md_sb_encode(&sample_v1, slot);	/* what version 1 wrote */
	reseal(slot, 1);
	assert_int_equal(md_sb_decode(slot, &out), 0);
	assert_int_equal(out.version, 1);
	assert_int_equal(out.peer_disk_state, MD_DISK_UNKNOWN);
	reseal(slot, 3);
	assert_int_equal(md_sb_decode(slot, &out), -EPROTO);

	in = sample(); in.peer_disk_state = MD_DISK_FAILED;	/* run time only */
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
	in = sample(); in.disk_state = MD_DISK_DISKLESS;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
	in = sample(); in.reserved1 = 1;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
}

static void sb_bad_checksum(void **state)
{
	struct md_super in = sample(), out;
	unsigned char slot[MD_SB_SIZE];

	(void)state;
	md_sb_encode(&in, slot);
	slot[200] ^= 1;
	assert_int_equal(md_sb_decode(slot, &out), -EBADMSG);
}

static void sb_foreign(void **state)
{
	unsigned char slot[MD_SB_SIZE];
	struct md_super out;

	(void)state;
	memset(slot, 0, sizeof(slot));
	assert_int_equal(md_sb_decode(slot, &out), -ENOENT);
	memcpy(slot, "XFSB", 4);
	assert_int_equal(md_sb_decode(slot, &out), -ENOENT);
}

static void sb_invalid_fields(void **state)
{
	struct md_super in, out;
	unsigned char slot[MD_SB_SIZE];

	(void)state;
	in = sample(); in.chunk_shift = 11;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
	/* Above MD_CHUNK_SHIFT_MAX even with a bitmap size that matches it. */
	in = sample(); in.chunk_shift = MD_CHUNK_SHIFT_MAX + 1;
	in.bitmap_bytes = MD_BITMAP_BYTES(in.data_bytes, in.chunk_shift);
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
	in.chunk_shift = MD_CHUNK_SHIFT_MAX;
	in.bitmap_bytes = MD_BITMAP_BYTES(in.data_bytes, in.chunk_shift);
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), 0);
	in = sample(); in.bitmap_bytes = 8192;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
	in = sample(); in.disk_state = 9;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
	in = sample(); in.resource[0] = 0;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
	in = sample(); in.reserved[5] = 1;
	md_sb_encode(&in, slot);
	assert_int_equal(md_sb_decode(slot, &out), -EINVAL);
}

static int temp_area(void)
{
	char path[] = "/tmp/mdmetaXXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	return fd;
}

static void slots_pick_newest_and_survive_torn_write(void **state)
{
	struct md_super sb = sample(), out;
	struct md_geom g = { .area_offset = 65536, .data_bytes = sb.data_bytes,
			     .bitmap_bytes = sb.bitmap_bytes, .chunk_shift = 16 };
	char junk[MD_SB_SIZE];
	int fd = temp_area(), slot;

	(void)state;
	assert_int_equal(md_meta_create(fd, &g, &sb), 0);
	assert_int_equal(md_meta_read(fd, g.area_offset, &out, &slot), 0);
	assert_int_equal(out.seq, 2);
	assert_int_equal(slot, 0);
	out.gen_current = 42;
	assert_int_equal(md_meta_write(fd, g.area_offset, &out), 0);	/* seq 3, slot 1 */
	assert_int_equal(md_meta_read(fd, g.area_offset, &out, &slot), 0);
	assert_int_equal(out.seq, 3);
	assert_int_equal(slot, 1);
	assert_int_equal(out.gen_current, 42);
	/* Tear the newest copy: the older one is used. */
	memset(junk, 0xa5, sizeof(junk));
	memcpy(junk, "MSB1", 4);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 65536 + MD_SB_SIZE), MD_SB_SIZE);
	assert_int_equal(md_meta_read(fd, g.area_offset, &out, &slot), 0);
	assert_int_equal(out.seq, 2);
	/* Both torn: corrupt, not "absent". */
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 65536), MD_SB_SIZE);
	assert_int_equal(md_meta_read(fd, g.area_offset, &out, &slot), -EBADMSG);
	close(fd);
}

static void empty_area_is_absent(void **state)
{
	struct md_super out;
	int fd = temp_area();

	(void)state;
	assert_int_equal(md_meta_read(fd, 0, &out, NULL), -ENOENT);
	close(fd);
}

static void geometry(void **state)
{
	struct md_geom g;

	(void)state;
	assert_int_equal(md_geom_internal(1ull << 30, 16, &g), 0);
	/* 4 KiB-chunk reserve: 32 KiB of bitmap + 8 KiB of superblocks */
	assert_int_equal(g.area_offset, (1ull << 30) - 40960);
	assert_int_equal(g.data_bytes, g.area_offset);
	assert_int_equal(g.bitmap_bytes, 4096);
	assert_int_equal(md_geom_internal(1 << 20, 16, &g), -ENOSPC);
	assert_int_equal(md_geom_external(1ull << 30, 65536, 16, &g), 0);
	assert_int_equal(g.area_offset, 0);
	assert_int_equal(g.data_bytes, 1ull << 30);
	assert_int_equal(md_geom_external(1ull << 40, 65536, 12, &g), -ENOSPC);
}

/* ---- generation identifiers ---- */

static struct md_gen_view v(uint64_t cur, uint64_t bm, uint64_t h0, int idx)
{
	struct md_gen_view g = { .current = cur, .bitmap = bm, .history = { h0, 0 },
				 .node_index = idx };
	return g;
}

static void check_pair(struct md_gen_view a, struct md_gen_view b,
		       enum md_sync_decision want_a, enum md_sync_decision want_b)
{
	assert_int_equal(md_gen_decide(&a, &b), want_a);
	assert_int_equal(md_gen_decide(&b, &a), want_b);
}

static void gen_in_sync(void **state)
{
	(void)state;
	check_pair(v(100, 0, 0, 0), v(100, 0, 0, 1), MD_SYNC_NONE, MD_SYNC_NONE);
}

static void gen_equal_crashed_primary_sends_bits(void **state)
{
	struct md_gen_view a = v(100, 0, 0, 0), b = v(100, 0, 0, 1);

	(void)state;
	a.flags = MD_SBF_PRIMARY;
	a.oos_chunks = 3;
	check_pair(a, b, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
}

static void gen_equal_bits_without_primary(void **state)
{
	struct md_gen_view a = v(100, 0, 0, 0), b = v(100, 0, 0, 1);

	(void)state;
	b.oos_chunks = 5;
	check_pair(a, b, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP);
	a.oos_chunks = 1;	/* both: a tie, broken by node index the same way */
	check_pair(a, b, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
}

/*
 * A copy that knows it is wrong (inconsistent: a write from the peer
 * failed on its disk, a verify against the primary found it different,
 * an unfinished resync; outdated: known behind) holds bits that mean
 * "missing here": it is the target whatever roles, flags, bits and node
 * order say.  Each row from both sides, with the wrong copy on either
 * node index.
 */
static void gen_equal_wrong_copy_is_the_target(void **state)
{
	static const uint32_t wrong[] = { MD_DISK_INCONSISTENT, MD_DISK_OUTDATED };

	(void)state;
	for (unsigned w = 0; w < 2; w++) {
		for (int idx = 0; idx < 2; idx++) {
			struct md_gen_view bad = v(100, 0, 0, idx), good = v(100, 0, 0, !idx);

			bad.disk_state = wrong[w];
			good.disk_state = MD_DISK_UPTODATE;
			/* Bits on both (the peer marked the failed write too). */
			bad.oos_chunks = 1;
			good.oos_chunks = 1;
			check_pair(bad, good, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP);
			/* Bits on the wrong copy alone (verify on the secondary). */
			good.oos_chunks = 0;
			check_pair(bad, good, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP);
			/* It crashed as primary, or the good one did. */
			bad.flags = MD_SBF_PRIMARY;
			check_pair(bad, good, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP);
			bad.flags = 0;
			good.flags = MD_SBF_PRIMARY;
			check_pair(bad, good, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP);
			/* No bit says where its holes are: everything. */
			bad.oos_chunks = 0;
			good.flags = 0;
			check_pair(bad, good, MD_SYNC_TARGET_FULL, MD_SYNC_SOURCE_FULL);
			/* A state of 0 (a view without one) counts as good. */
			good.disk_state = 0;
			check_pair(bad, good, MD_SYNC_TARGET_FULL, MD_SYNC_SOURCE_FULL);
		}
	}
}

/* Both copies know they are wrong: none may overwrite the other. */
static void gen_equal_both_wrong_is_no_good_copy(void **state)
{
	struct md_gen_view a = v(100, 0, 0, 0), b = v(100, 0, 0, 1);

	(void)state;
	a.disk_state = MD_DISK_INCONSISTENT;
	b.disk_state = MD_DISK_OUTDATED;
	a.oos_chunks = 2;
	check_pair(a, b, MD_SYNC_NO_GOOD_COPY, MD_SYNC_NO_GOOD_COPY);
	a.flags = MD_SBF_PRIMARY;
	b.oos_chunks = 2;
	check_pair(a, b, MD_SYNC_NO_GOOD_COPY, MD_SYNC_NO_GOOD_COPY);
}

/* Where the generations make a wrong copy the source, it is refused; a
 * wrong copy as the target goes on; an administrator's rebuild decides. */
static void gen_wrong_copy_never_a_source(void **state)
{
	(void)state;
	for (int idx = 0; idx < 2; idx++) {
		struct md_gen_view newer = v(200, 100, 0, idx), older = v(100, 0, 0, !idx);
		struct md_gen_view hist = v(300, 0, 100, idx), blank = v(MD_GEN_BLANK, 0, 0, !idx);

		newer.disk_state = hist.disk_state = MD_DISK_INCONSISTENT;
		check_pair(newer, older, MD_SYNC_NO_GOOD_COPY, MD_SYNC_NO_GOOD_COPY);
		check_pair(hist, older, MD_SYNC_NO_GOOD_COPY, MD_SYNC_NO_GOOD_COPY);
		check_pair(hist, blank, MD_SYNC_NO_GOOD_COPY, MD_SYNC_NO_GOOD_COPY);
		newer.disk_state = hist.disk_state = MD_DISK_UPTODATE;
		older.disk_state = blank.disk_state = MD_DISK_INCONSISTENT;
		check_pair(newer, older, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
		check_pair(hist, blank, MD_SYNC_SOURCE_FULL, MD_SYNC_TARGET_FULL);
		older.disk_state = MD_DISK_UPTODATE;
		newer.disk_state = MD_DISK_OUTDATED;
		older.flags = MD_SBF_DISCARD;	/* rebuild --from the newer node */
		check_pair(newer, older, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
	}
}

static void gen_both_blank(void **state)
{
	struct md_gen_view a = v(MD_GEN_BLANK, 0, 0, 0), b = v(MD_GEN_BLANK, 0, 0, 1);

	(void)state;
	check_pair(a, b, MD_SYNC_WAIT_INITIAL, MD_SYNC_WAIT_INITIAL);
	a.primary_now = true;
	check_pair(a, b, MD_SYNC_SOURCE_FULL, MD_SYNC_TARGET_FULL);
}

static void gen_one_blank(void **state)
{
	(void)state;
	check_pair(v(100, 0, 0, 0), v(MD_GEN_BLANK, 0, 0, 1), MD_SYNC_SOURCE_FULL, MD_SYNC_TARGET_FULL);
}

static void gen_newer_by_bitmap(void **state)
{
	(void)state;
	/* a wrote while apart: its bitmap id is b's current */
	check_pair(v(200, 100, 0, 0), v(100, 0, 0, 1), MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
}

static void gen_newer_by_history(void **state)
{
	(void)state;
	/* a moved on twice; b's state is only in a's history: full sync */
	check_pair(v(300, 0, 100, 0), v(100, 0, 0, 1), MD_SYNC_SOURCE_FULL, MD_SYNC_TARGET_FULL);
}

static void gen_split_brain(void **state)
{
	(void)state;
	check_pair(v(200, 100, 0, 0), v(300, 100, 0, 1), MD_SYNC_SPLIT_BRAIN, MD_SYNC_SPLIT_BRAIN);
}

static void gen_unrelated(void **state)
{
	(void)state;
	check_pair(v(200, 0, 0, 0), v(300, 0, 0, 1), MD_SYNC_UNRELATED, MD_SYNC_UNRELATED);
}

/* Each side's generation names the other's as its past (a corrupt
 * superblock or a hostile peer; found by tests/fuzz/meta.c): before, both
 * decided to be the source and waited for each other.  Now no common
 * history, the same from both ends. */
static void gen_cycle_is_unrelated(void **state)
{
	(void)state;
	check_pair(v(200, 300, 0, 0), v(300, 200, 0, 1), MD_SYNC_UNRELATED, MD_SYNC_UNRELATED);
	check_pair(v(200, 0, 300, 0), v(300, 0, 200, 1), MD_SYNC_UNRELATED, MD_SYNC_UNRELATED);
	check_pair(v(200, 300, 0, 0), v(300, 0, 200, 1), MD_SYNC_UNRELATED, MD_SYNC_UNRELATED);
}

static void gen_rebuild_resolves_split_brain(void **state)
{
	struct md_gen_view a = v(200, 100, 0, 0), b = v(300, 100, 0, 1);

	(void)state;
	b.flags = MD_SBF_DISCARD;		/* "rebuild --from a" run on b */
	check_pair(a, b, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
	b.flags = 0;
	a.flags = MD_SBF_SURVIVOR;		/* "rebuild --from a" run on a */
	check_pair(a, b, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
	a.flags |= MD_SBF_FULL;			/* ... --full */
	check_pair(a, b, MD_SYNC_SOURCE_FULL, MD_SYNC_TARGET_FULL);
}

static void gen_rebuild_overrides_newer_generation(void **state)
{
	/* b is newer by the generations, but the admin keeps a's data */
	struct md_gen_view a = v(100, 0, 0, 0), b = v(200, 100, 0, 1);

	(void)state;
	b.flags = MD_SBF_DISCARD;
	check_pair(a, b, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
}

static void gen_rebuild_without_common_history_is_full(void **state)
{
	struct md_gen_view a = v(200, 0, 0, 0), b = v(300, 0, 0, 1);

	(void)state;
	a.flags = MD_SBF_DISCARD;
	check_pair(a, b, MD_SYNC_TARGET_FULL, MD_SYNC_SOURCE_FULL);
	a = v(MD_GEN_BLANK, 0, 0, 0);
	b = v(MD_GEN_BLANK, 0, 0, 1);
	b.flags = MD_SBF_SURVIVOR;
	check_pair(a, b, MD_SYNC_TARGET_FULL, MD_SYNC_SOURCE_FULL);
}

static void gen_granted_standby_yields(void **state)
{
	/* Backup split: a (primary) moved on from 100; b, granted, wrote
	 * locally and carries DISCARD; both bitmaps count from 100. */
	struct md_gen_view a = v(200, 100, 0, 0), b = v(100, 0, 0, 1);

	(void)state;
	b.flags = MD_SBF_DISCARD | MD_SBF_DETACHED;
	b.oos_chunks = 7;
	check_pair(a, b, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP);
}

static void gen_rebuild_conflict(void **state)
{
	struct md_gen_view a = v(200, 100, 0, 0), b = v(300, 100, 0, 1);

	(void)state;
	a.flags = b.flags = MD_SBF_DISCARD;
	check_pair(a, b, MD_SYNC_CONFLICT, MD_SYNC_CONFLICT);
	a.flags = b.flags = MD_SBF_SURVIVOR;
	check_pair(a, b, MD_SYNC_CONFLICT, MD_SYNC_CONFLICT);
	a.flags = MD_SBF_SURVIVOR;
	b.flags = MD_SBF_SURVIVOR | MD_SBF_DISCARD;
	check_pair(a, b, MD_SYNC_CONFLICT, MD_SYNC_CONFLICT);
}

static void gen_new_is_random_and_not_special(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_true(md_gen_new() >= 16);
	assert_true(md_gen_new() != md_gen_new());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sb_round_trip),
		cmocka_unit_test(sb_golden_header),
		cmocka_unit_test(sb_version2_peer_disk_state),
		cmocka_unit_test(sb_layout),
		cmocka_unit_test(sb_bad_checksum),
		cmocka_unit_test(sb_foreign),
		cmocka_unit_test(sb_invalid_fields),
		cmocka_unit_test(slots_pick_newest_and_survive_torn_write),
		cmocka_unit_test(empty_area_is_absent),
		cmocka_unit_test(geometry),
		cmocka_unit_test(gen_in_sync),
		cmocka_unit_test(gen_equal_crashed_primary_sends_bits),
		cmocka_unit_test(gen_equal_bits_without_primary),
		cmocka_unit_test(gen_equal_wrong_copy_is_the_target),
		cmocka_unit_test(gen_equal_both_wrong_is_no_good_copy),
		cmocka_unit_test(gen_wrong_copy_never_a_source),
		cmocka_unit_test(gen_both_blank),
		cmocka_unit_test(gen_one_blank),
		cmocka_unit_test(gen_newer_by_bitmap),
		cmocka_unit_test(gen_newer_by_history),
		cmocka_unit_test(gen_split_brain),
		cmocka_unit_test(gen_unrelated),
		cmocka_unit_test(gen_cycle_is_unrelated),
		cmocka_unit_test(gen_rebuild_resolves_split_brain),
		cmocka_unit_test(gen_rebuild_overrides_newer_generation),
		cmocka_unit_test(gen_rebuild_without_common_history_is_full),
		cmocka_unit_test(gen_granted_standby_yields),
		cmocka_unit_test(gen_rebuild_conflict),
		cmocka_unit_test(gen_new_is_random_and_not_special),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
