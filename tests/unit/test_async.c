/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_async.c - mode = async on the primary (mirrord/async.c, send.c) on
 * the fake I/O loop (fake_io.h): a write the kernel completed when read
 * (MD_RF_ASYNC) goes out under an id of the backlog, not the kernel's
 * slot; its ACK ends the entry and tells the kernel only that the backlog
 * moved; a failed one is marked out of sync; async-buffer stops the
 * channel reads until an ACK makes room, and so does max-lag while the
 * oldest entry is older; the backlog has its own progress
 * timeout, and the held requests behind it wait for it; on-congestion
 * disconnect and pull-ahead fail the link instead of holding (not during
 * the catch-up resync, nor for max-lag), pull-ahead with a hold-off that
 * grows while congestion repeats.
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

#define SLOT_ID(slot)	((7ull << 32) | (slot))
#define LEN		(64u * 1024u)

/* The kernel hands a write at off to the daemon; it is sent at once.  The
 * DATA packet's id and flags come back. */
static uint64_t kernel_write(struct repl *r, uint64_t id, uint64_t off, uint16_t flags,
			     uint16_t *wflags)
{
	static char buf[sizeof(struct md_chan_req) + LEN];
	struct md_chan_req q = { .id = id, .offset = off, .op = MD_OP_WRITE, .len = LEN,
				 .flags = flags };
	struct md_data_info d;
	const char *body;
	uint32_t len;

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), 'w', q.len);
	fake_read(r->io, r->dev.ctl_fd, buf, sizeof(buf));
	fake_send_all(r->io);
	body = fake_wire_expect(r->io, MDW_DATA, &len);
	assert_non_null(body);
	assert_int_equal(mdw_data_decode(body, len, &d), 0);
	assert_int_equal(d.offset, off);
	if (wflags)
		*wflags = d.flags;
	return d.id;
}

static int peer_ack(struct repl *r, uint64_t id, int32_t status)
{
	char body[sizeof(struct mdw_ack)];

	mdw_ack_encode(body, id, status);
	return handle_ack(r, body, sizeof(body));
}

static struct repl *async_primary(uint64_t buffer)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	r->res->mode = MD_MODE_ASYNC;
	r->res->async_buffer = buffer;
	r->hs.peer_features |= MDW_FEAT_ASYNC;
	assert_int_equal(as_conn_flags(r), MD_CONNF_ASYNC);
	as_connected(r);
	send_start(r);
	return r;
}

/* A channel buffer reads the kernel (no socket read is posted here). */
static bool channel_read_posted(struct repl *r)
{
	return fake_count(r->io, IO_READ) > 0;
}

static void async_write_is_the_backlogs_not_the_kernels(void **state)
{
	struct repl *r = async_primary(64u << 20);
	struct md_chan_ack acks[8];
	struct md_lag lag;
	uint64_t id1, id2;

	(void)state;
	id1 = kernel_write(r, SLOT_ID(3), 0, MD_RF_ASYNC, NULL);
	id2 = kernel_write(r, SLOT_ID(3) + (1ull << 32), 1u << 20, MD_RF_ASYNC, NULL);	/* the slot again */
	assert_true(as_is_id(id1) && as_is_id(id2) && id1 != id2);
	as_lag(r, &lag);
	assert_true(lag.active);
	assert_int_equal(lag.writes, 2);
	assert_int_equal(lag.bytes, 2 * LEN);
	/* Out of order: the entry waits, the backlog moves only at its head. */
	assert_int_equal(peer_ack(r, id2, 0), 1);
	as_lag(r, &lag);
	assert_int_equal(lag.writes, 2);
	assert_int_equal(peer_ack(r, id1, 0), 1);
	as_lag(r, &lag);
	assert_int_equal(lag.writes, 0);
	assert_int_equal(lag.bytes, 0);
	/* The kernel hears only that the backlog moved (no ack of slot 3). */
	flush_kacks(r);
	assert_int_equal(fake_kacks(r, acks, 8), 1);
	assert_int_equal(acks[0].id, MD_CHAN_ACK_PROGRESS);
	assert_int_equal(acks[0].status, 0);
	/* An ACK for an entry that is gone: a broken peer. */
	assert_int_equal(peer_ack(r, id1, 0), -1);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "waits for none"));
	fake_repl_free(r);
}

