/*
 * mdclient - a client of mirrord's replication port that is not the peer,
 * for the listener tests.  Test-only.
 *
 *   mdclient ADDR PORT silent SECONDS   connect, send nothing, hold
 *   mdclient ADDR PORT garbage SECONDS  connect, send 64 bytes of junk, hold
 *   mdclient ADDR PORT drip SECONDS     connect, send a valid HELLO header,
 *                                       then one byte of body per second
 *
 * Holds the connection until SECONDS pass or the server closes it.  Exit
 * 0 when the server closed it (it was dropped), 1 when SECONDS passed
 * first, 2 when the connection could not be made.  Prints the seconds it
 * was held.
 */
#include <arpa/inet.h>
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

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	double start, limit;
	int fd, drip, sent = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: mdclient ADDR PORT silent|garbage|drip SECONDS\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	limit = atof(argv[4]);
	drip = !strcmp(argv[3], "drip");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("mdclient: connect");
		return 2;
	}
	start = now();
	if (!strcmp(argv[3], "garbage")) {
		char junk[64];

		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (char)(i * 37 + 11);
		if (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) < 0)
			return 0;
	} else if (drip) {
		/* A header that announces a HELLO, as the peer's would. */
		struct { uint32_t magic; uint16_t type, flags; uint32_t len, reserved; } h = {
			.magic = htole32(MDW_MAGIC), .type = htole16(MDW_HELLO),
			.len = htole32(sizeof(struct mdw_hello)),
		};

		_Static_assert(sizeof(h) == sizeof(struct mdw_hdr), "header size");
		if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) < 0)
			return 0;
	}
	while (now() - start < limit) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char b[256];

		if (poll(&p, 1, 1000) > 0) {
			ssize_t n = recv(fd, b, sizeof(b), 0);

			if (n <= 0) {
				printf("dropped after %.1f s\n", now() - start);
				return 0;
			}
		}
		if (drip && sent < (int)sizeof(struct mdw_hello) - 1) {
			if (send(fd, "", 1, MSG_NOSIGNAL) < 0) {
				printf("dropped after %.1f s\n", now() - start);
				return 0;
			}
			sent++;
		}
	}
	printf("held for %.1f s\n", now() - start);
	return 1;
}
