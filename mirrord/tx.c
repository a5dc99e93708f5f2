/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tx.c - the send side of the connection: one ordered queue of items
 * (data batches from send.c, control buffers, heap items of resync and
 * csum) with one sendmsg in flight at a time, and the two control buffers
 * that collect small packets (ACK, PING, digests) between sends.
 *
 * Owns r->tx.  Packets leave in the order they were queued; a partial send
 * advances the item's iovec and resumes it before anything else goes.
 *
 * Zero-copy (--uring-on send-zc, unencrypted links, io_uring): an item its owner
 * marked zc (send.c's large batches) goes out by SENDMSG_ZC, the socket
 * taking its pages instead of a copy.  Those pages are the socket's until
 * io_uring's notification for each send of it (when TCP has freed them,
 * on the peer's acknowledgement), so the owner's done, which lets it
 * reuse the buffer, runs only once the item is sent and every
 * notification came (tx_zc_notif).  A connection that ends meanwhile
 * leaves the item waiting for them; closing its socket with data still
 * pinned resets it (SO_LINGER 0, tx_zc_close), which frees the pages at
 * once instead of after TCP's retries to a peer that may be gone.
 */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include "log.h"
#include "repl.h"

#define TX_BACKLOG_BYTES	(256 << 10)	/* in the socket, not yet carried: the link lags */

static void tx_start(struct repl *r);

/* Item t is off the queue: its owner hears it now, or once the socket
 * gave back the pages of its zero-copy sends. */
static void tx_item_done(struct txitem *t)
{
	t->sent_ns = now_ns();
	if (t->zc_pending)
		t->zc_sent = true;
	else
		t->done(t);
}

/* One zero-copy send of the item whose zop this is: its pages are free. */
static void tx_zc_notif(struct io_op *op)
{
	struct txitem *t = (struct txitem *)((char *)op - offsetof(struct txitem, zop));
	struct repl *r = op->ctx;

	if (!t->zc_pending) {
		/* Before its send's completion, which io_uring orders
		 * after it from 6.1 on: the count would never come back. */
		log_warn("--uring-on send-zc: a notification for a send not completed yet; ignored");
		return;
	}
	if (--t->zc_pending)
		return;
	if (t->zc_gen == r->tx.gen)
		r->tx.zc_waiting--;
	if (t->zc_sent) {
		t->zc_sent = false;
		t->done(t);
	}
}

/*
 * A zero-copy send's own outcome: its notification to wait for (6.1 on:
 * any send past its preparation, failed or not, says F_MORE and gets
 * one), and whether zero-copy works at all.  true when the send is to be
 * made again, copied: a kernel without SENDMSG_ZC says EINVAL (no
 * notification; copies for the daemon's life if no zero-copy send ever
 * went), a socket that refuses zero-copy EOPNOTSUPP, and ENOBUFS or
 * ENOMEM a lack of memory for it (copies for the rest of the
 * connection).
 */
static bool tx_zc_result(struct repl *r, struct txitem *t, struct io_op *op, int res)
{
	if (op->zc_more && !t->zc_pending++) {
		t->zc_gen = r->tx.gen;
		r->tx.zc_waiting++;
	}
	if (res == -EINVAL || res == -EOPNOTSUPP || res == -ENOBUFS || res == -ENOMEM) {
		/* EINVAL before any zero-copy send went: a kernel without
		 * the operation (after one, a fault of this send's). */
		bool never = res == -EINVAL && !r->tx.zc_sends;

		log_warn("--uring-on send-zc: %s refused a zero-copy send (%s); sending copies %s",
			 res == -EINVAL ? "the kernel" : res == -EOPNOTSUPP ? "the socket" :
			 "the kernel, short of memory,",
			 strerror(-res), never ? "from now on" : "on this connection");
		r->tx.zc_unsupported |= never;
		r->tx.zc = false;
		return true;
	}
	if (res > 0 && !r->conn.failing)
		r->tx.zc_sends++;
	return false;
}

static void tx_done_cb(struct io_op *op, int res)
{
	struct repl *r = op->ctx;
	struct txitem *t = r->tx.q;
	size_t left = (size_t)(res > 0 ? res : 0);

	r->tx.busy = false;
	if (op->kind == IO_SENDMSG_ZC && tx_zc_result(r, t, op, res) && !r->conn.failing) {
		tx_start(r);
		return;
	}
	if (res <= 0 || r->conn.failing) {
		/* Kernel TLS puts a bad record's error on the socket: a send
		 * may be the first to see what the receive side found. */
		const char *tls_err = r->conn.tls && res < 0 ? md_tls_rx_error(res) : NULL;

		if (r->conn.failing)
			return;
		if (tls_err)
			conn_fail(r, "%s", tls_err);
		else
			conn_fail(r, "send failed: %s", res ? strerror(-res) : "connection closed");
		return;
	}
	conn_note_tx(r);
	r->tx.bytes += (uint64_t)res;
	r->tx.sends++;
	if (r->conn.tls && r->tx.bytes >= MD_TLS_MAX_BYTES) {
		/* Cannot re-key a kTLS socket (lib/tls.h): a new connection,
		 * a new key; what is in flight is marked and resent. */
		conn_fail(r, "TLS: %llu bytes sent under one key, reconnecting for a new one",
			  (unsigned long long)r->tx.bytes);
		return;
	}
	/*
	 * Partial send: advance the iovec and go on with the rest.  Empty
	 * entries (the payload of a flush) are skipped as they come.
	 */
	while (t->msg.msg_iovlen && (left || !t->msg.msg_iov->iov_len)) {
		struct iovec *v = t->msg.msg_iov;

		if (left >= v->iov_len) {
			left -= v->iov_len;
			t->msg.msg_iov++;
			t->msg.msg_iovlen--;
		} else {
			v->iov_base = (char *)v->iov_base + left;
			v->iov_len -= left;
			left = 0;
		}
	}
	if (!t->msg.msg_iovlen) {
		r->tx.q = t->next;
		if (!r->tx.q)
			r->tx.q_tail = NULL;
		tx_item_done(t);
	}
	tx_start(r);
}

static void tx_start(struct repl *r)
{
	struct txitem *t = r->tx.q;

	if (r->tx.busy || !t || r->conn.failing)
		return;
	r->tx.busy = true;
	/* A batch has at most 2 * MD_MAX_INFLIGHT = 512 iovecs: under IOV_MAX. */
	if (t->zc && r->tx.zc) {
		/* Its own op: the notification names it after the next
		 * item's send has started. */
		t->zop = (struct io_op){ .kind = IO_SENDMSG_ZC, .fd = r->conn.sock, .stream = true,
					 .msg = &t->msg, .cb = tx_done_cb, .ctx = r,
					 .notif = tx_zc_notif };
		ioq_submit(r->io, &t->zop);
		return;
	}
	r->tx.op = (struct io_op){ .kind = IO_SENDMSG, .fd = r->conn.sock, .stream = true,
				   .msg = &t->msg, .cb = tx_done_cb, .ctx = r };
	ioq_submit(r->io, &r->tx.op);
}

void tx_queue(struct repl *r, struct txitem *t, struct iovec *iov, int niov,
	      void (*done)(struct txitem *))
{
	/* data-integrity: every packet gets its digest here, the one place
	 * all of them pass (after ctl_packet's callers filled the bodies). */
	if (r->hs.integrity && mdw_seal(iov, niov)) {
		conn_fail(r, "internal error: a send item that is not whole packets");
		return;
	}
	memset(&t->msg, 0, sizeof(t->msg));
	t->zc_sent = false;
	t->sent_ns = 0;
	t->iov = iov;
	t->msg.msg_iov = iov;
	t->msg.msg_iovlen = (size_t)niov;
	t->done = done;
	t->next = NULL;
	if (r->tx.q_tail)
		r->tx.q_tail->next = t;
	else
		r->tx.q = t;
	r->tx.q_tail = t;
	tx_start(r);
}

/*
 * The link has not carried what we gave it: something waits in our send
 * queue or is being sent, or the socket still holds more than
 * TX_BACKLOG_BYTES of ours, unsent or unacknowledged (SIOCOUTQ).  TCP's
 * send buffer takes a whole batch at once, so our queue alone empties even
 * on a slow link, and what a slow link has not carried yet sits in
 * flight (in a router's queue, netem's in the tests) as much as in the
 * socket.  On a fast link it drains between two batches.  compress.c's
 * auto mode reads it when a batch is framed.
 */
bool tx_backlog(const struct repl *r)
{
	int queued = 0;

	if (r->tx.q)
		return true;
	return ioctl(r->conn.sock, SIOCOUTQ, &queued) == 0 && queued >= TX_BACKLOG_BYTES;
}

static void ctl_sent(struct txitem *t)
{
	struct ctlbuf *c = (struct ctlbuf *)((char *)t - offsetof(struct ctlbuf, tx));

	c->len = 0;
	c->busy = false;
	ctl_kick(c->r);
}

void ctl_kick(struct repl *r)
{
	struct ctlbuf *c = &r->tx.ctl[r->tx.ctl_cur];

	if (!c->len || r->tx.ctl[!r->tx.ctl_cur].busy || r->conn.failing)
		return;
	c->busy = true;
	c->iov.iov_base = c->buf;
	c->iov.iov_len = c->len;
	r->tx.ctl_cur = !r->tx.ctl_cur;
	tx_queue(r, &c->tx, &c->iov, 1, ctl_sent);
}

/* Room for len bytes of whole packets in the control buffer being
 * filled, or NULL after failing the connection (the peer does not read). */
static char *ctl_reserve(struct repl *r, size_t len)
{
	struct ctlbuf *c = &r->tx.ctl[r->tx.ctl_cur];
	char *p;

	if (c->len + len > CBUF_SIZE) {
		conn_fail(r, "control buffer full (peer not reading)");
		return NULL;
	}
	p = c->buf + c->len;
	c->len += len;
	return p;
}

/* Append a packet to the control buffer being filled; sent by ctl_kick(). */
void *ctl_packet(struct repl *r, uint16_t type, uint32_t len)
{
	char *p = ctl_reserve(r, sizeof(struct mdw_hdr) + len);

	if (!p)
		return NULL;
	mdw_hdr_encode(p, type, len);
	return p + sizeof(struct mdw_hdr);
}

/* Secondary: the ACK of one write (status 0 or -errno), on its way now. */
void tx_ack(struct repl *r, uint64_t id, int32_t status)
{
	char *p;

	if (r->conn.failing || !(p = ctl_reserve(r, MDW_ACK_FRAME)))
		return;
	mdw_ack_frame(p, id, status);
	ctl_kick(r);
}

/*
 * Done callback of heap-allocated items.  It frees the buffers recorded at
 * queueing time: a partial send advances iov_base, so that cannot be used.
 */
void tx_heap_free(struct txitem *t)
{
	free(t->own[0]);
	free(t->own[1]);
	free(t->iov);
	free(t);
}

/* A new connection: whatever was queued belonged to the lost one; only
 * heap items own memory. */
void tx_reset(struct repl *r)
{
	while (r->tx.q) {
		struct txitem *t = r->tx.q;

		r->tx.q = t->next;
		if (t->zc_pending) {
			/* Its owner's once the pages are back, as not sent.
			 * Only send.c's channel buffers go zero-copy. */
			t->sent_ns = 0;
			t->zc_sent = true;
		} else if (t->done == tx_heap_free)
			tx_heap_free(t);
		else if (t->done == bl_sent)
			bl_drop(t);
	}
	r->tx.q_tail = NULL;
	r->tx.busy = false;
	r->tx.bytes = 0;
	/* Zero-copy only where the socket sends the buffers themselves:
	 * kernel TLS encrypts into its own (and refuses SENDMSG_ZC), the
	 * aio backend copies anyway. */
	r->tx.zc = r->opt.send_zc && !r->tx.zc_unsupported && !r->conn.tls &&
		   !strncmp(io_backend_name(r->io), "io_uring", 8);
	/* A new connection: what the last one left pinned is not this
	 * socket's (its notifications come all the same, tx_zc_notif). */
	r->tx.gen++;
	r->tx.zc_waiting = 0;
	r->tx.ctl_cur = 0;
	for (int i = 0; i < 2; i++) {
		r->tx.ctl[i].r = r;
		r->tx.ctl[i].len = 0;
		r->tx.ctl[i].busy = false;
	}
}

/*
 * The connection's socket is about to close.  Pages of zero-copy sends
 * still in it (unacknowledged by the peer) stay pinned until TCP gives
 * them up, minutes to a peer that is gone: a reset (SO_LINGER 0) drops
 * them at close, their notifications come, and the buffers read again.
 * The connection is over either way; what it did not deliver the kernel
 * has marked.
 */
void tx_zc_close(struct repl *r, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (!r->tx.zc_waiting || fd != r->conn.sock)
		return;
	log_info("--uring-on send-zc: %u batches still in the socket: closing it with a reset",
		 r->tx.zc_waiting);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}