static void failed_async_write_is_marked(void **state)
{
	struct repl *r = async_primary(64u << 20);
	uint64_t id;

	(void)state;
	id = kernel_write(r, SLOT_ID(1), 3 * FAKE_CHUNK, MD_RF_ASYNC, NULL);
	assert_int_equal(peer_ack(r, id, -EIO), 1);
	assert_true(fake_kernel.oos[0] >> 3 & 1);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* A flush or FUA write after writes the application saw complete is a
 * barrier on the peer; a sync write before any is not. */
static void flush_after_the_backlog_is_a_barrier(void **state)
{
	struct repl *r = async_primary(64u << 20);
	uint16_t f;
	uint64_t id;

	(void)state;
	kernel_write(r, SLOT_ID(1), 0, MD_RF_FUA, &f);
	assert_int_equal(f, MDW_DF_FUA);
	id = kernel_write(r, SLOT_ID(2), 0, MD_RF_ASYNC, &f);
	assert_int_equal(f, 0);
	kernel_write(r, SLOT_ID(4), LEN, MD_RF_FUA | MD_RF_PREFLUSH, &f);	/* the bitmap's epoch */
	assert_int_equal(f, MDW_DF_FUA | MDW_DF_PREFLUSH | MDW_DF_BARRIER);
	kernel_write(r, SLOT_ID(5), 2 * LEN, MD_RF_ASYNC | MD_RF_FUA, &f);
	assert_int_equal(f, MDW_DF_FUA | MDW_DF_BARRIER);
	(void)id;
	fake_repl_free(r);
}

/* One channel read at a time, whatever the mode: two in flight could
 * complete in either order, and with mode = async a rewrite of a block in
 * the second batch could reach the peer before the write it replaced. */
static void one_channel_read_at_a_time(void **state)
{
	struct repl *r = async_primary(64u << 20);

	(void)state;
	assert_int_equal(fake_count(r->io, IO_READ), 1);
	kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);	/* sent; the other buffer reads */
	assert_int_equal(fake_count(r->io, IO_READ), 1);
	kernel_write(r, SLOT_ID(2), 0, MD_RF_ASYNC, NULL);
	assert_int_equal(fake_count(r->io, IO_READ), 1);
	send_resume(r);						/* no second read */
	assert_int_equal(fake_count(r->io, IO_READ), 1);
	fake_repl_free(r);
}

/* The bound is checked when a read would be posted: the read already
 * posted may bring one more batch (at most one batch over). */
static void async_buffer_holds_the_reads_until_an_ack(void **state)
{
	struct repl *r = async_primary(2 * LEN);
	uint64_t id1;

	(void)state;
	id1 = kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	assert_true(channel_read_posted(r));
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	/* 2 x 64 KiB behind: no buffer reads the channel. */
	assert_false(channel_read_posted(r));
	as_kick(r);
	assert_false(channel_read_posted(r));
	assert_int_equal(peer_ack(r, id1, 0), 1);
	assert_int_equal(fake_count(r->io, IO_READ), 1);	/* reading again */
	fake_repl_free(r);
}

/* max-lag: while the oldest write the peer lacks is older, no new write
 * is read (so none completes); its ACK lets them in again. */
static void max_lag_holds_the_reads_while_the_oldest_is_older(void **state)
{
	struct repl *r = async_primary(64u << 20);
	uint64_t id1;

	(void)state;
	r->res->max_lag_s = 2;
	id1 = kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	r->as.ring[r->as.head].read_ms -= 3000;		/* 3 s old now */
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);	/* the read posted before */
	assert_false(channel_read_posted(r));
	as_kick(r);
	assert_false(channel_read_posted(r));
	assert_int_equal(peer_ack(r, id1, 0), 1);	/* the oldest is young again */
	assert_int_equal(fake_count(r->io, IO_READ), 1);
	fake_repl_free(r);
}

static void backlog_has_its_own_progress_timeout(void **state)
{
	struct repl *r = async_primary(64u << 20);
	uint64_t t0 = now_ms(), bound = progress_bound_ms(r), id;

	(void)state;
	id = kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	kernel_write(r, SLOT_ID(9), 0, MD_RF_PREFLUSH, NULL);	/* held, behind them */
	assert_false(as_check_progress(r, t0 + bound - 1000));
	assert_int_equal(peer_ack(r, id, 0), 1);		/* it moves */
	/* The held flush waited behind the backlog: its clock runs from the
	 * backlog's last move, not from when it was read. */
	assert_false(send_check_progress(r, now_ms() + bound - 1000));
	assert_false(as_check_progress(r, now_ms() + bound - 1000));
	assert_true(as_check_progress(r, now_ms() + bound + 1500));
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "no asynchronous write acknowledged"));
	fake_repl_free(r);
}

