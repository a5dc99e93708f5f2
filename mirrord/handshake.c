/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handshake.c - a connection's life until it carries data, on either
 * side, the role a parameter: who the peer is, and which copy is newer.
 *
 * One socket in its handshake is a struct hs_sock (repl.h).  Both sides
 * run the same steps on it:
 *   1. address check (hs_admit; the listener, before a byte);
 *   2. AUTH (lib/auth.h): hs_begin sends the connector's step 1, hs_step
 *      reads what the peer owes next without blocking and answers it;
 *   3. with encryption = tls, the TLS handshake keyed from that AUTH
 *      exchange (encrypt_link; the listener is the TLS server);
 *   4. HELLO both ways: protocol range, features (data-integrity and
 *      compression must match), sizes, generation
 *      identifiers, rebuild marks, role, disk state; the connector sends
 *      first;
 *   5. the verdict (md_hello_decide, lib/decide.c): compatibility,
 *      features, the resync direction; what either side refuses is
 *      answered with REJECT and a reason both logs show.
 * The listener (conn.c) steps up to MAX_CANDIDATES sockets through 1, 2
 * and, without TLS, the peer's HELLO, all at once and without blocking,
 * so that no client can hold it; the first through (hs_ready) comes to
 * handshake(), which finishes the rest within one `timeout`, as it runs
 * all of it for the connector (hs_run: the same hs_step, waiting in
 * poll).  The decision (r->hs.decision) is acted on by sync_begin
 * (resync.c).
 *
 * Owns r->hs (the decision until the resync ends: handshake_resync_over;
 * the peer's role, as MDW_STATE changes it: handshake_peer_role); reads
 * r->auth; derives the connection's TLS key into r->conn.psk and starts
 * its session in r->conn.tls (closed by conn_close).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"

/* The peer says its role changed (MDW_STATE). */
void handshake_peer_role(struct repl *r, uint32_t role)
{
	r->hs.peer_role = role;
}

/*
 * Tell the peer our role and, where it understands it
 * (MDW_FEAT_DISK_STATE), our disk state: after a role change, and when the
 * disk state changes while connected (a failed write, a flush that
 * failed, a verify that differed), so that its peer_disk_state follows
 * without waiting for the next handshake.
 */
void handshake_tell_state(struct repl *r)
{
	void *body;

	if (r->conn.sock < 0 || r->conn.failing || r->adm.link != MD_LINK_CONNECTED)
		return;
	body = ctl_packet(r, MDW_STATE, sizeof(struct mdw_state));
	if (!body)
		return;
	mdw_state_encode(body, r->dev.role, r->hs.peer_features & MDW_FEAT_DISK_STATE ?
			 r->adm.disk_state : 0);
	ctl_kick(r);
}

/* The resync the handshake decided on is over (done or given up): status
 * shows the pair in sync from now on. */
void handshake_resync_over(struct repl *r)
{
	r->hs.decision = MD_SYNC_NONE;
}

_Static_assert(sizeof(struct mdw_reject) <= sizeof(struct mdw_hello), "hs_sock.buf holds a REJECT");

/* Address check: is this the configured peer's address (the port does
 * not matter)?  The listener closes anything else before a byte. */
bool hs_admit(const struct repl *r, const struct sockaddr_storage *ss)
{
	const struct sockaddr_storage *p = &r->conn.peer_addr;

	if (ss->ss_family != p->ss_family)
		return false;
	if (ss->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)ss)->sin_addr,
			       &((const struct sockaddr_in *)p)->sin_addr, sizeof(struct in_addr));
	if (ss->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
			       &((const struct sockaddr_in6 *)p)->sin6_addr, sizeof(struct in6_addr));
	return false;
}

/* One packet, all or nothing: it is small and the socket's buffer is
 * empty at every point of the handshake that sends. */
