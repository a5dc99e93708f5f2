/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdrelay - a TCP relay between the two mirrord that corrupts data in
 * flight, for the data-integrity test.  Test-only.
 *
 *   mdrelay ADDR PORT TARGET FLIPS TRIGGER [tls]
 *
 * Accepts connections on ADDR:PORT and relays each to TARGET:PORT, from
 * ADDR (so the target sees the relay's node as the source).  In the
 * direction TARGET -> client it follows the packet stream (md_wire.h
 * headers) and, once the file TRIGGER exists, flips one bit in the
 * payload of each of the next FLIPS DATA packets of 4 KiB or more (FLIPS
 * in all, over all connections): what a bad NIC, cable or switch
 * memory does and TCP's 16-bit checksum may let through.  Prints a line
 * per flip.  Runs until killed.
 *
 * With "tls" the stream is TLS records (encryption = tls): the flip goes
 * 1 KiB into each of the next FLIPS application-data records of 4 KiB or
 * more.  With $MDRELAY_DUMP set, every byte relayed (both directions) is
 * appended to that file: what someone on the path sees.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "md_wire.h"

static int flips_left, tls_mode;
static const char *trigger;
static FILE *dump;

#define TLS_HDR		5
#define TLS_APP_DATA	23

/* The stream target -> client: where we are in the current packet. */
struct parse {
	unsigned char hdr[sizeof(struct mdw_hdr)];
	uint64_t pos;		/* bytes of the current packet seen */
	uint32_t len;		/* its body length, once the header is in */
	int flip;		/* flip a bit of this packet's payload */
	size_t skip;		/* bytes before the first record (tls: AUTH step 2) */
};

static void follow(struct parse *p, unsigned char *buf, size_t n)
{
	size_t hlen = tls_mode ? TLS_HDR : sizeof(p->hdr);
	/* Where in the body the bit flips: 1 KiB into the payload. */
	size_t at = tls_mode ? 1024 : sizeof(struct mdw_data) + 1024;

	for (size_t i = 0; i < n; i++) {
		if (p->skip) {
			p->skip--;
			continue;
		}
		if (p->pos < hlen) {
			p->hdr[p->pos++] = buf[i];
			if (p->pos == hlen) {
				struct mdw_hdr h;
				bool data;

				if (tls_mode) {
					p->len = (uint32_t)p->hdr[3] << 8 | p->hdr[4];
					data = p->hdr[0] == TLS_APP_DATA && p->len >= 4096;
				} else {
					memcpy(&h, p->hdr, sizeof(h));
					p->len = le32toh(h.len);
					data = le16toh(h.type) == MDW_DATA &&
					       p->len >= sizeof(struct mdw_data) + 4096;
				}
				p->flip = data && flips_left > 0 && !access(trigger, F_OK);
				if (!p->len)
					p->pos = 0;
			}
			continue;
		}
		if (p->flip && p->pos - hlen == at) {
			buf[i] ^= 0x08;
			flips_left--;
			p->flip = 0;
			printf("mdrelay: flipped a bit in a %s of %u bytes\n",
			       tls_mode ? "TLS record" : "DATA packet", p->len);
			fflush(stdout);
		}
		if (++p->pos == hlen + p->len)
			p->pos = 0;
	}
}

static void relay(int c, int t)
{
	/* Under TLS the AUTH exchange is still our plain packets. */
	struct parse p = { .skip = tls_mode ? sizeof(struct mdw_hdr) + sizeof(struct mdw_auth) : 0 };
	unsigned char buf[65536];

	for (;;) {
		struct pollfd pf[2] = { { .fd = c, .events = POLLIN }, { .fd = t, .events = POLLIN } };

		if (poll(pf, 2, -1) < 0)
			return;
		for (int k = 0; k < 2; k++) {
			ssize_t n;

			if (!pf[k].revents)
				continue;
			n = recv(pf[k].fd, buf, sizeof(buf), 0);
			if (n <= 0)
				return;
			if (k == 1)
				follow(&p, buf, (size_t)n);
			if (dump && (fwrite(buf, 1, (size_t)n, dump) != (size_t)n || fflush(dump)))
				return;
			if (send(pf[!k].fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in me = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	int one = 1, l;

	if (argc < 6 || argc > 7 || (argc == 7 && strcmp(argv[6], "tls"))) {
		fprintf(stderr, "usage: mdrelay ADDR PORT TARGET FLIPS TRIGGER [tls]\n");
		return 2;
	}
	tls_mode = argc == 7;
	if (getenv("MDRELAY_DUMP") && !(dump = fopen(getenv("MDRELAY_DUMP"), "a"))) {
		perror("mdrelay: MDRELAY_DUMP");
		return 2;
	}
	me.sin_port = to.sin_port = htons((uint16_t)atoi(argv[2]));
	flips_left = atoi(argv[4]);
	trigger = argv[5];
	if (inet_pton(AF_INET, argv[1], &me.sin_addr) != 1 || inet_pton(AF_INET, argv[3], &to.sin_addr) != 1)
		return 2;
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&me, sizeof(me)) || listen(l, 4)) {
		perror("mdrelay: listen");
		return 2;
	}
	for (;;) {
		struct sockaddr_in src = me;
		int c = accept(l, NULL, NULL), t;

		if (c < 0)
			continue;
		src.sin_port = 0;
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (t >= 0 && !bind(t, (struct sockaddr *)&src, sizeof(src)) &&
		    !connect(t, (struct sockaddr *)&to, sizeof(to)))
			relay(c, t);
		close(c);
		if (t >= 0)
			close(t);
	}
}
