/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_hs.c - the connection's handshake as both sides run it
 * (mirrord/handshake.c: hs_begin, hs_step, hs_ready): one module, the
 * role a parameter.  A connector and a listener talk over a socketpair,
 * each stepped without blocking as the listener's table and the
 * connector's loop do.  Same secret: both authenticated, and the
 * listener's candidate is through once the HELLO is in (without TLS) or
 * at once (with TLS).  Another secret, other encryption, garbage, a close:
 * each side ends with the reason the logs and status show, and a stranger
 * at the listener changes nothing in status while the peer the connector
 * dialled does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "fake_io.h"

struct pair {
	struct repl *l, *c;		/* listener, connector */
	struct hs_sock hl, hc;
	int rl, rc;			/* the last hs_step of each */
};

static struct repl *side(uint16_t method, uint32_t flags, const char *secret)
{
	struct repl *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->res = fake_res_new();
	r->auth.method = method;
	r->auth.flags = flags;
	r->auth.keylen = strlen(secret);
	memcpy(r->auth.key, secret, r->auth.keylen);
	return r;
}

static void pair_new(struct pair *p, uint16_t method, uint32_t fl, uint32_t fc, const char *kl,
		     const char *kc)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	p->l = side(method, fl, kl);
	p->c = side(method, fc, kc);
	p->c->me = 1;
	p->c->peer = 0;
	p->l->peer = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(hs_begin(p->l, &p->hl, sv[0], true), 0);
	assert_int_equal(hs_begin(p->c, &p->hc, sv[1], false), 0);
}

/* Step both until neither moves (each read is non-blocking). */
static void pair_run(struct pair *p)
{
	for (int i = 0; i < 8; i++) {
		if (p->rl >= 0)
			p->rl = hs_step(&p->hl);
		if (p->rc >= 0)
			p->rc = hs_step(&p->hc);
	}
}

static void pair_free(struct pair *p)
{
	close(p->hl.fd);
	close(p->hc.fd);
	free(p->l->res);
	free(p->c->res);
	free(p->l);
	free(p->c);
}

