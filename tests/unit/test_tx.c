/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tx.c - the send queue (mirrord/tx.c) when the socket takes fewer
 * bytes than offered: the rest is resumed from the right byte, across an
 * iovec boundary and over empty iovecs, and each item's done callback runs
 * once, after its last byte, in queue order; a zero-copy item's only once
 * the socket gave its pages back too (every send's notification), also
 * when its connection ended first.  Heap items free themselves
 * in that callback: a use of the item after it, or a free of an iov_base a
 * partial send moved (fixed in 4ce324e), is caught by AddressSanitizer,
 * which the Makefile builds this test with.
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

static struct io_loop *io;
static uintptr_t done_order[8];	/* the items whose done ran, in order ... */
static size_t done_at[8];	/* ... and how many bytes were on the wire then */
static uint64_t done_sent[8];	/* ... and their sent_ns */
static unsigned ndone;
static bool next_zc;		/* heap_item's items may go zero-copy */

static void heap_done(struct txitem *t)
{
	assert_true(ndone < 8);
	done_order[ndone] = (uintptr_t)t;
	done_sent[ndone] = t->sent_ns;
	done_at[ndone++] = fake_wire_unread(io);
	tx_heap_free(t);
}

/*
 * A heap item as csum.c builds one: a DATA packet whose headers and
 * payload are separate buffers, with an empty iovec between them when
 * gap is set (as a flush's payload sits in a batch), and a payload of
 * plen bytes of fill (none: the iovec is empty, a flush).
 */
static struct txitem *heap_item(struct repl *r, uint64_t id, uint32_t plen, int fill, bool gap,
				void (*done)(struct txitem *))
{
	struct txitem *t = calloc(1, sizeof(*t));
	struct iovec *iov = calloc(3, sizeof(*iov));
	char *hdr = malloc(MDW_DATA_FRAME), *pay = malloc(plen ? plen : 1);
	struct md_data_info d = { .id = id, .offset = id * 4096, .len = plen,
				  .flags = plen ? 0 : MDW_DF_PREFLUSH };
	int n = 0;

	assert_true(t && iov && hdr && pay);
	mdw_data_frame(hdr, &d);
	memset(pay, fill, plen);
	iov[n++] = (struct iovec){ hdr, MDW_DATA_FRAME };
	if (gap)
		iov[n++] = (struct iovec){ hdr + MDW_DATA_FRAME, 0 };
	iov[n++] = (struct iovec){ pay, plen };
	t->own[0] = hdr;
	t->own[1] = pay;
	t->zc = next_zc;
	tx_queue(r, t, iov, n, done);
	return t;
}

/* The queued sendmsg: for msg, resuming at base with len bytes left in
 * its first iovec, niov iovecs in all. */
static void expect_send(struct msghdr *msg, const void *base, size_t len, size_t niov)
{
	struct io_op *op = fake_find(io, IO_SENDMSG, -1);

	assert_non_null(op);
	assert_int_equal(fake_count(io, IO_SENDMSG), 1);
	assert_ptr_equal(op->msg, msg);
	assert_int_equal(op->msg->msg_iovlen, niov);
	assert_ptr_equal(op->msg->msg_iov[0].iov_base, base);
	assert_int_equal(op->msg->msg_iov[0].iov_len, len);
}

/* The next packet on the wire: DATA id with plen bytes of fill. */
static void expect_data(uint64_t id, uint32_t plen, int fill)
{
	struct md_data_info d;
	const char *body;
	uint16_t type;
	uint32_t len;

	assert_true(fake_wire_next(io, &type, &body, &len));
	assert_int_equal(type, MDW_DATA);
	assert_int_equal(mdw_data_decode(body, len, &d), 0);
	assert_int_equal(d.id, id);
	assert_int_equal(d.len, plen);
	for (uint32_t i = 0; i < plen; i++)
		assert_int_equal((unsigned char)body[sizeof(struct mdw_data) + i], (unsigned char)fill);
}

static struct repl *setup(void)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);

	io = r->io;
	ndone = 0;
	next_zc = false;
	return r;
}

