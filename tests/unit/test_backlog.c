/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_backlog.c - mode = async over a slow link (mirrord/backlog.c,
 * send.c, async.c) on the fake I/O loop (fake_io.h): a batch read while
 * the other channel buffer still waits for the socket is copied and the
 * reading goes on (memory, under async-buffer); beyond it, batches go to
 * the spill file, are read back one at a time and reach the wire in the
 * order the kernel handed them out, also while new batches keep coming;
 * a record that reads back corrupt or a spill write that fails drops the
 * link (the bitmap has the writes); with both layers full, on-congestion
 * decides; an unusable spill path leaves the memory layer alone; the
 * backlog's ring grows past its first size.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "fake_io.h"

#define LEN	(64u * 1024u)
#define SLOT(n)	((9ull << 32) | (n))

static char spill_path[64];

/* An async primary with async-buffer bytes of memory and, with spill, a
 * spill file of 16 MiB. */
static struct repl *primary(uint64_t buffer, bool spill)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	r->res->mode = MD_MODE_ASYNC;
	r->res->async_buffer = buffer;
	if (spill) {
		int fd;

		snprintf(spill_path, sizeof(spill_path), "/tmp/md_test_spill_XXXXXX");
		fd = mkstemp(spill_path);
		assert_true(fd >= 0);
		close(fd);
		snprintf(r->res->async_spill, sizeof(r->res->async_spill), "%s", spill_path);
		r->res->async_spill_size = 16u << 20;
	}
	r->hs.peer_features |= MDW_FEAT_ASYNC;
	as_connected(r);
	bl_connected(r);
	send_start(r);
	return r;
}

static void done(struct repl *r)
{
	fake_repl_free(r);
	if (spill_path[0])
		unlink(spill_path);
	spill_path[0] = '\0';
}

static bool reading(struct repl *r)
{
	return fake_find_fd(r->io, IO_READ, r->dev.ctl_fd) != NULL;
}

/* The kernel hands the daemon one async write of LEN at off (a read of
 * the channel must be posted); nothing is sent. */
static void batch(struct repl *r, uint32_t slot, uint64_t off)
{
	static char buf[sizeof(struct md_chan_req) + LEN];
	struct md_chan_req q = { .id = SLOT(slot % MD_MAX_INFLIGHT), .offset = off, .op = MD_OP_WRITE, .len = LEN,
				 .flags = MD_RF_ASYNC };

	assert_true(reading(r));
	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), (int)(off / LEN), q.len);
	fake_read(r->io, r->dev.ctl_fd, buf, sizeof(buf));
}

/* The spill file's queued writes and reads, done for real; how many. */
static unsigned spill_io(struct repl *r)
{
	struct io_op *op;
	unsigned n = 0;

	while (r->bl.fd >= 0 && ((op = fake_find_fd(r->io, IO_WRITE, r->bl.fd)) ||
				 (op = fake_find_fd(r->io, IO_READ, r->bl.fd)))) {
		ssize_t res = op->kind == IO_WRITE ? pwrite(op->fd, op->buf, op->len, (off_t)op->off) :
						      pread(op->fd, op->buf, op->len, (off_t)op->off);

		fake_complete(r->io, op, res < 0 ? -errno : (int)res);
		n++;
	}
	return n;
}

/* Everything to the wire, the spill file's I/O done as it comes. */
static void drain(struct repl *r)
{
	do
		fake_send_all(r->io);
	while (spill_io(r) && !r->conn.failing);
}

/* The DATA packets on the wire: their offsets are next*LEN, next+1, ...
 * each with its own bytes; returns the next expected. */
static uint32_t wire_in_order(struct repl *r, uint32_t next)
{
	uint16_t type;
	const char *body;
	uint32_t len;

	while (fake_wire_next(r->io, &type, &body, &len)) {
		struct md_data_info d;

		if (type != MDW_DATA)
			continue;
		assert_int_equal(mdw_data_decode(body, len, &d), 0);
		assert_int_equal(d.offset, (uint64_t)next * LEN);
		assert_int_equal((unsigned char)body[len - 1], next & 0xff);
		next++;
	}
	return next;
}

/* Before: both channel buffers waited for the socket and the reading
 * stopped after two batches, far below async-buffer. */
static void memory_layer_reads_on_behind_a_slow_link(void **state)
{
	struct repl *r = primary(64u << 20, false);
	struct md_lag lag;

	(void)state;
	for (uint32_t i = 0; i < 10; i++)
		batch(r, i, (uint64_t)i * LEN);	/* asserts a read was posted */
	assert_true(reading(r));
	assert_int_equal(r->bl.staged, 9);		/* the first is sent from its buffer */
	assert_true(r->bl.mem_bytes >= 9ull * LEN);
	as_lag(r, &lag);
	assert_int_equal(lag.writes, 10);
	assert_int_equal(lag.spill_bytes, 0);
	drain(r);
	assert_int_equal(wire_in_order(r, 0), 10);
	assert_int_equal(r->bl.mem_bytes, 0);
	done(r);
}