/* A request sent with no backlog ahead of it (an epoch flush the peer
 * never completes) keeps its own clock: ACKs of later async writes do not
 * push it back. */
static void request_ahead_of_the_backlog_keeps_its_clock(void **state)
{
	struct repl *r = async_primary(64u << 20);
	uint64_t t0 = now_ms(), bound = progress_bound_ms(r), id;

	(void)state;
	kernel_write(r, SLOT_ID(9), 0, MD_RF_PREFLUSH, NULL);	/* held, nothing ahead */
	id = kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	assert_int_equal(peer_ack(r, id, 0), 1);
	r->as.moved_ms = t0 + bound;		/* as if that ACK came much later */
	assert_true(send_check_progress(r, t0 + bound + 1500));
	assert_non_null(strstr(r->conn.fail_reason, "peer too slow: request at offset 0"));
	fake_repl_free(r);
}

/* on-congestion block (the default): a full backlog holds the reads, the
 * link stays. */
static void congestion_block_holds(void **state)
{
	struct repl *r = async_primary(2 * LEN);

	(void)state;
	kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_false(channel_read_posted(r));
	assert_false(r->conn.failing);
	assert_int_equal(r->as.congestions, 0);
	fake_repl_free(r);
}

/* disconnect: the write that fills the backlog fails the link at once
 * (the kernel marks what the peer lacks); no hold-off. */
static void congestion_disconnect_fails_the_link(void **state)
{
	struct repl *r = async_primary(2 * LEN);

	(void)state;
	r->res->on_congestion = MD_CONG_DISCONNECT;
	kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	assert_false(r->conn.failing);
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "on-congestion disconnect"));
	assert_int_equal(r->as.congestions, 1);
	assert_false(as_ahead(r));
	fake_repl_free(r);
}

/* pull-ahead: the link fails and stays down for the hold-off. */
static void congestion_pull_ahead_holds_off(void **state)
{
	struct repl *r = async_primary(2 * LEN);
	struct md_lag lag;

	(void)state;
	r->res->on_congestion = MD_CONG_PULL_AHEAD;
	kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "pull-ahead: the link stays down for 10 s"));
	assert_true(as_ahead(r));
	as_lag(r, &lag);
	assert_int_equal(lag.congestions, 1);
	assert_true(lag.ahead_until > 0);
	r->as.ahead_until_ms = now_ms() - 1;		/* the hold-off is over */
	assert_false(as_ahead(r));
	fake_repl_free(r);
}

/* Not while this node resyncs the peer (the catch-up finishes; writes
 * wait as with block), nor for max-lag, which slows the writes. */