static void partial_send_resumes_at_the_right_byte(void **state)
{
	struct repl *r = setup();
	struct txitem *a = heap_item(r, 1, 4096, 'P', true, heap_done);
	char *hdr = a->own[0], *pay = a->own[1];
	struct msghdr *amsg = &a->msg;
	struct ctlbuf *c = &r->tx.ctl[r->tx.ctl_cur];
	const char *body;
	uint16_t type;
	uint32_t len;

	(void)state;
	assert_non_null(ctl_packet(r, MDW_PING, 0));	/* a control buffer behind it */
	ctl_kick(r);
	assert_true(c->busy);
	expect_send(amsg, hdr, MDW_DATA_FRAME, 3);
	assert_int_equal(fake_find(io, IO_SENDMSG, -1)->fd, r->conn.sock);

	/* Inside the first iovec. */
	assert_int_equal(fake_send(io, 10), 10);
	expect_send(amsg, hdr + 10, MDW_DATA_FRAME - 10, 3);
	/* Exactly at its end: the empty iovec after it is skipped too. */
	assert_int_equal(fake_send(io, MDW_DATA_FRAME - 10), MDW_DATA_FRAME - 10);
	expect_send(amsg, pay, 4096, 1);
	/* Inside the last one, then its end. */
	assert_int_equal(fake_send(io, 4000), 4000);
	expect_send(amsg, pay + 4000, 96, 1);
	assert_int_equal(ndone, 0);
	assert_int_equal(fake_send(io, 96), 96);
	assert_int_equal(ndone, 1);
	assert_true(done_order[0] == (uintptr_t)a);
	assert_int_equal(done_at[0], MDW_DATA_FRAME + 4096);

	/* The control buffer goes next, and is free only after its last byte. */
	expect_send(&c->tx.msg, c->buf, sizeof(struct mdw_hdr), 1);
	assert_int_equal(fake_send(io, 5), 5);
	expect_send(&c->tx.msg, c->buf + 5, sizeof(struct mdw_hdr) - 5, 1);
	assert_true(c->busy);
	assert_int_equal(fake_send(io, 100), sizeof(struct mdw_hdr) - 5);
	assert_false(c->busy);
	assert_int_equal(c->len, 0);
	assert_int_equal(fake_count(io, IO_SENDMSG), 0);

	expect_data(1, 4096, 'P');
	assert_true(fake_wire_next(io, &type, &body, &len));
	assert_int_equal(type, MDW_PING);
	assert_int_equal(fake_wire_unread(io), 0);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* Three items sent 7 bytes at a time: every split lands somewhere else. */
static void done_runs_once_per_item_after_its_last_byte(void **state)
{
	struct repl *r = setup();
	uintptr_t a = (uintptr_t)heap_item(r, 1, 1536, 'a', false, heap_done);
	uintptr_t b = (uintptr_t)heap_item(r, 2, 512, 'b', true, heap_done);
	uintptr_t f = (uintptr_t)heap_item(r, 3, 0, 0, false, heap_done);	/* a flush */
	size_t n;

	(void)state;
	while (fake_find(io, IO_SENDMSG, -1)) {
		n = fake_send(io, 7);
		assert_true(n > 0 && n <= 7);
	}
	assert_int_equal(ndone, 3);
	assert_true(done_order[0] == a);
	assert_true(done_order[1] == b);
	assert_true(done_order[2] == f);
	assert_int_equal(done_at[0], MDW_DATA_FRAME + 1536);
	assert_int_equal(done_at[1], 2 * MDW_DATA_FRAME + 1536 + 512);
	assert_int_equal(done_at[2], 3 * MDW_DATA_FRAME + 1536 + 512);
	assert_null(r->tx.q);
	assert_null(r->tx.q_tail);
	expect_data(1, 1536, 'a');
	expect_data(2, 512, 'b');
	expect_data(3, 0, 0);
	assert_int_equal(fake_wire_unread(io), 0);
	fake_repl_free(r);
}

/* A send error ends the connection; the items stay queued, and the next
 * connection's tx_reset frees the heap ones (a leak shows under ASan). */
static void send_error_fails_the_connection_and_keeps_the_items(void **state)
{
	struct repl *r = setup();
	struct txitem *a = heap_item(r, 1, 4096, 'a', false, tx_heap_free);

	(void)state;
	heap_item(r, 2, 4096, 'b', false, tx_heap_free);
	assert_int_equal(fake_send(io, 100), 100);
	fake_complete(io, fake_find(io, IO_SENDMSG, -1), -EPIPE);
	assert_true(r->conn.failing);
	assert_int_equal(fake_kernel.nset_conn, 1);
	assert_int_equal(fake_kernel.conn_state, MD_CONN_STANDALONE);
	assert_int_equal(fake_count(io, IO_SENDMSG), 0);
	assert_ptr_equal(r->tx.q, a);
	tx_reset(r);
	assert_null(r->tx.q);
	fake_repl_free(r);
}

/*
 * Kernel TLS: a record from the peer that fails authentication puts the
 * error on the socket, and whichever of receive and send sees it first
 * reports it.  A send that fails so must say what the receive side would
 * (tls_link on 6.12 saw "send failed: Bad message" instead).  Without TLS
 * the errno is only a send failure.
 */
static void tls_receive_error_seen_by_a_send_says_what_it_is(void **state)
{
	static char session;	/* not a real one: only "encrypted" matters */
	struct repl *r = setup();

	(void)state;
	r->conn.tls = &session;
	heap_item(r, 1, 4096, 'a', false, tx_heap_free);
	fake_complete(io, fake_find(io, IO_SENDMSG, -1), -EBADMSG);
	assert_true(r->conn.failing);
	assert_string_equal(r->conn.fail_reason, md_tls_rx_error(-EBADMSG));
	r->conn.tls = NULL;
	tx_reset(r);
	fake_repl_free(r);

	r = setup();
	heap_item(r, 1, 4096, 'a', false, tx_heap_free);
	fake_complete(io, fake_find(io, IO_SENDMSG, -1), -EBADMSG);
	assert_string_equal(r->conn.fail_reason, "send failed: Bad message");
	tx_reset(r);
	fake_repl_free(r);
}

/*
 * --send-zc: a zero-copy item sent in two parts (two sends, two
 * notifications) is done only after its last byte and both notifications,
 * while the copied item behind it goes out meanwhile and is done at its
 * last byte.  Its owner may reuse the buffer only then: the socket may
 * still send from it (a retransmission) until the notification.
 */
/* This connection sends zero-copy, and heap_item's items may go so. */
static void zc_on(struct repl *r)
{
	r->tx.zc = true;
	next_zc = true;
}

static void zero_copy_item_is_done_after_its_last_notification(void **state)
{
	struct repl *r = setup();
	struct txitem *a;
	uintptr_t b;

	(void)state;
	zc_on(r);
	a = heap_item(r, 1, 4096, 'z', false, heap_done);
	next_zc = false;
	b = (uintptr_t)heap_item(r, 2, 512, 'c', false, heap_done);
	assert_ptr_equal(fake_first_send(io), &a->zop);
	assert_int_equal(fake_send(io, 1000), 1000);
	assert_int_equal(fake_zc_pending(io), 1);
	assert_ptr_equal(fake_first_send(io), &a->zop);	/* the rest, zero-copy again */
	assert_int_equal(fake_send(io, SIZE_MAX), MDW_DATA_FRAME + 4096 - 1000);
	assert_int_equal(fake_zc_pending(io), 2);
	assert_int_equal(ndone, 0);			/* its pages are still the socket's */
	assert_int_equal(r->tx.zc_waiting, 1);
	assert_int_equal(r->tx.zc_sends, 2);
	/* The copied item behind it is not held back. */
	assert_int_equal(fake_find(io, IO_SENDMSG, -1)->kind, IO_SENDMSG);
	assert_int_equal(fake_send(io, SIZE_MAX), MDW_DATA_FRAME + 512);
	assert_int_equal(ndone, 1);
	assert_true(done_order[0] == b);
	assert_true(done_sent[0] > 0);
	fake_zc_notify(io);
	assert_int_equal(ndone, 1);
	fake_zc_notify(io);
	assert_int_equal(ndone, 2);
	assert_true(done_order[1] == (uintptr_t)a);
	assert_int_equal(r->tx.zc_waiting, 0);
	expect_data(1, 4096, 'z');
	expect_data(2, 512, 'c');
	assert_int_equal(fake_wire_unread(io), 0);
	assert_false(r->conn.failing);
	fake_repl_free(r);
}

/* A socket or kernel without zero-copy (EOPNOTSUPP, EINVAL): the item is
 * sent again copied, the connection goes on and sends copies after. */
static void zero_copy_refused_is_sent_again_copied(void **state)
{
	struct repl *r = setup();

	(void)state;
	zc_on(r);
	heap_item(r, 1, 4096, 'z', false, heap_done);
	fake_complete(io, fake_find(io, IO_SENDMSG_ZC, -1), -EOPNOTSUPP);
	assert_false(r->conn.failing);
	assert_false(r->tx.zc);
	assert_null(fake_find(io, IO_SENDMSG_ZC, -1));
	heap_item(r, 2, 4096, 'y', false, heap_done);
	assert_int_equal(fake_send(io, SIZE_MAX), MDW_DATA_FRAME + 4096);
	assert_int_equal(fake_send(io, SIZE_MAX), MDW_DATA_FRAME + 4096);
	assert_int_equal(ndone, 2);
	assert_int_equal(fake_zc_pending(io), 0);
	assert_int_equal(r->tx.zc_sends, 0);
	expect_data(1, 4096, 'z');
	expect_data(2, 4096, 'y');
	fake_repl_free(r);
}

/*
 * The connection ends with pages pinned: one item wholly sent, one cut
 * off halfway, both waiting for notifications.  tx_reset must not hand
 * either back (their owners would reuse memory the socket may still
 * send), the socket closes with a reset (SO_LINGER 0: the pages come
 * back at close, not after TCP's retries to a peer that may be gone), and
 * each item is done, and a heap one freed (ASan), when its last
 * notification comes.
 */
static void connection_end_waits_for_the_pages(void **state)
{
	struct repl *r = setup();
	struct linger lg = { 0 };
	socklen_t lglen = sizeof(lg);
	struct txitem *a, *b;
	struct io_op *rest;
	uint64_t t_notif;

	(void)state;
	zc_on(r);
	a = heap_item(r, 1, 4096, 'a', false, heap_done);
	b = heap_item(r, 2, 4096, 'b', false, heap_done);
	assert_int_equal(fake_send(io, SIZE_MAX), MDW_DATA_FRAME + 4096);
	assert_int_equal(fake_send(io, 100), 100);
	conn_fail(r, "test: the link broke");
	/* b's rest, in flight, fails on the shut socket (EPIPE) and still
	 * gets its notification (6.1 on: F_MORE) before the loop ends. */
	rest = fake_find(io, IO_SENDMSG_ZC, -1);
	assert_ptr_equal(rest, &b->zop);
	rest->zc_more = true;
	fake_complete(io, rest, -EPIPE);
	assert_int_equal(ndone, 0);
	/* conn_close, then the next connection's reset (daemon.c's order) */
	assert_int_equal(r->tx.zc_waiting, 2);
	tx_zc_close(r, r->conn.sock);
	assert_int_equal(getsockopt(r->conn.sock, SOL_SOCKET, SO_LINGER, &lg, &lglen), 0);
	assert_int_equal(lg.l_onoff, 1);
	assert_int_equal(lg.l_linger, 0);
	tx_reset(r);
	assert_null(r->tx.q);
	assert_int_equal(ndone, 0);
	/* The next connection pinned nothing of its own: its socket (here
	 * the same one, its linger cleared) closes gracefully, though the
	 * last one's notifications have not come yet. */
	assert_int_equal(r->tx.zc_waiting, 0);
	lg = (struct linger){ 0 };
	assert_int_equal(setsockopt(r->conn.sock, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	tx_zc_close(r, r->conn.sock);
	assert_int_equal(getsockopt(r->conn.sock, SOL_SOCKET, SO_LINGER, &lg, &lglen), 0);
	assert_int_equal(lg.l_onoff, 0);
	t_notif = now_ns();
	fake_zc_notify(io);
	assert_int_equal(ndone, 1);
	assert_true(done_order[0] == (uintptr_t)a);
	fake_zc_notify(io);
	assert_int_equal(ndone, 1);			/* b: the failed send's is due */
	rest->notif(rest);
	assert_int_equal(ndone, 2);
	assert_true(done_order[1] == (uintptr_t)b);
	assert_int_equal(r->tx.zc_waiting, 0);
	/* a was sent whole (its time from its last byte, not from its
	 * notification), b dropped halfway (send.c counts no send time) */
	assert_true(done_sent[0] > 0 && done_sent[0] <= t_notif);
	assert_int_equal(done_sent[1], 0);
	fake_repl_free(r);
}

/*
 * 6.1 on, a socket's refusal still says F_MORE and a notification
 * follows: the copy sent after it is done only once that came; a kernel
 * without SENDMSG_ZC (EINVAL) gets copies for good, over reconnects.
 */
static void refused_with_a_notification_waits_for_it(void **state)
{
	struct repl *r = setup();
	struct io_op *op;

	(void)state;
	zc_on(r);
	heap_item(r, 1, 4096, 'z', false, heap_done);
	op = fake_find(io, IO_SENDMSG_ZC, -1);
	op->zc_more = true;
	fake_complete(io, op, -EOPNOTSUPP);
	assert_int_equal(fake_send(io, SIZE_MAX), MDW_DATA_FRAME + 4096);	/* the copy */
	assert_int_equal(ndone, 0);
	op->notif(op);
	assert_int_equal(ndone, 1);
	expect_data(1, 4096, 'z');
	tx_reset(r);
	/* EOPNOTSUPP was this socket's: the next connection tries again;
	 * the fake loop is no io_uring, so set it as tx_reset would there. */
	r->tx.zc = !r->tx.zc_unsupported;
	assert_true(r->tx.zc);
	heap_item(r, 2, 4096, 'y', false, heap_done);
	fake_complete(io, fake_find(io, IO_SENDMSG_ZC, -1), -EINVAL);
	assert_true(r->tx.zc_unsupported);
	fake_send_all(io);
	assert_int_equal(ndone, 2);
	r->opt.send_zc = true;
	tx_reset(r);
	assert_true(r->tx.zc_unsupported);	/* for good: over reconnects */
	assert_false(r->tx.zc);
	fake_repl_free(r);
}

/* Nothing pinned: the socket closes as always (a FIN, not a reset). */
static void connection_end_without_pinned_pages_closes_gracefully(void **state)
{
	struct repl *r = setup();
	struct linger lg = { 1, 1 };
	socklen_t lglen = sizeof(lg);

	(void)state;
	zc_on(r);
	heap_item(r, 1, 4096, 'a', false, heap_done);
	fake_send(io, SIZE_MAX);
	fake_zc_notify(io);
	assert_int_equal(ndone, 1);
	tx_zc_close(r, r->conn.sock);
	assert_int_equal(getsockopt(r->conn.sock, SOL_SOCKET, SO_LINGER, &lg, &lglen), 0);
	assert_int_equal(lg.l_onoff, 0);
	fake_repl_free(r);
}

/* The kernel hands the daemon one write of len bytes of fill. */
static void kernel_write(struct repl *r, uint32_t slot, uint32_t len, int fill)
{
	static char buf[sizeof(struct md_chan_req) + (64u << 10)];
	struct md_chan_req q = { .id = (7ull << 32) | slot, .offset = (uint64_t)slot << 16,
				 .op = MD_OP_WRITE, .len = len };

	assert_true(len <= 64u << 10);
	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), fill, len);
	fake_read(r->io, r->dev.ctl_fd, buf, sizeof(q) + len);
}

/*
 * send.c with --send-zc: a batch of 32 KiB or more goes zero-copy, a
 * smaller one is copied; the channel buffer of a zero-copy batch is not
 * read into again until its notification, also across the end of its
 * connection (send_reset), so that the next batch cannot overwrite bytes
 * the socket may still send.
 */
static void channel_buffer_is_read_again_only_after_its_notification(void **state)
{
	struct repl *r = setup();
	struct sendbuf *sb0 = &r->snd.sb[0], *sb1 = &r->snd.sb[1];

	(void)state;
	r->tx.zc = true;
	send_start(r);
	assert_ptr_equal(fake_find_fd(io, IO_READ, r->dev.ctl_fd)->buf, sb0->buf);
	kernel_write(r, 1, 64u << 10, 'A');
	assert_int_equal(fake_first_send(io)->kind, IO_SENDMSG_ZC);
	fake_send_all(io);
	assert_int_equal(sb0->state, SB_SENDING);	/* pinned */
	assert_ptr_equal(fake_find_fd(io, IO_READ, r->dev.ctl_fd)->buf, sb1->buf);
	kernel_write(r, 2, 4096, 'B');			/* small: copied */
	assert_int_equal(fake_first_send(io)->kind, IO_SENDMSG);
	fake_send_all(io);
	assert_int_equal(sb1->state, SB_READING);	/* sb1 again: sb0 is not free */
	assert_ptr_equal(fake_find_fd(io, IO_READ, r->dev.ctl_fd)->buf, sb1->buf);
	kernel_write(r, 3, 64u << 10, 'C');
	fake_send_all(io);
	assert_null(fake_find_fd(io, IO_READ, r->dev.ctl_fd));	/* both pinned */
	fake_zc_notify(io);
	assert_ptr_equal(fake_find_fd(io, IO_READ, r->dev.ctl_fd)->buf, sb0->buf);

	/* The connection ends with sb1 pinned: the next one reads into sb0
	 * alone until sb1's notification. */
	conn_fail(r, "test: the link broke");
	repl_connection_reset(r);
	assert_int_equal(sb0->state, SB_FREE);
	assert_int_equal(sb1->state, SB_SENDING);
	send_start(r);
	assert_int_equal(fake_count(io, IO_READ), 1);
	assert_ptr_equal(fake_find_fd(io, IO_READ, r->dev.ctl_fd)->buf, sb0->buf);
	kernel_write(r, 4, 4096, 'D');
	fake_send_all(io);
	assert_ptr_equal(fake_find_fd(io, IO_READ, r->dev.ctl_fd)->buf, sb0->buf);
	fake_zc_notify(io);
	assert_int_equal(sb1->state, SB_FREE);
	expect_data((7ull << 32) | 1, 64u << 10, 'A');
	expect_data((7ull << 32) | 2, 4096, 'B');
	expect_data((7ull << 32) | 3, 64u << 10, 'C');
	expect_data((7ull << 32) | 4, 4096, 'D');
	fake_repl_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(partial_send_resumes_at_the_right_byte),
		cmocka_unit_test(done_runs_once_per_item_after_its_last_byte),
		cmocka_unit_test(send_error_fails_the_connection_and_keeps_the_items),
		cmocka_unit_test(tls_receive_error_seen_by_a_send_says_what_it_is),
		cmocka_unit_test(zero_copy_item_is_done_after_its_last_notification),
		cmocka_unit_test(zero_copy_refused_is_sent_again_copied),
		cmocka_unit_test(connection_end_waits_for_the_pages),
		cmocka_unit_test(connection_end_without_pinned_pages_closes_gracefully),
		cmocka_unit_test(refused_with_a_notification_waits_for_it),
		cmocka_unit_test(channel_buffer_is_read_again_only_after_its_notification),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
