/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - sockets to the peer, and the failure of a connection.
 *
 * The node listed first in the resource listens, the other connects; both
 * retry forever.  The listener never blocks on one client: see
 * listen_once.  While a session is up it closes whatever else connects
 * (conn_refuse_pending), so nothing stale is first in line after a break.  Whatever breaks a connection, conn_fail first tells the
 * kernel (MD_CONN_STANDALONE): the kernel then completes every write the
 * peer has not acknowledged as "not replicated" and marks it in the
 * bitmap, so application I/O never waits on a dead link.  (With fencing =
 * resource-and-stonith on a primary, MD_CONN_HELD instead: the writes
 * wait for fence-peer, fence.c.)  Then the
 * superblock records the break (a primary starts a new generation) and
 * the socket is shut down, which ends every operation on it; daemon.c
 * waits for them before the next attempt.
 *
 * Owns r->conn: the sockets, the TLS session, failing and its reason
 * (conn_fail, conn_set_reason), the peer's liveness clock, the candidates
 * (cand, ncand, hello, have_hello, authed, peer_addr) and the refusal
 * counter.  With encryption = tls the listener's candidates are done after
 * AUTH (their HELLO comes inside TLS, handshake.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"

static bool kernel_gave_up(struct repl *r, char *why, size_t len);

void conn_set_reason(struct repl *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->conn.fail_reason, sizeof(r->conn.fail_reason), fmt, ap);
	va_end(ap);
}

/* A connection starts: not failing, its timers from now. */
void conn_reset(struct repl *r)
{
	r->conn.failing = false;
	r->conn.last_rx_ms = r->conn.last_tx_ms = now_ms();
}

/* Bytes came from the peer: it is alive (the `timeout` clock). */
void conn_note_rx(struct repl *r)
{
	r->conn.last_rx_ms = now_ms();
}

/* Something went to the peer: no PING needed for a while. */
void conn_note_tx(struct repl *r)
{
	r->conn.last_tx_ms = now_ms();
}

void conn_fail(struct repl *r, const char *fmt, ...)
{
	va_list ap;
	uint32_t state;
	int rc;

	if (r->conn.failing)
		return;
	r->conn.failing = true;
	va_start(ap, fmt);
	vsnprintf(r->conn.fail_reason, sizeof(r->conn.fail_reason), fmt, ap);
	va_end(ap);
	/* After a SIGCONT the first thing seen may be the peer's hang-up:
	 * the root cause is the kernel's, say that. */
	if (r->conn.sock >= 0)
		kernel_gave_up(r, r->conn.fail_reason, sizeof(r->conn.fail_reason));
	log_warn("connection to %s lost: %s", peer_name(r), r->conn.fail_reason);
	/* First unblock the application: the kernel marks what is unacked.
	 * Except with fencing = resource-and-stonith on a primary: then the
	 * kernel holds the writes until fence-peer succeeds (fence.c).
	 * Should the kernel refuse, closing the channel is the way left to
	 * the same end (it fails everything the daemon held, or keeps it
	 * held); the daemon cannot go on without a channel, so it stops and
	 * is restarted. */
	state = fence_link_lost(r);
	rc = kctl_set_conn(r->dev.ctl_fd, state, 0, 0);
	if (rc) {
		log_err("the kernel refused the %s state (%s): closing the channel so that "
			"no write waits on the lost peer", state == MD_CONN_HELD ? "held" : "standalone",
			strerror(-rc));
		dev_abort_channel(r);
	}
	rc = sb_update(r, md_tr_link_lost,
		       &(struct md_tr){ .primary = r->dev.role == MD_ROLE_PRIMARY });
	if (rc < 0)
		log_err("recording the break in the metadata failed: %s", strerror(-rc));
	shutdown(r->conn.sock, SHUT_RDWR);
	for (int i = 0; i < 2; i++)
		if (r->snd.sb[i].state == SB_READING)
			ioq_cancel(r->io, &r->snd.sb[i].op);
	ioq_cancel(r->io, &r->rx.op);
}

/*
 * Did the kernel give up on this daemon (kmod/deadline.c: it missed the
 * deadline, stopped or stuck in a system call)?  Then that is the cause
 * of whatever breaks now: the reason, in why.
 */
