/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_apply.c - the secondary applying the peer's writes (mirrord/apply.c)
 * on a fake I/O loop (fake_io.h): overlapping writes reach the disk in
 * arrival order, every write is acknowledged with its own result, flushes
 * and FUA become fdatasync and RWF_DSYNC, and running out of slots or
 * arena stalls the receive stream without losing a packet.
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

#define K	1024u
#define M	(1024u * 1024u)

static char pkt[MDW_DATA_FRAME + MD_MAX_IO_BYTES];

/* One DATA packet from the peer, straight to the handler. */
static int feed(struct repl *r, uint64_t id, uint64_t off, uint32_t len, uint16_t flags, int fill)
{
	const char *body;
	size_t n = fake_data_packet(pkt, id, off, len, flags, fill, &body);

	return handle_data(r, body, (uint32_t)(n - sizeof(struct mdw_hdr)));
}

/* The write submitted for offset off: to our disk, len bytes of fill. */
static struct io_op *expect_write(struct repl *r, uint64_t off, uint32_t len, int fill)
{
	struct io_op *op = fake_find(r->io, IO_WRITE, (int64_t)off);
	const unsigned char *p;

	assert_non_null(op);
	assert_int_equal(op->fd, r->dev.disk_fd);
	assert_int_equal(op->len, len);
	p = op->buf;
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)fill)
			fail_msg("write at %llu: byte %u is %#x, not %#x",
				 (unsigned long long)off, i, p[i], fill);
	return op;
}

static void complete_write(struct repl *r, struct io_op *op)
{
	fake_complete(r->io, op, (int)op->len);
}

/* The next packet the peer gets is ACK(id, status). */
static void expect_ack(struct repl *r, uint64_t id, int32_t status)
{
	const char *body;
	uint16_t type;
	uint32_t len;
	uint64_t got_id;
	int32_t got_status;

	fake_send_all(r->io);
	assert_true(fake_wire_next(r->io, &type, &body, &len));
	assert_int_equal(type, MDW_ACK);
	assert_int_equal(mdw_ack_decode(body, len, &got_id, &got_status), 0);
	assert_int_equal(got_id, id);
	assert_int_equal(got_status, status);
}

static void expect_no_ack(struct repl *r)
{
	fake_send_all(r->io);
	assert_int_equal(fake_wire_unread(r->io), 0);
}

static bool chunk_marked(uint64_t c)
{
	return fake_kernel.oos[c / 64] >> (c % 64) & 1;
}

static void overlapping_write_waits_for_the_earlier_one(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *w1, *w2;

	(void)state;
	assert_int_equal(feed(r, 1, 0, 8 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 2, 4 * K, 8 * K, 0, 'b'), 1);
	w1 = expect_write(r, 0, 8 * K, 'a');
	assert_null(fake_find(r->io, IO_WRITE, 4 * K));
	assert_int_equal(fake_count(r->io, IO_WRITE), 1);
	expect_no_ack(r);

	complete_write(r, w1);
	expect_ack(r, 1, 0);
	w2 = expect_write(r, 4 * K, 8 * K, 'b');
	complete_write(r, w2);
	expect_ack(r, 2, 0);
	expect_no_ack(r);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* Issue [8]: a peer that said it is secondary may not write (only resync
 * data, and only when we are the resync target, reaches our disk). */
static void application_data_from_a_secondary_is_refused(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);

	(void)state;
	r->hs.peer_role = MD_ROLE_SECONDARY;
	assert_int_equal(feed(r, 1, 0, 4 * K, 0, 'x'), -1);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "not primary"));
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);
	fake_repl_free(r);
}

/* The receive buffer (rx.c): a stream of 1 MiB packets cut by receives
 * of 333,333 bytes, so that packets straddle the end of the 4 MiB buffer
 * again and again (the cut packet is moved to the front only then), is
 * written packet by packet, whole, and acknowledged in order. */
