/*
 * mdrelay - a TCP relay between the two mirrord that corrupts data in
 * flight, for the data-integrity test.  Test-only.
 *
 *   mdrelay ADDR PORT TARGET FLIPS TRIGGER
 *
 * Accepts connections on ADDR:PORT and relays each to TARGET:PORT, from
 * ADDR (so the target sees the relay's node as the source).  In the
 * direction TARGET -> client it follows the packet stream (md_wire.h
 * headers) and, once the file TRIGGER exists, flips one bit in the
 * payload of each of the next FLIPS DATA packets of 4 KiB or more (FLIPS
 * in all, over all connections): what a bad NIC, cable or switch
 * memory does and TCP's 16-bit checksum may let through.  Prints a line
 * per flip.  Runs until killed.
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
#include <unistd.h>
#include "md_wire.h"

static int flips_left;
static const char *trigger;

/* The stream target -> client: where we are in the current packet. */
struct parse {
	unsigned char hdr[sizeof(struct mdw_hdr)];
	uint64_t pos;		/* bytes of the current packet seen */
	uint32_t len;		/* its body length, once the header is in */
	int flip;		/* flip a bit of this packet's payload */
};

static void follow(struct parse *p, unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p->pos < sizeof(p->hdr)) {
			p->hdr[p->pos++] = buf[i];
			if (p->pos == sizeof(p->hdr)) {
				struct mdw_hdr h;

				memcpy(&h, p->hdr, sizeof(h));
				p->len = le32toh(h.len);
				p->flip = le16toh(h.type) == MDW_DATA && flips_left > 0 &&
					  p->len >= sizeof(struct mdw_data) + 4096 && !access(trigger, F_OK);
				if (!p->len)
					p->pos = 0;
			}
			continue;
		}
		/* Body byte pos - header: 1 KiB into the payload. */
		if (p->flip && p->pos - sizeof(p->hdr) == sizeof(struct mdw_data) + 1024) {
			buf[i] ^= 0x08;
			flips_left--;
			p->flip = 0;
			printf("mdrelay: flipped a bit in a DATA packet of %u bytes\n", p->len);
			fflush(stdout);
		}
		if (++p->pos == sizeof(p->hdr) + p->len)
			p->pos = 0;
	}
}

static void relay(int c, int t)
{
	struct parse p = { 0 };
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
			if (send(pf[!k].fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in me = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	int one = 1, l;

	if (argc != 6) {
		fprintf(stderr, "usage: mdrelay ADDR PORT TARGET FLIPS TRIGGER\n");
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
