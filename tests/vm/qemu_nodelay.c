/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu_nodelay.c - preloaded into the test guests' qemu by runner.py:
 * TCP_NODELAY on every TCP socket qemu connects or accepts, which is the
 * one that carries the guests' link (-netdev socket over 127.0.0.1).
 *
 * qemu leaves Nagle on for that connection, so of the frames one guest
 * sent in a burst the first went out and the rest waited for the other
 * qemu's TCP acknowledgement: it came with the next frame the other guest
 * sent (its own delayed ACK, 40 ms) or with the host's delayed ACK.  Every
 * exchange of 1.5 to 8 KiB between the guests took about 44 ms (a 4 KiB
 * synchronous write, ours and DRBD's alike; docs/performance.md, "The
 * test link's 44 ms stall").  A wire holds no frame back.  qemu 7.2 has
 * no option for it; its stream netdev over a Unix socket has no Nagle,
 * but stopped node a whole while node b's link was down under load (its
 * writes to the full socket blocked), which a wire does not do either.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void nodelay(int fd)
{
	int one = 1;

	/* Fails harmlessly on a socket that is not TCP. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	int rc;

	if (!real)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	rc = real(fd, addr, len);	/* qemu's is non-blocking: EINPROGRESS */
	if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6))
		nodelay(fd);
	return rc;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	int rc;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	rc = real(fd, addr, len);
	if (rc >= 0)
		nodelay(rc);
	return rc;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	int rc;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	rc = real(fd, addr, len, flags);
	if (rc >= 0)
		nodelay(rc);
	return rc;
}