static void stream_cut_anywhere_is_written_whole(void **state)
{
	enum { N = 14, CUT = 333333 };
	static char stream[N * (MDW_DATA_FRAME + MD_MAX_IO_BYTES)];
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	size_t total = 0, sent = 0;

	(void)state;
	for (int i = 0; i < N; i++)
		total += fake_data_packet(stream + total, (uint64_t)i + 1, (uint64_t)i * M, M, 0,
					  'a' + i, NULL);
	rx_post(r);
	while (sent < total) {
		struct io_op *op = fake_find(r->io, IO_RECV, -1);
		size_t n = total - sent < CUT ? total - sent : CUT;

		assert_non_null(op);
		assert_true(op->len > 0);	/* room for the rest of the stream */
		if (n > op->len)
			n = op->len;
		fake_recv(r->io, stream + sent, n);
		sent += n;
	}
	for (int i = 0; i < N; i++) {
		struct io_op *w = expect_write(r, (uint64_t)i * M, M, 'a' + i);

		complete_write(r, w);
		expect_ack(r, (uint64_t)i + 1, 0);
	}
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* data-integrity on: a sealed DATA packet is written; one with a bit
 * flipped on the way is not, and the connection is reset (the primary
 * then marks what was unacknowledged); the ACKs we send are sealed. */
static void integrity_catches_a_flipped_bit_before_the_disk(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct iovec iov;
	size_t n;
	const char *body;
	uint16_t type;
	uint32_t len;
	struct io_op *w;

	(void)state;
	r->hs.integrity = true;
	rx_post(r);
	n = fake_data_packet(pkt, 1, 0, 4 * K, 0, 'a', NULL);
	iov = (struct iovec){ pkt, n };
	assert_int_equal(mdw_seal(&iov, 1), 0);
	fake_recv(r->io, pkt, n);
	w = expect_write(r, 0, 4 * K, 'a');
	complete_write(r, w);
	fake_send_all(r->io);
	assert_true(fake_wire_next(r->io, &type, &body, &len));	/* the ACK, sealed */
	assert_int_equal(type, MDW_ACK);
	assert_int_equal(mdw_hdr_decode_sealed(body - sizeof(struct mdw_hdr), body, &type, &len), 0);

	n = fake_data_packet(pkt, 2, 8 * K, 4 * K, 0, 'b', NULL);
	iov = (struct iovec){ pkt, n };
	assert_int_equal(mdw_seal(&iov, 1), 0);
	pkt[MDW_DATA_FRAME + 100] ^= 0x04;
	fake_recv(r->io, pkt, n);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "data integrity: a DATA packet"));
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);
	fake_repl_free(r);
}

static void non_overlapping_writes_run_together(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *w1, *w3, *w4, *w5;

	(void)state;
	assert_int_equal(feed(r, 1, 8 * K, 8 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 3, 1 * M, 4 * K, 0, 'c'), 1);
	assert_int_equal(feed(r, 4, 16 * K, 4 * K, 0, 'd'), 1);	/* right after #1 */
	assert_int_equal(feed(r, 5, 0, 8 * K, 0, 'e'), 1);		/* right before #1 */
	w1 = expect_write(r, 8 * K, 8 * K, 'a');
	w3 = expect_write(r, 1 * M, 4 * K, 'c');
	w4 = expect_write(r, 16 * K, 4 * K, 'd');
	w5 = expect_write(r, 0, 8 * K, 'e');
	assert_int_equal(fake_count(r->io, IO_WRITE), 4);

	/* Acks follow completions, not arrival. */
	complete_write(r, w3);
	expect_ack(r, 3, 0);
	complete_write(r, w4);
	expect_ack(r, 4, 0);
	complete_write(r, w1);
	expect_ack(r, 1, 0);
	complete_write(r, w5);
	expect_ack(r, 5, 0);
	expect_no_ack(r);
	fake_repl_free(r);
}

/*
 * #3 overlaps only #2, which waits for #1: it must not overtake #2, or the
 * two disks would end with different bytes at 8K.  #4 overlaps nothing;
 * apply.c keeps arrival order for everything behind a waiting write (one
 * FIFO), so it waits too.
 */
static void waiting_writes_start_in_arrival_order(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *w1, *w2, *w3, *w4;

	(void)state;
	assert_int_equal(feed(r, 1, 0, 8 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 2, 4 * K, 8 * K, 0, 'b'), 1);
	assert_int_equal(feed(r, 3, 8 * K, 8 * K, 0, 'c'), 1);
	assert_int_equal(feed(r, 4, 1 * M, 4 * K, 0, 'd'), 1);
	w1 = expect_write(r, 0, 8 * K, 'a');
	assert_int_equal(fake_count(r->io, IO_WRITE), 1);

	complete_write(r, w1);
	expect_ack(r, 1, 0);
	w2 = expect_write(r, 4 * K, 8 * K, 'b');
	assert_null(fake_find(r->io, IO_WRITE, 8 * K));
	assert_null(fake_find(r->io, IO_WRITE, 1 * M));

	complete_write(r, w2);
	expect_ack(r, 2, 0);
	w3 = expect_write(r, 8 * K, 8 * K, 'c');
	w4 = expect_write(r, 1 * M, 4 * K, 'd');
	complete_write(r, w4);
	complete_write(r, w3);
	expect_ack(r, 4, 0);
	expect_ack(r, 3, 0);
	fake_repl_free(r);
}

