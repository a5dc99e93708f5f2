/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_resync.c - the resync source's window (mirrord/resync.c) on a fake
 * I/O loop and a fake kernel (fake_io.h): how many chunks it asks the
 * kernel for (MD_IOC_RESYNC) while the application writes, while paused,
 * under a rate limit, also one set mid-resync; acks opening the window
 * again; a kernel bitmap that cannot be read; and the end, RS_DONE when a
 * fresh snapshot of the bitmap is empty (after a flush of our disk, whose
 * rules test_resync_done.c pins).
 *
 * The life of one chunk here: rs_kick -> kctl_resync (recorded by the
 * fake kernel) -> the chunk comes back through the channel as an
 * MD_OP_RESYNC record (deliver) -> DATA to the peer -> the peer's ACK
 * (ack) -> the kernel clears the bit once it gets the ack (clear).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fake_io.h"

#define ID(c)		(((uint64_t)(c) / MD_MAX_INFLIGHT + 1) << 32 | (uint64_t)(c) % MD_MAX_INFLIGHT)	/* the kernel's id for chunk c: a gen, a slot */
#define NCHUNKS		40
#define CHUNK(i)	(10 + 3 * (uint64_t)(i))	/* the out-of-sync chunks */

static void mark(uint64_t c)
{
	fake_kernel.oos[c / 64] |= 1ull << (c % 64);
}

static void clear(uint64_t c)
{
	fake_kernel.oos[c / 64] &= ~(1ull << (c % 64));
}

/* A resync source whose kernel bitmap holds the chunks given, with the
 * target's (empty) bitmap received. */
static struct repl *source_to(const uint64_t *chunks, unsigned n, uint64_t peer_features)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	r->hs.peer_features = peer_features;

	for (unsigned i = 0; i < n; i++)
		mark(chunks[i]);
	r->hs.decision = MD_SYNC_SOURCE_BITMAP;
	assert_int_equal(sync_begin(r), 0);
	assert_true(r->rs.active && r->rs.source);
	send_start(r);
	assert_int_equal(handle_bitmap_end(r, NULL, 0), 1);
	assert_int_equal(r->rs.total, n);
	return r;
}

static struct repl *source(const uint64_t *chunks, unsigned n)
{
	return source_to(chunks, n, 0);
}

static struct repl *source_many(void)
{
	uint64_t c[NCHUNKS];

	for (unsigned i = 0; i < NCHUNKS; i++)
		c[i] = CHUNK(i);
	return source(c, NCHUNKS);
}

/* The kernel hands chunks over the channel (op MD_OP_RESYNC, or an
 * application write); what mirrord sends on goes to the peer. */
static void deliver_op(struct repl *r, uint64_t c, uint16_t op, uint16_t flags)
{
	static char buf[sizeof(struct md_chan_req) + 4096];
	struct md_chan_req q = { .id = ID(c), .offset = c * FAKE_CHUNK, .op = op, .flags = flags,
				 .len = flags & MD_RF_READ_ERROR ? 0 : 4096 };

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), 'r', q.len);
	fake_read(r->io, r->dev.ctl_fd, buf, sizeof(q) + q.len);
	fake_send_all(r->io);
}

static void deliver(struct repl *r, uint64_t c)
{
	deliver_op(r, c, MD_OP_RESYNC, 0);
}

static void ack(struct repl *r, uint64_t c, int32_t status)
{
	char body[sizeof(struct mdw_ack)];

	mdw_ack_encode(body, ID(c), status);
	assert_int_equal(handle_ack(r, body, sizeof(body)), 1);
}

/* Chunks asked for so far are the first n of CHUNK(), in order.  A macro,
 * so that a failure names the caller's line. */
#define expect_asked(n) expect_asked_at((n), __FILE__, __LINE__)
static void expect_asked_at(unsigned n, const char *file, int line)
{
	_assert_int_equal(fake_kernel.nresync, n, file, line);
	for (unsigned i = 0; i < n; i++)
		_assert_int_equal(fake_kernel.resync[i], CHUNK(i), file, line);
}

