/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rx.c - the receive stream: bytes from the socket cut into packets and
 * handed to the handler of their type (handlers[] below; each lives with
 * the concern it serves).  A handler that has no room (apply slots or
 * arena full) stalls the stream: parsing stops, no more receives are
 * posted, and rx_resume restarts both when a slot frees.  That is the
 * backpressure the primary feels through TCP.
 *
 * The unparsed bytes are [start, len) of rx.buf.  A packet the last
 * receive cut stays where it is: the bytes move to the front only when
 * the rest of that packet would not fit behind it (rx_compact), not after
 * every parse.  Moving each cut packet to the front cost, at 1 MiB
 * writes, about half a copy of every byte received.
 *
 * Owns r->rx.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"

static int handle_ping(struct repl *r, const char *body, uint32_t len)
{
	void *p = ctl_packet(r, MDW_PONG, 0);

	(void)body;
	(void)len;
	ctl_kick(r);
	return p ? 1 : -1;
}

static int handle_pong(struct repl *r, const char *body, uint32_t len)
{
	(void)r;
	(void)body;
	(void)len;
	return 1;	/* its arrival is what counts: conn.last_rx_ms */
}

/* The peer's role changed (mdctl primary/secondary there). */
static int handle_state(struct repl *r, const char *body, uint32_t len)
{
	uint32_t role, disk;

	if (mdw_state_decode(body, len, &role, &disk)) {
		conn_fail(r, "malformed STATE from peer");
		return -1;
	}
	if (role != r->hs.peer_role)
		log_info("peer %s is now %s", peer_name(r), md_role_name(role));
	handshake_peer_role(r, role);
	admin_peer_state(r, disk);
	state_write(r, MD_LINK_CONNECTED);
	return 1;
}

static int handle_reject(struct repl *r, const char *body, uint32_t len)
{
	char msg[128];
	uint32_t code;

	if (mdw_reject_decode(body, len, &code, msg, sizeof(msg)) == 0)
		conn_fail(r, "peer refused the connection (%s): %s", mdw_reject_name(code), msg);
	else
		conn_fail(r, "peer refused the connection");
	return -1;
}

/* Every packet type a connected peer may send; others end the connection. */
static const pkt_handler handlers[] = {
	[MDW_DATA]	 = handle_data,		/* apply.c */
	[MDW_ACK]	 = handle_ack,		/* send.c */
	[MDW_PING]	 = handle_ping,
	[MDW_PONG]	 = handle_pong,
	[MDW_STATE]	 = handle_state,
	[MDW_BITMAP]	 = handle_bitmap,	/* resync.c */
	[MDW_BITMAP_END] = handle_bitmap_end,	/* resync.c */
	[MDW_RS_DONE]	 = handle_rs_done,	/* resync.c */
	[MDW_RS_DIGEST]	 = handle_rs_digest,	/* csum.c */
	[MDW_RS_REPLY]	 = handle_rs_reply,	/* csum.c */
	[MDW_VF_DIGEST]	 = handle_vf_digest,	/* csum.c */
	[MDW_VF_REPLY]	 = handle_vf_reply,	/* verify.c */
	[MDW_REJECT]	 = handle_reject,
};

/* Returns 1 consumed, 0 stall, -1 error. */
static int handle_packet(struct repl *r, uint16_t type, const char *body, uint32_t len)
{
	if (type >= sizeof(handlers) / sizeof(handlers[0]) || !handlers[type]) {
		conn_fail(r, "unexpected packet type %u from peer", type);
		return -1;
	}
	log_debug("rx %s, %u bytes", mdw_type_name(type), len);
	return handlers[type](r, body, len);
}

/* The stream's next packet, cut by the end of the last receive, must
 * fit in the buffer from where it starts; else move it to the front. */
