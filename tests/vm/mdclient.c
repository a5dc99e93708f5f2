/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdclient - a client of mirrord's replication port that is not the peer,
 * for the listener and authentication tests.  Test-only.
 *
 *   mdclient ADDR PORT MODE SECONDS [SRC]
 *     silent    connect, send nothing, hold
 *     garbage   connect, send 64 bytes of junk, hold
 *     drip      send a valid AUTH header, then one byte of body a second
 *     auth      an impostor without the secret: AUTH step 1 with a fresh
 *               nonce, read the answer, send a step 3 with a made-up MAC
 *   SRC binds the client to that local address first.
 *
 * Holds the connection until SECONDS pass or the server closes it, and
 * reads whatever the server sends.  Prints "dropped after S s, N bytes
 * received" (exit 0) or "held for S s, N bytes received" (exit 1); exit 2
 * when the connection could not be made.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "md_wire.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A packet header as the peer would send it. */
static void hdr(unsigned char *p, uint16_t type, uint32_t len)
{
	struct mdw_hdr h = { .magic = htole32(MDW_MAGIC), .type = htole16(type), .len = htole32(len) };

	memcpy(p, &h, sizeof(h));
}

/* AUTH step 1 or 3 of an impostor: random nonce or random MAC; it asks
 * for TLS as the bench's configuration does (encryption = tls, the default),
 * so that what stops it is the missing secret. */
static size_t auth_pkt(unsigned char *p, uint16_t step)
{
	struct mdw_auth a = { .version = htole32(MDW_AUTH_VERSION),
			      .method = htole16(MDW_AUTH_HMAC_SHA256), .step = htole16(step),
			      .flags = htole32(MDW_AUTH_F_TLS) };
	unsigned char *fill = step == 1 ? a.nonce : a.mac;

	for (int i = 0; i < MDW_AUTH_NONCE; i++)
		fill[i] = (unsigned char)rand();
	hdr(p, MDW_AUTH, sizeof(a));
	memcpy(p + sizeof(struct mdw_hdr), &a, sizeof(a));
	return sizeof(struct mdw_hdr) + sizeof(a);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char pkt[sizeof(struct mdw_hdr) + sizeof(struct mdw_auth)];
	double start, limit;
	long got = 0;
	int fd, drip, sent = 0, step3 = 0;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: mdclient ADDR PORT silent|garbage|drip|auth SECONDS [SRC]\n");
		return 2;
	}
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	limit = atof(argv[4]);
	drip = !strcmp(argv[3], "drip");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && argc == 6) {
		struct sockaddr_in src = { .sin_family = AF_INET };

		if (inet_pton(AF_INET, argv[5], &src.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&src, sizeof(src))) {
			perror("mdclient: bind");
			return 2;
		}
	}
	if (fd < 0 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("mdclient: connect");
		return 2;
	}
	start = now();
	if (!strcmp(argv[3], "garbage")) {
		for (size_t i = 0; i < 64; i++)
			pkt[i] = (unsigned char)(i * 37 + 11);
		send(fd, pkt, 64, MSG_NOSIGNAL);
	} else if (drip) {
		hdr(pkt, MDW_AUTH, sizeof(struct mdw_auth));
		send(fd, pkt, sizeof(struct mdw_hdr), MSG_NOSIGNAL);
	} else if (!strcmp(argv[3], "auth")) {
		send(fd, pkt, auth_pkt(pkt, 1), MSG_NOSIGNAL);
		step3 = 1;
	}
	while (now() - start < limit) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char b[512];

		if (poll(&p, 1, 1000) > 0) {
			ssize_t n = recv(fd, b, sizeof(b), 0);

			if (n <= 0) {
				printf("dropped after %.1f s, %ld bytes received\n", now() - start, got);
				return 0;
			}
			got += n;
			/* The listener's step 2 is in: answer with a made-up proof. */
			if (step3 && got >= (long)sizeof(pkt)) {
				send(fd, pkt, auth_pkt(pkt, 3), MSG_NOSIGNAL);
				step3 = 0;
			}
		}
		if (drip && sent < (int)sizeof(struct mdw_auth) - 1) {
			if (send(fd, "", 1, MSG_NOSIGNAL) < 0) {
				printf("dropped after %.1f s, %ld bytes received\n", now() - start, got);
				return 0;
			}
			sent++;
		}
	}
	printf("held for %.1f s, %ld bytes received\n", now() - start, got);
	return 1;
}