static void failed_write_is_acked_with_its_error_and_marked(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *w1, *w2;

	(void)state;
	/* #1 spans chunks 0 and 1; #2 waits for it. */
	assert_int_equal(feed(r, 1, FAKE_CHUNK - 4 * K, 8 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 2, FAKE_CHUNK, 4 * K, 0, 'b'), 1);
	w1 = expect_write(r, FAKE_CHUNK - 4 * K, 8 * K, 'a');
	assert_int_equal(fake_sb(r).disk_state, MD_DISK_UPTODATE);

	fake_complete(r->io, w1, -EIO);
	expect_ack(r, 1, -EIO);
	assert_true(chunk_marked(0));
	assert_true(chunk_marked(1));
	assert_false(chunk_marked(2));
	assert_true(r->ap.disk_failed);
	assert_int_equal(fake_sb(r).disk_state, MD_DISK_INCONSISTENT);
	assert_false(r->conn.failing);	/* the peer keeps the data; we go on */

	/* The failure does not hold up the write behind it.  A short write
	 * is a failure too. */
	w2 = expect_write(r, FAKE_CHUNK, 4 * K, 'b');
	fake_complete(r->io, w2, 2 * K);
	expect_ack(r, 2, -EIO);
	fake_repl_free(r);
}

static void preflush_syncs_before_the_write(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *sync, *w;

	(void)state;
	assert_int_equal(feed(r, 1, 0, 4 * K, MDW_DF_PREFLUSH, 'a'), 1);
	sync = fake_find(r->io, IO_FSYNC, -1);
	assert_non_null(sync);
	assert_int_equal(sync->fd, r->dev.disk_fd);
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);

	fake_complete(r->io, sync, 0);
	expect_no_ack(r);
	w = expect_write(r, 0, 4 * K, 'a');
	assert_int_equal(w->rw_flags, 0);
	complete_write(r, w);
	expect_ack(r, 1, 0);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);
	fake_repl_free(r);
}

static void fua_writes_with_dsync(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *w;

	(void)state;
	assert_int_equal(feed(r, 1, 0, 4 * K, MDW_DF_FUA, 'a'), 1);
	assert_int_equal(feed(r, 2, 1 * M, 4 * K, 0, 'b'), 1);
	assert_int_equal(feed(r, 3, 2 * M, 4 * K, MDW_DF_FUA | MDW_DF_PREFLUSH, 'c'), 1);
	assert_int_equal(expect_write(r, 0, 4 * K, 'a')->rw_flags, RWF_DSYNC);
	assert_int_equal(expect_write(r, 1 * M, 4 * K, 'b')->rw_flags, 0);
	assert_null(fake_find(r->io, IO_WRITE, 2 * M));
	assert_int_equal(fake_count(r->io, IO_FSYNC), 1);

	fake_complete(r->io, fake_find(r->io, IO_FSYNC, -1), 0);
	w = expect_write(r, 2 * M, 4 * K, 'c');
	assert_int_equal(w->rw_flags, RWF_DSYNC);
	fake_repl_free(r);
}

/*
 * mode = async (MDW_DF_BARRIER): a flush with a barrier waits for every
 * write received before it, even one it does not overlap, and the writes
 * received after it wait for it, so that a power cut here never leaves a
 * later write on the disk without an earlier one the flush covered.
 * Without the barrier (sync mode, the application waited for each) the
 * same flush runs at once.
 */