static bool kernel_gave_up(struct repl *r, char *why, size_t len)
{
	struct md_ioc_status st;

	if (kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st) || !(st.flags & MD_SF_DAEMON_LATE))
		return false;
	snprintf(why, len, "the kernel stopped waiting for this daemon: the request at offset %llu "
		 "waited more than %u s (was mirrord stopped or stuck?)",
		 (unsigned long long)st.late_offset, conn_deadline_s(r));
	return true;
}

/*
 * The kernel left the connected state by itself: everything this daemon
 * held was completed as not replicated.  Fail the connection too, so that
 * the pair reconnects and resyncs.  true when that is what happened.
 */
bool conn_kernel_gave_up(struct repl *r)
{
	struct md_ioc_status st;

	if (r->conn.sock < 0 || r->conn.failing ||
	    kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st) || st.conn == MD_CONN_CONNECTED)
		return false;
	conn_fail(r, "the kernel left the connected state");
	return true;
}

/* What the kernel waits for us (kmod/deadline.c): our own progress bound
 * plus one link timeout, so that normally we act first. */
uint32_t conn_deadline_s(const struct repl *r)
{
	uint64_t s = progress_bound_ms(r) / 1000 + (uint64_t)r->res->timeout_s;

	return s > MD_DEADLINE_MAX_S ? MD_DEADLINE_MAX_S : (uint32_t)s;
}

static int resolve(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char ps[16];
	int rc;

	snprintf(ps, sizeof(ps), "%d", port);
	rc = getaddrinfo(addr, ps, &hints, &ai);
	if (rc)
		return -EADDRNOTAVAIL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int conn_listen(struct repl *r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, rc;

	rc = resolve(r->res->nodes[r->peer].address, r->res->port, &r->conn.peer_addr, &sl);
	if (!rc)
		rc = resolve(r->res->nodes[r->me].address, r->res->port, &ss, &sl);
	if (rc)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 16)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	r->conn.listen_fd = fd;
	for (int i = 0; i < MAX_CANDIDATES; i++)
		r->conn.cand[i].fd = -1;
	return 0;
}