static void nothing_before_the_targets_bitmap(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);
	char body[16 + FAKE_NCHUNKS / 8];
	uint64_t words[FAKE_NCHUNKS / 64] = { 0 };

	(void)state;
	mark(3);
	r->hs.decision = MD_SYNC_SOURCE_BITMAP;
	assert_int_equal(sync_begin(r), 0);
	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, 0);

	/* The target's bits are merged into the kernel's, then counted. */
	words[0] = 1ull << 7;
	words[900 / 64] = 1ull << (900 % 64);
	assert_int_equal(mdw_bitmap_body_len(FAKE_NCHUNKS), sizeof(body));
	mdw_bitmap_encode(body, 0, FAKE_NCHUNKS, words);
	assert_int_equal(handle_bitmap(r, body, sizeof(body)), 1);
	assert_int_equal(handle_bitmap_end(r, NULL, 0), 1);
	assert_int_equal(r->rs.total, 3);
	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, 3);
	assert_int_equal(fake_kernel.resync[0], 3);
	assert_int_equal(fake_kernel.resync[1], 7);
	assert_int_equal(fake_kernel.resync[2], 900);
	fake_repl_free(r);
}

/* The kernel's bitmap cannot be read: the resync cannot know what to copy,
 * and must not end as if there were nothing. */
static void unreadable_kernel_bitmap_fails_the_connection(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	(void)state;
	mark(3);
	r->hs.decision = MD_SYNC_SOURCE_BITMAP;
	assert_int_equal(sync_begin(r), 0);
	fake_kernel.get_oos_rc = -EIO;
	assert_int_equal(handle_bitmap_end(r, NULL, 0), -1);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "reading the bitmap failed"));
	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, 0);
	assert_false(fake_on_wire(r, MDW_RS_DONE));
	fake_repl_free(r);
}