static void rx_compact(struct repl *r)
{
	size_t have = r->rx.len - r->rx.start, need = sizeof(struct mdw_hdr);
	struct mdw_hdr h;
	uint16_t type;
	uint32_t blen;

	if (!have) {
		r->rx.start = r->rx.len = 0;
		return;
	}
	if (have >= sizeof(h)) {
		memcpy(&h, r->rx.buf + r->rx.start, sizeof(h));
		if (r->hs.integrity)
			h.digest = 0;
		if (!mdw_hdr_decode(&h, &type, &blen))
			need = sizeof(h) + blen;	/* at most MDW_MAX_BODY more */
	}
	if (r->rx.start + need <= RBUF_SIZE)
		return;
	memmove(r->rx.buf, r->rx.buf + r->rx.start, have);
	r->rx.start = 0;
	r->rx.len = have;
}

static void rx_parse(struct repl *r)
{
	size_t pos = r->rx.start;

	while (!r->conn.failing && r->rx.len - pos >= sizeof(struct mdw_hdr)) {
		struct mdw_hdr h;
		uint16_t type;
		uint32_t blen;
		int rc;

		memcpy(&h, r->rx.buf + pos, sizeof(h));
		if (r->hs.integrity)
			h.digest = 0;	/* checked below, with the body */
		rc = mdw_hdr_decode(&h, &type, &blen);
		if (rc) {
			conn_fail(r, "protocol error from peer: %s", strerror(-rc));
			break;
		}
		if (r->rx.len - pos < sizeof(struct mdw_hdr) + blen)
			break;
		if (r->hs.integrity &&
		    mdw_hdr_decode_sealed(r->rx.buf + pos, r->rx.buf + pos + sizeof(h), &type, &blen)) {
			/* Corrupted on the way (TCP's checksum let it pass):
			 * nothing of it is used; the link is reset, and what
			 * it carried is unacknowledged, so marked and resynced. */
			conn_fail(r, "data integrity: a %s packet of %u bytes failed its digest",
				  mdw_type_name(type), blen);
			break;
		}
		rc = handle_packet(r, type, r->rx.buf + pos + sizeof(struct mdw_hdr), blen);
		if (rc <= 0) {
			r->rx.stalled = rc == 0;
			break;
		}
		pos += sizeof(struct mdw_hdr) + blen;
	}
	flush_kacks(r);
	rs_kick(r);
	r->rx.start = pos;
	rx_compact(r);
}

static void rx_cb(struct io_op *op, int res)
{
	struct repl *r = op->ctx;

	if (r->conn.failing)
		return;
	if (res == -EINTR || res == -EAGAIN) {
		rx_post(r);
		return;
	}
	if (res <= 0) {
		const char *tls = r->conn.tls ? md_tls_rx_error(res) : NULL;

		conn_fail(r, "%s", tls ? tls : res ? strerror(-res) : "peer closed the connection");
		return;
	}
	r->rx.len += (size_t)res;
	conn_note_rx(r);
	rx_parse(r);
	rx_post(r);
}

void rx_post(struct repl *r)
{
	if (r->conn.failing || r->rx.op.busy || r->rx.stalled)
		return;
	r->rx.op = (struct io_op){ .kind = IO_RECV, .fd = r->conn.sock, .stream = true,
				   .buf = r->rx.buf + r->rx.len, .len = RBUF_SIZE - r->rx.len,
				   .cb = rx_cb, .ctx = r };
	ioq_submit(r->io, &r->rx.op);
}

void rx_resume(struct repl *r)
{
	if (!r->rx.stalled || r->conn.failing)
		return;
	r->rx.stalled = false;
	rx_parse(r);
	rx_post(r);
}

/* ---- connection establishment and handshake ---- */

/* The receive buffer, allocated and touched once (repl_init). */
int rx_init(struct repl *r)
{
	r->rx.buf = buf_alloc_touched(RBUF_SIZE);
	return r->rx.buf ? 0 : -ENOMEM;
}

void rx_fini(struct repl *r)
{
	free(r->rx.buf);
	r->rx.buf = NULL;
}

void rx_reset(struct repl *r)
{
	r->rx.start = r->rx.len = 0;
	r->rx.stalled = false;
}
