/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listen.c - libFuzzer target: the listener's first bytes (mirrord/conn.c,
 * conn_establish as the listening node runs it).  A candidate connects
 * from the peer's address and sends the input's bytes, then closes its
 * side; the listener reads them without blocking, answers its AUTH and
 * waits for its HELLO, as it would over TCP.
 *
 *   byte 0   bit 0: auth = secret (HMAC-SHA256; else none); bit 1:
 *            encryption = tls; bit 2: a stranger (another address)
 *            connects first; bit 3: the table is full of silent
 *            candidates, so that the oldest goes
 *   then     what the candidate sends
 *
 * No real network: the candidate is a socketpair, handed to the listener
 * by accept4 (wrapped at link time: -Wl,--wrap=accept4), and the listening
 * socket is an eventfd that always polls readable.  Checked, besides
 * ASan/UBSan/LeakSanitizer:
 *   - the candidate wins only with auth = none (with the secret it cannot
 *     answer a nonce it never read), after exactly two AUTH packets and,
 *     without TLS, a HELLO, which the winner then holds byte for byte;
 *   - one that does not win is closed, and nothing else of it is kept;
 *   - all it got back are whole AUTH packets, at most two;
 *   - the silent candidates are untouched but for the oldest dropped when
 *     the table was full, and the stranger was closed without a byte;
 *   - the listener returns as soon as the candidate is done (a hang is
 *     caught by libFuzzer's -timeout).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fuzz.h"
#include "fake_io.h"

#define L_SECRET	0x01
#define L_TLS		0x02
#define L_STRANGER	0x04
#define L_FULL		0x08

static struct {
	struct repl *r;
	int cand, stranger;		/* what accept4 hands out, once each */
	int cfd;			/* the candidate's end, in the table */
	volatile int stop;		/* set once the candidate is gone */
} lw;

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static struct sockaddr_in addr_of(const char *a)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(40000) };

	FUZZ_CHECK(inet_pton(AF_INET, a, &in.sin_addr) == 1);
	return in;
}

int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *sl, int flags);
int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *sl, int flags)
{
	struct sockaddr_in from;
	int c = -1;
	bool there = false;

	(void)fd;
	if (lw.stranger >= 0) {
		c = lw.stranger;
		lw.stranger = -1;
		from = addr_of("10.9.8.7");
	} else if (lw.cand >= 0) {
		c = lw.cand;
		lw.cand = -1;
		from = addr_of("192.0.2.2");
	}
	if (c < 0) {
		/* Nothing more to accept: stop once the candidate is done. */
		for (int i = 0; i < lw.r->conn.ncand; i++)
			there |= lw.r->conn.cand[i].fd == lw.cfd;
		lw.stop = !there;
		errno = EAGAIN;
		return -1;
	}
	if (flags & SOCK_NONBLOCK)
		FUZZ_CHECK(fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK) == 0);
	if (sa) {
		memcpy(sa, &from, sizeof(from));
		*sl = sizeof(from);
	}
	return c;
}

