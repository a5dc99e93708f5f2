/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_handshake.c - the handshake's verdict (md_hello_decide in
 * lib/decide.c): from two compatible HELLOs, the resync direction and the
 * refusals that follow from it, and the feature checks.  Every row is checked from both
 * sides, as the two daemons see it, and the two must agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "decide.h"

#define P	MD_ROLE_PRIMARY
#define S	MD_ROLE_SECONDARY

/* Node alpha (index 0) or beta (index 1) with these generations. */
static struct md_hello_info node(int idx, uint32_t role, uint64_t cur, uint64_t bm, uint64_t h0)
{
	struct md_hello_info h = { .role = role, .gen_current = cur, .gen_bitmap = bm,
				   .gen_history = { h0, 0 }, .proto_min = MDW_PROTO_MIN,
				   .proto_max = MDW_PROTO_MAX, .features = MDW_FEATURES_SUPPORTED,
				   .size_bytes = 1ull << 30, .chunk_bytes = 1u << 16,
				   .disk_state = MD_DISK_UPTODATE };

	snprintf(h.resource, sizeof(h.resource), "r0");
	snprintf(h.node, sizeof(h.node), "%s", idx ? "beta" : "alpha");
	snprintf(h.peer, sizeof(h.peer), "%s", idx ? "alpha" : "beta");
	return h;
}

static char why_a[256], why_b[256];

/* alpha meets beta: what each decides and answers. */
static void check(struct md_hello_info a, struct md_hello_info b,
		  enum md_sync_decision want_a, enum md_sync_decision want_b, uint32_t want_code)
{
	enum md_sync_decision da = MD_SYNC_NONE, db = MD_SYNC_NONE;
	uint32_t va = 0, vb = 0;

	why_a[0] = why_b[0] = '\0';
	assert_int_equal(md_hello_decide(&a, &b, 0, &va, &da, why_a, sizeof(why_a)), want_code);
	assert_int_equal(md_hello_decide(&b, &a, 1, &vb, &db, why_b, sizeof(why_b)), want_code);
	assert_int_equal(va, vb);
	assert_int_equal(da, want_a);
	assert_int_equal(db, want_b);
	if (want_code) {
		assert_true(why_a[0] && why_b[0]);
	} else {
		assert_string_equal(why_a, "");
		assert_string_equal(why_b, "");
	}
}

static void in_sync_goes_on(void **state)
{
	(void)state;
	check(node(0, P, 100, 0, 0), node(1, S, 100, 0, 0), MD_SYNC_NONE, MD_SYNC_NONE, 0);
	check(node(0, S, 100, 0, 0), node(1, S, 100, 0, 0), MD_SYNC_NONE, MD_SYNC_NONE, 0);
}

static void newer_side_is_the_bitmap_source(void **state)
{
	(void)state;
	/* alpha moved on from 100, where beta still is. */
	check(node(0, P, 200, 100, 0), node(1, S, 100, 0, 0),
	      MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP, 0);
	check(node(0, S, 200, 100, 0), node(1, S, 100, 0, 0),
	      MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP, 0);
	check(node(0, S, 100, 0, 0), node(1, P, 200, 100, 0),
	      MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP, 0);
}

static void newer_side_by_history_is_the_full_source(void **state)
{
	(void)state;
	check(node(0, P, 300, 0, 100), node(1, S, 100, 0, 0),
	      MD_SYNC_SOURCE_FULL, MD_SYNC_TARGET_FULL, 0);
	check(node(0, S, 100, 0, 0), node(1, S, 300, 0, 100),
	      MD_SYNC_TARGET_FULL, MD_SYNC_SOURCE_FULL, 0);
}

/* A blank disk waits for a primary, which then copies everything. */
static void blank_disks_wait_for_a_primary(void **state)
{
	(void)state;
	check(node(0, S, MD_GEN_BLANK, 0, 0), node(1, S, MD_GEN_BLANK, 0, 0),
	      MD_SYNC_WAIT_INITIAL, MD_SYNC_WAIT_INITIAL, 0);
	check(node(0, S, MD_GEN_BLANK, 0, 0), node(1, P, MD_GEN_BLANK, 0, 0),
	      MD_SYNC_TARGET_FULL, MD_SYNC_SOURCE_FULL, 0);
}

