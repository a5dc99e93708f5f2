/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tx.c - the send side of the connection: one ordered queue of items
 * (data batches from send.c, control buffers, heap items of resync and
 * csum) with one sendmsg in flight at a time, and the two control buffers
 * that collect small packets (ACK, PING, digests) between sends.
 *
 * Owns r->tx.  Packets leave in the order they were queued; a partial send
 * advances the item's iovec and resumes it before anything else goes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include "repl.h"

#define TX_BACKLOG_BYTES	(256 << 10)	/* in the socket, not yet carried: the link lags */

static void tx_start(struct repl *r);

static void tx_done_cb(struct io_op *op, int res)
{
	struct repl *r = op->ctx;
	struct txitem *t = r->tx.q;
	size_t left = (size_t)(res > 0 ? res : 0);

	r->tx.busy = false;
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
		t->done(t);
	}
	tx_start(r);
}

static void tx_start(struct repl *r)
{
	struct txitem *t = r->tx.q;

	if (r->tx.busy || !t || r->conn.failing)
		return;
	/* A batch has at most 2 * MD_MAX_INFLIGHT = 512 iovecs: under IOV_MAX. */
	r->tx.op = (struct io_op){ .kind = IO_SENDMSG, .fd = r->conn.sock, .stream = true,
				   .msg = &t->msg, .cb = tx_done_cb, .ctx = r };
	r->tx.busy = true;
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
		if (t->done == tx_heap_free)
			tx_heap_free(t);
		else if (t->done == bl_sent)
			bl_drop(t);
	}
	r->tx.q_tail = NULL;
	r->tx.busy = false;
	r->tx.bytes = 0;
	r->tx.ctl_cur = 0;
	for (int i = 0; i < 2; i++) {
		r->tx.ctl[i].r = r;
		r->tx.ctl[i].len = 0;
		r->tx.ctl[i].busy = false;
	}
}
