/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_resync_done.c - the end of a resync on both sides (mirrord/resync.c)
 * on a fake I/O loop and a fake kernel (fake_io.h): nothing says "in sync"
 * before the data it speaks of is durable.
 *
 *   source: a fresh, empty snapshot -> IO_FSYNC of our disk -> RS_DONE with
 *           our generation, and the superblock records the sync.  A failed
 *           flush (or an unreadable superblock) sends no RS_DONE.
 *   target: RS_DONE -> IO_FSYNC of our disk -> the superblock says up to
 *           date with the source's generation, and exactly the marks we
 *           sent in our bitmap are cleared.  A write that failed during
 *           the resync, or a failed flush, keeps the copy inconsistent.
 *           An RS_DONE whose count differs from what arrived, or that
 *           comes before every chunk of our bitmap did (a digest that
 *           differed counts only with its DATA), is refused; so is a
 *           resync packet that is not one whole chunk.  RS_DONE waits for
 *           the resync writes and digest reads still running: no flush,
 *           no verdict before the last one completed.
 *
 * Each test completes the flush itself, so it sees the state on both
 * sides of that moment.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <xxhash.h>
#include "fake_io.h"

#define PEER_GEN	0x5eed0001ull	/* the source's generation in its RS_DONE */

static char pkt[MDW_DATA_FRAME + MD_MAX_IO_BYTES + FAKE_CHUNK];

static void mark(uint64_t c)
{
	fake_kernel.oos[c / 64] |= 1ull << (c % 64);
}

static bool marked(uint64_t c)
{
	return fake_kernel.oos[c / 64] >> (c % 64) & 1;
}

/* The only IO_FSYNC queued: on our data disk. */
static struct io_op *expect_flush(struct repl *r)
{
	struct io_op *op = fake_find(r->io, IO_FSYNC, -1);

	assert_non_null(op);
	assert_int_equal(op->fd, r->dev.disk_fd);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 1);
	return op;
}

/* ---- source ---- */

static int sb_set_survivor(struct md_super *sb, void *arg)
{
	(void)arg;
	sb->flags |= MD_SBF_SURVIVOR;
	return 1;
}

/* A resync source with nothing left to copy: the target's bitmap is in,
 * and the first kick finds the fresh snapshot empty.  The superblock
 * carries a flag the end of the resync clears (MD_SBF_SURVIVOR). */
static struct repl *source_at_the_end(struct md_super *before)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	assert_true(sb_update(r, sb_set_survivor, NULL) >= 0);
	r->hs.decision = MD_SYNC_SOURCE_BITMAP;
	assert_int_equal(sync_begin(r), 0);
	send_start(r);
	assert_int_equal(handle_bitmap_end(r, NULL, 0), 1);
	assert_int_equal(r->rs.total, 0);
	*before = fake_sb(r);
	rs_kick(r);
	return r;
}

/* The superblock says nothing of the resync's end: sync time, flags and
 * generations as they were. */
static void expect_sb_not_synced(struct repl *r, const struct md_super *before)
{
	struct md_super sb = fake_sb(r);

	assert_int_equal(sb.flags, before->flags);
	assert_true(sb.flags & MD_SBF_SURVIVOR);
	assert_int_equal(sb.time_last_sync, before->time_last_sync);
	assert_int_equal(sb.gen_current, FAKE_GEN);
	assert_int_equal(sb.gen_bitmap, FAKE_GEN_BITMAP);
	assert_int_equal(sb.gen_history[0], before->gen_history[0]);
}