/* Same generation, bits on both sides: the side primary now sends them;
 * with neither, the node index breaks the tie the same way on both. */
static void same_generation_with_bits(void **state)
{
	struct md_hello_info a = node(0, S, 100, 0, 0), b = node(1, P, 100, 0, 0);

	(void)state;
	a.oos_chunks = b.oos_chunks = 4;
	a.sb_flags = b.sb_flags = MD_SBF_PRIMARY;	/* both crashed as primary */
	check(a, b, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP, 0);
	a.sb_flags = b.sb_flags = 0;
	b.role = S;
	check(a, b, MD_SYNC_SOURCE_BITMAP, MD_SYNC_TARGET_BITMAP, 0);
}

/* The primary holds older data: overwriting it under its users is refused,
 * on both sides, naming the primary. */
static void older_primary_is_refused(void **state)
{
	(void)state;
	check(node(0, P, 100, 0, 0), node(1, S, 200, 100, 0),
	      MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP, MDW_REJ_OLDER_PRIMARY);
	assert_non_null(strstr(why_a, "alpha is primary but holds older data than beta"));
	assert_non_null(strstr(why_b, "alpha is primary but holds older data than beta"));

	check(node(0, S, 300, 0, 100), node(1, P, 100, 0, 0),
	      MD_SYNC_SOURCE_FULL, MD_SYNC_TARGET_FULL, MDW_REJ_OLDER_PRIMARY);
	assert_non_null(strstr(why_a, "beta is primary but holds older data than alpha"));
	assert_non_null(strstr(why_b, "beta is primary but holds older data than alpha"));
}

static void split_brain_is_refused(void **state)
{
	(void)state;
	check(node(0, P, 200, 100, 0), node(1, S, 300, 100, 0),
	      MD_SYNC_SPLIT_BRAIN, MD_SYNC_SPLIT_BRAIN, MDW_REJ_SPLIT_BRAIN);
	assert_non_null(strstr(why_a, "split brain"));
	assert_non_null(strstr(why_a, "00000000000000c8 and 000000000000012c"));
	assert_non_null(strstr(why_b, "000000000000012c and 00000000000000c8"));
}

static void unrelated_disks_are_refused(void **state)
{
	(void)state;
	check(node(0, S, 200, 0, 0), node(1, S, 300, 0, 0),
	      MD_SYNC_UNRELATED, MD_SYNC_UNRELATED, MDW_REJ_UNRELATED);
	assert_non_null(strstr(why_a, "share no history"));
}

static void conflicting_rebuild_marks_are_refused(void **state)
{
	struct md_hello_info a = node(0, S, 200, 100, 0), b = node(1, S, 300, 100, 0);

	(void)state;
	a.sb_flags = b.sb_flags = MD_SBF_DISCARD;
	check(a, b, MD_SYNC_CONFLICT, MD_SYNC_CONFLICT, MDW_REJ_CONFLICT);
	a.sb_flags = b.sb_flags = MD_SBF_SURVIVOR;
	check(a, b, MD_SYNC_CONFLICT, MD_SYNC_CONFLICT, MDW_REJ_CONFLICT);
	/* One mark resolves the split brain instead. */
	a.sb_flags = 0;
	check(a, b, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP, 0);
}

/*
 * A secondary whose disk failed a write from the peer (or whose verify
 * against the primary found differences) is inconsistent and holds marks
 * meaning "missing here": it is the target even as the first-listed node
 * with both secondary, never the source that overwrites the good copy.
 */