/* Beyond async-buffer, into the file; read back in order while new
 * batches keep coming behind them. */
static void spill_layer_keeps_the_order(void **state)
{
	struct repl *r = primary(1u << 20, true);
	struct md_lag lag;
	uint32_t i, next;

	(void)state;
	assert_true(r->bl.fd >= 0);
	for (i = 0; i < 40; i++)
		batch(r, i, (uint64_t)i * LEN);
	as_lag(r, &lag);
	assert_true(lag.spill_bytes >= 20ull * LEN);
	assert_int_equal(lag.spill_size, 16u << 20);
	assert_true(r->bl.nrecs > 0);
	/* Part of it on the wire, the file's first records written. */
	fake_send(r->io, 5 * LEN);
	spill_io(r);
	next = wire_in_order(r, 0);
	for (; i < 60; i++)
		batch(r, i, (uint64_t)i * LEN);
	drain(r);
	assert_false(r->conn.failing);
	assert_int_equal(wire_in_order(r, next), 60);
	assert_true(r->bl.spilled > 0);
	as_lag(r, &lag);
	assert_int_equal(lag.spill_bytes, 0);
	assert_int_equal(lag.writes, 60);	/* not acknowledged yet */
	done(r);
}

/* The socket takes every batch at once (its buffer is large) but the
 * peer acknowledges none: beyond async-buffer the batches still go to the
 * file, not into the socket (which would hold many MiB over the bound). */
static void spill_beyond_the_buffer_though_the_socket_takes_it(void **state)
{
	struct repl *r = primary(1u << 20, true);
	struct md_lag lag;

	(void)state;
	for (uint32_t i = 0; i < 30; i++) {
		batch(r, i, (uint64_t)i * LEN);
		fake_send_all(r->io);		/* the spill writes not done yet */
	}
	as_lag(r, &lag);
	assert_int_equal(lag.writes, 30);
	assert_true(r->bl.spilled >= 10);
	assert_int_equal(lag.spill_bytes, r->bl.spilled * LEN);
	assert_int_equal(wire_in_order(r, 0), 30 - r->bl.spilled);
	drain(r);					/* read back when written */
	assert_int_equal(wire_in_order(r, 30 - (uint32_t)r->bl.spilled), 30);
	done(r);
}

/* A record that reads back other than written: the link drops (the
 * writes are in the bitmap) rather than sending wrong data. */
static void spill_corrupt_record_drops_the_link(void **state)
{
	struct repl *r = primary(1u << 20, true);
	struct io_op *op;
	uint32_t i;

	(void)state;
	for (i = 0; i < 24; i++)
		batch(r, i, (uint64_t)i * LEN);
	assert_true(r->bl.nrecs > 0);
	/* The first record written: its read back is posted at once (the
	 * send queue is low); the bytes change before it runs. */
	op = fake_find_fd(r->io, IO_WRITE, r->bl.fd);
	fake_complete(r->io, op, pwrite(op->fd, op->buf, op->len, (off_t)op->off));
	assert_non_null(r->bl.reading);
	assert_int_equal(pwrite(r->bl.fd, "X", 1, (off_t)op->off + 100), 1);
	drain(r);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "read back corrupt"));
	done(r);
}

static void spill_write_error_drops_the_link(void **state)
{
	struct repl *r = primary(1u << 20, true);
	struct io_op *op;

	(void)state;
	for (uint32_t i = 0; i < 24 && !(op = fake_find_fd(r->io, IO_WRITE, r->bl.fd)); i++)
		batch(r, i, (uint64_t)i * LEN);
	assert_non_null(op = fake_find_fd(r->io, IO_WRITE, r->bl.fd));
	fake_complete(r->io, op, -EIO);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "async-spill: writing"));
	assert_non_null(strstr(r->conn.fail_reason, "Input/output error"));
	done(r);
}

/* Memory and file full: block holds the reads; disconnect drops the link
 * and says both were full. */
static void both_layers_full_then_on_congestion(void **state)
{
	(void)state;
	for (int how = MD_CONG_BLOCK; how <= MD_CONG_DISCONNECT; how++) {
		struct repl *r = primary(1u << 20, true);
		uint32_t i;

		r->res->on_congestion = how;
		for (i = 0; i < 400 && reading(r) && !r->conn.failing; i++) {
			batch(r, i, (uint64_t)i * LEN);
			spill_io(r);		/* the spill disk keeps up */
		}
		assert_true(i > 150 && i < 400);	/* 1 MiB + most of 16 MiB */
		if (how == MD_CONG_BLOCK) {
			assert_false(r->conn.failing);
			assert_false(reading(r));
			drain(r);			/* on the wire, not acknowledged: */
			assert_false(reading(r));	/* still held */
			assert_int_equal(wire_in_order(r, 0), i);
		} else {
			assert_true(r->conn.failing);
			assert_non_null(strstr(r->conn.fail_reason, "and the spill file"));
		}
		done(r);
	}
}

