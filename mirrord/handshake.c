/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handshake.c - who the peer is, and which copy is newer.
 *
 * Both sides send HELLO (protocol range, features, sizes, generation
 * identifiers, rebuild marks, role) and read the other's, all within one
 * `timeout`.  The connecting side sends first; the listener has read the
 * peer's HELLO before it sends its own (conn.c, listen_once).
 * md_hello_decide (lib/decide.c) gives the verdict on the two HELLOs:
 * compatibility, features, the resync direction; what either side
 * refuses is answered with REJECT and a reason both logs show.  The
 * decision (r->hs.decision) is acted on by sync_begin (resync.c).
 *
 * Owns r->hs (the decision until the resync ends: handshake_resync_over;
 * the peer's role, as MDW_STATE changes it: handshake_peer_role); reads
 * r->auth.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"

/* The peer says its role changed (MDW_STATE). */
void handshake_peer_role(struct repl *r, uint32_t role)
{
	r->hs.peer_role = role;
}

/* The resync the handshake decided on is over (done or given up): status
 * shows the pair in sync from now on. */
void handshake_resync_over(struct repl *r)
{
	r->hs.decision = MD_SYNC_NONE;
}

static void auth_failed(struct repl *r, int rc)
{
	if (strcmp(md_auth_error(rc), r->conn.fail_reason))
		log_err("%s (%s)", md_auth_error(rc), peer_name(r));
	conn_set_reason(r, "%s", md_auth_error(rc));
}

/*
 * Connecting side: prove we hold the secret and have the listener prove
 * it (lib/auth.h), before a word of HELLO.  The listener's side of it runs
 * in conn.c.  0, or -EACCES when the peer failed (logged, in fail_reason).
 */
static int authenticate(struct repl *r, int fd, uint64_t deadline)
{
	char pkt[sizeof(struct mdw_hdr) + sizeof(struct mdw_auth)];
	struct md_auth_msg m, in;
	struct md_auth a;
	uint16_t type;
	uint32_t len;
	bool have;
	int rc;

	rc = md_auth_begin(&a, false, r->auth.method, r->auth.flags, r->auth.key, r->auth.keylen,
			   r->res->name, &m, &have);
	if (rc)
		return rc;
	mdw_auth_encode(pkt, &m);
	rc = conn_send_sync(fd, MDW_AUTH, pkt, sizeof(struct mdw_auth));
	if (!rc)
		rc = conn_read_full(fd, pkt, sizeof(struct mdw_hdr), deadline);
	if (!rc)
		rc = mdw_hdr_decode(pkt, &type, &len);
	if (!rc && (type != MDW_AUTH || len != sizeof(struct mdw_auth)))
		rc = -EPROTO;
	if (!rc)
		rc = conn_read_full(fd, pkt, len, deadline);
	if (rc) {
		if (rc == -EPROTO)
			auth_failed(r, rc);
		else
			log_warn("handshake with %s failed: %s", peer_name(r), strerror(-rc));
		return rc;
	}
	rc = mdw_auth_decode(pkt, len, &in);
	have = false;
	if (!rc)
		rc = md_auth_step(&a, &in, &m, &have);
	else
		rc = -EPROTO;
	if (have) {	/* also after a failed check: the listener learns it */
		mdw_auth_encode(pkt, &m);
		if (conn_send_sync(fd, MDW_AUTH, pkt, sizeof(struct mdw_auth)) && rc >= 0)
			rc = -EIO;
	}
	if (rc < 0) {
		if (rc == -EIO)
			return rc;
		auth_failed(r, rc);
		return -EACCES;
	}
	if ((r->auth.flags & MDW_AUTH_F_TLS) && md_tls_psk(&a, r->conn.psk)) {
		log_err("no TLS key could be derived for %s", peer_name(r));
		return -EIO;
	}
	return 0;
}

/*
 * encryption = tls: the TLS handshake right after AUTH, keyed for this
 * connection (lib/tls.h); the listener is the TLS server.  Afterwards the
 * kernel encrypts and decrypts everything on fd.  0 or -errno (logged
 * once per reason, in fail_reason).
 */
static int encrypt_link(struct repl *r, int fd, uint64_t deadline)
{
	char err[256];
	int rc;

	rc = md_tls_start(fd, r->conn.listen_fd >= 0 ? MD_TLS_SERVER : 0, r->conn.psk, deadline,
			  &r->conn.tls, err, sizeof(err));
	if (rc) {
		if (strcmp(err, r->conn.fail_reason))
			log_err("%s (%s)", err, peer_name(r));
		conn_set_reason(r, "%s", err);
	}
	return rc;
}

/* Returns 0 when the peer is accepted, -EPROTO when either side refused. */
int handshake(struct repl *r, int fd)
{
	struct md_hello_info me = {
		.proto_min = r->opt.proto_min, .proto_max = r->opt.proto_max,
		.features = MDW_FEATURES_SUPPORTED | (r->res->data_integrity ? MDW_FEAT_XXH3 : 0),
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
	/* The listener authenticated its candidates already (conn.c). */
	if (!r->conn.authed && (rc = authenticate(r, fd, deadline)))
		return rc;
	if ((r->auth.flags & MDW_AUTH_F_TLS) && (rc = encrypt_link(r, fd, deadline)))
		return rc;
	mdw_hello_encode(body, &me);
	rc = conn_send_sync(fd, MDW_HELLO, body, sizeof(body));
	if (rc)
		return rc;
	if (r->conn.have_hello) {
		/* The listener has the peer's HELLO already (conn.c). */
		type = MDW_HELLO;
		len = sizeof(struct mdw_hello);
		memcpy(body, r->conn.hello, len);
	} else {
		rc = conn_read_full(fd, body, sizeof(struct mdw_hdr), deadline);
		if (!rc)
			rc = mdw_hdr_decode(body, &type, &len);
		if (rc) {
			log_warn("handshake with %s failed: %s", peer_name(r), strerror(-rc));
			return rc;
		}
		if (type != MDW_HELLO && type != MDW_REJECT) {
			log_warn("handshake with %s: expected HELLO, got packet type %u", peer_name(r), type);
			return -EPROTO;
		}
		rc = conn_read_full(fd, body, len, deadline);
		if (rc) {
			log_warn("handshake with %s failed: %s", peer_name(r), strerror(-rc));
			return rc;
		}
	}
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
		conn_send_sync(fd, MDW_REJECT, body, sizeof(struct mdw_reject));
		return -EPROTO;
	}
	r->hs.peer_role = them.role;
	r->hs.peer_features = them.features;
	r->hs.integrity = them.features & me.features & MDW_FEAT_XXH3;
	log_info("connected to %s (protocol %u, peer is %s, %s, %s, %s)", peer_name(r), version,
		 md_role_name(them.role), md_sync_decision_name(r->hs.decision),
		 r->auth.method == MDW_AUTH_NONE ? "unauthenticated: auth = none" : "authenticated",
		 r->conn.tls ? "encrypted: TLS 1.2 in the kernel" : "not encrypted");
	return 0;
}

/*
 * Detached: tell a peer that connects why it cannot, and hang up.  Only
 * the listener gets here, with a candidate conn.c authenticated.  With
 * encryption the peer expects TLS after AUTH, so the refusal goes inside
 * it (else the peer reads a broken handshake instead of the reason), and
 * its HELLO, which it sends right after the TLS handshake, is read first:
 * a close with unread data is a reset, which can discard our REJECT at
 * the peer before it reads it.  Without encryption conn.c read the HELLO.
 */
void handshake_refuse_detached(struct repl *r, int fd)
{
	char body[sizeof(struct mdw_reject)], why[160];
	uint64_t deadline = now_ms() + (uint64_t)r->res->timeout_s * 1000;
	char hello[sizeof(struct mdw_hdr) + sizeof(struct mdw_hello)];
	uint16_t type;
	uint32_t len;

	if (r->auth.flags & MDW_AUTH_F_TLS) {
		if (encrypt_link(r, fd, deadline) ||
		    conn_read_full(fd, hello, sizeof(struct mdw_hdr), deadline) ||
		    mdw_hdr_decode(hello, &type, &len) || type != MDW_HELLO ||
		    len != sizeof(struct mdw_hello) ||
		    conn_read_full(fd, hello + sizeof(struct mdw_hdr), len, deadline)) {
			conn_close(r, fd);
			return;
		}
	}
	snprintf(why, sizeof(why), "%s is detached from the mirror (mdctl attach %s there "
		 "brings it back)", r->res->nodes[r->me].name, r->res->name);
	mdw_reject_encode(body, MDW_REJ_DETACHED, why);
	conn_send_sync(fd, MDW_REJECT, body, sizeof(body));
	conn_close(r, fd);
}