static void wrong_copy_is_never_the_source(void **state)
{
	struct md_hello_info a = node(0, S, 100, 0, 0), b = node(1, S, 100, 0, 0);

	(void)state;
	a.disk_state = MD_DISK_INCONSISTENT;
	b.disk_state = MD_DISK_UPTODATE;
	a.oos_chunks = b.oos_chunks = 16;
	check(a, b, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP, 0);
	b.role = P;
	check(a, b, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP, 0);
	/* The wrong copy is primary (forced there by hand): refused. */
	b.role = S;
	a.role = P;
	check(a, b, MD_SYNC_TARGET_BITMAP, MD_SYNC_SOURCE_BITMAP, MDW_REJ_OLDER_PRIMARY);
	/* Both wrong: refused, each side naming both states. */
	a.role = S;
	b.disk_state = MD_DISK_OUTDATED;
	check(a, b, MD_SYNC_NO_GOOD_COPY, MD_SYNC_NO_GOOD_COPY, MDW_REJ_NO_GOOD_COPY);
	assert_non_null(strstr(why_a, "alpha is inconsistent and beta is outdated"));
	assert_non_null(strstr(why_b, "beta is outdated and alpha is inconsistent"));
	assert_non_null(strstr(why_a, "mdctl rebuild --from"));
}

/* Data integrity digests every packet on both sides or on neither: a
 * mismatch is refused by both, naming each side's setting. */
static void data_integrity_must_match(void **state)
{
	struct md_hello_info a = node(0, P, 100, 0, 0), b = node(1, S, 100, 0, 0);

	(void)state;
	b.features |= MDW_FEAT_XXH3;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, MDW_REJ_FEATURES);
	assert_string_equal(why_a, "data-integrity is no on alpha and yes on beta: set it alike");
	a.features |= MDW_FEAT_XXH3;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, 0);
}

/* Compression (issue 23) is on on both sides or on neither: a mismatch
 * is refused by both, each naming both settings; a peer of an earlier
 * release knows no compression (it never offers MDW_FEAT_ZSTD: the bit
 * came within protocol 4), so it meets a node with compression = none,
 * and is refused by one with it on. */
static void compression_must_match(void **state)
{
	struct md_hello_info a = node(0, P, 100, 0, 0), b = node(1, S, 100, 0, 0);
	enum md_sync_decision d;
	uint32_t v = 0;

	(void)state;
	a.features |= MDW_FEAT_ZSTD;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, MDW_REJ_FEATURES);
	assert_string_equal(why_a, "compression is on (zstd or auto) on alpha and none on beta: "
			    "set it alike");
	assert_string_equal(why_b, "compression is none on beta and on (zstd or auto) on alpha: "
			    "set it alike");
	b.features |= MDW_FEAT_ZSTD;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, 0);
	/* An older peer: the same protocol, no compression bit. */
	b = node(1, S, 100, 0, 0);
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, MDW_REJ_FEATURES);
	a.features &= ~MDW_FEAT_ZSTD;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, 0);
	assert_int_equal(md_hello_decide(&a, &b, 0, &v, &d, why_a, sizeof(why_a)), 0);
	assert_int_equal(v, 4);
	/* With data-integrity differing too, that reason comes first. */
	a.features |= MDW_FEAT_ZSTD | MDW_FEAT_XXH3;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, MDW_REJ_FEATURES);
	assert_non_null(strstr(why_a, "data-integrity"));
}

/* Incompatible HELLOs are refused before any decision is made. */
static void incompatible_hellos_are_refused_first(void **state)
{
	struct md_hello_info a = node(0, P, 100, 0, 0), b = node(1, P, 200, 100, 0);

	(void)state;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, MDW_REJ_ROLE);
	b.role = S;
	b.size_bytes <<= 1;
	check(a, b, MD_SYNC_NONE, MD_SYNC_NONE, MDW_REJ_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_sync_goes_on),
		cmocka_unit_test(newer_side_is_the_bitmap_source),
		cmocka_unit_test(newer_side_by_history_is_the_full_source),
		cmocka_unit_test(blank_disks_wait_for_a_primary),
		cmocka_unit_test(same_generation_with_bits),
		cmocka_unit_test(older_primary_is_refused),
		cmocka_unit_test(split_brain_is_refused),
		cmocka_unit_test(unrelated_disks_are_refused),
		cmocka_unit_test(conflicting_rebuild_marks_are_refused),
		cmocka_unit_test(wrong_copy_is_never_the_source),
		cmocka_unit_test(data_integrity_must_match),
		cmocka_unit_test(compression_must_match),
		cmocka_unit_test(incompatible_hellos_are_refused_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