static void window_bounds_the_chunks_in_flight(void **state)
{
	struct repl *r = source_many();
	struct md_data_info d;
	const char *body;
	uint32_t len;

	(void)state;
	rs_kick(r);
	expect_asked(RS_WINDOW);
	rs_kick(r);
	expect_asked(RS_WINDOW);

	/* Records that arrived still count until the peer acked them. */
	for (unsigned i = 0; i < 4; i++)
		deliver(r, CHUNK(i));
	body = fake_wire_expect(r->io, MDW_DATA, &len);
	assert_int_equal(mdw_data_decode(body, len, &d), 0);
	assert_int_equal(d.flags, MDW_DF_RESYNC);
	assert_int_equal(d.offset, CHUNK(0) * FAKE_CHUNK);
	rs_kick(r);
	expect_asked(RS_WINDOW);

	for (unsigned i = 0; i < 4; i++)
		ack(r, CHUNK(i), 0);
	assert_int_equal(r->rs.done, 4);
	rs_kick(r);
	expect_asked(RS_WINDOW + 4);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

static void window_narrows_while_the_application_writes(void **state)
{
	struct repl *r = source_many();

	(void)state;
	deliver_op(r, 1, MD_OP_WRITE, 0);	/* an application write passes */
	assert_true(fake_on_wire(r, MDW_DATA));
	rs_kick(r);
	expect_asked(RS_WINDOW_BUSY);
	r->rs.last_app_ms = now_ms() - 1000;	/* quiet for a second */
	rs_kick(r);
	expect_asked(RS_WINDOW);
	fake_repl_free(r);
}

static void paused_resync_asks_for_nothing(void **state)
{
	struct repl *r = source_many();

	(void)state;
	r->adm.paused = true;
	rs_kick(r);
	expect_asked(0);
	r->adm.paused = false;
	rs_kick(r);
	expect_asked(RS_WINDOW);
	fake_repl_free(r);
}

static void rate_limit_bounds_the_chunks(void **state)
{
	struct repl *r = source_many();

	(void)state;
	r->res->resync_rate = 3 * FAKE_CHUNK;	/* bytes per second */
	r->rs.last_tick_ms = now_ms();
	rs_kick(r);
	expect_asked(0);
	r->rs.last_tick_ms -= 1000;		/* a second's worth */
	rs_kick(r);
	expect_asked(3);
	rs_kick(r);
	expect_asked(3);
	/* A long idle time earns a burst of 4 chunks + 1/5 s, not more. */
	r->rs.last_tick_ms -= 100000;
	rs_kick(r);
	expect_asked(7);
	fake_repl_free(r);
}

/*
 * An unlimited resync charges nothing: a rate set in the middle of it
 * (mdctl set) starts from an empty bucket, not from a debt of every chunk
 * copied so far, which would stall the resync until it was paid.
 */
static void rate_set_mid_resync_starts_without_debt(void **state)
{
	struct repl *r = source_many();

	(void)state;
	for (unsigned round = 0; round < 2; round++) {
		rs_kick(r);
		expect_asked((round + 1) * RS_WINDOW);
		for (unsigned i = round * RS_WINDOW; i < (round + 1) * RS_WINDOW; i++) {
			deliver(r, CHUNK(i));
			ack(r, CHUNK(i), 0);
		}
	}
	assert_int_equal(r->rs.done, 32);
	assert_int_equal(r->rs.issued + r->rs.nids, 0);

	r->res->resync_rate = 4 * FAKE_CHUNK;
	r->rs.last_tick_ms -= 1000;		/* a second's worth: 4 chunks */
	rs_kick(r);
	expect_asked(36);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

static void chunk_already_in_sync_is_not_counted(void **state)
{
	struct repl *r = source_many();

	(void)state;
	fake_kernel.resync_busy_chunk = CHUNK(1);
	rs_kick(r);
	expect_asked(RS_WINDOW + 1);
	assert_int_equal(r->rs.issued, RS_WINDOW);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

static void empty_snapshot_ends_with_rs_done(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = source(c, 2);
	struct md_chan_ack kacks[4];
	struct md_super sb;
	const char *body;
	uint32_t len;
	uint64_t gen, sent;

	(void)state;
	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, 2);
	deliver(r, 5);
	deliver(r, 700);
	rs_kick(r);
	assert_false(fake_on_wire(r, MDW_RS_DONE));	/* acks still awaited */
	ack(r, 5, 0);
	ack(r, 700, 0);
	flush_kacks(r);
	assert_int_equal(fake_kacks(r, kacks, 4), 2);
	assert_int_equal(kacks[0].id, ID(5));
	assert_int_equal(kacks[1].id, ID(700));
	assert_int_equal(kacks[1].status, 0);
	clear(5);
	clear(700);

	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, 2);
	/* Our disk is flushed first (test_resync_done.c pins that order). */
	assert_false(fake_on_wire(r, MDW_RS_DONE));
	fake_complete(r->io, fake_find(r->io, IO_FSYNC, -1), 0);
	fake_send_all(r->io);
	body = fake_wire_expect(r->io, MDW_RS_DONE, &len);
	assert_int_equal(mdw_rs_done_decode(body, len, &gen, &sent), 0);
	assert_int_equal(gen, FAKE_GEN);
	assert_int_equal(sent, 2);	/* the two chunks' DATA: the target checks */
	assert_false(r->rs.active);
	assert_int_equal(r->rs.done, 2);
	assert_int_equal(r->hs.decision, MD_SYNC_NONE);
	sb = fake_sb(r);
	assert_int_equal(sb.gen_bitmap, 0);
	assert_int_equal(sb.gen_history[0], FAKE_GEN_BITMAP);
	fake_repl_free(r);
}

/* Chunks marked while the resync ran: the fresh snapshot has them. */
static void fresh_snapshot_with_new_marks_goes_on(void **state)
{
	const uint64_t c[] = { 5 };
	struct repl *r = source(c, 1);

	(void)state;
	rs_kick(r);
	deliver(r, 5);
	ack(r, 5, 0);
	clear(5);
	mark(9);
	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, 2);
	assert_int_equal(fake_kernel.resync[1], 9);
	assert_true(r->rs.active);
	assert_false(fake_on_wire(r, MDW_RS_DONE));
	fake_repl_free(r);
}

/* Our disk could not read a chunk: acked with the error to the kernel
 * (its bit stays), left out of this resync, which ends without RS_DONE. */
