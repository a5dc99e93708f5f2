/*
 * conn.c - sockets to the peer, and the failure of a connection.
 *
 * The node listed first in the resource listens, the other connects; both
 * retry forever.  Whatever breaks a connection, conn_fail first tells the
 * kernel (MD_CONN_STANDALONE): the kernel then completes every write the
 * peer has not acknowledged as "not replicated" and marks it in the
 * bitmap, so application I/O never waits on a dead link.  Then the
 * superblock records the break (a primary starts a new generation) and
 * the socket is shut down, which ends every operation on it; daemon.c
 * waits for them before the next attempt.
 *
 * Owns r->conn.listen_fd, sock, failing and fail_reason.
 */
#include <errno.h>
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
#include "kctl.h"
#include "log.h"
#include "repl.h"

/* Last resort when the kernel will not hear of a lost link: unbind by
 * closing the channel, then leave (mdctl or systemd restarts the daemon). */
static void abort_channel(struct repl *r)
{
	close(r->dev.ctl_fd);
	r->dev.ctl_fd = -1;
	log_err("channel closed; mirrord exits");
	exit(1);
}

void conn_fail(struct repl *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (r->conn.failing)
		return;
	r->conn.failing = true;
	va_start(ap, fmt);
	vsnprintf(r->conn.fail_reason, sizeof(r->conn.fail_reason), fmt, ap);
	va_end(ap);
	log_warn("connection to %s lost: %s", peer_name(r), r->conn.fail_reason);
	/* First unblock the application: the kernel marks what is unacked.
	 * Should the kernel refuse, closing the channel is the way left to
	 * the same end (it fails everything the daemon held); the daemon
	 * cannot go on without a channel, so it stops and is restarted. */
	rc = kctl_set_conn(r->dev.ctl_fd, MD_CONN_STANDALONE);
	if (rc) {
		log_err("the kernel refused the standalone state (%s): closing the channel so that "
			"no write waits on the lost peer", strerror(-rc));
		abort_channel(r);
	}
	rc = sb_update(r, sb_on_break, r);
	if (rc < 0)
		log_err("recording the break in the metadata failed: %s", strerror(-rc));
	shutdown(r->conn.sock, SHUT_RDWR);
	for (int i = 0; i < 2; i++)
		if (r->snd.sb[i].state == SB_READING)
			ioq_cancel(r->io, &r->snd.sb[i].op);
	ioq_cancel(r->io, &r->rx.op);
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

	rc = resolve(r->res->nodes[r->me].address, r->res->port, &ss, &sl);
	if (rc)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 4)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	r->conn.listen_fd = fd;
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

/* One attempt to get a socket to the peer; -EAGAIN when it should retry. */
int conn_establish(struct repl *r, volatile int *stop)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, rc;

	if (r->conn.listen_fd >= 0) {
		struct pollfd p = { .fd = r->conn.listen_fd, .events = POLLIN };

		if (poll(&p, 1, RETRY_DELAY_MS) <= 0 || *stop)
			return -EAGAIN;
		fd = accept4(r->conn.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return -EAGAIN;
		tune_socket(r, fd);
		return fd;
	}
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

int conn_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
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