static void source_flushes_before_rs_done(void **state)
{
	struct repl *r;
	struct md_super before, sb;
	struct io_op *flush;
	const char *body;
	uint32_t len;
	uint64_t gen, sent;

	(void)state;
	r = source_at_the_end(&before);

	flush = expect_flush(r);
	assert_false(fake_on_wire(r, MDW_RS_DONE));
	assert_true(r->rs.active);
	assert_int_equal(fake_sb(r).seq, before.seq);	/* not written at all */
	expect_sb_not_synced(r, &before);

	fake_complete(r->io, flush, 0);
	fake_send_all(r->io);
	body = fake_wire_expect(r->io, MDW_RS_DONE, &len);
	assert_int_equal(mdw_rs_done_decode(body, len, &gen, &sent), 0);
	assert_int_equal(gen, FAKE_GEN);
	assert_int_equal(sent, 0);	/* nothing was left to copy */
	assert_false(r->rs.active);
	assert_false(r->conn.failing);
	assert_int_equal(r->hs.decision, MD_SYNC_NONE);
	/* Issue 25: the resync's bitmaps are freed when it ends. */
	assert_null(r->rs.snap);
	assert_null(r->rs.bad);
	sb = fake_sb(r);
	assert_false(sb.flags & MD_SBF_SURVIVOR);
	assert_int_not_equal(sb.time_last_sync, 0);
	assert_int_equal(sb.gen_bitmap, 0);
	assert_int_equal(sb.gen_history[0], FAKE_GEN_BITMAP);
	fake_repl_free(r);
}

static void source_flush_error_sends_no_rs_done(void **state)
{
	struct repl *r;
	struct md_super before;

	(void)state;
	r = source_at_the_end(&before);

	fake_complete(r->io, expect_flush(r), -EIO);
	assert_false(fake_on_wire(r, MDW_RS_DONE));
	assert_true(r->conn.failing);
	expect_sb_not_synced(r, &before);
	fake_repl_free(r);
}

/* While the flush runs, a kick neither copies a chunk marked meanwhile
 * nor ends the resync a second time. */
static void source_kick_during_the_flush_does_nothing(void **state)
{
	struct repl *r;
	struct md_super before;
	struct io_op *flush;

	(void)state;
	r = source_at_the_end(&before);

	flush = expect_flush(r);
	rs_kick(r);
	assert_ptr_equal(expect_flush(r), flush);
	mark(9);
	rs_kick(r);
	assert_ptr_equal(expect_flush(r), flush);
	assert_int_equal(fake_kernel.nresync, 0);
	assert_false(fake_on_wire(r, MDW_RS_DONE));
	assert_false(r->conn.failing);

	fake_complete(r->io, flush, 0);
	assert_true(fake_on_wire(r, MDW_RS_DONE));
	fake_repl_free(r);
}

/*
 * The superblock cannot be read when the resync ends: RS_DONE would carry
 * whatever bytes the control buffer held where the generation belongs,
 * and the target would adopt them as its gen_current.  No RS_DONE goes
 * out; the resync ends incomplete.
 */
static void source_unreadable_metadata_sends_no_rs_done(void **state)
{
	struct repl *r;
	struct md_super before;
	struct io_op *flush;
	const char *body;
	uint16_t t;
	uint32_t len;
	uint64_t gen, sent;

	(void)state;
	r = source_at_the_end(&before);

	flush = expect_flush(r);
	fake_send_all(r->io);
	for (int i = 0; i < 2; i++)
		memset(r->tx.ctl[i].buf + r->tx.ctl[i].len, 0xab, CBUF_SIZE - r->tx.ctl[i].len);
	close(r->dev.meta_fd);
	r->dev.meta_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(r->dev.meta_fd >= 0);

	fake_complete(r->io, flush, 0);
	fake_send_all(r->io);
	while (fake_wire_next(r->io, &t, &body, &len)) {
		if (t != MDW_RS_DONE)
			continue;
		assert_int_equal(mdw_rs_done_decode(body, len, &gen, &sent), 0);
		fail_msg("RS_DONE sent with generation %#llx from an unread superblock",
			 (unsigned long long)gen);
	}
	assert_false(r->rs.active);
	assert_int_equal(r->hs.decision, MD_SYNC_NONE);
	assert_non_null(strstr(r->conn.fail_reason, "resync incomplete"));
	assert_non_null(strstr(r->conn.fail_reason, "metadata"));
	fake_repl_free(r);
}

/* ---- target ---- */

/* A resync target whose kernel bitmap holds the chunks given: marked
 * inconsistent, its bitmap sent (and checked on the wire). */