/* What went back to the candidate: whole AUTH packets, at most two. */
static void check_answers(int fd)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t one = sizeof(struct mdw_hdr) + sizeof(struct mdw_auth);

	if (n < 0)
		return;
	FUZZ_CHECK((size_t)n % one == 0 && (size_t)n <= 2 * one);
	for (size_t off = 0; off < (size_t)n; off += one) {
		uint16_t type;
		uint32_t len;

		FUZZ_CHECK(mdw_hdr_decode(buf + off, &type, &len) == 0);
		FUZZ_CHECK(type == MDW_AUTH && len == sizeof(struct mdw_auth));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = "fuzz secret, fuzz secret, fuzz";
	size_t auth = sizeof(struct mdw_hdr) + sizeof(struct mdw_auth);
	size_t hello = sizeof(struct mdw_hdr) + sizeof(struct mdw_hello);
	struct sockaddr_in peer = addr_of("192.0.2.2");
	struct repl *r;
	int sv[2], st[2] = { -1, -1 }, silent[MAX_CANDIDATES][2], nsilent = 0, rc;
	struct hs_sock h = { .fd = -1 };
	uint8_t how;

	if (!size)
		return 0;
	how = data[0];
	data++;
	size--;
	FUZZ_CHECK(r = calloc(1, sizeof(*r)));
	r->res = fake_res_new();
	r->me = 0;
	r->peer = 1;
	r->conn.sock = -1;
	r->auth.method = how & L_SECRET ? MDW_AUTH_HMAC_SHA256 : MDW_AUTH_NONE;
	r->auth.flags = how & L_TLS ? MDW_AUTH_F_TLS : 0;
	memcpy(r->auth.key, key, sizeof(key));
	r->auth.keylen = sizeof(key);
	memcpy(&r->conn.peer_addr, &peer, sizeof(peer));
	for (int i = 0; i < MAX_CANDIDATES; i++)
		r->conn.cand[i].fd = -1;
	FUZZ_CHECK((r->conn.listen_fd = eventfd(1, EFD_CLOEXEC)) >= 0);
	/* Silent ones, older than the candidate: the oldest goes first. */
	if (how & L_FULL)
		for (; nsilent < MAX_CANDIDATES; nsilent++) {
			FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
					      silent[nsilent]) == 0);
			r->conn.cand[nsilent] = (struct hs_sock){
				.fd = silent[nsilent][0], .since_ms = now_ms() - 1000 + (uint64_t)nsilent };
			r->conn.ncand++;
		}
	if (how & L_STRANGER)
		FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st) == 0);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	FUZZ_CHECK(size == 0 || send(sv[1], data, size, MSG_DONTWAIT) == (ssize_t)size);
	shutdown(sv[1], SHUT_WR);
	lw.r = r;
	lw.cand = lw.cfd = sv[0];
	lw.stranger = st[0];
	lw.stop = 0;

	/* The long deadline of the silent ones: they must not time out. */
	r->res->timeout_s = 3600;
	do
		rc = conn_establish(r, &lw.stop, &h);
	while (rc == -EAGAIN && !lw.stop);

	if (rc == 0) {
		size_t need = 2 * auth + (how & L_TLS ? 0 : hello);

		FUZZ_CHECK(h.fd == sv[0] && h.listener);
		FUZZ_CHECK(!(how & L_SECRET));
		FUZZ_CHECK(h.authed && size >= need);
		FUZZ_CHECK(h.have_hello == !(how & L_TLS));
		if (h.have_hello)
			FUZZ_CHECK(!memcmp(h.buf, data + 2 * auth, hello));
		close(h.fd);
	} else {
		FUZZ_CHECK(rc == -EAGAIN);
		FUZZ_CHECK(!fd_open(sv[0]));
		FUZZ_CHECK(h.fd == -1);
	}
	for (int i = 0; i < r->conn.ncand; i++) {
		bool one = false;

		for (int k = 1; k < nsilent; k++)	/* the oldest, 0, went */
			one |= r->conn.cand[i].fd == silent[k][0];
		FUZZ_CHECK(one);
	}
	FUZZ_CHECK(r->conn.ncand == (nsilent ? MAX_CANDIDATES - 1 : 0));
	check_answers(sv[1]);
	if (st[0] >= 0) {
		char b;

		FUZZ_CHECK(!fd_open(st[0]));
		FUZZ_CHECK(recv(st[1], &b, 1, MSG_DONTWAIT) == 0);	/* closed, nothing said */
		close(st[1]);
	}
	conn_drop_candidates(r);
	for (int i = 0; i < nsilent; i++) {
		FUZZ_CHECK(!fd_open(silent[i][0]));
		close(silent[i][1]);
	}
	close(sv[1]);
	close(r->conn.listen_fd);
	free(r->res);
	free(r);
	return 0;
}