static void send_hello(int fd)
{
	char pkt[sizeof(struct mdw_hdr) + sizeof(struct mdw_hello)];
	struct md_hello_info me = { .proto_min = 1, .proto_max = 4 };

	mdw_hdr_encode(pkt, MDW_HELLO, sizeof(struct mdw_hello));
	mdw_hello_encode(pkt + sizeof(struct mdw_hdr), &me);
	assert_int_equal(send(fd, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
}

static void same_secret_both_authenticated(void **state)
{
	struct pair p;

	(void)state;
	pair_new(&p, MDW_AUTH_HMAC_SHA256, 0, 0, "sixteen byte secret!", "sixteen byte secret!");
	pair_run(&p);
	assert_true(p.hl.authed && p.hc.authed);
	assert_int_equal(p.rl, 0);
	assert_int_equal(p.rc, 0);
	/* Without TLS the listener's candidate is through with the HELLO. */
	assert_false(hs_ready(p.l, &p.hl));
	send_hello(p.hc.fd);
	p.rl = hs_step(&p.hl);
	assert_int_equal(p.rl, 1);
	assert_true(p.hl.have_hello && hs_ready(p.l, &p.hl));
	pair_free(&p);
}

static void with_tls_through_after_auth(void **state)
{
	struct pair p;

	(void)state;
	pair_new(&p, MDW_AUTH_HMAC_SHA256, MDW_AUTH_F_TLS, MDW_AUTH_F_TLS, "sixteen byte secret!",
		 "sixteen byte secret!");
	pair_run(&p);
	assert_true(p.hl.authed && p.hc.authed);
	assert_true(hs_ready(p.l, &p.hl));
	assert_false(p.hl.have_hello);
	pair_free(&p);
}

static void another_secret_fails_on_both_sides(void **state)
{
	struct pair p;

	(void)state;
	pair_new(&p, MDW_AUTH_HMAC_SHA256, 0, 0, "sixteen byte secret!", "another secret, 16+");
	pair_run(&p);
	assert_int_equal(p.rc, -EACCES);
	assert_int_equal(p.hc.auth_rc, -EACCES);
	assert_int_equal(p.rl, -EACCES);
	assert_int_equal(p.hl.auth_rc, -EACCES);
	assert_false(p.hl.authed || p.hc.authed);
	hs_refused(p.l, &p.hl);
	assert_string_equal(p.l->conn.fail_reason, md_auth_error(-EACCES));
	pair_free(&p);
}

static void encryption_mismatch_told_to_both(void **state)
{
	struct pair p;

	(void)state;
	pair_new(&p, MDW_AUTH_HMAC_SHA256, MDW_AUTH_F_TLS, 0, "sixteen byte secret!",
		 "sixteen byte secret!");
	pair_run(&p);
	assert_int_equal(p.hl.auth_rc, -EPROTOTYPE);
	assert_int_equal(p.hc.auth_rc, -EPROTOTYPE);
	pair_free(&p);
}

/* Garbage where AUTH belongs: the listener drops a stranger and keeps
 * quiet in status; the connector dialled the configured peer and says. */
static void garbage_first_words(void **state)
{
	static const char junk[16] = "GET / HTTP/1.0\r\n";
	struct pair p;
	int sv[2];

	(void)state;
	pair_new(&p, MDW_AUTH_NONE, 0, 0, "", "");
	close(p.hc.fd);
	close(p.hl.fd);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(hs_begin(p.l, &p.hl, sv[0], true), 0);
	assert_int_equal(send(sv[1], junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(hs_step(&p.hl), -EPROTO);
	assert_string_equal(p.hl.why, "it did not start with AUTH");
	assert_int_equal(p.hl.auth_rc, 0);
	close(sv[0]);
	close(sv[1]);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(hs_begin(p.c, &p.hc, sv[0], false), 0);
	assert_int_equal(send(sv[1], junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(hs_step(&p.hc), -EPROTO);
	assert_int_equal(p.hc.auth_rc, -EPROTO);
	p.hl.fd = sv[1];
	p.hc.fd = sv[0];
	pair_free(&p);
}

/* A close: before a word, or halfway. */
static void closed_before_a_word_and_during(void **state)
{
	struct pair p;

	(void)state;
	pair_new(&p, MDW_AUTH_NONE, 0, 0, "", "");
	pair_run(&p);		/* both through AUTH */
	shutdown(p.hc.fd, SHUT_WR);
	assert_int_equal(hs_step(&p.hl), -ECONNRESET);
	assert_string_equal(p.hl.why, "closed during the handshake");
	pair_free(&p);

	pair_new(&p, MDW_AUTH_NONE, 0, 0, "", "");
	/* The connector's step 1 is in the socket: read it away first. */
	close(p.hl.fd);
	{
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(hs_begin(p.l, &p.hl, sv[0], true), 0);
		close(sv[1]);
	}
	assert_int_equal(hs_step(&p.hl), -ECONNRESET);
	assert_string_equal(p.hl.why, "closed before a word");
	pair_free(&p);
}

/* The peer's bytes come one at a time: the listener keeps the partial
 * packet between steps, then answers it whole. */
static void byte_at_a_time(void **state)
{
	char pkt[sizeof(struct mdw_hdr) + sizeof(struct mdw_auth)];
	struct pair p;
	int sv[2];

	(void)state;
	pair_new(&p, MDW_AUTH_NONE, 0, 0, "", "");
	assert_int_equal(recv(p.hl.fd, pkt, sizeof(pkt), MSG_DONTWAIT), (ssize_t)sizeof(pkt));
	close(p.hl.fd);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(hs_begin(p.l, &p.hl, sv[0], true), 0);
	for (size_t i = 0; i < sizeof(pkt); i++) {
		assert_int_equal(send(sv[1], pkt + i, 1, 0), 1);
		assert_int_equal(hs_step(&p.hl), 0);
		assert_int_equal(p.hl.msgs, i + 1 == sizeof(pkt));
	}
	assert_int_equal(recv(sv[1], pkt, sizeof(pkt), MSG_DONTWAIT), (ssize_t)sizeof(pkt));
	close(sv[1]);
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_secret_both_authenticated),
		cmocka_unit_test(with_tls_through_after_auth),
		cmocka_unit_test(another_secret_fails_on_both_sides),
		cmocka_unit_test(encryption_mismatch_told_to_both),
		cmocka_unit_test(garbage_first_words),
		cmocka_unit_test(closed_before_a_word_and_during),
		cmocka_unit_test(byte_at_a_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