static struct repl *target(const uint64_t *chunks, unsigned n)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	uint64_t start, got = 0;
	const unsigned char *words;
	const char *body;
	uint32_t nbits, len;
	uint16_t t;

	for (unsigned i = 0; i < n; i++)
		mark(chunks[i]);
	r->hs.decision = MD_SYNC_TARGET_BITMAP;
	assert_int_equal(sync_begin(r), 0);
	assert_true(r->rs.active && !r->rs.source);
	assert_int_equal(fake_sb(r).disk_state, MD_DISK_INCONSISTENT);

	/* The bitmap on the wire holds exactly the chunks marked. */
	fake_send_all(r->io);
	while (fake_wire_next(r->io, &t, &body, &len) && t == MDW_BITMAP) {
		assert_int_equal(mdw_bitmap_decode(body, len, FAKE_NCHUNKS, &start, &nbits, &words), 0);
		for (uint32_t i = 0; i < nbits; i++)
			if (words[i / 8] >> (i % 8) & 1) {
				bool want = false;

				for (unsigned k = 0; k < n; k++)
					want |= chunks[k] == start + i;
				assert_true(want);
				got++;
			}
	}
	assert_int_equal(t, MDW_BITMAP_END);
	assert_int_equal(got, n);
	return r;
}

static int rs_done(struct repl *r, uint64_t gen, uint64_t sent)
{
	char body[sizeof(struct mdw_rs_done)];

	mdw_rs_done_encode(body, gen, sent);
	return handle_rs_done(r, body, sizeof(body));
}

/* One resync DATA packet (chunk c, whole, as the source's kernel reads
 * it) to the apply path; returns its disk write. */
static struct io_op *resync_write(struct repl *r, uint64_t id, uint64_t c)
{
	const char *body;
	size_t n = fake_data_packet(pkt, id, c * FAKE_CHUNK, FAKE_CHUNK, MDW_DF_RESYNC, 'r', &body);
	struct io_op *op;

	assert_int_equal(handle_data(r, body, (uint32_t)(n - sizeof(struct mdw_hdr))), 1);
	op = fake_find(r->io, IO_WRITE, (int64_t)(c * FAKE_CHUNK));
	assert_non_null(op);
	return op;
}

/* Both chunks of the usual bitmap (5, 700) arrived and were written. */
static void both_chunks_arrive(struct repl *r)
{
	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	fake_complete(r->io, resync_write(r, 2, 700), FAKE_CHUNK);
}

/* The copy is still what sync_begin made it: inconsistent, our own
 * generation, no mark cleared. */
static void expect_target_not_synced(struct repl *r)
{
	struct md_super sb = fake_sb(r);

	assert_int_equal(sb.disk_state, MD_DISK_INCONSISTENT);
	assert_int_equal(sb.gen_current, FAKE_GEN);
	assert_int_equal(fake_kernel.nclear_oos, 0);
	assert_true(marked(5));
	assert_true(marked(700));
}

/* The resync of chunks 5 and 700 ended well: up to date with the
 * source's generation, both marks cleared, the connection up. */
static void expect_target_synced(struct repl *r)
{
	struct md_super sb = fake_sb(r);

	assert_int_equal(sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(sb.gen_current, PEER_GEN);
	assert_false(marked(5));
	assert_false(marked(700));
	assert_false(r->rs.active);
	assert_false(r->conn.failing);
}

static void target_flushes_before_saying_uptodate(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);
	struct io_op *flush;
	struct md_super sb;

	(void)state;
	both_chunks_arrive(r);
	mark(9);	/* marked after our bitmap went out: not repaired by this resync */
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);

	flush = expect_flush(r);
	expect_target_not_synced(r);

	fake_complete(r->io, flush, 0);
	sb = fake_sb(r);
	assert_int_equal(sb.disk_state, MD_DISK_UPTODATE);
	assert_int_equal(sb.gen_current, PEER_GEN);
	assert_int_equal(sb.gen_bitmap, 0);
	assert_int_not_equal(sb.time_last_sync, 0);
	assert_false(marked(5));
	assert_false(marked(700));
	assert_true(marked(9));
	assert_false(r->rs.active);
	assert_false(r->conn.failing);
	assert_int_equal(r->hs.decision, MD_SYNC_NONE);
	assert_null(r->rs.snap);	/* freed when the resync ended */
	assert_null(r->rs.got);
	fake_repl_free(r);
}

/* A full resync is recorded as one (status: last_full_sync), which needs
 * the decision still known when the superblock is written. */