static int hs_send(int fd, uint16_t type, const void *body, uint32_t len)
{
	char buf[sizeof(struct mdw_hdr) + sizeof(struct mdw_hello)];

	mdw_hdr_encode(buf, type, len);
	memcpy(buf + sizeof(struct mdw_hdr), body, len);
	return send(fd, buf, sizeof(struct mdw_hdr) + len, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	       (ssize_t)(sizeof(struct mdw_hdr) + len) ? 0 : -EIO;
}

static int hs_fail(struct hs_sock *h, int rc, const char *why)
{
	h->why = why;
	return rc;
}

/*
 * fd starts its handshake on this side: the connector sends AUTH step 1,
 * the listener waits for it.  0, or -errno with h->why.
 */
int hs_begin(struct repl *r, struct hs_sock *h, int fd, bool listener)
{
	struct md_auth_msg m;
	char body[sizeof(struct mdw_auth)];
	bool have;

	*h = (struct hs_sock){ .fd = fd, .listener = listener, .since_ms = now_ms() };
	if (md_auth_begin(&h->auth, listener, r->auth.method, r->auth.flags, r->auth.key,
			  r->auth.keylen, r->res->name, &m, &have))
		return hs_fail(h, -EIO, "no random bytes for a nonce");
	if (!have)
		return 0;
	mdw_auth_encode(body, &m);
	return hs_send(fd, MDW_AUTH, body, sizeof(body)) ? hs_fail(h, -EIO, "could not send AUTH") : 0;
}

/* The packet the peer owes next: -1 for HELLO or REJECT (the connector
 * may be refused there), else its one type; and its body's length. */
static uint32_t hs_expect(const struct hs_sock *h, uint16_t type, bool *ok)
{
	if (!h->authed) {
		*ok = type == MDW_AUTH;
		return sizeof(struct mdw_auth);
	}
	*ok = type == MDW_HELLO || (type == MDW_REJECT && !h->listener);
	return type == MDW_REJECT ? sizeof(struct mdw_reject) : sizeof(struct mdw_hello);
}

/* A whole AUTH message arrived: take it, answer it when there is one to
 * send (also after a failed check: auth.h).  0 or -errno. */
static int hs_auth(struct hs_sock *h)
{
	struct md_auth_msg in, out;
	bool have = false;
	int rc;

	rc = mdw_auth_decode(h->buf + sizeof(struct mdw_hdr), sizeof(struct mdw_auth), &in);
	rc = rc ? -EPROTO : md_auth_step(&h->auth, &in, &out, &have);
	if (have) {
		char body[sizeof(struct mdw_auth)];

		mdw_auth_encode(body, &out);
		if (hs_send(h->fd, MDW_AUTH, body, sizeof(body)) && rc >= 0)
			return hs_fail(h, -EIO, h->listener ? "could not answer its AUTH" :
				       "could not send AUTH");
	}
	if (rc < 0) {	/* after the answer: an encryption mismatch is told */
		h->auth_rc = rc;
		return hs_fail(h, -EACCES, md_auth_error(rc));
	}
	h->authed = rc == MD_AUTH_DONE;
	return 0;
}

/*
 * Read what the peer sent on h, without blocking, and act on it: answer
 * its AUTH, keep its HELLO.  Either side, any step.  0 to wait for more
 * (poll h->fd), 1 when h->authed or h->have_hello became true, or -errno
 * with h->why (and h->auth_rc when authentication failed): the socket
 * is then to be closed.  A wrong type or length is refused at its header.
 */
int hs_step(struct hs_sock *h)
{
	uint16_t type;
	uint32_t len, want;
	bool ok, was = h->authed;
	ssize_t n;

	for (;;) {
		size_t need = sizeof(struct mdw_hdr);

		/* A header kept from an earlier call was checked then. */
		if (h->got >= need && !mdw_hdr_decode(h->buf, &type, &len))
			need += len;
		n = recv(h->fd, h->buf + h->got, need - h->got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return hs_fail(h, n ? -errno : -ECONNRESET, h->got || h->msgs || !h->listener ?
				       "closed during the handshake" : "closed before a word");
		h->got += (size_t)n;
		if (h->got < sizeof(struct mdw_hdr))
			continue;
		if (mdw_hdr_decode(h->buf, &type, &len) ||
		    (want = hs_expect(h, type, &ok), !ok) || len != want) {
			/* The connector reached the configured address: what
			 * answers there is the peer, and its broken AUTH shows
			 * in status.  A listener hears from anyone: closed,
			 * counted, no more. */
			if (!h->listener && !h->authed)
				h->auth_rc = -EPROTO;
			return hs_fail(h, -EPROTO, !h->listener || h->msgs ?
				       "it broke the handshake" : "it did not start with AUTH");
		}
		if (h->got == sizeof(struct mdw_hdr) + len)
			break;
	}
	h->msgs++;
	if (h->authed) {
		h->have_hello = true;
		return 1;
	}
	h->got = 0;
	n = hs_auth(h);
	return n < 0 ? (int)n : h->authed != was;
}

/* The listener's candidate is through: authenticated, and without
 * encryption its HELLO read (with it the HELLO comes inside TLS). */
bool hs_ready(const struct repl *r, const struct hs_sock *h)
{
	return h->authed && (h->have_hello || (r->auth.flags & MDW_AUTH_F_TLS));
}

/* h failed authentication (h->auth_rc): the reason, in status and, once
 * per reason, in the log. */
void hs_refused(struct repl *r, const struct hs_sock *h)
{
	if (strcmp(md_auth_error(h->auth_rc), r->conn.fail_reason))
		log_err("%s (%s)", md_auth_error(h->auth_rc), peer_name(r));
	conn_set_reason(r, "%s", md_auth_error(h->auth_rc));
}

/*
 * Drive h until done(h) by the deadline, waiting on its socket.  0, or
 * -errno: a failed authentication told (hs_refused), anything else
 * logged as the handshake's failure.
 */
static int hs_run(struct repl *r, struct hs_sock *h, uint64_t deadline, bool hello)
{
	while (!(hello ? h->have_hello : h->authed)) {
		struct pollfd pf = { .fd = h->fd, .events = POLLIN };
		uint64_t now = now_ms();
		int rc = hs_step(h);

		if (rc < 0) {
			if (h->auth_rc)
				hs_refused(r, h);
			else
				log_warn("handshake with %s failed: %s", peer_name(r), h->why);
			return rc;
		}
		if (rc || (hello ? h->have_hello : h->authed))
			continue;
		if (now >= deadline) {
			log_warn("handshake with %s failed: no handshake within the timeout",
				 peer_name(r));
			return -ETIMEDOUT;
		}
		if (poll(&pf, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * encryption = tls: the TLS handshake right after AUTH, keyed for this
 * connection from the AUTH exchange (lib/tls.h); the listener is the TLS
 * server.  Afterwards the kernel encrypts and decrypts everything on the
 * socket.  0 or -errno (logged once per reason, in fail_reason).
 */
static int encrypt_link(struct repl *r, struct hs_sock *h, uint64_t deadline)
{
	char err[256];
	int rc;

	if (!(r->auth.flags & MDW_AUTH_F_TLS))
		return 0;
	if (md_tls_psk(&h->auth, r->conn.psk)) {
		log_err("no TLS key could be derived for %s", peer_name(r));
		return -EIO;
	}
	rc = md_tls_start(h->fd, h->listener ? MD_TLS_SERVER : 0, r->conn.psk, deadline,
			  &r->conn.tls, err, sizeof(err));
	if (rc) {
		if (strcmp(err, r->conn.fail_reason))
			log_err("%s (%s)", err, peer_name(r));
		conn_set_reason(r, "%s", err);
	}
	return rc;
}

/* Returns 0 when the peer is accepted, -EPROTO when either side refused. */
int handshake(struct repl *r, struct hs_sock *h)
{
	struct md_hello_info me = {
		.proto_min = r->opt.proto_min, .proto_max = r->opt.proto_max,
		.features = MDW_FEATURES_SUPPORTED | (r->res->data_integrity ? MDW_FEAT_XXH3 : 0) |
			    (r->res->compression != MD_COMP_NONE ? MDW_FEAT_ZSTD : 0),
		.size_bytes = r->dev.size_bytes,
		.chunk_bytes = r->dev.chunk_bytes, .role = r->dev.role,
	}, them;
	char body[sizeof(struct mdw_hello)], why[256], msg[128];
	uint32_t version, code;
	uint16_t type;
	uint32_t len;
	int rc;
	uint64_t deadline = now_ms() + (uint64_t)r->res->timeout_s * 1000;
	struct md_ioc_status st;
	struct md_super sb;

	r->hs.decision = MD_SYNC_NONE;
	snprintf(me.resource, sizeof(me.resource), "%s", r->res->name);
	snprintf(me.node, sizeof(me.node), "%s", r->res->nodes[r->me].name);
	snprintf(me.peer, sizeof(me.peer), "%s", r->res->nodes[r->peer].name);
	rc = md_meta_read(r->dev.meta_fd, r->dev.meta_area, &sb, NULL);
	if (rc) {
		log_err("cannot read the metadata: %s", strerror(-rc));
		return rc;
	}
	rc = kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st);
	if (rc)
		return rc;
	dev_note_role(r, st.role);
	me.role = st.role;
	me.gen_current = sb.gen_current;
	me.gen_bitmap = sb.gen_bitmap;
	me.gen_history[0] = sb.gen_history[0];
	me.gen_history[1] = sb.gen_history[1];
	me.sb_flags = sb.flags;
	me.disk_state = sb.disk_state;
	me.oos_chunks = st.oos_chunks;
	/* The listener's candidate is authenticated already (conn.c). */
	if ((rc = hs_run(r, h, deadline, false)) || (rc = encrypt_link(r, h, deadline)))
		return rc;
	mdw_hello_encode(body, &me);
	if ((rc = hs_send(h->fd, MDW_HELLO, body, sizeof(body))))
		return rc;
	/* The listener without TLS has the peer's HELLO already. */
	if ((rc = hs_run(r, h, deadline, true)))
		return rc;
	mdw_hdr_decode(h->buf, &type, &len);
	memcpy(body, h->buf + sizeof(struct mdw_hdr), len);
	if (type == MDW_REJECT) {
		if (mdw_reject_decode(body, len, &code, msg, sizeof(msg)))
			snprintf(msg, sizeof(msg), "(unreadable reason)");
		snprintf(why, sizeof(why), "peer refused: %s", msg);
		/* Retried every few seconds (a detached peer, a split brain):
		 * log a refusal once, not at every attempt. */
		if (strcmp(why, r->conn.fail_reason))
			log_err("peer %s refused us (%s): %s", peer_name(r), mdw_reject_name(code), msg);
		conn_set_reason(r, "%s", why);
		return -EPROTO;
	}
	rc = mdw_hello_decode(body, len, &them);
	if (rc) {
		snprintf(why, sizeof(why), "malformed HELLO");
		code = MDW_REJ_PROTO;
	} else {
		code = md_hello_decide(&me, &them, r->me, &version, &r->hs.decision, why,
				       sizeof(why));
	}
	if (!code && (r->hs.decision == MD_SYNC_TARGET_BITMAP || r->hs.decision == MD_SYNC_TARGET_FULL) &&
	    fence_before_resync_target(r, why, sizeof(why)))
		code = MDW_REJ_HANDLER;	/* this copy may not become inconsistent yet */
	if (code) {
		char reason[sizeof(r->conn.fail_reason)];

		snprintf(reason, sizeof(reason), "refused peer: %s", why);
		if (strcmp(reason, r->conn.fail_reason))
			log_err("refusing peer %s (%s): %s", peer_name(r), mdw_reject_name(code), why);
		conn_set_reason(r, "%s", reason);
		mdw_reject_encode(body, code, why);
		hs_send(h->fd, MDW_REJECT, body, sizeof(struct mdw_reject));
		return -EPROTO;
	}
	r->hs.peer_role = them.role;
	r->hs.peer_features = them.features;
	r->hs.integrity = them.features & me.features & MDW_FEAT_XXH3;
	r->hs.zstd = them.features & me.features & MDW_FEAT_ZSTD;
	admin_peer_met(r, them.disk_state);
	log_info("connected to %s (protocol %u, peer is %s, %s, %s, %s%s)", peer_name(r), version,
		 md_role_name(them.role), md_sync_decision_name(r->hs.decision),
		 r->auth.method == MDW_AUTH_NONE ? "unauthenticated: auth = none" : "authenticated",
		 r->conn.tls ? "encrypted: TLS 1.2 in the kernel" : "not encrypted",
		 r->hs.zstd ? ", compressed: zstd" : "");
	return 0;
}

/*
 * Detached, or pulled ahead under congestion (async.c, as_ahead): tell a
 * peer that connects why it cannot, and hang up.  Only
 * the listener gets here, with a candidate conn.c authenticated.  With
 * encryption the peer expects TLS after AUTH, so the refusal goes inside
 * it (else the peer reads a broken handshake instead of the reason), and
 * its HELLO, which it sends right after the TLS handshake, is read first:
 * a close with unread data is a reset, which can discard our REJECT at
 * the peer before it reads it.  Without encryption its HELLO is read
 * already.
 */
void handshake_refuse_idle(struct repl *r, struct hs_sock *h)
{
	char body[sizeof(struct mdw_reject)], why[160];
	uint64_t now = now_ms(), deadline = now + (uint64_t)r->res->timeout_s * 1000;
	bool ahead = !r->adm.detached;

	if (!encrypt_link(r, h, deadline) && !hs_run(r, h, deadline, true)) {
		if (ahead) {
			/* The same text for the whole hold-off (the peer logs a
			 * refusal once, not at every retry): its end in UTC,
			 * fixed when it began. */
			time_t until = (time_t)r->as.ahead_until_s;
			struct tm tm;
			char at[16];

			gmtime_r(&until, &tm);
			strftime(at, sizeof(at), "%H:%M:%S", &tm);
			snprintf(why, sizeof(why), "%s pulled ahead under congestion: the link stays "
				 "down until %s UTC, then a resync", r->res->nodes[r->me].name, at);
		} else {
			snprintf(why, sizeof(why), "%s is detached from the mirror (mdctl attach %s "
				 "there brings it back)", r->res->nodes[r->me].name, r->res->name);
		}
		mdw_reject_encode(body, ahead ? MDW_REJ_AHEAD : MDW_REJ_DETACHED, why);
		hs_send(h->fd, MDW_REJECT, body, sizeof(body));
	}
	conn_close(r, h->fd);
}