static void tune_socket(struct repl *r, int fd)
{
	int one = 1;
	struct timeval tv = { .tv_sec = r->res->timeout_s };

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Connections we closed, logged at most every 10 s for the same reason. */
static void note_refused(struct repl *r, const char *why, const char *from)
{
	uint64_t now = now_ms();

	r->conn.refused++;
	if (now - r->conn.refused_logged_ms < 10000 && r->conn.refused_why &&
	    !strcmp(r->conn.refused_why, why))
		return;
	r->conn.refused_logged_ms = now;
	r->conn.refused_why = why;
	log_warn("closed a connection to port %d%s%s: %s (%llu such so far)", r->res->port,
		 from ? " from " : "", from ? from : "", why, (unsigned long long)r->conn.refused);
}

static void cand_drop(struct repl *r, int i, const char *why)
{
	if (why)
		note_refused(r, why, NULL);
	close(r->conn.cand[i].fd);
	r->conn.cand[i] = r->conn.cand[--r->conn.ncand];
	r->conn.cand[r->conn.ncand].fd = -1;
}

void conn_drop_candidates(struct repl *r)
{
	while (r->conn.ncand)
		cand_drop(r, 0, NULL);
}

/*
 * A session is up: whatever waits in the backlog is not our peer (or is a
 * stale attempt of it); close it now rather than let it be the first
 * accepted after a break.
 */
void conn_refuse_pending(struct repl *r)
{
	int fd;

	if (r->conn.listen_fd < 0)
		return;
	while ((fd = accept4(r->conn.listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(fd);
		note_refused(r, "a session with the peer is up", NULL);
	}
}

/* Is this the configured peer's address (the port does not matter)? */
static bool from_peer(const struct repl *r, const struct sockaddr_storage *ss)
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

static void cand_accept(struct repl *r, uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	while ((fd = accept4(r->conn.listen_fd, (struct sockaddr *)&ss, &sl,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct candidate *c;
		struct md_auth_msg none;
		bool have;

		sl = sizeof(ss);
		if (!from_peer(r, &ss)) {
			char a[64] = "?";

			getnameinfo((struct sockaddr *)&ss, sizeof(ss), a, sizeof(a), NULL, 0, NI_NUMERICHOST);
			close(fd);	/* not a byte sent */
			note_refused(r, "not from the peer's address", a);
			continue;
		}
		if (r->conn.ncand == MAX_CANDIDATES) {
			int old = 0;

			for (int i = 1; i < r->conn.ncand; i++)
				if (r->conn.cand[i].since_ms < r->conn.cand[old].since_ms)
					old = i;
			cand_drop(r, old, "too many connections waiting: the oldest goes");
		}
		c = &r->conn.cand[r->conn.ncand++];
		*c = (struct candidate){ .fd = fd, .since_ms = now };
		if (md_auth_begin(&c->auth, true, r->auth.method, r->auth.flags, r->auth.key,
				  r->auth.keylen, r->res->name, &none, &have))
			cand_drop(r, r->conn.ncand - 1, "no random bytes for a nonce");
	}
}

/* The packet a candidate owes us next: type and body length. */
static void cand_expect(const struct candidate *c, uint16_t *type, uint32_t *len)
{
	*type = c->phase < 2 ? MDW_AUTH : MDW_HELLO;
	*len = c->phase < 2 ? sizeof(struct mdw_auth) : sizeof(struct mdw_hello);
}

/* A candidate failed authentication: closed, logged, shown in status. */
static void cand_auth_failed(struct repl *r, int i, int rc)
{
	conn_set_reason(r, "%s", md_auth_error(rc));
	cand_drop(r, i, md_auth_error(rc));
	state_write(r, r->adm.link);
}

/*
 * Read what candidate i has sent, and answer its authentication.  Returns
 * 1 when it authenticated and its HELLO is complete, 0 to wait, -1 when it
 * was dropped (closed, garbage, failed authentication).
 */
static int cand_read(struct repl *r, int i)
{
	struct candidate *c = &r->conn.cand[i];
	struct md_auth_msg in, out;
	uint16_t type, want;
	uint32_t len, wlen;
	bool have;
	ssize_t n;
	int rc;

	cand_expect(c, &want, &wlen);
	n = recv(c->fd, c->buf + c->got, sizeof(struct mdw_hdr) + wlen - c->got, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		cand_drop(r, i, c->phase ? "closed during the handshake" : "closed before a word");
		return -1;
	}
	c->got += (size_t)n;
	if (c->got < sizeof(struct mdw_hdr))
		return 0;
	if (mdw_hdr_decode(c->buf, &type, &len) || type != want || len != wlen) {
		cand_drop(r, i, c->phase ? "it broke the handshake" : "it did not start with AUTH");
		return -1;
	}
	if (c->got < sizeof(struct mdw_hdr) + wlen)
		return 0;
	c->got = 0;
	if (c->phase == 2)
		return 1;
	have = false;
	rc = mdw_auth_decode(c->buf + sizeof(struct mdw_hdr), wlen, &in);
	if (!rc)
		rc = md_auth_step(&c->auth, &in, &out, &have);
	else
		rc = -EPROTO;
	if (have) {
		char pkt[sizeof(struct mdw_hdr) + sizeof(struct mdw_auth)];

		mdw_hdr_encode(pkt, MDW_AUTH, sizeof(struct mdw_auth));
		mdw_auth_encode(pkt + sizeof(struct mdw_hdr), &out);
		/* 104 bytes into an empty socket buffer: all or nothing. */
		if (send(c->fd, pkt, sizeof(pkt), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(pkt) &&
		    rc >= 0) {
			cand_drop(r, i, "could not answer its AUTH");
			return -1;
		}
	}
	if (rc < 0) {	/* after the answer: an encryption mismatch is told */
		cand_auth_failed(r, i, rc);
		return -1;
	}
	c->phase++;
	/* With TLS the HELLO comes encrypted, after the TLS handshake. */
	return c->phase == 2 && (r->auth.flags & MDW_AUTH_F_TLS) ? 1 : 0;
}

/*
 * Listener: accept without blocking, only from the peer's address, and
 * keep up to MAX_CANDIDATES connections in their handshake at once (AUTH
 * answered here, lib/auth.h; then their HELLO), each for at most
 * `timeout` seconds.  The first that authenticated and whose HELLO is
 * complete wins: its fd comes back (blocking again) with the HELLO in
 * r->conn.hello.  A silent client, a slow one, garbage, one without the
 * secret, or many of them cannot keep the peer out: each is dropped at its
 * deadline or at its first wrong byte, and when the table is full the
 * oldest goes.  Waits at most RETRY_DELAY_MS, less when a signal comes.
 */
static int listen_once(struct repl *r, volatile int *stop)
{
	uint64_t now = now_ms(), end = now + RETRY_DELAY_MS;
	uint64_t limit = (uint64_t)r->res->timeout_s * 1000;

	while (!*stop && now < end) {
		struct pollfd p[MAX_CANDIDATES + 1];
		int n = r->conn.ncand, wait = (int)(end - now);

		for (int i = 0; i < n; i++) {
			uint64_t dl = r->conn.cand[i].since_ms + limit;

			p[i] = (struct pollfd){ .fd = r->conn.cand[i].fd, .events = POLLIN };
			if (dl <= now)
				wait = 0;
			else if (dl - now < (uint64_t)wait)
				wait = (int)(dl - now);
		}
		p[n] = (struct pollfd){ .fd = r->conn.listen_fd, .events = POLLIN };
		/* A signal (mdctl's SIGHUP, a stop) goes to repl_run at once:
		 * mdctl set/pause expect the state file to follow promptly. */
		if (poll(p, (nfds_t)n + 1, wait) < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		now = now_ms();
		/* Backwards: cand_drop moves the last entry into the hole. */
		for (int i = n - 1; i >= 0; i--) {
			int fd = r->conn.cand[i].fd;

			if (p[i].revents && cand_read(r, i) == 1) {
				struct candidate *c = &r->conn.cand[i];

				r->conn.authed = true;
				if (r->auth.flags & MDW_AUTH_F_TLS) {
					if (md_tls_psk(&c->auth, r->conn.psk)) {
						cand_drop(r, i, "no TLS key could be derived");
						continue;
					}
				} else {
					memcpy(r->conn.hello, c->buf + sizeof(struct mdw_hdr),
					       sizeof(r->conn.hello));
					r->conn.have_hello = true;
				}
				r->conn.cand[i].fd = -1;
				r->conn.cand[i] = r->conn.cand[--r->conn.ncand];
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
				tune_socket(r, fd);
				return fd;
			}
		}
		for (int i = r->conn.ncand - 1; i >= 0; i--)
			if (now - r->conn.cand[i].since_ms >= limit)
				cand_drop(r, i, "no handshake within the timeout");
		if (p[n].revents)
			cand_accept(r, now);
	}
	return -EAGAIN;
}


/* One attempt to get a socket to the peer; -EAGAIN when it should retry. */
int conn_establish(struct repl *r, volatile int *stop)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, rc;

	r->conn.have_hello = r->conn.authed = false;
	if (r->conn.listen_fd >= 0)
		return listen_once(r, stop);
	if (r->adm.detached) {
		usleep(POLL_INTERVAL_MS * 1000);
		return -EAGAIN;
	}
	rc = resolve(r->res->nodes[r->peer].address, r->res->port, &ss, &sl);
	if (rc)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	tune_socket(r, fd);
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		close(fd);
		usleep(RETRY_DELAY_MS * 1000);
		return -EAGAIN;
	}
	return fd;
}

/* Read len bytes by deadline_ms (now_ms() clock): 0, or -ETIMEDOUT, or
 * -ECONNRESET / -errno when the stream ends or fails. */
int conn_read_full(int fd, void *buf, size_t len, uint64_t deadline_ms)
{
	char *p = buf;

	while (len) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		n = poll(&pf, 1, (int)(deadline_ms - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int conn_send_sync(int fd, uint16_t type, const void *body, uint32_t len)
{
	char buf[sizeof(struct mdw_hdr) + sizeof(struct mdw_hello)];

	mdw_hdr_encode(buf, type, len);
	memcpy(buf + sizeof(struct mdw_hdr), body, len);
	return send(fd, buf, sizeof(struct mdw_hdr) + len, MSG_NOSIGNAL) ==
	       (ssize_t)(sizeof(struct mdw_hdr) + len) ? 0 : -EIO;
}


/* The end of a connection's socket, its TLS session with it. */
/* Before the first connection: no socket, no listener. */
void conn_init(struct repl *r)
{
	r->conn.sock = -1;
	r->conn.listen_fd = -1;
}

/* The handshake accepted fd: it is the session's socket now, and the
 * listener's other candidates go. */
void conn_adopt(struct repl *r, int fd)
{
	r->conn.sock = fd;
	conn_drop_candidates(r);
}

/* Close fd with its TLS session and key; the session's socket no more if
 * it was that. */
void conn_close(struct repl *r, int fd)
{
	if (fd == r->conn.sock)
		r->conn.sock = -1;
	if (r->conn.tls) {
		md_tls_end(r->conn.tls);
		r->conn.tls = NULL;
	}
	OPENSSL_cleanse(r->conn.psk, sizeof(r->conn.psk));
	close(fd);
}