static void target_full_records_the_full_sync(void **state)
{
	const uint64_t c[] = { 5 };
	struct repl *r = target(c, 1);
	struct io_op *flush;

	(void)state;
	r->hs.decision = MD_SYNC_TARGET_FULL;
	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	assert_int_equal(fake_sb(r).time_last_full_sync, 0);
	assert_int_equal(rs_done(r, PEER_GEN, 1), 1);
	flush = expect_flush(r);
	fake_complete(r->io, flush, 0);
	assert_int_equal(fake_sb(r).disk_state, MD_DISK_UPTODATE);
	assert_int_not_equal(fake_sb(r).time_last_full_sync, 0);
	assert_int_equal(r->hs.decision, MD_SYNC_NONE);
	fake_repl_free(r);
}

/* A resync write failed on our disk: the flush succeeding does not make
 * the copy whole. */
static void target_with_a_failed_write_stays_inconsistent(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);

	(void)state;
	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	fake_complete(r->io, resync_write(r, 2, 700), -EIO);
	assert_true(r->ap.disk_failed);
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);

	fake_complete(r->io, expect_flush(r), 0);
	expect_target_not_synced(r);
	assert_false(r->rs.active);
	fake_repl_free(r);
}

/* Chunk 5 written, chunk 700's write still running when RS_DONE comes
 * (a source that does not wait for our ACK, or a forged end); returns
 * that write. */
static struct io_op *rs_done_before_the_last_write(struct repl *r)
{
	struct io_op *last;

	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	last = resync_write(r, 2, 700);
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);
	return last;
}

/* Let the disk finish a flush if one was queued. */
static void complete_any_flush(struct repl *r)
{
	struct io_op *flush = fake_find(r->io, IO_FSYNC, -1);

	if (flush)
		fake_complete(r->io, flush, 0);
}

/*
 * The flush waits for the last write, since a flush covers only writes
 * that completed, and nothing says up to date before.
 */
static void target_waits_for_the_last_write_before_flushing(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);
	struct io_op *last, *flush;

	(void)state;
	last = rs_done_before_the_last_write(r);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);
	expect_target_not_synced(r);
	assert_true(r->rs.active);
	assert_false(r->conn.failing);

	fake_complete(r->io, last, FAKE_CHUNK);
	flush = expect_flush(r);
	expect_target_not_synced(r);
	fake_complete(r->io, flush, 0);
	expect_target_synced(r);
	fake_repl_free(r);
}

/* The same, and the last write fails once RS_DONE is in: the copy stays
 * inconsistent with its marks, and no flush in between said otherwise. */
static void target_last_write_failing_after_rs_done_stays_inconsistent(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);
	struct io_op *last;

	(void)state;
	last = rs_done_before_the_last_write(r);
	complete_any_flush(r);	/* one queued already would finish first */
	expect_target_not_synced(r);

	fake_complete(r->io, last, -EIO);
	complete_any_flush(r);
	assert_true(r->ap.disk_failed);
	expect_target_not_synced(r);
	assert_false(r->rs.active);
	fake_repl_free(r);
}

/* The connection fails while the last write runs: the resync ends
 * there, nothing is flushed or recorded, the next connect resyncs. */
static void target_connection_lost_before_the_last_write_completed(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);
	struct io_op *last;

	(void)state;
	last = rs_done_before_the_last_write(r);
	conn_fail(r, "test: link lost");
	fake_complete(r->io, last, FAKE_CHUNK);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);
	expect_target_not_synced(r);
	fake_repl_free(r);
}

/* A resync write queued behind an overlapping application write (apply.c
 * keeps their order) has not even reached the disk when RS_DONE comes:
 * the flush waits for both. */
