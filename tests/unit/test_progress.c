/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_progress.c - the progress timeout (mirrord/send.c) and the stalled
 * disk report (mirrord/apply.c) on the fake I/O loop (fake_io.h).
 *
 * The sick peer of issue [7]: its daemon and the link answer, but a write
 * it was sent never completes.  The primary must give up on it after
 * ko-count x timeout and say why; the secondary must say that its disk is
 * the one that hangs.  The clock is passed in, so "21 s later" is exact.
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

#define SLOT_ID(slot)	((7ull << 32) | (slot))	/* the kernel's id: gen 7 */

/* The kernel hands one 4 KiB write at off to the daemon, which sends it. */
static void kernel_write(struct repl *r, uint64_t id, uint64_t off)
{
	static char buf[sizeof(struct md_chan_req) + 4096];
	struct md_chan_req q = { .id = id, .offset = off, .op = MD_OP_WRITE, .len = 4096 };

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), 'w', q.len);
	fake_read(r->io, r->dev.ctl_fd, buf, sizeof(buf));
	fake_send_all(r->io);
}

static void peer_ack(struct repl *r, uint64_t id)
{
	char body[sizeof(struct mdw_ack)];

	mdw_ack_encode(body, id, 0);
	assert_int_equal(handle_ack(r, body, sizeof(body)), 1);
}

static struct repl *primary(void)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	send_start(r);
	return r;
}

static void unacknowledged_write_drops_the_peer_at_the_bound(void **state)
{
	struct repl *r = primary();
	uint64_t t0 = now_ms(), bound = progress_bound_ms(r);

	(void)state;
	assert_int_equal(bound, 4 * 5 * 1000);		/* ko-count 4 x timeout 5 s */
	kernel_write(r, SLOT_ID(3), 8192);
	kernel_write(r, SLOT_ID(4), 1 << 20);
	peer_ack(r, SLOT_ID(4));			/* the later one completes */
	assert_false(send_check_progress(r, t0 + bound - 1000));
	assert_false(r->conn.failing);
	assert_true(send_check_progress(r, t0 + bound + 1500));
	assert_true(r->conn.failing);
	assert_int_equal(fake_kernel.conn_state, MD_CONN_STANDALONE);
	if (!strstr(r->conn.fail_reason, "peer too slow: request at offset 8192 not acknowledged for 21 s"))
		fail_msg("reason: %s", r->conn.fail_reason);
	fake_repl_free(r);
}

static void acknowledged_writes_stop_the_clock(void **state)
{
	struct repl *r = primary();
	uint64_t t0 = now_ms();

	(void)state;
	kernel_write(r, SLOT_ID(0), 0);
	kernel_write(r, SLOT_ID(255), 4096);
	peer_ack(r, SLOT_ID(255));
	peer_ack(r, SLOT_ID(0));
	assert_false(send_check_progress(r, t0 + 100 * progress_bound_ms(r)));
	assert_false(r->conn.failing);
	/* A slot used again starts its own clock. */
	kernel_write(r, SLOT_ID(0) + (1ull << 32), 0);
	assert_false(send_check_progress(r, now_ms() + progress_bound_ms(r) - 1000));
	assert_true(send_check_progress(r, now_ms() + progress_bound_ms(r) + 1000));
	fake_repl_free(r);
}

/* A new connection forgets what the last one held: the kernel failed it. */
static void reset_forgets_held_requests(void **state)
{
	struct repl *r = primary();

	(void)state;
	kernel_write(r, SLOT_ID(9), 0);
	send_reset(r);
	assert_false(send_check_progress(r, now_ms() + 10 * progress_bound_ms(r)));
	fake_repl_free(r);
}

/* The kernel's deadline is the daemon's bound plus one timeout. */
static void kernel_deadline_follows_the_daemon_bound(void **state)
{
	struct repl *r = primary();

	(void)state;
	assert_int_equal(conn_deadline_s(r), 4 * 5 + 5);
	r->res->ko_count = 100;
	r->res->timeout_s = 600;
	assert_int_equal(conn_deadline_s(r), MD_DEADLINE_MAX_S);
	fake_repl_free(r);
}

static void id_outside_the_slots_is_refused(void **state)
{
	struct repl *r = primary();

	(void)state;
	kernel_write(r, (7ull << 32) | MD_MAX_INFLIGHT, 0);
	assert_true(r->conn.failing);
	assert_non_null(strstr(r->conn.fail_reason, "malformed batch"));
	fake_repl_free(r);
}

static void stalled_disk_write_is_reported_then_cleared(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	static char pkt[MDW_DATA_FRAME + 4096];
	const char *body;
	size_t n = fake_data_packet(pkt, 11, 65536, 4096, 0, 'd', &body);
	uint64_t t0 = now_ms(), bound = progress_bound_ms(r);
	struct io_op *w;

	(void)state;
	assert_int_equal(handle_data(r, body, (uint32_t)(n - sizeof(struct mdw_hdr))), 1);
	w = fake_find(r->io, IO_WRITE, 65536);
	assert_non_null(w);
	assert_false(apply_check_stall(r, t0 + bound - 1000));
	assert_int_equal(r->ap.stall_ms, 0);
	assert_true(apply_check_stall(r, t0 + bound + 2000));
	assert_true(r->ap.stall_ms >= bound + 1000);
	assert_int_equal(r->ap.stall_offset, 65536);
	fake_complete(r->io, w, 4096);
	assert_true(apply_check_stall(r, now_ms()));	/* changed: publish */
	assert_int_equal(r->ap.stall_ms, 0);
	assert_false(apply_check_stall(r, now_ms()));
	fake_repl_free(r);
}

/* The peer acknowledges only what it was sent, once: an ACK for an id the
 * kernel never issued (or of another generation of the slot, or twice)
 * fails the connection and never reaches the kernel, which would refuse
 * the whole write of acks and blame this daemon. */
static void ack_for_a_request_not_sent_is_refused(void **state)
{
	static const uint64_t bad[] = { SLOT_ID(4), SLOT_ID(3) + (1ull << 32), SLOT_ID(3) };
	struct md_chan_ack k[4];
	char body[sizeof(struct mdw_ack)];

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct repl *r = primary();

		kernel_write(r, SLOT_ID(3), 0);
		if (i == 2)
			peer_ack(r, SLOT_ID(3));	/* answered: the second is one too many */
		flush_kacks(r);
		assert_int_equal(fake_kacks(r, k, 4), i == 2);
		mdw_ack_encode(body, bad[i], 0);
		assert_int_equal(handle_ack(r, body, sizeof(body)), -1);
		assert_true(r->conn.failing);
		assert_non_null(strstr(r->conn.fail_reason, "which waits for none"));
		flush_kacks(r);
		assert_int_equal(fake_kacks(r, k, 4), 0);
		fake_repl_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unacknowledged_write_drops_the_peer_at_the_bound),
		cmocka_unit_test(acknowledged_writes_stop_the_clock),
		cmocka_unit_test(reset_forgets_held_requests),
		cmocka_unit_test(kernel_deadline_follows_the_daemon_bound),
		cmocka_unit_test(id_outside_the_slots_is_refused),
		cmocka_unit_test(ack_for_a_request_not_sent_is_refused),
		cmocka_unit_test(stalled_disk_write_is_reported_then_cleared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
