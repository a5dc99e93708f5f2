/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - sockets to the peer, and the failure of a connection.
 *
 * The node listed first in the resource listens, the other connects; both
 * retry forever.  This file keeps only sockets: the listening one and its
 * table of candidates (each in its handshake, which handshake.c drives:
 * address check, AUTH, HELLO), the connector's socket, the session's
 * socket and TLS session.  The listener never blocks on one client: see
 * listen_once.  While a session is up it closes whatever else connects
 * (conn_refuse_pending), so nothing stale is first in line after a break.
 * Whatever breaks a connection, conn_fail first tells the kernel
 * (MD_CONN_STANDALONE): the kernel then completes every write the peer has
 * not acknowledged as "not replicated" and marks it in the bitmap, so
 * application I/O never waits on a dead link (with fencing =
 * resource-and-stonith on a primary, MD_CONN_HELD instead: the writes
 * wait for fence-peer, fence.c).  Then the superblock records
 * the break (a primary starts a new generation) and the socket is shut
 * down, which ends every operation on it; daemon.c waits for them before
 * the next attempt.
 *
 * Owns r->conn: the sockets, the TLS session, failing and its reason
 * (conn_fail, conn_set_reason), the peer's liveness clock, the candidate
 * table (cand, ncand, peer_addr) and the refusal counter.
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
	dev_role_now(r);
	state = fence_link_lost(r);
	rc = kctl_set_conn(r->dev.ctl_fd, state, 0, 0);
	/* Promoted between the read and the state change (mdctl's promotion
	 * that relied on the link is refused after it): decide again. */
	if (!rc && dev_role_now(r) && (state = fence_link_lost(r)) != MD_CONN_STANDALONE)
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

static void cand_accept(struct repl *r)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	while ((fd = accept4(r->conn.listen_fd, (struct sockaddr *)&ss, &sl,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct hs_sock *c;

		sl = sizeof(ss);
		if (!hs_admit(r, &ss)) {
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
		if (hs_begin(r, c, fd, true))
			cand_drop(r, r->conn.ncand - 1, c->why);
	}
}

/*
 * Candidate i's socket is readable: its handshake goes on (hs_step).
 * true when it got through (hs_ready); false to wait, or when it was
 * dropped (closed, garbage, failed authentication: that one is told).
 */
static bool cand_read(struct repl *r, int i)
{
	struct hs_sock *c = &r->conn.cand[i];
	int rc = hs_step(c);

	if (rc >= 0)
		return hs_ready(r, c);
	if (c->auth_rc) {
		hs_refused(r, c);
		state_write(r, r->adm.link);
	}
	cand_drop(r, i, c->why);
	return false;
}

/*
 * Listener: accept without blocking, only from the peer's address, and
 * keep up to MAX_CANDIDATES connections in their handshake at once, each
 * driven by handshake.c without blocking (hs_step: AUTH answered, then
 * their HELLO), each for at most `timeout` seconds.  The first through
 * (hs_ready) wins: it comes back in *h, its socket blocking again, for
 * handshake() to finish.  A silent client, a slow one, garbage, one without the
 * secret, or many of them cannot keep the peer out: each is dropped at its
 * deadline or at its first wrong byte, and when the table is full the
 * oldest goes.  Waits at most RETRY_DELAY_MS, less when a signal comes.
 */
static int listen_once(struct repl *r, volatile int *stop, struct hs_sock *h)
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
		/* A signal (the control thread's SIGUSR1, a stop) goes to repl_run at once:
		 * mdctl set/pause expect the state file to follow promptly. */
		if (poll(p, (nfds_t)n + 1, wait) < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		now = now_ms();
		/* Backwards: cand_drop moves the last entry into the hole. */
		for (int i = n - 1; i >= 0; i--) {
			if (p[i].revents && cand_read(r, i)) {
				*h = r->conn.cand[i];
				r->conn.cand[i] = r->conn.cand[--r->conn.ncand];
				r->conn.cand[r->conn.ncand].fd = -1;
				fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) & ~O_NONBLOCK);
				tune_socket(r, h->fd);
				return 0;
			}
		}
		for (int i = r->conn.ncand - 1; i >= 0; i--)
			if (now - r->conn.cand[i].since_ms >= limit)
				cand_drop(r, i, "no handshake within the timeout");
		if (p[n].revents)
			cand_accept(r);
	}
	return -EAGAIN;
}


/*
 * One attempt to get a socket to the peer, in its handshake (*h, for
 * handshake()): 0, or -EAGAIN when it should retry (-ENOTCONN: the peer
 * did not take the connection at all: nothing listens there now).
 */
int conn_establish(struct repl *r, volatile int *stop, struct hs_sock *h)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, rc;

	if (r->conn.listen_fd >= 0)
		return listen_once(r, stop, h);
	if (r->adm.detached || as_ahead(r)) {
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
		return -ENOTCONN;
	}
	if (hs_begin(r, h, fd, false)) {
		log_warn("handshake with %s failed: %s", peer_name(r), h->why);
		close(fd);
		usleep(RETRY_DELAY_MS * 1000);
		return -EAGAIN;
	}
	return 0;
}

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
	tx_zc_close(r, fd);
	if (fd == r->conn.sock)
		r->conn.sock = -1;
	if (r->conn.tls) {
		md_tls_end(r->conn.tls);
		r->conn.tls = NULL;
	}
	OPENSSL_cleanse(r->conn.psk, sizeof(r->conn.psk));
	close(fd);
}