static void target_waits_for_a_resync_write_queued_behind_another(void **state)
{
	const uint64_t c[] = { 5 };
	struct repl *r = target(c, 1);
	const char *body;
	size_t n = fake_data_packet(pkt, 1, 5 * FAKE_CHUNK + 4096, 4096, 0, 'a', &body);
	struct io_op *app, *rs;

	(void)state;
	assert_int_equal(handle_data(r, body, (uint32_t)(n - sizeof(struct mdw_hdr))), 1);
	app = fake_find(r->io, IO_WRITE, 5 * FAKE_CHUNK + 4096);
	assert_non_null(app);
	n = fake_data_packet(pkt, 2, 5 * FAKE_CHUNK, FAKE_CHUNK, MDW_DF_RESYNC, 'r', &body);
	assert_int_equal(handle_data(r, body, (uint32_t)(n - sizeof(struct mdw_hdr))), 1);
	assert_null(fake_find(r->io, IO_WRITE, 5 * FAKE_CHUNK));	/* waits for app */
	assert_int_equal(rs_done(r, PEER_GEN, 1), 1);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);

	fake_complete(r->io, app, 4096);
	rs = fake_find(r->io, IO_WRITE, 5 * FAKE_CHUNK);
	assert_non_null(rs);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);
	fake_complete(r->io, rs, FAKE_CHUNK);
	fake_complete(r->io, expect_flush(r), 0);
	assert_int_equal(fake_sb(r).disk_state, MD_DISK_UPTODATE);
	assert_false(marked(5));
	fake_repl_free(r);
}

/* A failed flush: flush_failed's policy, a full rebuild on the next
 * connect. */
static void target_flush_error_marks_for_a_full_rebuild(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);
	uint32_t want = MD_SBF_DISCARD | MD_SBF_FULL;

	(void)state;
	both_chunks_arrive(r);
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);
	fake_complete(r->io, expect_flush(r), -EIO);
	expect_target_not_synced(r);
	assert_int_equal(fake_sb(r).flags & want, want);
	assert_false(r->rs.active);
	fake_repl_free(r);
}

static void target_second_rs_done_fails_the_connection(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);

	(void)state;
	both_chunks_arrive(r);
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);
	expect_flush(r);
	assert_int_equal(rs_done(r, PEER_GEN, 2), -1);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "RS_DONE"));
	expect_flush(r);	/* still the one */
	expect_target_not_synced(r);
	fake_repl_free(r);
}

/* The RS_DONE refused: the connection fails, nothing is flushed or
 * recorded, the copy stays inconsistent with every mark. */
static void expect_rs_done_refused(struct repl *r, const char *why)
{
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, why));
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);
	expect_target_not_synced(r);
	fake_repl_free(r);
}

/* The source counts more than arrived (a packet lost between its send
 * and our apply, or a forged count): refused. */
static void target_refuses_rs_done_counting_more_than_arrived(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);

	(void)state;
	both_chunks_arrive(r);
	assert_int_equal(rs_done(r, PEER_GEN, 3), -1);
	expect_rs_done_refused(r, "counts 3 resync packets, but 2 arrived");
}

/* The count agrees with what arrived, but chunk 700 of our bitmap never
 * came (a source that ends early, or a forged end): refused. */
static void target_refuses_rs_done_before_every_chunk_arrived(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);

	(void)state;
	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	assert_int_equal(rs_done(r, PEER_GEN, 1), -1);
	expect_rs_done_refused(r, "chunk 700 of our bitmap never arrived");
}

/* An RS_DONE with nothing sent at all, right after our bitmap. */
static void target_refuses_an_immediate_rs_done(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);

	(void)state;
	assert_int_equal(rs_done(r, PEER_GEN, 0), -1);
	expect_rs_done_refused(r, "chunk 5 of our bitmap never arrived");
}

/* An RS_DIGEST for chunk c with the digest of a chunk of 'fill' bytes;
 * returns our disk read, not completed. */
static struct io_op *resync_digest(struct repl *r, uint64_t id, uint64_t c, int fill)
{
	char body[sizeof(struct mdw_rs_digest)];
	struct io_op *rd;

	memset(pkt, fill, FAKE_CHUNK);
	mdw_rs_digest_encode(body, id, c * FAKE_CHUNK, FAKE_CHUNK, XXH3_64bits(pkt, FAKE_CHUNK));
	assert_int_equal(handle_rs_digest(r, body, sizeof(body)), 1);
	rd = fake_find(r->io, IO_READ, (int64_t)(c * FAKE_CHUNK));
	assert_non_null(rd);
	return rd;
}

/* Our disk holds chunk 'fill' bytes: the read completes with them. */
static void complete_read(struct repl *r, struct io_op *rd, int fill)
{
	memset(rd->buf, fill, rd->len);
	fake_complete(r->io, rd, (int)rd->len);
}