static void barrier_orders_the_writes_around_it(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *w1, *sync, *w2, *w3;

	(void)state;
	assert_int_equal(feed(r, 1, 0, 4 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 2, 1 * M, 4 * K, MDW_DF_PREFLUSH | MDW_DF_BARRIER, 'b'), 1);
	assert_int_equal(feed(r, 3, 2 * M, 4 * K, 0, 'c'), 1);
	w1 = expect_write(r, 0, 4 * K, 'a');
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);	/* waits for w1 */
	assert_null(fake_find(r->io, IO_WRITE, 2 * M));		/* waits for the barrier */
	complete_write(r, w1);
	expect_ack(r, 1, 0);
	sync = fake_find(r->io, IO_FSYNC, -1);
	assert_non_null(sync);
	assert_null(fake_find(r->io, IO_WRITE, 2 * M));
	fake_complete(r->io, sync, 0);
	w2 = expect_write(r, 1 * M, 4 * K, 'b');
	assert_null(fake_find(r->io, IO_WRITE, 2 * M));		/* until the barrier's write ends */
	complete_write(r, w2);
	expect_ack(r, 2, 0);
	w3 = expect_write(r, 2 * M, 4 * K, 'c');
	complete_write(r, w3);
	expect_ack(r, 3, 0);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* A verify's digest read holds a slot too: the barrier that waited for it
 * starts when it ends (before, nothing started it and the peer hung). */
static void barrier_waits_for_a_digest_read_then_starts(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	char body[sizeof(struct mdw_rs_digest)];
	struct io_op *rd, *sync;

	(void)state;
	mdw_rs_digest_encode(body, 9, 0, 4 * K, 0);
	assert_int_equal(handle_vf_digest(r, body, sizeof(body)), 1);
	rd = fake_find(r->io, IO_READ, 0);
	assert_non_null(rd);
	assert_int_equal(feed(r, 1, 1 * M, 0, MDW_DF_PREFLUSH | MDW_DF_BARRIER, 0), 1);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 0);	/* waits for the read */
	fake_complete(r->io, rd, (int)rd->len);
	sync = fake_find(r->io, IO_FSYNC, -1);
	assert_non_null(sync);
	fake_complete(r->io, sync, 0);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* After the link failed, no waiting write starts: what reached the disk
 * is a prefix of what the peer sent, and nothing lands after a takeover. */
static void no_write_starts_once_the_link_failed(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct io_op *w1;

	(void)state;
	assert_int_equal(feed(r, 1, 0, 8 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 2, 4 * K, 8 * K, 0, 'b'), 1);	/* overlaps: waits */
	w1 = expect_write(r, 0, 8 * K, 'a');
	conn_fail(r, "test: the link broke");
	complete_write(r, w1);
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);
	fake_repl_free(r);
}

static void flush_without_barrier_does_not_wait(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);

	(void)state;
	assert_int_equal(feed(r, 1, 0, 4 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 2, 0, 0, MDW_DF_PREFLUSH, 0), 1);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 1);
	assert_int_equal(fake_count(r->io, IO_WRITE), 1);
	fake_repl_free(r);
}

static void empty_flush_is_acked_after_the_sync(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);

	(void)state;
	assert_int_equal(feed(r, 7, 0, 0, MDW_DF_PREFLUSH, 0), 1);
	assert_int_equal(fake_count(r->io, IO_FSYNC), 1);
	expect_no_ack(r);
	fake_complete(r->io, fake_find(r->io, IO_FSYNC, -1), 0);
	expect_ack(r, 7, 0);
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);
	fake_repl_free(r);
}

static void failed_flush_marks_the_copy_for_a_full_rebuild(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	struct md_super sb;

	(void)state;
	assert_int_equal(feed(r, 1, 0, 4 * K, MDW_DF_PREFLUSH, 'a'), 1);
	fake_complete(r->io, fake_find(r->io, IO_FSYNC, -1), -EIO);
	expect_ack(r, 1, -EIO);
	assert_int_equal(fake_count(r->io, IO_WRITE), 0);	/* not written after all */
	assert_true(chunk_marked(0));
	sb = fake_sb(r);
	assert_int_equal(sb.disk_state, MD_DISK_INCONSISTENT);
	assert_int_equal(sb.flags & (MD_SBF_DISCARD | MD_SBF_FULL), MD_SBF_DISCARD | MD_SBF_FULL);
	fake_repl_free(r);
}

/* MAX_APPLY writes in flight: the next packet stays in the receive buffer,
 * no receive is posted, and the first completion lets it in. */