static void unreadable_chunk_leaves_the_resync_incomplete(void **state)
{
	const uint64_t c[] = { 5 };
	struct repl *r = source(c, 1);
	struct md_chan_ack kacks[4];

	(void)state;
	rs_kick(r);
	deliver_op(r, 5, MD_OP_RESYNC, MD_RF_READ_ERROR);
	assert_int_equal(fake_kacks(r, kacks, 4), 1);
	assert_int_equal(kacks[0].id, ID(5));
	assert_int_equal(kacks[0].status, -EIO);
	assert_int_equal(r->rs.issued, 0);
	assert_false(fake_on_wire(r, MDW_DATA));

	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, 1);	/* not asked again */
	assert_false(r->rs.active);
	assert_false(fake_on_wire(r, MDW_RS_DONE));
	assert_non_null(strstr(r->conn.fail_reason, "resync incomplete"));
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* The runs asked for so far: (first chunk, count) pairs, in order. */
#define expect_runs(...) expect_runs_at(__FILE__, __LINE__, (const uint64_t[]){ __VA_ARGS__ }, \
					sizeof((const uint64_t[]){ __VA_ARGS__ }) / 16)
static void expect_runs_at(const char *file, int line, const uint64_t *runs, unsigned n)
{
	_assert_int_equal(fake_kernel.nresync, n, file, line);
	for (unsigned i = 0; i < n; i++) {
		_assert_int_equal(fake_kernel.resync[i], runs[2 * i], file, line);
		_assert_int_equal(fake_kernel.resync_count[i], runs[2 * i + 1], file, line);
	}
}

/* Chunks 100-119 and 300 out of sync. */
static struct repl *source_runs(uint64_t peer_features)
{
	uint64_t c[21];

	for (unsigned i = 0; i < 20; i++)
		c[i] = 100 + i;
	c[20] = 300;
	return source_to(c, 21, peer_features);
}

/*
 * With a peer that takes runs (MDW_FEAT_RS_RUN), chunks set next to each
 * other go as one request of up to RS_RUN_BYTES (16 chunks of 64 KiB); its
 * ack counts all of them done.  A run the kernel could not read is asked
 * for again one chunk at a time, and only the chunk that fails alone is
 * left out of this resync: one bad sector costs its chunk, not its run.
 */