/* Checksum resync: a chunk found identical comes as an RS_DIGEST only;
 * it counts as arrived like a DATA. */
static void target_counts_a_digest_as_arrived(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);

	(void)state;
	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	complete_read(r, resync_digest(r, 2, 700, 'd'), 'd');
	assert_true(fake_on_wire(r, MDW_RS_REPLY));
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);
	fake_complete(r->io, expect_flush(r), 0);
	expect_target_synced(r);
	fake_repl_free(r);
}

/*
 * A digest our copy does not match is not the chunk: its DATA must follow
 * before the chunk counts as arrived.  RS_DONE right after the "differs"
 * (a source that skips the DATA, or a forged end), or while our read of
 * the chunk still runs, must not make the stale chunk up to date.
 */
static void target_refuses_rs_done_after_a_differing_digest(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);
	struct io_op *rd;

	(void)state;
	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	rd = resync_digest(r, 2, 700, 'd');
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);	/* decided once the read is back */
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);
	complete_read(r, rd, 's');
	expect_rs_done_refused(r, "chunk 700 of our bitmap never arrived");

	r = target(c, 2);
	fake_complete(r->io, resync_write(r, 1, 5), FAKE_CHUNK);
	complete_read(r, resync_digest(r, 2, 700, 'd'), 's');
	assert_int_equal(rs_done(r, PEER_GEN, 2), -1);
	expect_rs_done_refused(r, "chunk 700 of our bitmap never arrived");
}

/* A resync packet must be one whole chunk, as the source's kernel reads
 * it: part of one would mark the chunk arrived with the rest stale. */
static void target_refuses_part_of_a_chunk(void **state)
{
	const uint64_t c[] = { 5, 700 };
	struct repl *r = target(c, 2);
	char body[sizeof(struct mdw_rs_digest)];
	const char *dbody;
	size_t n;

	(void)state;
	n = fake_data_packet(pkt, 1, 5 * FAKE_CHUNK, 4096, MDW_DF_RESYNC, 'r', &dbody);
	assert_int_equal(handle_data(r, dbody, (uint32_t)(n - sizeof(struct mdw_hdr))), -1);
	assert_non_null(strstr(r->conn.fail_reason, "not a run of whole chunks"));
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);
	fake_repl_free(r);

	/* A run that ends inside a chunk, or longer than MD_MAX_IO_BYTES. */
	r = target(c, 2);
	n = fake_data_packet(pkt, 1, 5 * FAKE_CHUNK, 2 * FAKE_CHUNK + 512, MDW_DF_RESYNC, 'r', &dbody);
	assert_int_equal(handle_data(r, dbody, (uint32_t)(n - sizeof(struct mdw_hdr))), -1);
	assert_non_null(strstr(r->conn.fail_reason, "not a run of whole chunks"));
	fake_repl_free(r);
	r = target(c, 2);
	n = fake_data_packet(pkt, 1, 5 * FAKE_CHUNK, MD_MAX_IO_BYTES + FAKE_CHUNK, MDW_DF_RESYNC, 'r',
			     &dbody);
	assert_int_equal(handle_data(r, dbody, (uint32_t)(n - sizeof(struct mdw_hdr))), -1);
	assert_true(r->conn.failing);	/* refused already as a DATA packet */
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);
	fake_repl_free(r);

	/* A digest answers one chunk: two are refused. */
	r = target(c, 2);
	mdw_rs_digest_encode(body, 2, 5 * FAKE_CHUNK, 2 * FAKE_CHUNK, 0x1234);
	assert_int_equal(handle_rs_digest(r, body, sizeof(body)), -1);
	assert_non_null(strstr(r->conn.fail_reason, "not one whole chunk"));
	fake_repl_free(r);

	r = target(c, 2);
	mdw_rs_digest_encode(body, 2, 700 * FAKE_CHUNK + 512, FAKE_CHUNK, 0x1234);
	assert_int_equal(handle_rs_digest(r, body, sizeof(body)), -1);
	assert_non_null(strstr(r->conn.fail_reason, "not one whole chunk"));
	assert_int_equal(fake_count(r->io, IO_READ), 0);
	fake_repl_free(r);
}