static void full_slots_stall_the_stream_without_losing_a_packet(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	size_t one = MDW_DATA_FRAME + 4 * K, total = (MAX_APPLY + 1) * one;
	char *buf = malloc(total);
	uint64_t last = (uint64_t)MAX_APPLY * 8 * K;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i <= MAX_APPLY; i++)
		fake_data_packet(buf + i * one, i + 1, (uint64_t)i * 8 * K, 4 * K, 0, i & 0xff, NULL);
	rx_post(r);
	fake_recv(r->io, buf, total);
	assert_int_equal(fake_count(r->io, IO_WRITE), MAX_APPLY);
	assert_null(fake_find(r->io, IO_WRITE, (int64_t)last));
	assert_true(r->rx.stalled);
	assert_null(fake_find(r->io, IO_RECV, -1));

	complete_write(r, expect_write(r, 9 * 8 * K, 4 * K, 9));
	expect_ack(r, 10, 0);
	expect_write(r, last, 4 * K, MAX_APPLY & 0xff);
	assert_false(r->rx.stalled);
	assert_non_null(fake_find(r->io, IO_RECV, -1));
	assert_int_equal(fake_count(r->io, IO_WRITE), MAX_APPLY);
	assert_false(r->conn.failing);
	free(buf);
	fake_repl_free(r);
}

/* A resync chunk that had to wait for a slot counts once towards the
 * resync's progress, when it is taken, not each time it is offered. */
static void stalled_resync_data_counts_once(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);

	(void)state;
	r->hs.decision = MD_SYNC_TARGET_BITMAP;
	assert_int_equal(sync_begin(r), 0);
	for (unsigned i = 0; i < MAX_APPLY; i++)
		assert_int_equal(feed(r, i + 1, (uint64_t)i * 8 * K, 4 * K, 0, 'a'), 1);
	assert_int_equal(feed(r, 999, 4 * M, FAKE_CHUNK, MDW_DF_RESYNC, 'r'), 0);
	assert_int_equal(r->rs.done, 0);
	assert_int_equal(r->rs.sent, 0);

	complete_write(r, expect_write(r, 0, 4 * K, 'a'));
	assert_int_equal(feed(r, 999, 4 * M, FAKE_CHUNK, MDW_DF_RESYNC, 'r'), 1);
	expect_write(r, 4 * M, FAKE_CHUNK, 'r');
	assert_int_equal(r->rs.done, 1);
	assert_int_equal(r->rs.sent, 1);	/* what RS_DONE is checked against */
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* The arena (ARENA_SIZE) full of 1 MiB writes: the same, with slots free. */
static void full_arena_stalls_the_stream_without_losing_a_packet(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	unsigned fit = ARENA_SIZE / MD_MAX_IO_BYTES;
	size_t n;

	(void)state;
	rx_post(r);
	for (unsigned i = 0; i <= fit; i++) {
		n = fake_data_packet(pkt, i + 1, (uint64_t)i * M, M, 0, 'a' + i, NULL);
		fake_recv(r->io, pkt, n);
	}
	assert_int_equal(fake_count(r->io, IO_WRITE), fit);
	assert_null(fake_find(r->io, IO_WRITE, (int64_t)fit * M));
	assert_true(r->rx.stalled);
	assert_null(fake_find(r->io, IO_RECV, -1));

	complete_write(r, expect_write(r, 5 * M, M, 'a' + 5));
	expect_ack(r, 6, 0);
	expect_write(r, (uint64_t)fit * M, M, 'a' + fit);
	assert_non_null(fake_find(r->io, IO_RECV, -1));
	fake_repl_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overlapping_write_waits_for_the_earlier_one),
		cmocka_unit_test(application_data_from_a_secondary_is_refused),
		cmocka_unit_test(stream_cut_anywhere_is_written_whole),
		cmocka_unit_test(integrity_catches_a_flipped_bit_before_the_disk),
		cmocka_unit_test(non_overlapping_writes_run_together),
		cmocka_unit_test(waiting_writes_start_in_arrival_order),
		cmocka_unit_test(failed_write_is_acked_with_its_error_and_marked),
		cmocka_unit_test(preflush_syncs_before_the_write),
		cmocka_unit_test(fua_writes_with_dsync),
		cmocka_unit_test(empty_flush_is_acked_after_the_sync),
		cmocka_unit_test(barrier_orders_the_writes_around_it),
		cmocka_unit_test(flush_without_barrier_does_not_wait),
		cmocka_unit_test(barrier_waits_for_a_digest_read_then_starts),
		cmocka_unit_test(no_write_starts_once_the_link_failed),
		cmocka_unit_test(failed_flush_marks_the_copy_for_a_full_rebuild),
		cmocka_unit_test(full_slots_stall_the_stream_without_losing_a_packet),
		cmocka_unit_test(full_arena_stalls_the_stream_without_losing_a_packet),
		cmocka_unit_test(stalled_resync_data_counts_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