static void congestion_spares_the_catch_up_and_max_lag(void **state)
{
	struct repl *r = async_primary(2 * LEN);
	struct repl *m = async_primary(64u << 20);

	(void)state;
	r->res->on_congestion = MD_CONG_PULL_AHEAD;
	r->rs.active = r->rs.source = true;
	kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_false(r->conn.failing);
	assert_false(channel_read_posted(r));
	r->rs.active = r->rs.source = false;
	fake_repl_free(r);

	m->res->on_congestion = MD_CONG_DISCONNECT;
	m->res->max_lag_s = 2;
	kernel_write(m, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	m->as.ring[m->as.head].read_ms -= 3000;
	kernel_write(m, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_false(m->conn.failing);
	assert_false(channel_read_posted(m));
	fake_repl_free(m);
}

/* A failed bitmap: the kernel would fail every write while the link is
 * down, so congestion holds the writes instead. */
static void congestion_holds_when_the_bitmap_failed(void **state)
{
	struct repl *r = async_primary(2 * LEN);

	(void)state;
	r->res->on_congestion = MD_CONG_PULL_AHEAD;
	fake_kernel.status_flags_set = true;
	fake_kernel.status_flags = MD_SF_BOUND | MD_SF_META_FAILED;
	kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_false(r->conn.failing);
	assert_false(as_ahead(r));
	assert_false(channel_read_posted(r));
	fake_repl_free(r);
}

/* The hold-off: lag_seconds counts from the oldest write the congestion
 * left behind; a setting away from pull-ahead (or mdctl's catch-up) ends
 * it; the catch-up's end clears the age. */
static void pull_ahead_lag_and_its_end(void **state)
{
	struct repl *r = async_primary(2 * LEN);
	struct md_res_cfg next;
	struct md_lag lag;
	char msg[256];

	(void)state;
	r->res->on_congestion = MD_CONG_PULL_AHEAD;
	kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	r->as.ring[r->as.head].read_ms -= 4000;		/* 4 s old */
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_true(as_ahead(r));
	as_reset(r);					/* the connection ended */
	as_lag(r, &lag);
	assert_int_equal(lag.writes, 0);
	assert_true(lag.age_ms >= 4000);
	next = *r->res;
	assert_int_equal(as_set(r, &next, msg, sizeof(msg)), 0);
	assert_true(as_ahead(r));			/* the same setting: still ahead */
	next.on_congestion = MD_CONG_BLOCK;
	assert_int_equal(as_set(r, &next, msg, sizeof(msg)), 0);
	assert_false(as_ahead(r));
	as_caught_up(r);
	as_lag(r, &lag);
	assert_int_equal(lag.age_ms, 0);
	fake_repl_free(r);
}

/* The state file: at once when a backlog begins and when it drains (the
 * oldest write's time it carries must not outlive the backlog), every
 * half second between. */
static void publish_at_the_backlogs_edges(void **state)
{
	struct repl *r = async_primary(64u << 20);
	uint64_t id, t;

	(void)state;
	t = now_ms();
	assert_false(as_publish_due(r, t));		/* nothing behind */
	id = kernel_write(r, SLOT_ID(1), 0, MD_RF_ASYNC, NULL);
	assert_true(as_publish_due(r, t));		/* it begins */
	kernel_write(r, SLOT_ID(2), LEN, MD_RF_ASYNC, NULL);
	assert_false(as_publish_due(r, t + 100));
	assert_true(as_publish_due(r, t + 600));
	assert_int_equal(peer_ack(r, id, 0), 1);
	assert_false(as_publish_due(r, t + 700));	/* still one behind */
	assert_int_equal(peer_ack(r, r->as.ring[r->as.head].seq * (1ull << 32) | 0xffffffffu, 0), 1);
	assert_true(as_publish_due(r, t + 700));	/* drained: at once */
	assert_false(as_publish_due(r, t + 5000));
	fake_repl_free(r);
}

/* The hysteresis: 10 s first, doubling while congestion returns within
 * AS_CALM_MS, capped; a calm spell starts over. */
static void pull_ahead_holdoff_grows_then_resets(void **state)
{
	uint64_t t = 1000000, h;

	(void)state;
	h = as_next_holdoff(0, 0, t);
	assert_int_equal(h, AS_HOLDOFF_MIN_MS);
	h = as_next_holdoff(h, t, t + 30000);
	assert_int_equal(h, 2 * AS_HOLDOFF_MIN_MS);
	for (int i = 0; i < 10; i++)
		h = as_next_holdoff(h, t, t + 30000);
	assert_int_equal(h, AS_HOLDOFF_MAX_MS);
	assert_int_equal(as_next_holdoff(h, t, t + AS_CALM_MS), AS_HOLDOFF_MIN_MS);
}

/* Without the peer's MDW_FEAT_ASYNC the kernel is not asked for it. */
static void peer_without_the_feature_runs_sync(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	(void)state;
	r->res->mode = MD_MODE_ASYNC;
	r->hs.peer_features &= ~MDW_FEAT_ASYNC;
	assert_int_equal(as_conn_flags(r), 0);
	as_connected(r);
	assert_false(r->as.active);
	fake_repl_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(async_write_is_the_backlogs_not_the_kernels),
		cmocka_unit_test(failed_async_write_is_marked),
		cmocka_unit_test(flush_after_the_backlog_is_a_barrier),
		cmocka_unit_test(one_channel_read_at_a_time),
		cmocka_unit_test(async_buffer_holds_the_reads_until_an_ack),
		cmocka_unit_test(max_lag_holds_the_reads_while_the_oldest_is_older),
		cmocka_unit_test(backlog_has_its_own_progress_timeout),
		cmocka_unit_test(request_ahead_of_the_backlog_keeps_its_clock),
		cmocka_unit_test(peer_without_the_feature_runs_sync),
		cmocka_unit_test(congestion_block_holds),
		cmocka_unit_test(congestion_disconnect_fails_the_link),
		cmocka_unit_test(congestion_pull_ahead_holds_off),
		cmocka_unit_test(congestion_spares_the_catch_up_and_max_lag),
		cmocka_unit_test(pull_ahead_holdoff_grows_then_resets),
		cmocka_unit_test(congestion_holds_when_the_bitmap_failed),
		cmocka_unit_test(pull_ahead_lag_and_its_end),
		cmocka_unit_test(publish_at_the_backlogs_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