/*
 * A run (MDW_FEAT_RS_RUN, which we offer): one DATA of chunks 5-7 counts
 * each of them arrived, and as one resync packet for RS_DONE's count;
 * with chunk 700 on its own, the resync ends up to date.
 */
static void target_takes_a_run_of_chunks(void **state)
{
	const uint64_t c[] = { 5, 6, 7, 700 };
	struct repl *r = target(c, 4);
	const char *body;
	struct io_op *op, *flush;
	size_t n;

	(void)state;
	assert_true(MDW_FEATURES_SUPPORTED & MDW_FEAT_RS_RUN);
	n = fake_data_packet(pkt, 1, 5 * FAKE_CHUNK, 3 * FAKE_CHUNK, MDW_DF_RESYNC, 'r', &body);
	assert_int_equal(handle_data(r, body, (uint32_t)(n - sizeof(struct mdw_hdr))), 1);
	op = fake_find(r->io, IO_WRITE, (int64_t)(5 * FAKE_CHUNK));
	assert_non_null(op);
	assert_int_equal(op->len, 3 * FAKE_CHUNK);
	assert_int_equal(r->rs.done, 3);
	fake_complete(r->io, op, 3 * FAKE_CHUNK);
	fake_complete(r->io, resync_write(r, 2, 700), FAKE_CHUNK);
	assert_int_equal(r->rs.done, 4);
	assert_int_equal(rs_done(r, PEER_GEN, 2), 1);
	flush = expect_flush(r);
	fake_complete(r->io, flush, 0);
	assert_int_equal(fake_sb(r).disk_state, MD_DISK_UPTODATE);
	for (unsigned i = 0; i < 4; i++)
		assert_false(marked(c[i]));
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* A run that left out a chunk of our bitmap does not end the resync. */
static void target_run_short_of_the_bitmap_refuses_rs_done(void **state)
{
	const uint64_t c[] = { 5, 6, 7 };
	struct repl *r = target(c, 3);
	const char *body;
	size_t n;

	(void)state;
	n = fake_data_packet(pkt, 1, 5 * FAKE_CHUNK, 2 * FAKE_CHUNK, MDW_DF_RESYNC, 'r', &body);
	assert_int_equal(handle_data(r, body, (uint32_t)(n - sizeof(struct mdw_hdr))), 1);
	fake_complete(r->io, fake_find(r->io, IO_WRITE, (int64_t)(5 * FAKE_CHUNK)), 2 * FAKE_CHUNK);
	assert_int_equal(rs_done(r, PEER_GEN, 1), -1);
	assert_non_null(strstr(r->conn.fail_reason, "chunk 7 of our bitmap never arrived"));
	fake_repl_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_flushes_before_rs_done),
		cmocka_unit_test(source_flush_error_sends_no_rs_done),
		cmocka_unit_test(source_kick_during_the_flush_does_nothing),
		cmocka_unit_test(source_unreadable_metadata_sends_no_rs_done),
		cmocka_unit_test(target_flushes_before_saying_uptodate),
		cmocka_unit_test(target_full_records_the_full_sync),
		cmocka_unit_test(target_with_a_failed_write_stays_inconsistent),
		cmocka_unit_test(target_waits_for_the_last_write_before_flushing),
		cmocka_unit_test(target_last_write_failing_after_rs_done_stays_inconsistent),
		cmocka_unit_test(target_waits_for_a_resync_write_queued_behind_another),
		cmocka_unit_test(target_connection_lost_before_the_last_write_completed),
		cmocka_unit_test(target_flush_error_marks_for_a_full_rebuild),
		cmocka_unit_test(target_second_rs_done_fails_the_connection),
		cmocka_unit_test(target_refuses_rs_done_counting_more_than_arrived),
		cmocka_unit_test(target_refuses_rs_done_before_every_chunk_arrived),
		cmocka_unit_test(target_refuses_an_immediate_rs_done),
		cmocka_unit_test(target_counts_a_digest_as_arrived),
		cmocka_unit_test(target_refuses_rs_done_after_a_differing_digest),
		cmocka_unit_test(target_refuses_part_of_a_chunk),
		cmocka_unit_test(target_takes_a_run_of_chunks),
		cmocka_unit_test(target_run_short_of_the_bitmap_refuses_rs_done),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