/* The spill disk lags: the copies on their way into the file are
 * bounded (mirrord's memory is locked); its writes let the reads go on. */
static void slow_spill_disk_holds_the_reads(void **state)
{
	struct repl *r = primary(1u << 20, true);
	uint32_t i;

	(void)state;
	for (i = 0; i < 400 && reading(r); i++)
		batch(r, i, (uint64_t)i * LEN);
	assert_true(i < 200);
	assert_true(r->bl.writing > 0);
	assert_false(r->conn.failing);
	spill_io(r);
	assert_true(reading(r));
	drain(r);
	assert_int_equal(wire_in_order(r, 0), i);
	done(r);
}

/* A spill path that cannot be a file: said, the memory layer works. */
static void unusable_spill_path_keeps_memory(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	(void)state;
	r->res->mode = MD_MODE_ASYNC;
	r->res->async_buffer = 1u << 20;
	snprintf(r->res->async_spill, sizeof(r->res->async_spill), "/tmp");
	r->res->async_spill_size = 16u << 20;
	r->hs.peer_features |= MDW_FEAT_ASYNC;
	as_connected(r);
	bl_connected(r);
	send_start(r);
	assert_int_equal(r->bl.fd, -1);
	for (uint32_t i = 0; i < 16; i++)
		batch(r, i, (uint64_t)i * LEN);
	assert_false(reading(r));			/* async-buffer reached: block */
	assert_false(r->conn.failing);
	drain(r);
	assert_int_equal(wire_in_order(r, 0), 16);
	done(r);
}

/* A spill file others may read (made by someone else in a shared
 * directory, or chmod'ed): not used, its data would be theirs to read.
 * Nor one that is not a spill file. */
static void spill_file_of_others_or_not_ours_is_refused(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);
	int fd;

	(void)state;
	snprintf(spill_path, sizeof(spill_path), "/tmp/md_test_spill_XXXXXX");
	assert_true((fd = mkstemp(spill_path)) >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	r->res->mode = MD_MODE_ASYNC;
	snprintf(r->res->async_spill, sizeof(r->res->async_spill), "%s", spill_path);
	r->res->async_spill_size = 16u << 20;
	r->hs.peer_features |= MDW_FEAT_ASYNC;
	as_connected(r);
	bl_connected(r);
	assert_int_equal(r->bl.fd, -1);
	/* A file of ours that is not a spill file (a mistyped path): kept
	 * as it is, not used. */
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(pwrite(fd, "precious", 8, 0), 8);
	bl_connected(r);
	assert_int_equal(r->bl.fd, -1);
	{
		char back[9] = "";
		struct stat st;

		assert_int_equal(pread(fd, back, 8, 0), 8);
		assert_string_equal(back, "precious");
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_size, 8);
	}
	/* Emptied, it becomes one; and one made before is used again. */
	assert_int_equal(ftruncate(fd, 0), 0);
	bl_connected(r);
	assert_true(r->bl.fd >= 0);
	bl_fini(r);
	bl_connected(r);
	assert_true(r->bl.fd >= 0);
	close(fd);
	done(r);
}

/* More writes behind than the ring's first size: it doubles, and the
 * ACKs still find their entries. */
static void ring_grows_past_its_first_size(void **state)
{
	struct repl *r = primary(16ull << 30, false);
	struct md_chan_req q = { .op = MD_OP_WRITE, .len = 512, .flags = MD_RF_ASYNC };
	uint32_t n = AS_RING + 1000;
	uint64_t first = 0, id = 0;
	struct md_lag lag;

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		assert_true(as_room(r));
		q.offset = (uint64_t)i * 512;
		id = as_take(r, &q);
		if (!i)
			first = id;
	}
	assert_true(r->as.cap > AS_RING);
	as_lag(r, &lag);
	assert_int_equal(lag.writes, n);
	/* The newest first: nothing leaves; then every one in order. */
	assert_int_equal(as_acked(r, id, 0), 1);
	for (uint32_t i = 0; i + 1 < n; i++)
		assert_int_equal(as_acked(r, first + ((uint64_t)i << 32), 0), 1);
	as_lag(r, &lag);
	assert_int_equal(lag.writes, 0);
	done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memory_layer_reads_on_behind_a_slow_link),
		cmocka_unit_test(spill_layer_keeps_the_order),
		cmocka_unit_test(spill_beyond_the_buffer_though_the_socket_takes_it),
		cmocka_unit_test(spill_corrupt_record_drops_the_link),
		cmocka_unit_test(spill_write_error_drops_the_link),
		cmocka_unit_test(both_layers_full_then_on_congestion),
		cmocka_unit_test(slow_spill_disk_holds_the_reads),
		cmocka_unit_test(unusable_spill_path_keeps_memory),
		cmocka_unit_test(spill_file_of_others_or_not_ours_is_refused),
		cmocka_unit_test(ring_grows_past_its_first_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