static void set_chunks_side_by_side_go_as_runs(void **state)
{
	struct repl *r = source_runs(MDW_FEAT_RS_RUN);

	(void)state;
	rs_kick(r);
	expect_runs(100, 16, 116, 4, 300, 1);
	deliver(r, 100);
	ack(r, 100, 0);
	assert_int_equal(r->rs.done, 16);
	deliver_op(r, 116, MD_OP_RESYNC, MD_RF_READ_ERROR);
	assert_int_equal(r->rs.failed, 0);
	deliver(r, 300);
	ack(r, 300, 0);
	assert_int_equal(r->rs.done, 17);
	rs_kick(r);
	expect_runs(100, 16, 116, 4, 300, 1, 116, 1, 117, 1, 118, 1, 119, 1);
	for (uint64_t c = 116; c < 120; c++) {
		if (c == 117) {
			deliver_op(r, c, MD_OP_RESYNC, MD_RF_READ_ERROR);
			continue;
		}
		deliver(r, c);
		ack(r, c, 0);
	}
	assert_int_equal(r->rs.failed, 1);
	assert_true(r->rs.bad[117 / 64] >> (117 % 64) & 1);
	assert_false(r->rs.bad[116 / 64] >> (116 % 64) & 1);
	assert_int_equal(r->rs.done, 20);
	assert_int_equal(r->rs.issued + r->rs.nids, 0);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* One chunk per request: to a peer of an earlier release (no
 * MDW_FEAT_RS_RUN), while the application writes (its writes would queue
 * behind a run), in checksum resync (a digest answers one chunk). */
static void one_chunk_per_request_without_runs(void **state)
{
	struct repl *r = source_runs(0);

	(void)state;
	rs_kick(r);
	assert_int_equal(fake_kernel.nresync, RS_WINDOW);
	for (unsigned i = 0; i < RS_WINDOW; i++) {
		assert_int_equal(fake_kernel.resync[i], 100 + i);
		assert_int_equal(fake_kernel.resync_count[i], 1);
	}
	fake_repl_free(r);

	r = source_runs(MDW_FEAT_RS_RUN);	/* fake_repl_new: a fresh fake kernel */
	deliver_op(r, 1, MD_OP_WRITE, 0);	/* an application write passes */
	rs_kick(r);
	expect_runs(100, 1, 101, 1);
	fake_repl_free(r);

	r = source_runs(MDW_FEAT_RS_RUN);
	r->res->checksum_resync = true;
	rs_kick(r);
	assert_int_equal(fake_kernel.resync_count[0], 1);
	fake_repl_free(r);
}

/* checksum-resync turned on (mdctl adjust) while runs are in flight: a
 * run comes back as data, which the peer takes, not as a digest of 1 MiB,
 * which it would refuse (a digest answers one chunk). */
static void run_in_flight_when_checksum_resync_turns_on_goes_as_data(void **state)
{
	struct repl *r = source_runs(MDW_FEAT_RS_RUN);
	struct md_data_info d;
	const char *body;
	uint32_t len;

	(void)state;
	rs_kick(r);
	expect_runs(100, 16, 116, 4, 300, 1);
	r->res->checksum_resync = true;
	deliver(r, 100);
	body = fake_wire_expect(r->io, MDW_DATA, &len);
	assert_int_equal(mdw_data_decode(body, len, &d), 0);
	assert_int_equal(d.flags, MDW_DF_RESYNC);
	assert_int_equal(d.offset, 100 * FAKE_CHUNK);
	assert_false(fake_on_wire(r, MDW_RS_DIGEST));
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* Runs in flight are bounded by RS_WINDOW_BYTES too (64 chunks of 64
 * KiB): what an application write that overlaps one may wait behind. */
static void window_bounds_the_bytes_in_flight(void **state)
{
	uint64_t c[100];
	struct repl *r;

	(void)state;
	for (unsigned i = 0; i < 100; i++)
		c[i] = 100 + i;
	r = source_to(c, 100, MDW_FEAT_RS_RUN);
	rs_kick(r);
	expect_runs(100, 16, 116, 16, 132, 16, 148, 16);
	deliver(r, 100);
	rs_kick(r);
	expect_runs(100, 16, 116, 16, 132, 16, 148, 16);	/* sent, not acked */
	ack(r, 100, 0);
	rs_kick(r);
	expect_runs(100, 16, 116, 16, 132, 16, 148, 16, 164, 16);
	fake_repl_free(r);
}

/* The rate limit charges a run by its chunks: a full bucket (4 chunks +
 * 1/5 s) buys one run of 4, then nothing until it fills again. */
static void rate_limit_cuts_runs(void **state)
{
	struct repl *r = source_runs(MDW_FEAT_RS_RUN);

	(void)state;
	assert_int_equal(fake_kernel.nresync, 0);
	r->res->resync_rate = FAKE_CHUNK;	/* a chunk a second */
	r->rs.last_tick_ms = now_ms() - 100000;
	rs_kick(r);
	expect_runs(100, 4);
	rs_kick(r);
	expect_runs(100, 4);
	fake_repl_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_before_the_targets_bitmap),
		cmocka_unit_test(unreadable_kernel_bitmap_fails_the_connection),
		cmocka_unit_test(window_bounds_the_chunks_in_flight),
		cmocka_unit_test(window_narrows_while_the_application_writes),
		cmocka_unit_test(paused_resync_asks_for_nothing),
		cmocka_unit_test(rate_limit_bounds_the_chunks),
		cmocka_unit_test(rate_set_mid_resync_starts_without_debt),
		cmocka_unit_test(chunk_already_in_sync_is_not_counted),
		cmocka_unit_test(empty_snapshot_ends_with_rs_done),
		cmocka_unit_test(fresh_snapshot_with_new_marks_goes_on),
		cmocka_unit_test(unreadable_chunk_leaves_the_resync_incomplete),
		cmocka_unit_test(set_chunks_side_by_side_go_as_runs),
		cmocka_unit_test(one_chunk_per_request_without_runs),
		cmocka_unit_test(rate_limit_cuts_runs),
		cmocka_unit_test(run_in_flight_when_checksum_resync_turns_on_goes_as_data),
		cmocka_unit_test(window_bounds_the_bytes_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
