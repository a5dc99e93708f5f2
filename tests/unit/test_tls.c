/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tls.c - the TLS step of an encrypted link (lib/tls.c): both sides
 * of an AUTH exchange derive the same connection key, and another secret
 * or another exchange another key; the TLS 1.2 PSK handshake succeeds over
 * a real TCP connection with the same key and fails on both sides with
 * another; a silent peer ends in the deadline; and where the kernel cannot
 * take the record layer (no tls module, as on the build host) the
 * handshake is refused with the reason rather than run in user space.
 * Where the kernel has kTLS, data sent as plain bytes on one socket
 * arrives as plain bytes on the other.
 */
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "auth.h"
#include "tls.h"

static const uint8_t K1[] = "0123456789abcdef0123456789abcdef";
static const uint8_t K2[] = "0123456789abcdef0123456789abcdeF";

static uint64_t ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A full AUTH exchange between c and l with keys kc and kl. */
static void exchange(struct md_auth *c, struct md_auth *l, const uint8_t *kc, const uint8_t *kl)
{
	struct md_auth_msg m1, m2, m3;
	bool have;

	assert_int_equal(md_auth_begin(c, false, MDW_AUTH_HMAC_SHA256, MDW_AUTH_F_TLS, kc, 32,
				       "r0", &m1, &have), 0);
	assert_int_equal(md_auth_begin(l, true, MDW_AUTH_HMAC_SHA256, MDW_AUTH_F_TLS, kl, 32,
				       "r0", &m2, &have), 0);
	assert_int_equal(md_auth_step(l, &m1, &m2, &have), 0);
	md_auth_step(c, &m2, &m3, &have);
	md_auth_step(l, &m3, &m1, &have);
}

static void both_sides_derive_one_key_per_connection(void **state)
{
	struct md_auth c, l, c2, l2;
	uint8_t kc[MD_TLS_PSK_LEN], kl[MD_TLS_PSK_LEN], k2[MD_TLS_PSK_LEN];

	(void)state;
	exchange(&c, &l, K1, K1);
	assert_int_equal(md_tls_psk(&c, kc), 0);
	assert_int_equal(md_tls_psk(&l, kl), 0);
	assert_memory_equal(kc, kl, sizeof(kc));
	/* A new exchange (new nonces): a new key. */
	exchange(&c2, &l2, K1, K1);
	assert_int_equal(md_tls_psk(&c2, k2), 0);
	assert_memory_not_equal(kc, k2, sizeof(kc));
	/* Same nonces, another secret: another key. */
	l.key = K2;
	assert_int_equal(md_tls_psk(&l, kl), 0);
	assert_memory_not_equal(kc, kl, sizeof(kc));
	/* Another resource name: another key. */
	l.key = K1;
	l.resource = "r1";
	assert_int_equal(md_tls_psk(&l, kl), 0);
	assert_memory_not_equal(kc, kl, sizeof(kc));
}

/* A connected TCP pair on loopback (TCP: the kernel's TLS needs it). */
static void tcp_pair(int *client, int *server)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	*client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
	*server = accept(lfd, NULL, NULL);
	assert_true(*server >= 0);
	close(lfd);
}

/*
 * Handshake with the server in a child; returns the client's result and
 * puts the server's in *srv_rc (its exit status: -rc).  With echo, a
 * successful pair exchanges a message as plain bytes on the sockets.
 */
static int handshake_pair(const uint8_t *kc, const uint8_t *ks, unsigned flags, bool echo,
			  int *srv_rc, char *err, size_t errlen)
{
	uint8_t pc[MD_TLS_PSK_LEN], ps[MD_TLS_PSK_LEN];
	int c, s, st, rc;
	void *sess;
	pid_t pid;

	memcpy(pc, kc, sizeof(pc));
	memcpy(ps, ks, sizeof(ps));
	tcp_pair(&c, &s);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char e[256], buf[6] = "";

		close(c);
		rc = md_tls_start(s, flags | MD_TLS_SERVER, ps, ms() + 5000, &sess, e, sizeof(e));
		if (!rc && echo && (recv(s, buf, 5, MSG_WAITALL) != 5 || send(s, buf, 5, 0) != 5))
			rc = -EIO;
		_exit(-rc);
	}
	close(s);
	rc = md_tls_start(c, flags, pc, ms() + 5000, &sess, err, errlen);
	if (!rc && echo) {
		char buf[6] = "";

		assert_int_equal(send(c, "hello", 5, 0), 5);
		assert_int_equal(recv(c, buf, 5, MSG_WAITALL), 5);
		assert_string_equal(buf, "hello");
	}
	if (!rc)
		md_tls_end(sess);
	close(c);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	*srv_rc = -WEXITSTATUS(st);
	return rc;
}

static bool kernel_has_tls(void)
{
	char buf[256] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return strstr(buf, "tls") != NULL;
}

static void same_key_handshakes_another_fails_on_both_sides(void **state)
{
	char err[256] = "";
	int srv;

	(void)state;
	assert_int_equal(handshake_pair(K1, K1, MD_TLS_USERSPACE_OK, false, &srv, err, sizeof(err)), 0);
	assert_int_equal(srv, 0);
	assert_int_equal(handshake_pair(K1, K2, MD_TLS_USERSPACE_OK, false, &srv, err, sizeof(err)),
			 -EACCES);
	assert_true(srv == -EACCES || srv == -ECONNRESET);
	assert_non_null(strstr(err, "TLS handshake failed"));
}

/* The product's mode: the record layer must be in the kernel. */
static void without_ktls_refused_with_the_reason(void **state)
{
	char err[256] = "";
	int srv, rc;

	(void)state;
	rc = handshake_pair(K1, K1, 0, true, &srv, err, sizeof(err));
	if (kernel_has_tls()) {
		/* kTLS here: the pair talks plain bytes through it. */
		assert_int_equal(rc, 0);
		assert_int_equal(srv, 0);
	} else {
		assert_int_equal(rc, -ENOPROTOOPT);
		assert_int_equal(srv, -ENOPROTOOPT);
		assert_non_null(strstr(err, "modprobe tls"));
	}
}

static void silent_peer_ends_at_the_deadline(void **state)
{
	uint8_t psk[MD_TLS_PSK_LEN];
	char err[256];
	uint64_t t0;
	void *sess;
	int c, s;

	(void)state;
	memcpy(psk, K1, sizeof(psk));
	tcp_pair(&c, &s);
	t0 = ms();
	assert_int_equal(md_tls_start(c, MD_TLS_USERSPACE_OK, psk, t0 + 300, &sess, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_true(ms() - t0 >= 290 && ms() - t0 < 2000);
	assert_null(sess);
	/* The peer closes instead: a reset, not a wait. */
	close(c);
	tcp_pair(&c, &s);
	close(s);
	assert_int_equal(md_tls_start(c, MD_TLS_USERSPACE_OK, psk, ms() + 5000, &sess, err,
				      sizeof(err)), -ECONNRESET);
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_sides_derive_one_key_per_connection),
		cmocka_unit_test(same_key_handshakes_another_fails_on_both_sides),
		cmocka_unit_test(without_ktls_refused_with_the_reason),
		cmocka_unit_test(silent_peer_ends_at_the_deadline),
	};

	signal(SIGPIPE, SIG_IGN);	/* as mirrord: a closed peer is an error, not a death */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
